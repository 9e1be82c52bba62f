"""Uniqueness is the database's job (issue 12, docs/STYLE.md habit 13): each rule holds when two requests race. The
requests run in two threads with their own database connections; on PostgreSQL (CI) a barrier makes both pass
their reads before either writes, so only the constraint or lock can stop the second. On SQLite the database's
single write lock serialises them, and the tests check the same outcome."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from departments.models import Filing
from registration.models import Application, Enterprise, NameReservation
from tests.forms_fixtures import sample
from tests.workflow import Api, all_by_clerk_queue, callback, filing, make_clerks, submitted_trader

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; their results (or exceptions) in order."""
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 — reported to the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def both_read_first(monkeypatch):
    """On PostgreSQL, hold each racer after `wrapped` (a read) until both have done it."""

    def hold(module: Any, name: str, parties: int = 2) -> None:
        if connection.vendor != "postgresql":
            return  # SQLite: IMMEDIATE transactions queue writers at BEGIN; a barrier inside would deadlock
        barrier = threading.Barrier(parties)
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            return result

        monkeypatch.setattr(module, name, wrapper)

    return hold


@pytest.fixture
def world(seeded, applicant, outsider):
    all_by_clerk_queue()
    return make_clerks()


def _draft(user, name: str) -> tuple[Api, int]:
    api = Api(user)
    response = api.post("/applications", {"kind": "new_company", "data": {**sample("electronics_trader"),
                                                                           "name_zh": name}})  # fmt: skip
    assert response.status_code == 201, response.json()
    return api, response.json()["id"]


def test_two_founders_submitting_the_same_name_at_once_one_gets_it(world, applicant, outsider, both_read_first):
    import registration.services

    first, first_id = _draft(applicant, "东莞市同名电子贸易有限公司")
    second, second_id = _draft(outsider, "东莞市同名电子贸易有限公司")
    both_read_first(registration.services, "name_check")

    answers = race(
        lambda: first.post(f"/applications/{first_id}/submit"),
        lambda: second.post(f"/applications/{second_id}/submit"),
    )

    assert sorted(a.status_code for a in answers) == [200, 400], answers
    loser = next(a for a in answers if a.status_code == 400)
    assert "name_zh" in loser.json()["errors"]
    assert Application.objects.filter(state="submitted").count() == 1
    assert NameReservation.objects.count() == 1


def test_the_same_application_submitted_twice_at_once_is_submitted_once(world, applicant):
    api, application_id = _draft(applicant, "东莞市一次电子贸易有限公司")

    answers = race(
        lambda: api.post(f"/applications/{application_id}/submit"),
        lambda: Api(applicant).post(f"/applications/{application_id}/submit"),
    )

    assert sorted(a.status_code for a in answers) == [200, 409]
    assert Filing.objects.filter(application_id=application_id).count() == 1


def test_two_licences_drawing_the_same_code_both_get_a_unique_one(world, applicant, outsider, monkeypatch):
    import registration.services
    from registration.identifiers import uscc_generate

    clerks = world
    first = submitted_trader(Api(applicant))
    _api, second = _draft(outsider, "东莞市另一电子贸易有限公司")
    assert Api(outsider).post(f"/applications/{second}/submit").status_code == 200
    collision = uscc_generate()
    draws = iter([collision, collision])
    lock = threading.Lock()

    def draw() -> str:
        with lock:
            return next(draws, None) or uscc_generate()

    monkeypatch.setattr(registration.services, "uscc_generate", draw)
    aic = Api(clerks["AIC"])

    answers = race(
        lambda: aic.post(f"/filings/{filing(first, 'AIC').pk}/approve"),
        lambda: Api(clerks["AIC"]).post(f"/filings/{filing(second, 'AIC').pk}/approve"),
    )

    assert [a.status_code for a in answers] == [200, 200], answers
    codes = list(Enterprise.objects.values_list("uscc", flat=True))
    assert len(codes) == 2 and len(set(codes)) == 2 and collision in codes


def test_two_changes_of_one_enterprise_at_once_one_waits_for_the_other(world, applicant):
    from tests.workflow import completed_trader

    clerks = world
    enterprise = completed_trader(Api(applicant), clerks)

    answers = race(
        lambda: Api(applicant).post(f"/enterprises/{enterprise.uscc}/changes",
                                    {"data": {"reg_address": "东莞市南城街道鸿福路1号"}}),
        lambda: Api(applicant).post(f"/enterprises/{enterprise.uscc}/changes",
                                    {"data": {"reg_address": "东莞市东城街道东纵路2号"}}),
    )  # fmt: skip

    assert sorted(a.status_code for a in answers) == [201, 409], answers
    assert Application.objects.filter(kind="change", state="submitted", enterprise=enterprise).count() == 1


def test_a_clerk_and_a_department_system_deciding_at_once_make_one_decision(world, applicant):
    clerks = world
    application_id = submitted_trader(Api(applicant))
    assert Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve").status_code == 200
    ntax = filing(application_id, "NTAX")

    answers = race(
        lambda: Api(clerks["NTAX"]).post(f"/filings/{ntax.pk}/reject", {"reason": "材料不全"}),
        lambda: callback("NTAX", {"filing_id": ntax.pk, "decision": "approved"}),
    )

    assert sorted(a.status_code for a in answers) == [200, 409], [a.content for a in answers]
    from portal.models import AuditEvent

    decisions = AuditEvent.objects.filter(object_id=str(ntax.pk), action__in=("filing.approved", "filing.rejected"))
    assert decisions.count() == 1


def test_one_register_event_delivered_twice_at_once_is_taken_once(seeded, both_read_first):
    from registration import register_feed
    from registration.models import RegisterEvent
    from tests.test_register_feed import USCC, licence

    both_read_first(register_feed, "register_event_taken")
    answers = race(licence, licence)
    assert all(a.status_code == 200 for a in answers), answers
    assert sorted(a.json()["changed"] for a in answers) == [False, True]
    assert RegisterEvent.objects.count() == 1 and Enterprise.objects.filter(uscc=USCC).count() == 1


def test_two_licences_for_one_code_at_once_make_one_enterprise(seeded, both_read_first):
    from registration import register_feed
    from registration.models import RegisterEvent
    from tests.test_register_feed import USCC, licence

    both_read_first(register_feed, "register_event_taken")
    answers = race(lambda: licence(event_id="a", version=1), lambda: licence(event_id="b", version=1))
    assert all(a.status_code == 200 for a in answers), answers
    assert Enterprise.objects.filter(uscc=USCC).count() == 1
    # One created it; the other, at the same version, is recorded as stale.
    assert sorted(RegisterEvent.objects.values_list("outcome", flat=True)) == ["applied", "stale"]

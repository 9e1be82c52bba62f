"""A department protocol ordinary department systems cannot confuse (issue 12, docs/department-protocol.md):
decisions may come before the delivery's answer, callbacks name their round and carry their time, stale and
replayed callbacks change nothing and say so, callback items are checked like a clerk's, per-department retry
limits hold, and one filing is never being delivered twice at the same moment."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from departments import adapters
from departments.adapters import Delivered, Delivery, TransientError, delivery_policy
from departments.adapters.http import HttpAdapter
from departments.filings import filing_deliver
from departments.models import Department, Filing
from portal.models import AuditEvent
from registration.models import Application
from tests.workflow import Api, callback, filing


@pytest.fixture
def licensed(licensed_trader):
    return licensed_trader


@pytest.fixture
def test_adapter():
    """Register a department adapter for one test: `install(deliver)` makes NTAX use it."""
    installed = []

    def install(deliver, code: str = "NTAX", config: dict | None = None):
        class _Adapter:
            inline = False

            def deliver(self, delivery: Delivery):
                return deliver(delivery)

        adapters.REGISTRY["test"] = _Adapter
        installed.append("test")
        Department.objects.filter(code=code).update(adapter_kind="test", adapter_config=config or {})

    yield install
    for kind in installed:
        adapters.REGISTRY.pop(kind, None)


def _queued(application_id: int, code: str = "NTAX") -> Filing:
    """Put the department's filing back in the queue for a new delivery round, as a resubmission would."""
    f = filing(application_id, code)
    Filing.objects.filter(pk=f.pk).update(
        state="queued", round=f.round + 1, attempts=0, next_attempt_at=timezone.now(), claimed_until=None
    )
    return Filing.objects.get(pk=f.pk)


# --- Example 6: the decision arrives before the delivery's answer ------------------------------------------------


def test_a_decision_that_arrives_before_the_deliverys_answer_is_taken(licensed, test_adapter):
    _api, _clerks, application_id = licensed
    answers = []

    def decides_first(delivery: Delivery):
        # The department system decides and calls back while the portal still waits for its HTTP answer.
        answers.append(callback("NTAX", {"filing_id": delivery.filing_id, "decision": "approved",
                                         "reference_no": "NTAX-EARLY-1"}))  # fmt: skip
        return Delivered(reference="NTAX-RECEIPT-1")

    test_adapter(decides_first)
    ntax = _queued(application_id)

    outcome = filing_deliver(filing_id=ntax.pk)

    assert answers[0].status_code == 200 and answers[0].json()["changed"] is True
    assert outcome == "stale"  # the delivery's own answer came second and changed nothing
    ntax.refresh_from_db()
    assert (ntax.state, ntax.reference_no) == ("approved", "NTAX-EARLY-1")
    assert ntax.dispatched_at is not None and ntax.decided_at >= ntax.dispatched_at
    actions = list(AuditEvent.objects.filter(object_id=str(ntax.pk)).values_list("action", flat=True))
    assert actions[-2:] == ["filing.dispatched", "filing.approved"]


def test_a_decision_for_a_delivery_that_failed_after_its_retries_shows_the_department_had_it(licensed):
    _api, _clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")
    Filing.objects.filter(pk=ntax.pk).update(state="failed", last_error="read timeout")

    response = callback("NTAX", {"filing_id": ntax.pk, "decision": "approved"})

    assert response.status_code == 200 and response.json()["state"] == "approved"


# --- Example 7: a callback names its round; stale and replayed ones change nothing ------------------------------


def _correction_body(filing_id: int, round_: int) -> bytes:
    return json.dumps({
        "filing_id": filing_id, "round": round_, "sent_at": timezone.now().isoformat(),
        "decision": "correction_requested", "reason": "会计制度不符", "items": ["accounting_standard"],
    }).encode()  # fmt: skip


def test_a_round_one_correction_replayed_after_the_resubmission_changes_nothing(licensed):
    api, _clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")
    raw = _correction_body(ntax.pk, ntax.round)
    assert callback("NTAX", {}, raw=raw).json()["changed"] is True
    assert Application.objects.get(pk=application_id).state == "correction_requested"
    api.patch(f"/applications/{application_id}", {"data": {"accounting_standard": "enterprise"}})
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    assert filing(application_id, "NTAX").round == 2

    replayed = callback("NTAX", {}, raw=raw)  # the same signed bytes, sent again

    assert replayed.status_code == 200
    assert replayed.json()["changed"] is False
    assert "round 1" in replayed.json()["note"] and "round 2" in replayed.json()["note"]
    assert Application.objects.get(pk=application_id).state == "in_progress"
    assert filing(application_id, "NTAX").state == "dispatched"


def test_the_same_decision_twice_is_a_replay(licensed):
    _api, _clerks, application_id = licensed
    raw = _correction_body(filing(application_id, "NTAX").pk, 1)

    first, second = callback("NTAX", {}, raw=raw), callback("NTAX", {}, raw=raw)

    assert (first.json()["changed"], second.json()["changed"]) == (True, False)
    assert second.json()["note"] == "Already recorded."
    assert AuditEvent.objects.filter(action="filing.correction_requested").count() == 1


def test_a_round_that_was_never_delivered_is_refused(licensed):
    _api, _clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")

    response = callback("NTAX", {"filing_id": ntax.pk, "round": 7, "decision": "approved"})

    assert response.status_code == 400 and "round" in response.json()["errors"]
    assert filing(application_id, "NTAX").state == "dispatched"


@pytest.mark.parametrize(
    ("sent_at", "status", "changed"),
    [
        (lambda now: now - dt.timedelta(days=4), 200, False),  # older than CALLBACK_MAX_AGE_SECONDS
        (lambda now: now + dt.timedelta(hours=1), 400, None),  # the department system's clock is wrong
        (lambda now: now - dt.timedelta(minutes=5), 200, True),
        (lambda now: now + dt.timedelta(seconds=30), 200, True),  # within the allowed clock skew
    ],
)
def test_the_time_inside_the_signed_body_bounds_what_is_taken(licensed, sent_at, status, changed):
    _api, _clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")

    response = callback("NTAX", {"filing_id": ntax.pk, "decision": "approved",
                                 "sent_at": sent_at(timezone.now()).isoformat()})  # fmt: skip

    assert response.status_code == status
    if changed is not None:
        assert response.json()["changed"] is changed
    assert filing(application_id, "NTAX").state == ("approved" if changed else "dispatched")


@pytest.mark.parametrize("missing", ["round", "sent_at", "filing_id", "decision"])
def test_a_callback_without_its_round_or_time_is_refused_naming_it(licensed, missing):
    _api, _clerks, application_id = licensed
    body = {"filing_id": filing(application_id, "NTAX").pk, "round": 1, "sent_at": timezone.now().isoformat(),
            "decision": "approved"}  # fmt: skip
    del body[missing]

    response = callback("NTAX", {}, raw=json.dumps(body).encode())

    assert response.status_code == 400 and missing in response.json()["errors"]


def test_a_body_that_is_not_what_was_signed_is_403(licensed):
    from django.test import Client

    from departments.adapters.http import sign

    _api, _clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")
    raw = json.dumps({"filing_id": ntax.pk, "round": 1, "sent_at": timezone.now().isoformat(),
                      "decision": "approved"}).encode()  # fmt: skip
    secret = Department.objects.get(code="NTAX").hmac_secret

    answer = Client().post(
        "/api/v1/departments/NTAX/callback", raw.replace(b"approved", b"rejected"),
        content_type="application/json", HTTP_X_SIGNATURE=sign(secret, raw),
    )  # fmt: skip

    assert answer.status_code == 403
    assert filing(application_id, "NTAX").state == "dispatched"


# --- Example 8: callback items are checked like a clerk's -----------------------------------------------------


@pytest.mark.parametrize(
    ("items", "words"),
    [
        ([], "at least one item"),
        (["shoe_size"], "not a data item"),
        (["bank_account"], "not on your department's form"),
        (["name_zh"], "change registration"),
    ],
)
def test_correction_items_are_checked_the_same_for_callbacks_and_clerks(licensed, items, words):
    _api, clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")

    by_callback = callback("NTAX", {"filing_id": ntax.pk, "decision": "correction_requested", "reason": "r",
                                    "items": items})  # fmt: skip
    by_clerk = Api(clerks["NTAX"]).post(f"/filings/{ntax.pk}/request-correction", {"items": items, "reason": "r"})

    for response in (by_callback, by_clerk):
        assert response.status_code == 400, response.json()
        assert "items" in response.json()["errors"]
    assert words in " ".join(by_callback.json()["errors"]["items"])
    assert filing(application_id, "NTAX").state == "dispatched"
    assert Application.objects.get(pk=application_id).state == "in_progress"


# --- Example 9 and the lease: retry limits per department, one delivery at a time ---------------------------------


def test_a_departments_own_retry_limit_is_honoured(licensed, test_adapter, settings):
    _api, _clerks, application_id = licensed
    settings.DELIVERY_MAX_ATTEMPTS = 6

    def down(delivery):
        raise TransientError("HTTP 503: system maintenance")

    test_adapter(down, config={"max_attempts": 2, "backoff_seconds": 0})
    ntax = _queued(application_id)

    outcomes = []
    for _ in range(3):
        outcomes.append(filing_deliver(filing_id=ntax.pk))
        Filing.objects.filter(pk=ntax.pk, state="queued").update(next_attempt_at=timezone.now())

    assert outcomes == ["retry", "failed", "skipped"]
    ntax.refresh_from_db()
    assert (ntax.state, ntax.attempts) == ("failed", 2)


def test_a_filing_held_by_an_attempt_is_not_delivered_again_at_the_same_moment(licensed, test_adapter):
    _api, _clerks, application_id = licensed
    seen = []

    def slow(delivery):
        seen.append(filing_deliver(filing_id=delivery.filing_id))  # a second worker, mid-attempt
        return Delivered(reference="R1")

    test_adapter(slow)
    ntax = _queued(application_id)

    assert filing_deliver(filing_id=ntax.pk) == "dispatched"
    assert seen == ["skipped"]


def test_every_deadline_is_shorter_than_the_lease_whatever_the_department_configures(settings):
    settings.DELIVERY_LEASE_SECONDS = 60

    policy, problems = delivery_policy({"connect_timeout": 40, "read_timeout": 40, "deadline_seconds": 45})
    capped, problems_capped = delivery_policy({"read_timeout": 500})

    assert policy.deadline_seconds == 45 and problems == {}
    assert capped.deadline_seconds < 60 and capped.read_timeout <= capped.deadline_seconds
    assert "read_timeout" in problems_capped  # reported to the admin, not obeyed


def _dripping_server(stop: threading.Event) -> int:
    """A department system that accepts, then answers one byte every 0.2 s forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        connection, _address = server.accept()
        connection.recv(65536)
        try:
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.is_set():
                connection.sendall(b"X")
                time.sleep(0.2)
        except OSError:
            pass
        finally:
            connection.close()
            server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def test_an_attempt_ends_at_its_total_deadline_even_when_every_read_is_quick():
    stop = threading.Event()
    port = _dripping_server(stop)
    delivery = Delivery(
        filing_id=1, department="NTAX", round=1, payload={"a": 1}, payload_hash="0" * 64, form_version=1,
        config={"endpoint": f"http://127.0.0.1:{port}/filings", "read_timeout": 5, "deadline_seconds": 1},
        secret="s",
    )  # fmt: skip

    started = time.monotonic()
    with pytest.raises(TransientError, match="deadline"):
        HttpAdapter().deliver(delivery)
    stop.set()

    assert time.monotonic() - started < 3  # each read took 0.2 s, well within read_timeout; the deadline ended it


@pytest.mark.parametrize(
    "config",
    [{"max_attempts": 0}, {"max_attempts": "6"}, {"read_timeout": -1}, {"deadline_seconds": 10_000}, {}],
)
def test_delivery_settings_are_checked_when_an_admin_saves_them(seeded, config):
    department = Department.objects.get(code="NTAX")
    department.adapter_kind, department.adapter_config = "http", config

    with pytest.raises(ValidationError) as refused:
        department.full_clean()

    assert "adapter_config" in refused.value.message_dict

"""End to end on loopback with a real worker: API calls only, department systems deciding by signed callbacks,
and the faults a real deployment meets (department down, worker killed, broker flushed)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from django.conf import settings

from departments.models import Department, Filing, SandboxReceipt, SandboxSetting
from portal.models import AuditEvent
from registration.models import Application, Enterprise
from registration.selectors import register_data
from tests.forms_fixtures import sample
from tests.integration.conftest import Http, wait_for
from tests.workflow import FOREIGN_TRADE_ROUTE, make_clerks

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
HTTP_DEPARTMENTS = {"NTAX", "LTAX", "SI", "CUSTOMS", "CIQ"}


@pytest.fixture
def world(seeded, applicant):
    """Seeded reference data, a clerk per department, sandboxes that decide at once with short timeouts."""
    clerks = make_clerks()
    SandboxSetting.objects.update_or_create(department_code="NTAX", defaults={})
    for code in HTTP_DEPARTMENTS:
        SandboxSetting.objects.update_or_create(
            department_code=code, defaults={"mode": "approve", "decision_delay_seconds": 0.2, "fail_times": 0}
        )
    for department in Department.objects.filter(adapter_kind="http"):
        department.adapter_config = {**department.adapter_config, "connect_timeout": 1, "read_timeout": 2}
        department.save()
    return clerks


def state_of(application_id: int, code: str) -> str:
    return Filing.objects.get(application_id=application_id, department__code=code).state


def clerk_approves_when_dispatched(stack, clerks, application_id: int, code: str, reference: str = "") -> None:
    filing = wait_for(
        lambda: Filing.objects.filter(application_id=application_id, department__code=code, state="dispatched").first(),
        60,
        f"{code} to be dispatched",
    )
    response = Http(stack.url, clerks[code].username).post(f"/filings/{filing.pk}/approve", {"reference_no": reference})
    assert response.status_code == 200, response.text


def test_foreign_trade_company_from_draft_to_completed_over_http(stack, world, applicant):
    clerks = world
    api = Http(stack.url, applicant.username)
    created = api.post("/applications", {"kind": "new_company", "data": sample("electronics_trader")})
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    assert api.post(f"/applications/{application_id}/submit").json()["state"] == "submitted"

    clerk_approves_when_dispatched(stack, clerks, application_id, "AIC")
    body = api.get(f"/applications/{application_id}").json()
    assert body["state"] == "in_progress" and body["enterprise"]["uscc"].startswith("91441900MA")
    assert sorted(f["department"] for f in body["filings"]) == sorted(FOREIGN_TRADE_ROUTE)

    for code in ["PSB", "HRSS", "HPF", "STATS", "COMMERCE", "PBOC"]:
        clerk_approves_when_dispatched(stack, clerks, application_id, code, f"{code}-REF")
    clerk_approves_when_dispatched(stack, clerks, application_id, "SAFE")

    wait_for(lambda: Application.objects.get(pk=application_id).state == "completed", 90, "the application to complete")
    filings = {f.department.code: f for f in Filing.objects.filter(application_id=application_id)}
    assert {f.state for f in filings.values()} == {"approved"}
    assert filings["SAFE"].dispatched_at > max(filings["COMMERCE"].decided_at, filings["CUSTOMS"].decided_at)
    assert filings["CUSTOMS"].dispatched_at > filings["COMMERCE"].decided_at
    assert filings["CUSTOMS"].payload and "COMMERCE-REF" in str(filings["CUSTOMS"].payload)
    for code in HTTP_DEPARTMENTS:  # decided by the department system's signed callback, not by a clerk
        assert filings[code].decided_by is None and filings[code].reference_no.startswith(code)
        assert SandboxReceipt.objects.filter(department_code=code, filing_id=filings[code].pk).count() == 1

    # Proactive service over HTTP: a phone change reaches the department systems holding the phone as update
    # filings, decided by their callbacks; a printed-copy request to NTAX goes the same way.
    uscc = body["enterprise"]["uscc"]
    changed = api.post(f"/enterprises/{uscc}/changes", {"data": {"phone": "0769-22998877"}})
    assert changed.status_code == 201 and changed.json()["state"] == "in_progress", changed.text
    change_id = changed.json()["id"]
    updates = {f.department.code: f for f in Filing.objects.filter(application_id=change_id)}
    assert {f.kind for f in updates.values()} == {"update"} and set(updates) & HTTP_DEPARTMENTS
    for code in set(updates) - HTTP_DEPARTMENTS:
        clerk_approves_when_dispatched(stack, clerks, change_id, code)
    wait_for(lambda: Application.objects.get(pk=change_id).state == "completed", 90, "the change to complete")
    for code in set(updates) & HTTP_DEPARTMENTS:
        receipt = SandboxReceipt.objects.get(department_code=code, filing_id=updates[code].pk)
        assert "22998877" in str(receipt.payload)
    copy = api.post(f"/enterprises/{uscc}/archive-copies", {"document": "licence", "department": "NTAX"})
    assert copy.status_code == 201, copy.text
    wait_for(lambda: Application.objects.get(pk=copy.json()["id"]).state == "completed", 90, "the copy request")


def _existing_company(owner) -> str:
    data = register_data(sample("electronics_trader"))
    enterprise = Enterprise.objects.create(
        uscc="91441900MA4UJ8K20E", name_zh=data["name_zh"], name_key="x", entity_type=data["entity_type"],
        established_on="2024-05-06", data=data, owner=owner,
    )  # fmt: skip
    return enterprise.uscc


def _submit_existing(stack, applicant) -> int:
    api = Http(stack.url, applicant.username)
    uscc = _existing_company(applicant)
    extra = {
        k: v for k, v in sample("electronics_trader").items() if k not in register_data(sample("electronics_trader"))
    }
    created = api.post("/applications", {"kind": "existing_company", "uscc": uscc, "data": extra})
    assert created.status_code == 201, created.text
    submitted = api.post(f"/applications/{created.json()['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    return created.json()["id"]


def test_department_system_down_for_a_while_then_delivered_exactly_once(stack, world, applicant):
    stack.stop("sandbox")
    application_id = _submit_existing(stack, applicant)

    wait_for(
        lambda: Filing.objects.filter(application_id=application_id, department__code="NTAX", attempts__gte=2).exists(),
        60,
        "NTAX delivery to fail twice",
    )
    failing = Filing.objects.get(application_id=application_id, department__code="NTAX")
    assert failing.state == "queued" and "Connection" in failing.last_error and failing.next_attempt_at

    stack.start("sandbox")
    for code in HTTP_DEPARTMENTS - {"CUSTOMS"}:  # CUSTOMS waits for COMMERCE
        wait_for(lambda c=code: state_of(application_id, c) == "approved", 60, f"{code} to be approved")
        filing = Filing.objects.get(application_id=application_id, department__code=code)
        assert SandboxReceipt.objects.filter(department_code=code, filing_id=filing.pk).count() == 1
    assert Filing.objects.get(application_id=application_id, department__code="NTAX").attempts >= 3


def test_worker_killed_mid_delivery_delivers_once_after_restart(stack, world, applicant):
    SandboxSetting.objects.filter(department_code="SI").update(mode="timeout", hang_seconds=1.5)
    Department.objects.filter(code="SI").update(
        adapter_config={"endpoint": "sandbox", "connect_timeout": 1, "read_timeout": 10}
    )
    application_id = _submit_existing(stack, applicant)
    si = Filing.objects.get(application_id=application_id, department__code="SI")
    wait_for(lambda: SandboxReceipt.objects.filter(filing_id=si.pk).exists(), 60, "SI's request to be in flight")

    stack.stop("worker", sig=signal.SIGKILL)
    SandboxSetting.objects.filter(department_code="SI").update(mode="approve", hang_seconds=0)
    assert Filing.objects.get(pk=si.pk).state == "queued"  # the attempt never finished
    stack.start("worker")

    wait_for(lambda: state_of(application_id, "SI") == "approved", 90, "SI to be delivered and approved")
    receipts = SandboxReceipt.objects.filter(filing_id=si.pk)
    # The department recorded one filing: a retry carried the same idempotency key, or the department's decision
    # for the round it had received arrived first and made a retry unnecessary.
    assert receipts.count() == 1
    assert AuditEvent.objects.filter(object_id=str(si.pk), action="filing.dispatched").count() == 1
    assert AuditEvent.objects.filter(object_id=str(si.pk), action="filing.approved").count() == 1


def test_broker_flushed_while_filings_are_queued_the_sweep_re_enqueues(stack, world, applicant):
    stack.stop("worker")
    application_id = _submit_existing(stack, applicant)
    over_http = Filing.objects.filter(
        application_id=application_id, department__code__in=HTTP_DEPARTMENTS - {"CUSTOMS"}
    )
    assert set(over_http.values_list("state", flat=True)) == {"queued"}  # no worker: nobody has delivered them

    _flush_broker()
    stack.start("worker")

    for code in HTTP_DEPARTMENTS - {"CUSTOMS"}:
        wait_for(lambda c=code: state_of(application_id, c) == "approved", 60, f"{code} after the broker flush")
    assert state_of(application_id, "PSB") == "dispatched"


def _flush_broker() -> None:
    """Lose every message in the broker, as after a Redis crash without persistence."""
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
        return
    queue = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    for message in queue.glob("*"):
        message.unlink()
    time.sleep(0.1)


def test_a_department_that_calls_back_before_answering_the_delivery_ends_approved(stack, world, applicant):
    """Issue 12, example 6: the department decides at once and calls back while its answer to the delivery is
    still on the way; the filing must not stay `dispatched` for good."""
    SandboxSetting.objects.filter(department_code="NTAX").update(decide_before_answering=True)
    application_id = _submit_existing(stack, applicant)

    wait_for(lambda: state_of(application_id, "NTAX") == "approved", 60, "NTAX to be approved by its early callback")
    ntax = Filing.objects.get(application_id=application_id, department__code="NTAX")
    time.sleep(1)  # the delivery's own answer arrives after the decision; it must change nothing
    ntax.refresh_from_db()
    assert ntax.state == "approved" and ntax.reference_no.startswith("NTAX")
    assert SandboxReceipt.objects.get(filing_id=ntax.pk).decided == "approved"
    assert AuditEvent.objects.filter(object_id=str(ntax.pk), action="filing.approved").count() == 1

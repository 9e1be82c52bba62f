"""The register feed end to end with a real worker (issue 15): market supervision pushes a licence over HTTP, the
enterprise's legal representative claims it and completes the follow-on filings with every department, then a
revocation reaches the verification API at once and the department systems as notices."""

from __future__ import annotations

import json

import pytest
import requests
from django.utils import timezone

from departments.adapters.http import sign
from departments.models import Department, Filing, SandboxReceipt
from portal.models import User
from registration.models import Application
from registration.register_feed import register_items
from registration.verification import institution_create
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample
from tests.integration.conftest import Http, wait_for
from tests.integration.test_pipeline import HTTP_DEPARTMENTS, clerk_approves_when_dispatched, world  # noqa: F401

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
USCC = "91440300708461136T"


def push(stack, body: dict) -> requests.Response:
    raw = json.dumps({"sent_at": timezone.now().isoformat(), **body}, ensure_ascii=False).encode()
    secret = Department.objects.get(code="AIC").hmac_secret
    headers = {"Content-Type": "application/json", "X-Signature": sign(secret, raw)}
    return requests.post(f"{stack.url}/api/v1/register/events", data=raw, headers=headers, timeout=30)


def test_a_pushed_licence_is_claimed_filed_everywhere_then_revoked(stack, world):  # noqa: F811
    clerks = world
    trader = sample("electronics_trader")
    register = {k: v for k, v in trader.items() if k in register_items()}
    licensed = push(stack, {"event_id": "lic-1", "uscc": USCC, "kind": "licence", "version": 1,
                            "established_on": "2013-06-01", "data": register})  # fmt: skip
    assert licensed.status_code == 200 and licensed.json()["changed"], licensed.text

    legal_rep = trader["legal_rep"]
    founder = User.objects.create_user(
        username="chen_zhiming", password=PASSWORD, role="applicant", full_name=legal_rep["name"],
        verified_name=legal_rep["name"], verified_id_number=legal_rep["id_number"], identity_subject="sbx-chen",
    )  # fmt: skip
    api = Http(stack.url, founder.username)
    own = {k: v for k, v in trader.items() if k not in register}
    created = api.post("/applications", {"kind": "existing_company", "uscc": USCC, "data": own})
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    for code in ["PSB", "HRSS", "HPF", "STATS", "COMMERCE", "PBOC"]:
        clerk_approves_when_dispatched(stack, clerks, application_id, code)
    clerk_approves_when_dispatched(stack, clerks, application_id, "SAFE")
    wait_for(lambda: Application.objects.get(pk=application_id).state == "completed", 90, "the filings to complete")

    _institution, key = institution_create(name="东莞农村商业银行", kind="bank", scopes=["verify"])
    revoked = push(stack, {"event_id": "rev-1", "uscc": USCC, "kind": "revocation", "version": 2,
                           "effective_on": "2026-11-30", "reason": "连续六个月未开业"})  # fmt: skip
    assert revoked.status_code == 200 and revoked.json()["enterprise"]["status"] == "revoked", revoked.text
    verified = requests.get(f"{stack.url}/api/v1/verify/{USCC}", params={"purpose": "开户"},
                            headers={"X-Api-Key": key}, timeout=30)  # fmt: skip
    assert verified.json()["status"] == "revoked"
    notices = Filing.objects.filter(application__enterprise__uscc=USCC, kind="status_notice")
    assert set(notices.values_list("department__code", flat=True)) >= HTTP_DEPARTMENTS
    for code in HTTP_DEPARTMENTS:
        notice = notices.get(department__code=code)
        wait_for(lambda n=notice: SandboxReceipt.objects.filter(filing_id=n.pk).exists(), 60, f"{code}'s notice")
        receipt = SandboxReceipt.objects.get(filing_id=notice.pk)
        assert "revoked" in json.dumps(receipt.payload)

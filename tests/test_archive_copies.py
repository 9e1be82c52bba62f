"""Printed archive copies (issue 6): requested by the enterprise, queued to one department's workbench, decided
there, and tracked like any filing."""

import pytest

from departments.models import Filing
from portal.models import Notification
from registration.models import Application, IssuedDocument
from tests.workflow import Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world, trader):
    api, clerks = world
    return api, clerks, trader


def ask(api, enterprise, **body):
    return api.post(
        f"/enterprises/{enterprise.uscc}/archive-copies", {"document": "licence", "department": "STATS", **body}
    )


def test_a_copy_request_reaches_the_departments_workbench_and_is_tracked_to_completion(setup):
    api, clerks, enterprise = setup
    response = ask(api, enterprise, copies=2, delivery="post", postal_address="东莞市南城街道鸿福路106号")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["state"]) == ("archive_copy", "in_progress")
    assert [(f["department"], f["state"]) for f in body["filings"]] == [("STATS", "dispatched")]

    filing = Filing.objects.get(application_id=body["id"])
    licence = IssuedDocument.objects.get(enterprise=enterprise, kind="licence", superseded_at=None)
    assert filing.kind == "archive_copy"
    assert filing.payload["document_number"] == licence.number and filing.payload["copies"] == 2
    assert filing.payload["uscc"] == enterprise.uscc

    stats = Api(clerks["STATS"])
    listed = stats.get("/filings", state="dispatched").json()
    assert filing.pk in [f["id"] for f in listed]
    page = stats.client.get(f"/workbench/filings/{filing.pk}/")
    assert page.status_code == 200 and licence.number in page.content.decode()
    assert "request-correction" not in page.content.decode()
    pdf = stats.client.get(f"/workbench/filings/{filing.pk}/document.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    assert stats.post(f"/filings/{filing.pk}/approve", {"reference_no": "DA-2026-0042"}).status_code == 200
    detail = api.get(f"/applications/{body['id']}").json()
    assert detail["state"] == "completed" and detail["filings"][0]["reference_no"] == "DA-2026-0042"
    note = (
        Notification.objects.filter(user=api.user, title__icontains="copy").first()
        or Notification.objects.filter(user=api.user, body__contains="DA-2026-0042").first()
    )
    assert note is not None


def test_a_copy_request_can_be_refused_with_a_reason(setup):
    api, clerks, enterprise = setup
    application_id = ask(api, enterprise).json()["id"]
    filing = Filing.objects.get(application_id=application_id)
    response = Api(clerks["STATS"]).post(f"/filings/{filing.pk}/reject", {"reason": "请到AIC窗口领取"})
    assert response.status_code == 200
    detail = api.get(f"/applications/{application_id}").json()
    assert detail["filings"][0]["state"] == "rejected" and detail["filings"][0]["message"] == "请到AIC窗口领取"
    assert detail["state"] == "rejected"  # the request is over, not left in progress


def test_a_copy_request_is_not_sent_back_for_correction(setup):
    api, clerks, enterprise = setup
    filing = Filing.objects.get(application_id=ask(api, enterprise).json()["id"])
    response = Api(clerks["STATS"]).post(
        f"/filings/{filing.pk}/request-correction", {"items": ["phone"], "reason": "x"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"document": "passport"}, "document"),
        ({"department": "NASA"}, "department"),
        ({"copies": 9}, "copies"),
        ({"copies": 0}, "copies"),
        ({"delivery": "pigeon"}, "delivery"),
        ({"delivery": "post", "postal_address": " "}, "postal_address"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_written(setup, body, key):
    api, _clerks, enterprise = setup
    before = (Application.objects.count(), Filing.objects.count())
    response = ask(api, enterprise, **body)
    assert response.status_code == 400 and key in response.json()["errors"]
    assert (Application.objects.count(), Filing.objects.count()) == before


def test_only_the_enterprise_asks_and_only_the_department_decides(setup, outsider):
    api, clerks, enterprise = setup
    assert ask(Api(outsider), enterprise).status_code == 404
    assert ask(Api(clerks["STATS"]), enterprise).status_code == 403
    filing = Filing.objects.get(application_id=ask(api, enterprise).json()["id"])
    assert Api(clerks["NTAX"]).post(f"/filings/{filing.pk}/approve").status_code == 404
    assert Api(clerks["NTAX"]).client.get(f"/workbench/filings/{filing.pk}/document.pdf").status_code == 404
    assert Api(outsider).get(f"/applications/{filing.application_id}").status_code == 404


def test_a_filing_copy_pdf_is_only_for_department_forms(setup):
    api, _clerks, enterprise = setup
    application_id = ask(api, enterprise).json()["id"]
    assert api.client.get(f"/applications/{application_id}/documents/filing-stats.pdf").status_code == 404

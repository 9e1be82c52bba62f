"""Who may see and decide filings, department callbacks, replays, concurrent decisions, the audit chain."""

import threading

import pytest
from django.db import connection
from django.test import Client

from departments.adapters.http import sign
from departments.models import Department, Filing
from portal.audit import audit_chain_verify
from portal.models import AuditEvent
from registration.models import Application
from tests.workflow import Api, all_by_clerk_queue, callback, deliver_all, filing, make_clerks, submitted_trader

pytestmark = pytest.mark.django_db


@pytest.fixture
def licensed(seeded, applicant, django_capture_on_commit_callbacks):
    """A trader with its licence issued and every released filing delivered."""
    all_by_clerk_queue()
    clerks = make_clerks()
    api = Api(applicant)
    application_id = submitted_trader(api)
    deliver_all()
    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")
    deliver_all()
    return api, clerks, application_id


def test_another_applicant_gets_404_on_the_application(licensed, outsider):
    api, _clerks, application_id = licensed
    other = Api(outsider)

    assert other.get(f"/applications/{application_id}").status_code == 404
    assert other.patch(f"/applications/{application_id}", {"data": {"phone": "0769-22112345"}}).status_code == 404
    assert other.post(f"/applications/{application_id}/submit").status_code == 404
    assert other.post(f"/applications/{application_id}/withdraw").status_code == 404
    assert other.get("/applications").json() == []
    assert len(api.get("/applications").json()) == 1


def test_clerk_sees_own_department_and_aic_only(licensed):
    _api, clerks, application_id = licensed
    ntax = Api(clerks["NTAX"])

    assert ntax.get(f"/filings/{filing(application_id, 'SI').pk}").status_code == 404
    assert ntax.post(f"/filings/{filing(application_id, 'SI').pk}/approve").status_code == 404
    assert ntax.get(f"/filings/{filing(application_id, 'NTAX').pk}").status_code == 200
    assert ntax.get(f"/filings/{filing(application_id, 'AIC').pk}").status_code == 200
    listed = {f["department"] for f in ntax.get("/filings").json()}
    assert listed == {"NTAX", "AIC"}


def test_clerk_of_another_department_gets_403_on_any_aic_action(licensed):
    _api, clerks, application_id = licensed
    ntax = Api(clerks["NTAX"])
    aic = filing(application_id, "AIC").pk

    assert ntax.post(f"/filings/{aic}/approve").status_code == 403
    assert ntax.post(f"/filings/{aic}/reject", {"reason": "x"}).status_code == 403
    assert ntax.post(f"/filings/{aic}/request-correction", {"items": ["phone"], "reason": "x"}).status_code == 403


def test_applicants_see_no_filings_list_and_cannot_decide(licensed):
    api, _clerks, application_id = licensed

    assert api.get("/filings").json() == []
    assert api.post(f"/filings/{filing(application_id, 'NTAX').pk}/approve").status_code == 404


def test_auditor_reads_everything_and_decides_nothing(licensed, auditor):
    _api, _clerks, application_id = licensed
    reader = Api(auditor)

    assert reader.get(f"/applications/{application_id}").status_code == 200
    assert len(reader.get("/filings").json()) == 13
    assert reader.post(f"/filings/{filing(application_id, 'NTAX').pk}/approve").status_code == 403
    assert reader.post(f"/applications/{application_id}/withdraw").status_code == 403


def test_anonymous_gets_401(licensed):
    _api, _clerks, application_id = licensed
    anonymous = Client()

    assert anonymous.get(f"/api/v1/applications/{application_id}").status_code == 401
    assert anonymous.get("/api/v1/filings").status_code == 401


def test_token_authentication_works_for_the_api(licensed, applicant):
    from tests.conftest import PASSWORD

    client = Client()
    token = client.post(
        "/api/v1/auth/token", {"username": applicant.username, "password": PASSWORD}, content_type="application/json"
    ).json()["token"]

    response = client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200 and len(response.json()) == 1


def test_deciding_twice_is_409_with_the_state(licensed):
    _api, clerks, application_id = licensed
    ntax = Api(clerks["NTAX"])
    pk = filing(application_id, "NTAX").pk

    assert ntax.post(f"/filings/{pk}/approve").status_code == 200
    again = ntax.post(f"/filings/{pk}/reject", {"reason": "late"})

    assert again.status_code == 409
    assert again.json()["state"] == "approved"


def test_decision_inputs_are_checked(licensed):
    _api, clerks, application_id = licensed
    ntax = Api(clerks["NTAX"])
    pk = filing(application_id, "NTAX").pk

    assert set(ntax.post(f"/filings/{pk}/reject", {}).json()["errors"]) == {"reason"}
    bad = ntax.post(f"/filings/{pk}/request-correction", {"items": ["shoe_size"], "reason": "x"})
    assert bad.status_code == 400 and "items" in bad.json()["errors"]
    assert Filing.objects.get(pk=pk).state == "dispatched"


def _callback(code: str, body: dict, secret: str | None = None):
    return callback(code, body, secret)


def test_callback_with_bad_signature_is_403_and_changes_nothing(licensed):
    _api, _clerks, application_id = licensed
    pk = filing(application_id, "NTAX").pk

    response = _callback("NTAX", {"filing_id": pk, "decision": "approved"}, secret="wrong")

    assert response.status_code == 403
    assert Filing.objects.get(pk=pk).state == "dispatched"


def test_callback_replayed_five_times_is_one_decision(licensed):
    _api, _clerks, application_id = licensed
    pk = filing(application_id, "NTAX").pk
    body = {"filing_id": pk, "decision": "approved", "reference_no": "NTAX-2026-1"}

    answers = [_callback("NTAX", body) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert [a.json()["changed"] for a in answers] == [True, False, False, False, False]
    assert Filing.objects.get(pk=pk).reference_no == "NTAX-2026-1"
    assert AuditEvent.objects.filter(action="filing.approved", object_id=str(pk)).count() == 1


def test_late_conflicting_callback_is_409_and_harmless(licensed):
    _api, _clerks, application_id = licensed
    pk = filing(application_id, "NTAX").pk
    _callback("NTAX", {"filing_id": pk, "decision": "approved"})

    late = _callback("NTAX", {"filing_id": pk, "decision": "rejected", "reason": "late"})

    assert late.status_code == 409
    assert Filing.objects.get(pk=pk).state == "approved"


def test_callback_for_another_departments_filing_is_404(licensed):
    _api, _clerks, application_id = licensed

    response = _callback("NTAX", {"filing_id": filing(application_id, "SI").pk, "decision": "approved"})

    assert response.status_code == 404
    assert filing(application_id, "SI").state == "dispatched"


def test_malformed_callback_is_400(licensed):
    raw = b"{not json"
    response = Client().post(
        "/api/v1/departments/NTAX/callback",
        raw,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign(Department.objects.get(code="NTAX").hmac_secret, raw),
    )

    assert response.status_code == 400


def test_operator_redispatches_a_failed_delivery(licensed, admin_user):
    _api, clerks, application_id = licensed
    si = filing(application_id, "SI")
    Filing.objects.filter(pk=si.pk).update(state="failed", last_error="HTTP 503")

    assert Api(clerks["SI"]).post(f"/filings/{si.pk}/redispatch").status_code == 403
    response = Api(admin_user).post(f"/filings/{si.pk}/redispatch")

    assert response.status_code == 200 and response.json()["state"] == "dispatched"  # clerk queue: at once
    assert Api(admin_user).post(f"/filings/{si.pk}/redispatch").status_code == 409


def test_audit_chain_detects_an_edited_row(licensed):
    assert audit_chain_verify() is None
    event = AuditEvent.objects.filter(action="filing.dispatched").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE portal_auditevent SET message = %s WHERE id = %s", ["edited", event.pk])

    assert audit_chain_verify() == event.pk


def test_audit_events_cannot_be_changed_through_the_orm(licensed):
    event = AuditEvent.objects.first()
    event.message = "edited"

    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


@pytest.mark.django_db(transaction=True)
def test_two_clerks_approving_at_once_one_wins_the_other_gets_409(seeded, applicant):
    from departments.filings import filing_deliver
    from tests.workflow import submitted_trader as submit

    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submit(Api(applicant))
    for f in Filing.objects.filter(state="queued"):
        filing_deliver(filing_id=f.pk)
    from portal.models import Role, User

    second_clerk = User.objects.create_user(
        username="aic_clerk_2", password="x-pass-123", role=Role.CLERK, department=Department.objects.get(code="AIC")
    )
    pk = filing(application_id, "AIC").pk
    barrier = threading.Barrier(2)
    codes = []

    def approve(user):
        api = Api(user)
        barrier.wait()
        codes.append(api.post(f"/filings/{pk}/approve").status_code)
        connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (clerks["AIC"], second_clerk)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(codes) == [200, 409]
    assert Application.objects.get(pk=application_id).state == "in_progress"
    assert AuditEvent.objects.filter(action="enterprise.licensed").count() == 1

"""Service-hall and workbench pages: who gets in, what they can do, what they see."""

import pytest

from departments.models import Filing
from portal.models import Notification
from registration.models import Application
from registration.services import application_create
from tests.forms_fixtures import sample
from tests.workflow import Api, all_by_clerk_queue, filing, make_clerks, submitted_trader

pytestmark = pytest.mark.django_db


@pytest.fixture
def licensed(seeded, applicant, django_capture_on_commit_callbacks):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")
    return clerks, application_id


def test_start_is_public_but_beginning_needs_an_applicant(client, seeded, clerk):
    page = client.get("/start/", {"import_export": "true", "industry_code": "5179"})
    assert page.status_code == 200
    assert len(page.context["preview"]["departments"]) == 13
    assert client.post("/start/", {"kind": "new_company"}).status_code == 302  # to the login page

    client.force_login(clerk)
    assert client.post("/start/", {"kind": "new_company"}).status_code == 403


def test_start_creates_a_draft_with_the_answers(client, seeded, applicant):
    client.force_login(applicant)

    response = client.post("/start/", {"kind": "new_company", "import_export": "true", "industry_code": "5179"})

    application = Application.objects.get(applicant=applicant)
    assert response.status_code == 302 and f"/applications/{application.pk}/form/" in response["Location"]
    assert application.data == {"import_export": True, "industry_code": "5179"}


def test_start_for_an_unknown_licence_shows_the_error(client, seeded, applicant):
    client.force_login(applicant)

    response = client.post("/start/", {"kind": "existing_company", "uscc": "9144030071526726XH"})

    assert response.status_code == 400
    assert "uscc" in response.context["errors"]
    assert not Application.objects.exists()


def test_autosave_keeps_the_value_and_returns_the_field_error(client, seeded, applicant):
    client.force_login(applicant)
    draft = application_create(applicant=applicant, kind="new_company", data={"import_export": False})

    response = client.post(
        f"/applications/{draft.pk}/form/address/", {"postcode": "518000", "phone": ""}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="err-postcode" role="alert" hx-swap-oob="true"' in html and "523" in html
    assert Application.objects.get(pk=draft.pk).data["postcode"] == "518000"


def test_next_saves_and_moves_on(client, seeded, applicant):
    client.force_login(applicant)
    draft = application_create(applicant=applicant, kind="new_company", data={"import_export": False})

    response = client.post(
        f"/applications/{draft.pk}/form/entity/", {"name_zh": "东莞市华信电子贸易有限公司", "go": "next"}
    )

    assert response.status_code == 302 and response["Location"].endswith("/form/address/")
    assert Application.objects.get(pk=draft.pk).data["name_zh"] == "东莞市华信电子贸易有限公司"


def test_review_shows_every_problem_and_submit_with_errors_changes_nothing(client, seeded, applicant):
    client.force_login(applicant)
    draft = application_create(applicant=applicant, kind="new_company", data={"postcode": "518000"})

    page = client.get(f"/applications/{draft.pk}/review/")
    submitted = client.post(f"/applications/{draft.pk}/review/")

    assert {"postcode", "name_zh", "legal_rep"} <= set(page.context["problems"])
    assert submitted.status_code == 400
    assert Application.objects.get(pk=draft.pk).state == "draft"


def test_review_submits_a_complete_application(client, seeded, applicant, django_capture_on_commit_callbacks):
    all_by_clerk_queue()
    client.force_login(applicant)
    draft = application_create(applicant=applicant, kind="new_company", data=sample("restaurant_hotel"))

    response = client.post(f"/applications/{draft.pk}/review/")

    assert response.status_code == 302
    assert Application.objects.get(pk=draft.pk).state == "submitted"


def test_another_applicant_gets_404_everywhere(client, licensed, outsider):
    _clerks, application_id = licensed
    client.force_login(outsider)

    for path in ["", "progress/", "form/entity/", "review/"]:
        assert client.get(f"/applications/{application_id}/{path}").status_code == 404, path
    assert client.post(f"/applications/{application_id}/withdraw/").status_code == 404
    assert client.post(f"/applications/{application_id}/correct/").status_code == 404
    assert client.get("/applications/").context["applications"].count() == 0


def test_progress_asks_for_a_reload_when_the_state_changed(client, licensed, applicant):
    _clerks, application_id = licensed
    client.force_login(applicant)

    same = client.get(f"/applications/{application_id}/progress/", {"shown": "in_progress"})
    changed = client.get(f"/applications/{application_id}/progress/", {"shown": "submitted"})

    assert "HX-Refresh" not in same and "91441900" in same.content.decode()
    assert changed["HX-Refresh"] == "true"


def test_clerks_do_not_see_application_pages(client, licensed):
    clerks, application_id = licensed
    client.force_login(clerks["NTAX"])

    assert client.get(f"/applications/{application_id}/").status_code == 404


def test_workbench_shows_the_department_queue_oldest_first(client, licensed):
    clerks, application_id = licensed
    client.force_login(clerks["NTAX"])

    response = client.get("/workbench/")

    assert response.status_code == 200
    assert [f.department.code for f in response.context["filings"]] == ["NTAX"]
    assert response.context["counts"] == {"dispatched": 1}


def test_clerk_approves_in_the_workbench_and_moves_to_the_next(client, licensed):
    clerks, application_id = licensed
    client.force_login(clerks["NTAX"])
    ntax = filing(application_id, "NTAX")

    response = client.post(
        f"/workbench/filings/{ntax.pk}/", {"action": "approve", "reference_no": "NT-1", "confirmed": "1"}
    )

    assert response.status_code == 302
    ntax.refresh_from_db()
    assert (ntax.state, ntax.reference_no, ntax.decided_by) == ("approved", "NT-1", clerks["NTAX"])


def test_correction_needs_items_and_a_reason(client, licensed):
    clerks, application_id = licensed
    client.force_login(clerks["NTAX"])
    ntax = filing(application_id, "NTAX")

    client.post(f"/workbench/filings/{ntax.pk}/", {"action": "correct", "items": ["accounting_standard"], "reason": ""})
    client.post(f"/workbench/filings/{ntax.pk}/", {"action": "correct", "reason": "x"})
    assert Filing.objects.get(pk=ntax.pk).state == "dispatched"

    client.post(
        f"/workbench/filings/{ntax.pk}/",
        {"action": "correct", "items": ["accounting_standard"], "reason": "会计制度选错了"},
    )
    assert Filing.objects.get(pk=ntax.pk).state == "correction_requested"
    assert Application.objects.get(pk=application_id).editable_items == ["accounting_standard"]


def test_workbench_outsiders(client, licensed, applicant):
    clerks, application_id = licensed
    client.force_login(clerks["NTAX"])

    assert client.get(f"/workbench/filings/{filing(application_id, 'SI').pk}/").status_code == 404
    aic = filing(application_id, "AIC").pk
    assert client.get(f"/workbench/filings/{aic}/").status_code == 200  # AIC is read by every department
    assert client.post(f"/workbench/filings/{aic}/", {"action": "reject", "reason": "x"}).status_code == 403

    client.force_login(applicant)
    assert client.get("/workbench/").status_code == 403


def test_failed_deliveries_page(client, licensed, auditor, admin_user):
    clerks, application_id = licensed
    si = filing(application_id, "SI")
    Filing.objects.filter(pk=si.pk).update(state="failed", last_error="HTTP 503: down")

    client.force_login(clerks["SI"])
    assert client.get("/workbench/failed/").status_code == 403
    client.force_login(auditor)
    page = client.get("/workbench/failed/")
    assert page.status_code == 200 and "HTTP 503: down" in page.content.decode()
    assert client.post("/workbench/failed/", {"filing": si.pk}).status_code == 403
    client.force_login(admin_user)
    assert client.post("/workbench/failed/", {"filing": si.pk}).status_code == 302
    assert Filing.objects.get(pk=si.pk).state == "dispatched"


def test_inbox_lists_messages_and_marks_them_read(client, licensed, applicant):
    client.force_login(applicant)

    page = client.get("/inbox/")

    assert page.status_code == 200
    assert len(page.context["notes"]) == 1  # the licence
    assert not Notification.objects.filter(user=applicant, read_at__isnull=True).exists()


def test_messages_are_mirrored_by_email(client, seeded, django_capture_on_commit_callbacks, mailoutbox):
    from tests.workflow import Api as _Api

    all_by_clerk_queue()
    client.post(
        "/accounts/signup/",
        {"username": "mail_user", "full_name": "陈", "mobile": "13800138000", "email": "chen@example.cn",
         "password1": "Dongguan-2016!", "password2": "Dongguan-2016!"},
    )  # fmt: skip
    from portal.models import User

    user = User.objects.get(username="mail_user")
    clerks = make_clerks()
    with django_capture_on_commit_callbacks(execute=True):
        application_id = submitted_trader(_Api(user))
        _Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")

    assert user.email == "chen@example.cn"
    assert [m.to for m in mailoutbox] == [["chen@example.cn"]]
    assert Notification.objects.get(user=user).title in mailoutbox[0].subject


def test_queue_filters_by_age(client, licensed):
    import datetime as dt

    clerks, application_id = licensed
    client.force_login(clerks["NTAX"])
    Filing.objects.filter(department__code="NTAX").update(dispatched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    old = client.get("/workbench/", {"older_than_days": "7"}).context["filings"]
    assert [f.department.code for f in old] == ["NTAX"]
    Filing.objects.filter(department__code="NTAX").update(dispatched_at=dt.datetime.now(dt.UTC))
    assert list(client.get("/workbench/", {"older_than_days": "7"}).context["filings"]) == []

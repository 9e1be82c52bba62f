"""One copy of the truth (issue 12): the register changes only through market supervision — the licence, or a change
registration AIC reviews — never through another department's correction; a printed document is judged current
against the register itself."""

import pytest
from django.test import Client

from departments.models import Filing
from registration.documents import licence_issue
from registration.models import Application, Enterprise
from tests.workflow import Api, all_by_clerk_queue, approve_everything, filing, make_clerks, submitted_trader


@pytest.fixture
def licensed(licensed_trader):
    return licensed_trader


def test_after_the_licence_another_department_cannot_send_a_register_item_back(licensed):
    api, clerks, application_id = licensed
    hrss = filing(application_id, "HRSS")
    clerk = Api(clerks["HRSS"])
    clerk.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = clerk.post(f"/filings/{hrss.pk}/request-correction", {"items": ["name_zh"], "reason": "名称有误"})

    assert response.status_code == 400
    assert "change registration" in response.json()["errors"]["items"][0]
    assert filing(application_id, "HRSS").state == "dispatched"
    application = Application.objects.get(pk=application_id)
    assert (application.state, application.editable_items) == ("in_progress", [])
    assert Enterprise.objects.get().name_zh == application.data["name_zh"]


def test_the_clerks_checklist_offers_only_what_their_form_uses_with_labels(licensed, client):
    _api, clerks, application_id = licensed

    client.force_login(clerks["NTAX"])
    ntax_page = client.get(f"/workbench/filings/{filing(application_id, 'NTAX').pk}/", HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerks["HRSS"])
    hrss_page = client.get(f"/workbench/filings/{filing(application_id, 'HRSS').pk}/", HTTP_ACCEPT_LANGUAGE="en")

    ntax_items = ntax_page.context["item_choices"]
    assert [key for key, _label, _chosen in ntax_items] == ["accounting_standard"]
    assert ntax_items[0][1] != "accounting_standard"  # its label, not its key
    assert hrss_page.context["item_choices"] == []  # HRSS's form reads only register items
    assert "change registration" in hrss_page.content.decode()


def test_a_correction_after_the_licence_never_sends_the_registration_to_aic_again(licensed):
    api, clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")
    aic_before = filing(application_id, "AIC")
    Api(clerks["NTAX"]).post(
        f"/filings/{ntax.pk}/request-correction", {"items": ["accounting_standard"], "reason": "会计制度不对"}
    )

    refused = api.patch(f"/applications/{application_id}", {"data": {"name_zh": "东莞市新名字电子贸易有限公司"}})
    api.patch(f"/applications/{application_id}", {"data": {"accounting_standard": "enterprise"}})
    resubmitted = api.post(f"/applications/{application_id}/submit")

    assert refused.status_code == 400 and "change registration" in refused.json()["errors"]["name_zh"][0]
    assert resubmitted.status_code == 200
    aic = filing(application_id, "AIC")
    assert (aic.state, aic.round, aic.payload_hash) == ("approved", aic_before.round, aic_before.payload_hash)
    assert filing(application_id, "NTAX").round == 2


def test_before_the_licence_aic_may_send_the_name_back_and_the_new_name_is_checked(
    seeded, applicant, outsider, django_capture_on_commit_callbacks
):
    all_by_clerk_queue()
    api, clerks = Api(applicant), make_clerks()
    first = submitted_trader(api)
    other = Api(outsider)
    data = {**Application.objects.get(pk=first).data, "name_zh": "东莞市占用电子贸易有限公司"}
    taken = other.post("/applications", {"kind": "new_company", "data": data}).json()["id"]
    assert other.post(f"/applications/{taken}/submit").status_code == 200
    aic = filing(first, "AIC")
    assert Api(clerks["AIC"]).post(
        f"/filings/{aic.pk}/request-correction", {"items": ["name_zh"], "reason": "字号近似"}
    ).status_code == 200

    api.patch(f"/applications/{first}", {"data": {"name_zh": "东莞市占用电子贸易有限公司"}})
    response = api.post(f"/applications/{first}/submit")

    assert response.status_code == 400 and "name_zh" in response.json()["errors"]


def test_the_qr_page_of_an_old_licence_says_so_as_soon_as_the_register_changes(licensed):
    api, clerks, application_id = licensed
    approve_everything(clerks, application_id)
    enterprise = Enterprise.objects.get()
    number = licence_issue(enterprise).number
    assert "Genuine and current." in Client().get(f"/verify/{number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    change = api.post(f"/enterprises/{enterprise.uscc}/changes", {"data": {"business_scope": "电子产品批发；餐饮服务"}})
    review = Filing.objects.get(application_id=change.json()["id"], kind="change_review")
    assert Api(clerks["AIC"]).post(f"/filings/{review.pk}/approve").status_code == 200

    page = Client().get(f"/verify/{number}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no longer current" in page  # nobody downloaded a new licence in between
    assert "Genuine and current." not in page


def test_a_licence_printed_in_english_mode_is_still_current_on_the_chinese_page(licensed, client):
    api, _clerks, application_id = licensed
    api.client.get(f"/api/v1/applications/{application_id}/documents/licence.pdf")

    number = Enterprise.objects.get().documents.get().number
    page = Client().get(f"/verify/{number}/").content.decode()

    assert "文件真实有效，为最新版本。" in page

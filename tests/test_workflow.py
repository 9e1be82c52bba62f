"""From draft to completed through API calls: licence, routing, prerequisites, corrections, decisions."""

import pytest
from django.utils import translation
from stdnum.cn import uscc as stdnum_uscc

from departments.models import Filing
from forms_engine.validators import uscc_problem
from portal.audit import audit_chain_verify
from portal.models import Notification
from registration.models import Application, Enterprise
from tests.forms_fixtures import sample
from tests.workflow import (
    FOREIGN_TRADE_ROUTE,
    Api,
    deliver_all,
    filing,
    states,
    submitted_trader,
)

pytestmark = pytest.mark.django_db


def approve(clerks, application_id, code, reference=""):
    return Api(clerks[code]).post(f"/filings/{filing(application_id, code).pk}/approve", {"reference_no": reference})


def test_a_foreign_trade_company_goes_from_draft_to_completed(world):
    api, clerks = world
    application_id = submitted_trader(api)
    assert Application.objects.get(pk=application_id).state == "submitted"
    assert states(application_id) == {"AIC": "dispatched"}  # a clerk queue receives at once

    deliver_all()
    assert approve(clerks, application_id, "AIC").status_code == 200

    application = Application.objects.get(pk=application_id)
    assert application.state == "in_progress"
    issued = application.enterprise.uscc
    assert issued.startswith("91441900MA") and uscc_problem(issued) is None and stdnum_uscc.is_valid(issued)
    assert set(states(application_id)) == set(FOREIGN_TRADE_ROUTE)
    assert (
        states(application_id)["PBOC"]
        == states(application_id)["CUSTOMS"]
        == states(application_id)["SAFE"]
        == "waiting"
    )

    deliver_all()
    for code in ["NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS", "CIQ"]:
        assert approve(clerks, application_id, code).status_code == 200
    assert states(application_id)["PBOC"] == "dispatched"  # PSB approved
    assert states(application_id)["SAFE"] == "waiting"

    assert approve(clerks, application_id, "COMMERCE", "04418937").status_code == 200
    assert states(application_id)["CUSTOMS"] == "dispatched" and states(application_id)["SAFE"] == "waiting"
    deliver_all()
    assert approve(clerks, application_id, "CUSTOMS", "4419960ABC").status_code == 200
    assert states(application_id)["SAFE"] == "dispatched"
    safe = filing(application_id, "SAFE")
    assert safe.references == {"COMMERCE": "04418937", "CUSTOMS": "4419960ABC"}
    assert filing(application_id, "CUSTOMS").references == {"COMMERCE": "04418937"}

    deliver_all()
    approve(clerks, application_id, "PBOC")
    assert Application.objects.get(pk=application_id).state == "in_progress"
    approve(clerks, application_id, "SAFE")

    application = Application.objects.get(pk=application_id)
    assert application.state == "completed"
    assert set(states(application_id).values()) == {"approved"}
    assert Notification.objects.filter(user=api.user, title__in=["Registration complete", "登记全部办结"]).exists()
    body = api.get(f"/applications/{application_id}").json()
    assert body["enterprise"]["uscc"] == issued
    assert len(body["filings"]) == 13 and all(f["reference_no"] for f in body["filings"])
    assert [e["action"] for e in body["timeline"]][0] == "application.created"
    assert audit_chain_verify() is None


def test_payload_is_pinned_with_the_form_version_and_carries_the_licence(world):
    api, clerks = world
    application_id = submitted_trader(api)
    deliver_all()
    approve(clerks, application_id, "AIC")

    ntax = filing(application_id, "NTAX")
    enterprise = Enterprise.objects.get()
    assert ntax.form_version.number == 1
    assert ntax.payload["纳税人识别号"] == enterprise.uscc
    detail = Api(clerks["NTAX"]).get(f"/filings/{ntax.pk}").json()
    assert detail["form_version"] == 1 and detail["payload"] == ntax.payload


def test_correction_opens_only_the_named_items_and_resends_only_changed_payloads(world):
    api, clerks = world
    application_id = submitted_trader(api)
    deliver_all()
    approve(clerks, application_id, "AIC")
    deliver_all()
    approve(clerks, application_id, "HRSS")
    ntax = filing(application_id, "NTAX")

    response = Api(clerks["NTAX"]).post(
        f"/filings/{ntax.pk}/request-correction", {"items": ["accounting_standard"], "reason": "请按企业会计准则填报"}
    )
    assert response.status_code == 200
    body = api.get(f"/applications/{application_id}").json()
    assert body["state"] == "correction_requested"
    assert body["editable_items"] == ["accounting_standard"]
    assert "企业会计准则" in body["correction_reason"]

    refused = api.patch(f"/applications/{application_id}", {"data": {"phone": "0769-22998877"}})
    assert refused.status_code == 400
    assert set(refused.json()["errors"]) == {"phone"}
    assert (
        api.patch(f"/applications/{application_id}", {"data": {"accounting_standard": "enterprise"}}).status_code == 200
    )
    rounds_before = dict(Filing.objects.filter(application_id=application_id).values_list("department__code", "round"))
    resubmitted = api.post(f"/applications/{application_id}/submit")
    assert resubmitted.status_code == 200, resubmitted.json()

    rounds = dict(Filing.objects.filter(application_id=application_id).values_list("department__code", "round"))
    resent = {code for code in rounds if rounds[code] != rounds_before[code]}
    assert resent == {"NTAX", "LTAX"}  # the two tax forms map the accounting standard; nobody else gets anything
    assert states(application_id)["HRSS"] == "approved"
    assert Application.objects.get(pk=application_id).state == "in_progress"


def test_aic_refusal_rejects_the_application_for_good(world):
    api, clerks = world
    application_id = submitted_trader(api)
    deliver_all()

    response = Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/reject", {"reason": "名称近似"})

    assert response.status_code == 200
    assert Application.objects.get(pk=application_id).state == "rejected"
    assert api.post(f"/applications/{application_id}/submit").status_code == 409
    assert Enterprise.objects.count() == 0


def test_submit_reports_every_problem_and_changes_nothing(world):
    api, _clerks = world
    data = {**sample("electronics_trader"), "postcode": "518000", "name_zh": "东莞市华信(电子)有限公司"}
    data["legal_rep"] = {**data["legal_rep"], "id_number": "441900199005151230"}
    application_id = api.post("/applications", {"kind": "new_company", "data": data}).json()["id"]

    response = api.post(f"/applications/{application_id}/submit")

    assert response.status_code == 400
    assert {"postcode", "name_zh", "legal_rep.id_number"} <= set(response.json()["errors"])
    assert Application.objects.get(pk=application_id).state == "draft"
    assert not Filing.objects.exists()


def test_draft_autosave_keeps_what_was_typed_and_reports_problems(world):
    api, _clerks = world
    application_id = api.post("/applications", {"kind": "new_company"}).json()["id"]

    response = api.patch(f"/applications/{application_id}", {"data": {"postcode": "51800", "employee_count": 12}})

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"postcode": "51800", "employee_count": 12}
    assert list(body["problems"]) == ["postcode"]


def test_a_name_in_use_is_refused(world):
    api, clerks = world
    submitted_trader(api)
    again = api.post("/applications", {"kind": "new_company", "data": sample("electronics_trader")}).json()["id"]

    response = api.post(f"/applications/{again}/submit")

    assert response.status_code == 400
    assert "being processed" in " ".join(response.json()["errors"]["name_zh"]) or "正在办理" in " ".join(
        response.json()["errors"]["name_zh"]
    )


def test_withdraw_before_licence_frees_the_name(world):
    api, _clerks = world
    application_id = submitted_trader(api)

    assert api.post(f"/applications/{application_id}/withdraw").json()["state"] == "withdrawn"
    assert api.post("/name-check", {"name_zh": sample("electronics_trader")["name_zh"]}).json()["available"] is True


def test_withdraw_after_licence_is_refused(world):
    api, clerks = world
    application_id = submitted_trader(api)
    deliver_all()
    approve(clerks, application_id, "AIC")

    response = api.post(f"/applications/{application_id}/withdraw")

    assert response.status_code == 409
    assert response.json()["state"] == "in_progress"


def test_existing_company_prefills_register_data_and_skips_aic(world, outsider):
    api, clerks = world
    application_id = submitted_trader(api)
    deliver_all()
    approve(clerks, application_id, "AIC")
    enterprise = Enterprise.objects.get()
    other = Api(outsider)

    refused = other.post(
        "/applications", {"kind": "existing_company", "uscc": enterprise.uscc, "id_number": "441900200101012464"}
    )
    assert refused.status_code == 400 and "id_number" in refused.json()["errors"]

    created = other.post(
        "/applications",
        {
            "kind": "existing_company",
            "uscc": enterprise.uscc,
            "id_number": sample("electronics_trader")["liaison"]["id_number"],
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["data"]["name_zh"] == enterprise.name_zh and "name_zh" in body["readonly_items"]
    assert (
        other.patch(f"/applications/{body['id']}", {"data": {"name_zh": "东莞市别的名字贸易有限公司"}}).status_code
        == 400
    )
    department_items = {k: v for k, v in sample("electronics_trader").items() if k not in enterprise.data}
    assert other.patch(f"/applications/{body['id']}", {"data": department_items}).status_code == 200
    submitted = other.post(f"/applications/{body['id']}/submit")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "in_progress"
    assert "AIC" not in states(body["id"])


def test_name_check(seeded, applicant):
    api = Api(applicant)

    ok = api.post("/name-check", {"name_zh": "东莞市华信电子贸易有限公司", "entity_type": "llc_natural_controlled"})
    bad = api.post("/name-check", {"name_zh": "东莞市中国电子贸易(有限公司)"})

    assert ok.json() == {"available": True, "reasons": []}
    assert bad.json()["available"] is False and len(bad.json()["reasons"]) == 2
    assert api.post("/name-check", {}).status_code == 400


def test_registered_name_blocks_width_and_bracket_variants(seeded):
    from registration.models import NameReservation
    from registration.names import name_check, name_key

    registered = "东莞市华信电子贸易（普通合伙）"
    enterprise = Enterprise.objects.create(
        uscc="91441900MA4UJ8K20E",
        name_zh=registered,
        name_key=name_key(registered),
        entity_type="general_partnership",
        established_on="2020-01-01",
    )
    NameReservation.objects.create(name_key=name_key(registered), name_zh=registered, enterprise=enterprise)

    with translation.override("en"):
        variant = name_check(name_zh="东莞市华信电子贸易 (普通合伙)", entity_type="general_partnership")
        other = name_check(name_zh="东莞市华信电器贸易（普通合伙）", entity_type="general_partnership")

    assert "An enterprise with this name is already registered." in variant
    assert other == []


def test_a_new_form_version_is_used_by_new_filings_while_old_filings_keep_theirs(world, admin_user, outsider):
    from forms_engine.models import DepartmentForm
    from forms_engine.services import field_mapping_save, form_draft_open, form_version_publish

    api, clerks = world
    first = submitted_trader(api)
    deliver_all()
    approve(clerks, first, "AIC")
    old = filing(first, "NTAX")
    draft = form_draft_open(form=DepartmentForm.objects.get(department_code="NTAX"), user=admin_user)
    field_mapping_save(version=draft, mapping=draft.mappings.get(name="纳税人名称"), name="纳税人名称(全称)")
    form_version_publish(version=draft, user=admin_user)

    data = {**sample("electronics_trader"), "name_zh": "东莞市新信电子贸易有限公司"}
    second = Api(outsider).post("/applications", {"kind": "new_company", "data": data}).json()["id"]
    Api(outsider).post(f"/applications/{second}/submit")
    approve(clerks, second, "AIC")

    new = filing(second, "NTAX")
    old.refresh_from_db()
    assert (old.form_version.number, new.form_version.number) == (1, 2)
    assert "纳税人名称" in old.payload and "纳税人名称(全称)" in new.payload
    assert Api(clerks["NTAX"]).get(f"/filings/{old.pk}").json()["form_version"] == 1


def test_admins_preview_forms_with_draft_applications(world, admin_user):
    from django.test import Client

    api, _clerks = world
    application_id = api.post("/applications", {"kind": "new_company", "data": sample("restaurant_hotel")}).json()["id"]
    client = Client()
    client.force_login(admin_user)

    page = client.get("/manage/forms/NTAX/").content.decode()
    sample_name = f"application #{application_id} (草稿)"
    preview = client.get("/manage/forms/NTAX/preview/", {"sample": sample_name})

    assert sample_name in page
    assert preview.status_code == 200
    assert (
        "东莞市悦华酒店有限公司" in preview.content.decode()
        or sample("restaurant_hotel")["name_zh"] in preview.content.decode()
    )

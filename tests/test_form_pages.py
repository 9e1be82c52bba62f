"""The form-mapping pages: admins edit drafts with a live preview and publish; auditors only look; others are
kept out."""

import pytest

from forms_engine.models import FormVersion
from forms_engine.selectors import form_version_current

pytestmark = pytest.mark.django_db

LIST = "/manage/forms/"
NTAX = "/manage/forms/NTAX/"


def open_draft(client):
    response = client.post(NTAX + "draft/")
    assert response.status_code == 302
    return FormVersion.objects.get(form__department_code="NTAX", status="draft")


def test_admin_sees_every_department_form(client, admin_user, seeded):
    client.force_login(admin_user)

    response = client.get(LIST)

    assert response.status_code == 200
    assert len(response.context["rows"]) == 16
    assert "税务登记" in response.content.decode()


def test_admin_edits_a_field_in_a_draft_and_the_preview_follows(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    mapping = draft.mappings.get(name="纳税人名称")

    response = client.post(
        f"/manage/forms/NTAX/v{draft.number}/fields/{mapping.pk}/",
        {"name": "纳税人名称(全称)", "group": "", "transform": "item", "args": '{"item": "name_zh"}', "required": "on"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "mappingChanged"
    assert "纳税人名称(全称)" in response.content.decode()
    preview = client.get(NTAX + "preview/", {"version": draft.number, "sample": "electronics_trader"})
    assert "&quot;纳税人名称(全称)&quot;: &quot;东莞市华信电子贸易有限公司&quot;" in preview.content.decode()


def test_bad_json_arguments_are_refused_in_the_row(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    mapping = draft.mappings.first()

    response = client.post(
        f"/manage/forms/NTAX/v{draft.number}/fields/{mapping.pk}/",
        {"name": mapping.name, "transform": "item", "args": "{not json"},
    )

    assert response.status_code == 422
    mapping.refresh_from_db()
    assert mapping.args != "{not json"


def test_invalid_mapping_shows_problems_and_publish_is_refused(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    client.post(
        f"/manage/forms/NTAX/v{draft.number}/fields/",
        {"name": "鞋码", "transform": "item", "args": '{"item": "legal_rep.shoe_size"}'},
    )

    page = client.get(NTAX, {"version": draft.number}).content.decode()
    assert "未知的数据项“legal_rep.shoe_size”" in page
    response = client.post(f"/manage/forms/NTAX/v{draft.number}/publish/", {"note": "try"}, follow=True)

    assert "鞋码: 未知的数据项“legal_rep.shoe_size”" in response.content.decode()
    assert form_version_current("NTAX").number == 1


def test_admin_publishes_a_draft(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)

    response = client.post(f"/manage/forms/NTAX/v{draft.number}/publish/", {"note": "首次修订"})

    assert response.status_code == 302
    assert form_version_current("NTAX").number == 2


def test_published_version_rows_cannot_be_edited(client, admin_user, seeded):
    client.force_login(admin_user)
    v1 = form_version_current("NTAX")
    mapping = v1.mappings.first()

    response = client.post(f"/manage/forms/NTAX/v1/fields/{mapping.pk}/", {"name": "x", "transform": "item"})

    assert response.status_code == 409
    mapping.refresh_from_db()
    assert mapping.name != "x"


def test_item_impact_lists_departments_and_fields(client, admin_user, seeded):
    client.force_login(admin_user)

    response = client.get("/manage/items/reg_address/")

    assert response.status_code == 200
    assert {"AIC", "NTAX", "STATS"} <= set(response.context["departments"])
    assert all(u["paths"] for u in response.context["uses"])


def test_auditor_reads_but_cannot_change(client, auditor, seeded):
    client.force_login(auditor)

    assert client.get(LIST).status_code == 200
    assert client.get(NTAX).status_code == 200
    assert client.get(NTAX + "preview/").status_code == 200
    assert client.post(NTAX + "draft/").status_code == 403
    assert not FormVersion.objects.filter(status="draft").exists()


@pytest.mark.parametrize("persona", ["applicant", "clerk"])
def test_applicants_and_clerks_are_refused(client, persona, request, seeded):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(LIST).status_code == 403
    assert client.post(NTAX + "draft/").status_code == 403


def test_anonymous_goes_to_login(client, seeded):
    response = client.get(LIST)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_unknown_sample_or_form_is_404(client, admin_user, seeded):
    client.force_login(admin_user)

    assert client.get(NTAX + "preview/", {"sample": "nope"}).status_code == 404
    assert client.get("/manage/forms/XYZ/").status_code == 404


def test_a_mapping_is_edited_with_an_input_per_argument(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    mapping = draft.mappings.first()
    url = f"/manage/forms/NTAX/v{draft.number}/fields/{mapping.pk}/"

    row = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    response = client.post(
        url,
        {"structured": "1", "name": "注册资本", "group": "", "transform": "yuan_to_wan", "arg_item": "reg_capital",
         "arg_currency_item": "", "arg_with_unit": "on"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip

    assert 'list="item-paths"' in row and "transform-doc" in row
    assert response.status_code == 200
    mapping.refresh_from_db()
    assert (mapping.transform, mapping.args) == ("yuan_to_wan", {"item": "reg_capital", "with_unit": True})


def test_choosing_another_transform_shows_its_arguments_and_what_it_does(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)

    inputs = client.get(
        f"/manage/forms/NTAX/v{draft.number}/field-inputs/", {"transform": "to_usd", "name": "注册资本(美元)"}
    )

    html = inputs.content.decode()
    assert inputs.status_code == 200
    assert {"arg_item", "arg_rate", "arg_rates", "arg_unit"} <= {f.name for f in inputs.context["form"]}
    assert 'value="注册资本(美元)"' in html and "美元" in str(inputs.context["form"].description) or "USD" in html


def test_a_malformed_table_argument_says_where_and_keeps_what_was_typed(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    mapping = draft.mappings.first()

    response = client.post(
        f"/manage/forms/NTAX/v{draft.number}/fields/{mapping.pk}/",
        {"structured": "1", "name": "风险类别", "transform": "map_value", "arg_item": "industry_code",
         "arg_table": '{"A": 1,', "arg_default": ""},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip

    assert response.status_code == 422
    html = response.content.decode()
    assert "JSON" in html and "第 1 行" in html
    assert "{&quot;A&quot;: 1," in html
    mapping.refresh_from_db()
    assert mapping.transform != "map_value"


def test_the_mapping_editor_speaks_english_too(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    client.post(
        f"/manage/forms/NTAX/v{draft.number}/fields/",
        {"name": "鞋码", "transform": "item", "args": '{"item": "legal_rep.shoe_size"}'},
    )

    chinese = client.get(NTAX, {"version": draft.number}).content.decode()
    english = client.get(NTAX, {"version": draft.number}, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "未知的数据项“legal_rep.shoe_size”" in chinese
    assert "unknown item “legal_rep.shoe_size”" in english


def test_a_draft_version_can_be_discarded_after_asking(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    url = f"/manage/forms/NTAX/v{draft.number}/discard/"

    question = client.get(url)
    response = client.post(url)

    assert question.status_code == 200 and "consequences" in question.content.decode()
    assert response.status_code == 302
    assert not FormVersion.objects.filter(pk=draft.pk).exists()
    assert form_version_current("NTAX").number == 1
    client.post(url.replace(f"v{draft.number}", "v1"))
    assert FormVersion.objects.filter(form__department_code="NTAX", number=1, status="published").exists()


def test_saving_a_mapping_keeps_its_text_arguments_as_they_were(client, admin_user, seeded):
    client.force_login(admin_user)
    draft = open_draft(client)
    mapping = draft.mappings.first()
    mapping.transform, mapping.args = "join", {"items": ["reg_address", "postcode"], "sep": ""}
    mapping.save()
    url = f"/manage/forms/NTAX/v{draft.number}/fields/{mapping.pk}/"

    client.post(
        url,
        {"structured": "1", "name": mapping.name, "transform": "join", "arg_items": "reg_address\npostcode",
         "arg_sep": ""},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    mapping.refresh_from_db()
    assert mapping.args == {"items": ["reg_address", "postcode"], "sep": ""}
    client.post(
        url,
        {"structured": "1", "name": mapping.name, "transform": "join", "arg_items": "reg_address", "arg_sep": " / "},
        HTTP_HX_REQUEST="true",
    )
    mapping.refresh_from_db()
    assert mapping.args["sep"] == " / "
    refused = client.post(
        url,
        {"structured": "1", "name": mapping.name, "transform": "to_usd", "arg_item": "reg_capital", "arg_rate": "NaN"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422
    odd = client.get(f"/manage/forms/NTAX/v{draft.number}/field-inputs/", {"mapping": "abc", "transform": "item"})
    assert odd.status_code == 200

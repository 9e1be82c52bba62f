"""The cloud form's public reference API (docs/CONTRACT.md): data items, the unified form, a department's form."""

import pytest

pytestmark = pytest.mark.django_db


def test_data_items_have_contract_fields_and_the_departments_that_use_them(client, seeded):
    response = client.get("/api/v1/data-items")

    assert response.status_code == 200
    by_key = {i["key"]: i for i in response.json()}
    assert "uscc" not in by_key  # issued, never typed
    name = by_key["name_zh"]
    assert (name["label"], name["label_en"], name["type"]) == ("企业名称", "Company name (Chinese)", "string")
    assert set(name["departments"]) >= {"AIC", "NTAX", "CUSTOMS"}
    assert by_key["name_en"]["departments"] and not {"HRSS", "HPF"} & set(by_key["name_en"]["departments"])
    entity = by_key["entity_type"]
    first = entity["choices"][0]
    assert (first["value"], first["label"]) == ("llc_natural_controlled", "有限责任公司(自然人投资或控股)")
    investors = by_key["investors"]
    assert [f["key"] for f in investors["fields"]][:4] == ["name", "kind", "id_type", "id_number"]


def test_unified_form_for_a_foreign_trade_company(client, seeded):
    response = client.get(
        "/api/v1/forms/unified", {"import_export": "true", "industry_code": "5179", "business_scope": "电子产品批发"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["departments"] == [
        "AIC", "NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS", "PBOC", "COMMERCE", "CUSTOMS", "CIQ", "SAFE",
    ]  # fmt: skip
    keys = [i["key"] for s in body["sections"] for i in s["items"]]
    assert "name_en" in keys and "main_products" in keys
    assert len(keys) == len(set(keys))
    assert body["fields_typed"] * 3 < body["fields_delivered"]
    first = body["sections"][0]
    assert first["title"] == "企业基本信息" and first["items"][0]["required"] is True


def test_unified_form_for_an_existing_licence_skips_aic(client, seeded):
    body = client.get("/api/v1/forms/unified", {"has_licence": "true", "industry_code": "6210"}).json()

    assert "AIC" not in body["departments"]
    assert {"EPB", "FIRE"} <= set(body["departments"])


def test_unified_form_rejects_bad_parameters_with_400(client, seeded):
    response = client.get("/api/v1/forms/unified", {"industry_code": "9999", "import_export": "perhaps"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"industry_code", "import_export"}


def test_department_form_shows_each_field_with_its_source(client, seeded):
    response = client.get("/api/v1/departments/ntax/form")

    assert response.status_code == 200
    body = response.json()
    assert (body["department"], body["version"]) == ("NTAX", 1)
    by_name = {f["name"]: f for f in body["fields"]}
    assert by_name["纳税人名称"]["items"] == ["name_zh"]
    assert any(f["transform"] == "id_type_code" for f in body["fields"])


def test_unknown_department_form_is_404(client, seeded):
    assert client.get("/api/v1/departments/XYZ/form").status_code == 404

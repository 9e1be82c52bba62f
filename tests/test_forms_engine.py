"""The cloud form engine as pure functions: routing → compose → validate → project (no database)."""

import copy
from decimal import Decimal

import pytest
from django.utils import translation

from forms_engine.compose import compose
from forms_engine.projection import form_problems, project
from forms_engine.spec import FieldSpec, FormSpec
from forms_engine.validation import validate
from tests.forms_fixtures import REFERENCES, forms, issued, items, routed_for, sample, unified_for


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The engine's messages are asserted in English here (the pages' tests read them in Chinese)."""
    with translation.override("en"):
        yield


ALL = ["AIC", "NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS", "PBOC"]
FOREIGN_TRADE = ["COMMERCE", "CUSTOMS", "CIQ", "SAFE"]
CODES = set(ALL + FOREIGN_TRADE + ["EPB", "HEALTH", "FIRE"])


def payload_of(code: str, data: dict) -> dict:
    result = project(data, forms()[code], items(), REFERENCES)
    assert result.errors == {}, (code, result.errors)
    return result.payload


def find(payload: dict, name: str):
    """A field's value wherever it sits (top level or inside a block)."""
    if name in payload:
        return payload[name]
    for value in payload.values():
        if isinstance(value, dict) and name in value:
            return value[name]
    raise KeyError(name)


# --- Routing and the unified form -------------------------------------------------------------------------------


def test_electronics_trader_routes_to_the_thirteen_departments():
    assert routed_for(sample("electronics_trader")) == ALL + FOREIGN_TRADE


def test_restaurant_hotel_routes_to_health_fire_and_epb_but_no_foreign_trade():
    assert routed_for(sample("restaurant_hotel")) == ALL + ["EPB", "HEALTH", "FIRE"]


def test_unified_form_for_trader_asks_trade_items_and_not_venue_items():
    keys = unified_for(sample("electronics_trader")).keys

    assert {"name_en", "address_en", "main_products", "customs_category", "seals", "bank_code"} <= set(keys)
    assert not {"venue_kind", "pollution_processes"} & set(keys)
    assert len(keys) == len(set(keys))  # each item once


def test_unified_form_for_restaurant_asks_venue_items_and_not_trade_items():
    keys = unified_for(sample("restaurant_hotel")).keys

    assert {"venue_kind", "pollution_processes", "premises_nature"} <= set(keys)
    assert not {"name_en", "address_en", "main_products", "customs_category"} & set(keys)


def test_platform_issued_items_are_never_asked():
    keys = unified_for(sample("electronics_trader")).keys

    assert not {"uscc", "established_on", "division_code", "reg_type_code"} & set(keys)


def test_foreign_trade_company_types_less_than_a_third_of_what_it_delivers():
    form = unified_for(sample("electronics_trader"))

    assert form.fields_delivered >= 300
    assert form.fields_typed * 3 < form.fields_delivered


def test_sections_come_in_display_order():
    sections = [s.key for s in unified_for(sample("electronics_trader")).sections]

    assert sections[:4] == ["entity", "address", "people", "investors"]


def test_compose_with_no_departments_still_asks_what_routing_needs():
    assert set(compose([], forms(), items()).keys) == {"industry_code", "business_scope", "import_export"}


# --- Validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["electronics_trader", "restaurant_hotel"])
def test_sample_companies_are_valid(name):
    data = sample(name)

    result = validate(data, unified_for(data).items)

    assert result.errors == {}
    assert set(result.cleaned) >= {key for key, value in data.items() if value not in (None, "")}


def test_every_problem_is_reported_at_once_by_path():
    data = copy.deepcopy(sample("electronics_trader"))
    data["legal_rep"]["id_number"] = "441900199005151230"
    data["investors"][1]["id_number"] = "441900199002301230"
    data["investors"][0]["subscribed_amount"] = "1.00"
    data["postcode"] = "518000"
    data["name_zh"] = "东莞市华信电子(贸易)有限公司"
    data["name_en"] = "Huaxin 电子 Ltd"
    data["main_products"][0]["hs_code"] = "85"
    del data["phone"]

    errors = validate(data, unified_for(data).items).errors

    assert set(errors) == {
        "legal_rep.id_number", "investors.1.id_number", "investors", "postcode", "name_zh", "name_en",
        "main_products.0.hs_code", "phone",
    }  # fmt: skip


def test_messages_are_chinese_by_default_and_english_on_request():
    data = {**sample("electronics_trader"), "postcode": "518000"}
    form = unified_for(data)

    with translation.override("zh-hans"):
        zh = validate(data, form.items).errors["postcode"][0]
    with translation.override("en"):
        en = validate(data, form.items).errors["postcode"][0]

    assert "523" in zh and "邮政编码" in zh
    assert en == "Dongguan postcodes have six digits starting with 523."


def test_investors_must_add_up_to_the_capital():
    data = copy.deepcopy(sample("restaurant_hotel"))
    data["reg_capital"] = "5000001.00"

    errors = validate(data, unified_for(data).items).errors

    assert list(errors) == ["investors"]
    assert "5,000,000.00" in errors["investors"][0]


def test_defaults_fill_what_is_left_out_and_partial_mode_reports_no_missing_values():
    data = sample("restaurant_hotel")
    form = unified_for(data)
    trimmed = {k: v for k, v in data.items() if k not in {"capital_currency", "si_types"}}

    assert validate(trimmed, form.items).cleaned["capital_currency"] == "CNY"
    assert len(validate(trimmed, form.items).cleaned["si_types"]) == 5
    assert validate({"name_zh": "东莞市华信电子贸易有限公司"}, form.items, partial=True).errors == {}
    assert "reg_capital" in validate({"name_zh": "东莞市华信电子贸易有限公司"}, form.items).errors


def test_unknown_keys_are_reported_not_dropped_silently():
    data = {**sample("restaurant_hotel"), "favourite_colour": "red", "name_en": "Not asked"}

    errors = validate(data, unified_for(data).items).errors

    assert set(errors) == {"favourite_colour", "name_en"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("reg_capital", "12.345"),
        ("reg_capital", "0"),
        ("reg_capital", "lots"),
        ("employee_count", -1),
        ("employee_count", "3.5"),
        ("entity_type", "limited"),
        ("import_export", "maybe"),
        ("si_types", ["pension", "holiday"]),
        ("hpf_rate", 13),
        ("legal_rep", "张伟"),
        ("investors", {"name": "x"}),
    ],
)
def test_bad_values_are_refused_with_a_message(key, value):
    data = {**sample("restaurant_hotel"), key: value}

    errors = validate(data, unified_for(data).items).errors

    assert key in {path.split(".")[0] for path in errors}
    assert key not in validate(data, unified_for(data).items).cleaned


def test_cleaned_values_are_canonical():
    data = {**sample("restaurant_hotel"), "reg_capital": "5,000,000", "si_types": ["maternity", "pension"]}
    data["investors"] = [{**data["investors"][0], "subscribed_amount": 5000000}]

    cleaned = validate(data, unified_for(data).items).cleaned

    assert cleaned["reg_capital"] == "5000000.00"
    assert cleaned["si_types"] == ["pension", "maternity"]
    assert cleaned["investors"][0]["subscribed_amount"] == "5000000.00"


# --- Projection: what each department receives -----------------------------------------------------------------


def test_trader_payloads_carry_transformed_values():
    data = issued("electronics_trader")

    aic = payload_of("AIC", data)
    commerce = payload_of("COMMERCE", data)
    stats = payload_of("STATS", data)
    ntax = payload_of("NTAX", data)
    customs = payload_of("CUSTOMS", data)

    assert "213万元" in set(_leaves(aic))
    usd = next(v for k, v in _items(commerce) if "美元" in k)
    assert Decimal(usd) == (Decimal("2130000") / Decimal("6.6") / 10000).quantize(Decimal("0.0001"))
    assert "441900004000" in set(_leaves(stats))
    assert "201" in set(_leaves(ntax))
    assert data["established_on"].replace("-", "") in set(_leaves(customs))
    assert REFERENCES["COMMERCE"] in set(_leaves(customs))


def test_operating_address_defaults_to_the_registered_address():
    data = issued("restaurant_hotel")
    data.pop("op_address", None)

    values = set(_leaves(payload_of("STATS", data))) | set(_leaves(payload_of("FIRE", data)))

    assert data["reg_address"] in values


def test_lists_are_projected_entry_by_entry():
    data = issued("electronics_trader")

    aic = payload_of("AIC", data)

    investor_lists = [v for v in _values(aic) if isinstance(v, list)]
    assert investor_lists and len(investor_lists[0]) == len(data["investors"])


def test_every_shipped_form_is_publishable_and_projects_its_samples():
    for code, form in forms().items():
        assert form_problems(form, items(), CODES) == {}, code
    trader, restaurant = issued("electronics_trader"), issued("restaurant_hotel")
    for code in routed_for(trader):
        payload_of(code, trader)
    for code in routed_for(restaurant):
        payload_of(code, restaurant)


def test_missing_required_value_is_reported_by_field():
    data = issued("electronics_trader")
    del data["name_zh"]

    result = project(data, forms()["NTAX"], items(), REFERENCES)

    assert result.errors
    assert all("missing" in message for message in result.errors.values())


def test_a_department_gets_only_what_its_form_maps():
    data = issued("electronics_trader")

    hrss = set(_leaves(payload_of("HRSS", data)))

    assert data["bank_account"] not in hrss
    assert data["name_en"] not in hrss


# --- Mapping checks -------------------------------------------------------------------------------------------


def _form(*fields: dict) -> FormSpec:
    return FormSpec(department="NTAX", version=9, title="t", fields=tuple(FieldSpec.from_dict(f) for f in fields))


def test_mapping_problems_are_named():
    problems = form_problems(
        _form(
            {"name": "a", "transform": "item", "args": {"item": "no_such_item"}},
            {"name": "b", "transform": "magic", "args": {}},
            {"name": "c", "transform": "yuan_to_wan", "args": {"item": "reg_capital", "with_unit": "yes"}},
            {"name": "d", "transform": "scope_part", "args": {"item": "business_scope"}},
            {"name": "e", "transform": "item", "args": {"item": "name_zh", "colour": "red"}},
            {"name": "f", "transform": "field", "args": {"field": "g"}},
            {"name": "g", "transform": "field", "args": {"field": "f"}},
            {"name": "h", "transform": "reference", "args": {"department": "XYZ"}},
            {"name": "h", "transform": "item", "args": {"item": "legal_rep.shoe_size"}},
        ),
        items(),
        CODES,
    )

    assert problems["a"] == ["unknown item “no_such_item”"]
    assert problems["b"] == ["unknown transform “magic”"]
    assert problems["c"] == ["argument “with_unit” must be true or false"]
    assert problems["d"] == ["argument “index” is missing"]
    assert problems["e"] == ["“item” has no argument “colour”"]
    assert "cycle" in problems["f"][0] and "cycle" in problems["g"][0]
    assert "the field name is used more than once" in problems["h"]
    assert "unknown department “XYZ”" in problems["h"]
    assert "unknown item “legal_rep.shoe_size”" in problems["h"]


def test_a_cycle_at_projection_time_is_an_error_not_a_crash():
    form = _form(
        {"name": "f", "transform": "field", "args": {"field": "g"}},
        {"name": "g", "transform": "field", "args": {"field": "f"}},
    )

    result = project(issued("electronics_trader"), form, items())

    assert "refers to itself" in result.errors["f"]


def test_wrong_arguments_at_projection_time_are_an_error_not_a_crash():
    form = _form({"name": "x", "transform": "item", "args": {"thing": "name_zh"}})

    result = project(issued("electronics_trader"), form, items())

    assert "bad arguments" in result.errors["x"]


def _values(payload):
    for value in payload.values():
        if isinstance(value, dict):
            yield from _values(value)
        else:
            yield value


def _items(payload):
    for key, value in payload.items():
        if isinstance(value, dict):
            yield from _items(value)
        else:
            yield key, value


def _leaves(payload):
    for value in _values(payload):
        if isinstance(value, list):
            for entry in value:
                yield from _leaves(entry) if isinstance(entry, dict) else [entry]
        else:
            yield value


def test_list_entries_can_read_the_whole_application():
    aic = payload_of("AIC", issued("electronics_trader"))

    investors = next(v for v in _values(aic) if isinstance(v, list))
    assert [i["出资比例(%)"] for i in investors] == ["60", "40"]
    assert investors[0]["出资币种"] == "人民币"


def test_a_block_named_like_a_field_cannot_be_published():
    problems = form_problems(
        _form(
            {"name": "法定代表人", "transform": "item", "args": {"item": "legal_rep.name"}},
            {"name": "姓名", "group": "法定代表人", "transform": "item", "args": {"item": "legal_rep.name"}},
        ),
        items(),
        CODES,
    )

    assert problems["法定代表人"] == ["a block has the same name as this field"]


def test_sub_field_names_must_be_unique_and_outer_paths_must_exist():
    problems = form_problems(
        _form(
            {
                "name": "股东",
                "transform": "each",
                "args": {
                    "item": "investors",
                    "fields": [
                        {"name": "名称", "transform": "item", "args": {"item": "name"}},
                        {"name": "名称", "transform": "item", "args": {"item": "^no_such"}},
                    ],
                },
            }
        ),
        items(),
        CODES,
    )

    assert "sub-field name “名称” is used more than once" in problems["股东"]
    assert "名称: unknown item “^no_such”" in problems["股东"]


def test_a_renamed_transform_still_reads_stored_mappings_but_is_not_offered():
    from forms_engine.transforms import REGISTRY, transform_names

    form = FormSpec(department="STATS", version=1, title="t", fields=(
        FieldSpec(name="行业大类", transform="industry_category", args={"item": "industry_code"}),
        FieldSpec(name="行业门类大类", transform="industry_division", args={"item": "industry_code"}),
    ))  # fmt: skip

    payload = project({"industry_code": "5179"}, form, items()).payload

    assert payload == {"行业大类": "51", "行业门类大类": "51"}  # a GB/T 4754 division
    assert REGISTRY["industry_category"] is REGISTRY["industry_division"]
    assert "industry_division" in transform_names() and "industry_category" not in transform_names()

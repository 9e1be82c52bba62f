"""Every input gets a clear answer (issue 12, "validation is total"): odd but real values and malformed bodies
answer 400 naming what is wrong, never 500, and a bad value typed into a draft never makes it unsavable."""

import json

import pytest
from django.http import HttpRequest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forms_engine.validation import validate
from registration.models import Application
from tests.conftest import PASSWORD
from tests.forms_fixtures import items, sample, unified_for
from tests.workflow import Api


@pytest.fixture
def draft(seeded, applicant):
    api = Api(applicant)
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the assertions read the English messages
    response = api.post("/applications", {"kind": "new_company", "data": sample("electronics_trader")})
    assert response.status_code == 201
    return api, response.json()["id"]


def _error_keys(response) -> set[str]:
    body = response.json()
    assert set(body) >= {"detail", "errors"}, body  # the contract's error shape
    return set(body["errors"])


# --- Numbers are bounded before any arithmetic; the draft stays savable ----------------------------------------


@pytest.mark.parametrize(
    ("item", "value", "message"),
    [
        ("reg_capital", "1e26", "without an exponent"),
        ("reg_capital", 1e26, "too large"),
        ("reg_capital", "9" * 5000, "Enter a number"),
        ("employee_count", "²", "whole number"),
        ("employee_count", "9" * 5000, "too large"),
        ("employee_count", 10**30, "at most"),
        ("floor_area", "1e30", "without an exponent"),
        ("floor_area", "-0", "greater than zero"),
        ("term_years", "１e3", "whole number"),
        ("investors", [{"subscribed_amount": "1e400"}], "without an exponent"),
    ],
)
def test_a_bad_number_is_kept_in_the_draft_named_by_autosave_and_refused_at_submit(draft, item, value, message):
    api, application_id = draft

    first = api.patch(f"/applications/{application_id}", {"data": {item: value}})
    again = api.patch(f"/applications/{application_id}", {"data": {"email": "office@hxdz-dg.com"}})
    submit = api.post(f"/applications/{application_id}/submit")

    assert first.status_code == 200
    problems = first.json()["problems"]
    path = next(k for k in problems if k.split(".")[0] == item)
    assert any(message.lower() in m.lower() for m in problems[path]), problems
    assert again.status_code == 200  # the draft was not bricked by the value saved before it was checked
    assert submit.status_code == 400
    assert any(k.split(".")[0] == item for k in _error_keys(submit))
    assert Application.objects.get(pk=application_id).state == "draft"


def test_the_right_values_of_the_same_items_pass(draft):
    api, application_id = draft

    response = api.patch(
        f"/applications/{application_id}",
        {"data": {"reg_capital": "２,１３０,０００", "employee_count": "１２", "floor_area": 180.5}},
    )

    assert response.status_code == 200 and response.json()["problems"] == {}
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    data = Application.objects.get(pk=application_id).data
    assert (data["reg_capital"], data["employee_count"], data["floor_area"]) == ("2130000.00", 12, "180.50")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(items())), JSON, max_size=6), st.booleans())
def test_validation_is_total_for_any_json_value(data, partial):
    form = unified_for(sample("electronics_trader"))

    result = validate(data, form.items, partial=partial)  # never raises

    assert set(result.cleaned) <= set(data) | {i.key for i in form.items if i.default is not None}
    for path in result.errors:
        assert path.split(".")[0] not in result.cleaned or path.split(".")[0] == "investors"


# --- Identity numbers: checked by their document's rules, never a crash ----------------------------------------


def test_a_county_code_in_no_gb2260_edition_is_refused_with_a_reason(draft):
    api, application_id = draft
    person = {**sample("electronics_trader")["legal_rep"], "id_number": "449900199005150017"}

    autosave = api.patch(f"/applications/{application_id}", {"data": {"legal_rep": person}})
    submit = api.post(f"/applications/{application_id}/submit")

    assert autosave.status_code == 200
    assert "region code" in autosave.json()["problems"]["legal_rep.id_number"][0]
    assert submit.status_code == 400 and "legal_rep.id_number" in _error_keys(submit)


@pytest.mark.parametrize(
    "number",
    [
        "110103198001011232",  # 崇文区, merged into 东城区 in 2010
        "441900198001011232",  # 东莞 before 1988, when python-stdnum's table starts the code
        "110110198001011236",  # 燕山区, retired in 1986
    ],
)
def test_people_with_retired_area_codes_are_accepted(number):
    from stdnum.cn import ric

    from forms_engine.validators import resident_id_problem

    fixed = number[:17] + ric.calc_check_digit(number[:17] + "0")
    assert resident_id_problem(fixed) is None


# --- Bodies the parser cannot take: 400 in the contract's shape -------------------------------------------------


def _post_raw(path: str, raw: bytes, content_type: str = "application/json", **extra):
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(path, raw, content_type=content_type, **extra)


def test_json_nested_5000_levels_to_the_token_endpoint_is_400(db):
    response = _post_raw("/api/v1/auth/token", b"[" * 5000 + b"]" * 5000)

    assert response.status_code == 400
    assert "body" in _error_keys(response)


def test_json_nested_deeper_than_the_portal_reads_is_400_even_when_python_could_parse_it(db):
    deep = "{}"
    for _ in range(40):
        deep = '{"a": ' + deep + "}"

    response = _post_raw("/api/v1/auth/token", deep.encode())

    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    ("raw", "content_type", "why"),
    [
        (b'{"username": "a\\u0000b", "password": "x"}', "application/json", "NUL"),
        (b'{"username": "\\ud800", "password": "x"}', "application/json", "surrogate"),
        ("{\"username\": \"张\"}".encode("gb18030"), "application/json", "UTF-8"),
        (b'{"username": "a", "password": NaN}', "application/json", "NaN"),
        (b'{"username": "a", "password": 1' + b"0" * 5000 + b"}", "application/json", "JSON"),
        (b"username=a&password=b", "application/x-www-form-urlencoded", "JSON"),
        (b'{"username": "a"}', "application/json; charset=latin-1", "UTF-8"),
        (b"not json", "application/json", "JSON"),
    ],
)
def test_a_body_the_portal_cannot_read_is_400_with_a_reason(db, raw, content_type, why):
    response = _post_raw("/api/v1/auth/token", raw, content_type=content_type)

    assert response.status_code == 400
    assert _error_keys(response)
    assert why.lower() in json.dumps(response.json(), ensure_ascii=False).lower()


def test_a_body_over_the_size_limit_is_400(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = _post_raw("/api/v1/auth/token", json.dumps({"username": "x" * 2000, "password": "y"}).encode())

    assert response.status_code == 400


def test_a_nul_inside_name_zh_is_400_and_nothing_is_saved(draft):
    api, application_id = draft
    before = Application.objects.get(pk=application_id).data

    response = api.client.patch(
        f"/api/v1/applications/{application_id}",
        '{"data": {"name_zh": "东莞市华信\\u0000电子贸易有限公司"}}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert Application.objects.get(pk=application_id).data == before


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/filings?state=dis%00patched",
        "/api/v1/enterprises/9144%00/todos",
        "/api/v1/applications?updated_since=%00",
        "/workbench/?state=%00",
        "/verify/YWT%00/",
    ],
)
def test_a_nul_in_the_path_or_query_is_400_everywhere(seeded, applicant, path):
    client = Client()
    client.force_login(applicant)

    response = client.get(path)

    assert response.status_code == 400


def test_a_nul_in_a_form_post_is_400(seeded, applicant, client):
    client.login(request=HttpRequest(), username=applicant.username, password=PASSWORD)  # axes needs the request

    response = client.post("/start/", {"kind": "new_company", "business_scope": "批发\x00"})

    assert response.status_code == 400


def test_control_and_invisible_characters_in_text_are_named(draft):
    api, application_id = draft

    response = api.patch(
        f"/applications/{application_id}",
        {"data": {"reg_address": "东莞市南城\x1b街道", "business_scope": "餐\u200b饮服务；住宿"}},
    )

    problems = response.json()["problems"]
    assert "control character" in problems["reg_address"][0]
    assert "invisible character" in problems["business_scope"][0]  # would hide 餐饮 from the EPB routing rule


def test_multi_line_text_keeps_its_line_breaks(draft):
    api, application_id = draft

    response = api.patch(f"/applications/{application_id}", {"data": {"business_scope": "批发；\n零售\t家电"}})

    assert response.json()["problems"] == {}


def test_unsupported_content_type_on_any_api_write_is_400(draft):
    api, application_id = draft

    response = api.client.patch(
        f"/api/v1/applications/{application_id}", "data=1", content_type="text/plain"
    )

    assert response.status_code == 400
    assert "Content-Type" in _error_keys(response)


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"1" + b"0" * 400 + b".5"])
def test_a_json_number_too_large_for_a_float_is_400_and_nothing_is_saved(draft, number):
    """Found by the API fuzz test: 1e400 parsed as Infinity, which no JSON column can store (a 500 on save)."""
    api, application_id = draft
    before = Application.objects.get(pk=application_id).data

    response = api.client.patch(
        f"/api/v1/applications/{application_id}", b'{"data": {"floor_area": ' + number + b"}}",
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 400 and "too large" in response.json()["detail"]
    assert Application.objects.get(pk=application_id).data == before


def test_a_multipart_body_to_the_callback_is_refused_not_a_crash(seeded):
    """Found by the API fuzz test: reading a multipart form at the door left no raw body for the signed callback."""
    response = Client().post(
        "/api/v1/departments/NTAX/callback", b"{}", content_type="multipart/form-data; boundary=x"
    )

    assert response.status_code in (400, 403)


@pytest.mark.parametrize("path", ["/api/v1/applications/abc", "/api/v1/filings/1x/approve", "/api/v1/nowhere"])
def test_an_api_url_no_route_matches_is_a_json_404(seeded, applicant, path):
    client = Client()
    client.force_login(applicant)

    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and "detail" in response.json()

"""One canonical form per identifier and code (issue 12): what people type with a Chinese input method is folded
once, at the edge, and only the canonical form is stored, delivered, verified, logged and compared."""

import copy

import pytest
from django.core.cache import cache
from django.test import Client

from departments.models import Filing
from forms_engine import canonical
from registration import verification
from registration.models import AccessLogEntry, Application
from registration.verification import institution_create
from tests.forms_fixtures import sample
from tests.workflow import Api, approve_everything

ID_WITH_X = "44190019900101108X"  # a valid resident ID whose check character is X


@pytest.mark.parametrize(
    ("function", "typed", "canonical_form"),
    [
        (canonical.digits_only, "５２３０００", "523000"),
        (canonical.digits_only, " 523 000 ", "523000"),
        (canonical.digits_only, "٥٢٣٠٠٠", "523000"),  # Arabic-Indic digits are digits too
        (canonical.digits_only, "8471.3000", "84713000"),
        (canonical.digits_only, "6222 0212 3456 7890", "6222021234567890"),
        (canonical.landline, "0769-２２２２１２３４", "0769-22221234"),
        (canonical.landline, "(0769) 2222 1234", "0769-22221234"),
        (canonical.landline, "076922221234", "0769-22221234"),
        (canonical.mobile, "13８００１３８０００", "13800138000"),
        (canonical.mobile, "+86 138-0013-8000", "13800138000"),
        (canonical.mobile, "0086 13800138000", "13800138000"),
        (canonical.phone, "138 0013 8000", "13800138000"),
        (canonical.phone, "0769 2211 2345", "0769-22112345"),
        (canonical.compact, "44190019900101108x", ID_WITH_X),
        (canonical.compact, "４４１９００１９９００１０１１０８ｘ", ID_WITH_X),
        (canonical.compact, "9144 0300 7152 6726 xg", "9144030071526726XG"),
        (canonical.compact, "9144030071526726\u200bXG", "9144030071526726XG"),  # a pasted zero-width space
        (canonical.email, "Service@HXDZ-DG.COM", "Service@hxdz-dg.com"),
        (canonical.email, "service＠hxdz-dg.com", "service@hxdz-dg.com"),
        (canonical.ascii_text, "Ｄｏｎｇｇｕａｎ  Huaxin Co.，Ltd.", "Dongguan Huaxin Co.,Ltd."),
    ],
)
def test_canonical_forms(function, typed, canonical_form):
    assert function(typed) == canonical_form


@pytest.mark.parametrize("typed", ["²", "①", "一二三", "½"])
def test_things_that_only_look_like_digits_are_not_folded(typed):
    assert canonical.digits_only(typed) == typed


def test_full_width_and_lower_case_values_are_stored_and_delivered_canonical(world):
    api, clerks = world
    data = copy.deepcopy(sample("electronics_trader"))
    data["postcode"] = "５２３０７１"
    data["phone"] = "0769-２２２２１２３４"
    data["legal_rep"]["mobile"] = "13８００１３８０００"
    data["liaison"] = {**data["liaison"], "id_number": "44190019900101108x", "mobile": "+86 137 1234 5678"}
    data["email"] = "Service@HXDZ-DG.COM"

    created = api.post("/applications", {"kind": "new_company", "data": data})
    application_id = created.json()["id"]
    assert created.status_code == 201, created.json()
    submitted = api.post(f"/applications/{application_id}/submit")
    assert submitted.status_code == 200, submitted.json()
    approve_everything(clerks, application_id)

    stored = Application.objects.get(pk=application_id).data
    assert (stored["postcode"], stored["phone"], stored["email"]) == ("523071", "0769-22221234", "Service@hxdz-dg.com")
    assert stored["legal_rep"]["mobile"] == "13800138000"
    assert (stored["liaison"]["id_number"], stored["liaison"]["mobile"]) == (ID_WITH_X, "13712345678")
    # What the departments received: the canonical spelling only, wherever their forms put it.
    delivered = " ".join(str(f.payload) for f in Filing.objects.filter(application_id=application_id))
    for typed in ("５２３０７１", "２２２２１２３４", "13８００", "108x", "+86", "HXDZ"):
        assert typed not in delivered
    assert "0769-22221234" in delivered or "22221234" in delivered
    assert ID_WITH_X in delivered


@pytest.fixture
def enterprise(trader):
    return trader


@pytest.fixture
def bank_key(db):
    cache.clear()
    verification._key_cache.clear()
    verification._facts_cache.clear()
    _institution, key = institution_create(name="东莞银行", kind="bank", scopes=["verify"])
    return key


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("spelling", [str.lower, _full_width, lambda code: f"{code[:8]} {code[8:]}"])
def test_a_lookup_by_any_accepted_spelling_is_answered_and_logged_under_the_canonical_code(
    enterprise, bank_key, spelling
):
    typed = spelling(enterprise.uscc)

    response = Client().get(f"/api/v1/verify/{typed}", {"purpose": "开户"}, HTTP_X_API_KEY=bank_key)

    assert response.status_code == 200
    assert response.json()["uscc"] == enterprise.uscc
    assert list(AccessLogEntry.objects.values_list("uscc", flat=True)) == [enterprise.uscc]


def test_the_enterprise_and_its_todos_answer_to_any_spelling_of_its_code(world, enterprise):
    api, _clerks = world

    assert api.get(f"/enterprises/{enterprise.uscc.lower()}").json()["uscc"] == enterprise.uscc
    assert api.get(f"/enterprises/{_full_width(enterprise.uscc)}/todos").status_code == 200


def test_an_existing_company_is_found_by_any_spelling_of_its_code_and_of_the_representatives_id(
    world, enterprise, outsider
):
    legal_rep_id = enterprise.data["legal_rep"]["id_number"]

    response = Api(outsider).post(
        "/applications",
        {"kind": "existing_company", "uscc": _full_width(enterprise.uscc.lower()), "id_number": f" {legal_rep_id} "},
    )

    assert response.status_code == 201, response.json()
    assert response.json()["enterprise"]["uscc"] == enterprise.uscc


def test_a_change_acting_for_the_enterprise_accepts_a_lower_case_check_character(world, enterprise, outsider):
    api, _clerks = world
    enterprise.data["liaison"]["id_number"] = ID_WITH_X
    enterprise.save()

    response = Api(outsider).post(
        f"/enterprises/{enterprise.uscc}/changes",
        {"data": {"phone": "0769-22998877"}, "id_number": ID_WITH_X.lower()},
    )

    assert response.status_code == 201, response.json()


def test_admin_search_finds_an_enterprise_by_any_spelling_of_its_code(enterprise, admin_user):
    client = Client()
    client.force_login(admin_user)

    page = client.get("/admin/registration/enterprise/", {"q": enterprise.uscc.lower()})

    assert enterprise.name_zh in page.content.decode()


def test_the_printed_document_number_is_looked_up_in_any_case(enterprise, client):
    from registration.documents import licence_issue

    number = licence_issue(enterprise).number

    assert client.get(f"/verify/{number.lower()}/").status_code == 200

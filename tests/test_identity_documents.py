"""Every identity document a founder may hold, each checked by its own rules (data/id_documents.json; research in
docs/identity-documents.md), and each department's own code for it."""

import copy
import json

import pytest
from stdnum.cn import ric

from forms_engine.identity import ID_DOCUMENTS_FILE, gb11643_check_character, icao9303_check_digit, id_documents
from forms_engine.spec import load_items
from forms_engine.transforms import ID_TYPE_TABLES
from forms_engine.validators import id_number_problem
from tests.forms_fixtures import sample
from tests.workflow import Api

PEOPLE = ("legal_rep", "finance_officer", "tax_agent", "liaison", "investors")


def test_every_format_example_passes_its_own_checks():
    for document in id_documents().values():
        for number_format in document.formats:
            assert number_format.pattern.fullmatch(number_format.example), (document.value, number_format.name)
            assert id_number_problem(number_format.example, document.value) is None, (document.value, number_format)


def test_every_person_item_offers_exactly_the_documents_of_the_data_file():
    people = {value for value in id_documents() if value != "uscc"}
    items = load_items()
    for key in PEOPLE:
        offered = {c.value for c in items[key].field("id_type").choices}
        assert offered - {"uscc"} == people, key
        for choice in items[key].field("id_type").choices:
            document = id_documents()[choice.value]
            assert (choice.label, choice.label_en) == (document.label, document.label_en)


def test_the_data_file_names_only_checks_the_code_implements():
    raw = json.loads(ID_DOCUMENTS_FILE.read_text(encoding="utf-8"))
    known = {"gb11643_check", "birth_date", "gb2260_division", "prefix_in", "iso3166_alpha3", "iso3166_numeric",
             "icao9303_check", "gb32100"}  # fmt: skip
    for document in raw["documents"]:
        assert document["sources"], document["value"]  # every fact has a source
        for number_format in document["formats"]:
            assert {c.split(":")[0] for c in number_format["checks"]} <= known


def _resident(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def test_the_check_character_agrees_with_python_stdnum():
    for first17 in ("44190019900515123", "11010519491231002", "44190019900101108", "81000019900101001"):
        assert gb11643_check_character(first17) == ric.calc_check_digit(first17 + "0")


@pytest.mark.parametrize(
    ("number", "id_type", "ok"),
    [
        (_resident("81000019900101001"), "hk_macao_residence_permit", True),
        (_resident("82000019900101001"), "hk_macao_residence_permit", True),
        (_resident("83000019920320003"), "taiwan_residence_permit", True),
        (_resident("81000019900101001"), "resident_id", False),  # a residence permit is not a resident ID
        (_resident("83000019920320003"), "hk_macao_residence_permit", False),
        (_resident("44190019900101001"), "hk_macao_residence_permit", False),
        ("810000199001010010", "hk_macao_residence_permit", False),  # check character
        ("H12345678", "hk_macao_permit", True),
        ("M1234567801", "hk_macao_permit", True),
        ("h12345678", "hk_macao_permit", True),  # canonical: upper case
        ("X12345678", "hk_macao_permit", False),
        ("12345678", "taiwan_permit", True),
        ("1234567", "taiwan_permit", False),
        ("E12345678", "chinese_passport", True),
        ("EA1234567", "chinese_passport", True),
        ("L898902C3", "passport", True),
        ("L8989", "passport", True),
        ("L898", "passport", False),
        ("9144030071526726XG", "uscc", True),
        ("9144030071526726XH", "uscc", False),
    ],
)
def test_each_document_by_its_own_rules(number, id_type, ok):
    assert (id_number_problem(number, id_type) is None) is ok, id_number_problem(number, id_type)


def test_foreign_permanent_residence_cards_in_both_formats():
    new = "9" + "44" + "840" + "19800101" + "001"
    new_card = new + gb11643_check_character(new)
    old = "USA" + "4419" + "800101" + "1"  # country, province and city, birth date, sequence; then the check digit
    old_card = old + icao9303_check_digit(old)

    assert id_number_problem(new_card, "foreign_permanent_residence") is None
    assert id_number_problem(old_card, "foreign_permanent_residence") is None
    assert id_number_problem(old_card[:-1] + str((int(old_card[-1]) + 1) % 10), "foreign_permanent_residence")
    assert id_number_problem("9" + "44" + "999" + "19800101" + "0010", "foreign_permanent_residence")  # no country 999
    assert id_number_problem("ZZZ" + "4419" + "800101" + "10", "foreign_permanent_residence")


def test_a_new_card_ending_in_x_is_accepted():
    for sequence in range(1000):
        first17 = f"94484019800101{sequence:03d}"
        if gb11643_check_character(first17) == "X":
            assert id_number_problem(first17 + "X", "foreign_permanent_residence") is None
            assert id_number_problem(first17 + "x", "foreign_permanent_residence") is None
            return
    pytest.fail("no number with check character X found")


def test_department_codes_come_from_the_data_file():
    assert ID_TYPE_TABLES["tax"]["chinese_passport"] == "227"
    assert ID_TYPE_TABLES["tax"]["resident_id"] == "201"
    assert "hk_macao_residence_permit" not in ID_TYPE_TABLES["tax"]  # no sourced code: see the research note


def test_a_document_a_routed_department_has_no_code_for_is_refused_at_submit_not_at_the_licence(seeded, applicant):
    api = Api(applicant)
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    data = copy.deepcopy(sample("electronics_trader"))
    data["finance_officer"] = {
        **data["finance_officer"], "id_type": "hk_macao_residence_permit", "id_number": _resident("81000019900101001"),
    }  # fmt: skip
    application_id = api.post("/applications", {"kind": "new_company", "data": data}).json()["id"]

    response = api.post(f"/applications/{application_id}/submit")

    assert response.status_code == 400
    assert "finance_officer.id_type" in response.json()["errors"]
    assert "cannot take this value" in response.json()["errors"]["finance_officer.id_type"][0]

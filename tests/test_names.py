"""Names people can trust (issue 12): company and person names refuse invisible characters, Latin letters of any
width and letters of other scripts with a clear message; prohibited words and duplicates are found in normalised
text, so no spelling slips past them."""

import pytest

from forms_engine.canonical import person_name
from forms_engine.identity import person_name_problem
from forms_engine.validators import company_name_problem
from registration.models import Enterprise, NameReservation
from registration.names import name_key

ENTITY = "llc_natural_controlled"


@pytest.fixture
def checker(seeded, applicant, client):
    client.force_login(applicant)

    def check(name: str, entity_type: str = ENTITY) -> dict:
        response = client.post(
            "/api/v1/name-check",
            {"name_zh": name, "entity_type": entity_type},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 200, response.content
        return response.json()

    return check


def test_a_zero_width_space_does_not_hide_a_prohibited_word(checker):
    answer = checker("东莞市中\u200b华星河电子科技有限公司")

    assert answer["available"] is False
    reasons = " ".join(answer["reasons"])
    assert "invisible" in reasons
    assert "中华" in reasons  # the prohibited word is found in the normalised text


def test_full_width_latin_letters_fail_the_rule_half_width_ones_fail(checker):
    full = checker("东莞市ＡＢＣ星河电子科技有限公司")
    half = checker("东莞市ABC星河电子科技有限公司")

    assert full["available"] is False and half["available"] is False
    assert full["reasons"] == half["reasons"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("东莞市星河电子科技有限公司\u2060", "invisible"),  # word joiner
        ("东莞市星河\u200d电子科技有限公司", "invisible"),  # zero-width joiner
        ("东莞市星河\u202e电子科技有限公司", "invisible"),  # right-to-left override
        ("东莞市Звезда电子科技有限公司", "only Chinese characters"),  # Cyrillic
        ("东莞市별빛电子科技有限公司", "only Chinese characters"),  # Hangul
        ("东莞市ほし电子科技有限公司", "only Chinese characters"),  # Hiragana
        ("东莞市３６５电子科技有限公司", "Numbers"),
        ("东莞市星河·电子科技有限公司", "only Chinese characters"),
    ],
)
def test_company_names_refuse_invisible_characters_other_scripts_and_digits(checker, name, words):
    answer = checker(name)

    assert answer["available"] is False
    assert words in " ".join(answer["reasons"])


def test_a_name_of_rare_characters_is_a_name(checker):
    assert checker("东莞市𠀀㐀星河电子科技有限公司")["available"] is True  # Extensions B and A are Chinese characters


def test_duplicates_are_found_across_widths_invisible_characters_and_bracket_styles(checker):
    registered = "东莞市星河电子贸易（普通合伙）"
    enterprise = Enterprise.objects.create(
        uscc="91441900MA4UJ8K20E", name_zh=registered, name_key=name_key(registered),
        entity_type="general_partnership", established_on="2020-01-01",
    )  # fmt: skip
    NameReservation.objects.create(name_key=name_key(registered), name_zh=registered, enterprise=enterprise)
    variants = [
        "东莞市星河电子贸易(普通合伙)", "东莞市星河\u200b电子贸易（普通合伙）", "东莞市星河电子贸易 （普通合伙）"
    ]

    for variant in variants:
        answer = checker(variant, "general_partnership")
        assert "An enterprise with this name is already registered." in answer["reasons"], variant


@pytest.mark.parametrize(
    ("name", "id_type", "ok"),
    [
        ("陈志明", "resident_id", True),
        ("买买提·艾力", "resident_id", True),
        ("买买提•艾力", "resident_id", True),  # a bullet typed for the middle dot
        ("Chen Zhiming", "resident_id", False),
        ("陈 志明", "resident_id", False),
        ("陈志明\u200b", "resident_id", False),
        ("陈志明1", "resident_id", False),
        ("JOHN SMITH", "passport", True),
        ("ＪＯＨＮ ＳＭＩＴＨ", "passport", True),  # full-width, folded
        ("O'Neil-Brown", "passport", True),
        ("José Müller", "passport", True),
        ("约翰", "passport", False),
        ("Ivan Иванов", "passport", False),
        ("陈大文", "hk_macao_permit", True),
        ("CHAN Tai Man", "hk_macao_permit", True),
        ("陈大文 CHAN", "hk_macao_permit", False),  # one script per name
    ],
)
def test_person_names_follow_the_script_of_their_identity_document(name, id_type, ok):
    assert (person_name_problem(name, id_type) is None) is ok, person_name_problem(name, id_type)


def test_a_persons_name_is_stored_in_its_canonical_spelling():
    assert person_name("买买提•艾力") == "买买提·艾力"
    assert person_name(" ＪＯＨＮ   SMITH ") == "JOHN SMITH"


def test_an_organisation_investor_keeps_its_registered_name():
    from forms_engine.validation import validate
    from tests.forms_fixtures import sample, unified_for

    data = sample("electronics_trader")
    data["investors"][1] = {
        **data["investors"][1], "kind": "legal", "id_type": "uscc", "id_number": "9144030071526726XG",
        "name": "TCL科技集团股份有限公司（深圳）",
    }  # fmt: skip

    result = validate(data, unified_for(data).items)

    assert "investors.1.name" not in result.errors
    assert result.cleaned["investors"][1]["name"] == "TCL科技集团股份有限公司（深圳）"  # full-width brackets kept


def test_company_name_rules_are_the_same_through_the_form_engine():
    assert company_name_problem("东莞市中\u200b华星河电子科技有限公司")
    assert company_name_problem("东莞市星河电子科技有限公司", ENTITY) is None

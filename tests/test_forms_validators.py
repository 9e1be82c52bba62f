"""Identifier and format checks of docs/DOMAIN.md (no database)."""

import pytest
from django.utils import translation

from forms_engine.validators import (
    ITEM_VALIDATORS,
    company_name_problem,
    id_number_problem,
    organisation_code_check,
    resident_id_problem,
    uscc_problem,
)


@pytest.fixture(autouse=True)
def english():
    # The assertions read the English messages; the Chinese ones are checked in test_forms_engine.
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "code",
    ["9144030071526726XG", "91440300708461136T", "914403001922038216", "91330100799655058B", "91110108551385082Q"],
)
def test_real_usccs_pass_both_checks(code):
    assert uscc_problem(code) is None


@pytest.mark.parametrize("code", ["9144030071526726XH", "9144030071526726X", "I144030071526726XG", ""])
def test_invalid_usccs_are_refused(code):
    assert uscc_problem(code)


def test_uscc_with_valid_outer_but_wrong_inner_check_is_refused():
    from stdnum.cn import uscc

    body17 = "91441900MA4UJ8K2" + "1"  # the organisation code's check character should be 0
    code = body17 + uscc.calc_check_digit(body17)

    assert uscc.is_valid(code)  # python-stdnum alone would accept it
    assert "organisation code" in uscc_problem(code)


def test_organisation_code_check_of_a_published_code():
    assert organisation_code_check("71526726") == "X"


@pytest.mark.parametrize("number", ["441900199005151231", "441900200101012464", "441900198812310070"])
def test_fixture_resident_ids_pass(number):
    assert resident_id_problem(number) is None


def test_dongguan_division_before_1988_is_accepted():
    from stdnum.cn import ric

    base = "44190019800101123"
    number = base + ric.calc_check_digit(base + "0")
    assert not ric.is_valid(number)  # python-stdnum refuses 441900 for 1980

    assert resident_id_problem(number) is None


@pytest.mark.parametrize(
    ("number", "why"),
    [("441900199005151230", "check"), ("441900199002301230", "birth date"), ("123", "does not have the form")],
)
def test_invalid_resident_ids_are_refused(number, why):
    assert why in resident_id_problem(number)


def test_unknown_region_is_refused():
    from stdnum.cn import ric

    base = "99990019900515123"
    assert "does not have the form" in resident_id_problem(base + ric.calc_check_digit(base + "0"))


def test_id_number_follows_its_type():
    assert id_number_problem("E12345678", "passport") is None
    assert id_number_problem("H12345678", "hk_macao_permit") is None
    assert id_number_problem("12345678", "taiwan_permit") is None
    assert id_number_problem("9144030071526726XG", "uscc") is None
    assert id_number_problem("441900199005151231", "passport") is None  # digits are a possible passport format
    assert id_number_problem("X1", "hk_macao_permit")


@pytest.mark.parametrize(
    ("name", "entity_type", "ok"),
    [
        ("东莞市华信电子贸易有限公司", "llc_natural_controlled", True),
        ("东莞市华信电子贸易股份有限公司", "joint_stock_unlisted", True),
        ("东莞市华信电子贸易（普通合伙）", "general_partnership", True),
        ("东莞市华信电子贸易(有限公司)", "llc_natural_controlled", False),
        ("深圳市华信电子贸易有限公司", "llc_natural_controlled", False),
        ("东莞市华信电子贸易", "llc_natural_controlled", False),
        ("东莞市华有限公司", "llc_natural_controlled", False),
        ("东莞市华信电子😀有限公司", "llc_natural_controlled", False),
        ("东莞市Huaxin电子有限公司", "llc_natural_controlled", False),
        ("东莞市华信电子贸易有限公司", "sole_proprietorship", False),
    ],
)
def test_company_name_rules(name, entity_type, ok):
    assert (company_name_problem(name, entity_type) is None) is ok


@pytest.mark.parametrize(
    ("validator", "good", "bad"),
    [
        ("mobile", "13800138000", "12800138000"),
        ("landline", "0769-22112345", "020-22112345"),
        ("phone", "076922112345", "22112345"),
        ("postcode", "523000", "518000"),
        ("hs_code", "8542319000", "85423"),
        ("cnaps", "102602000011", "10260200001"),
        ("ascii_en", "Dongguan Huaxin Electronics Trading Co., Ltd.", "Dongguan Huaxin Co.，Ltd"),
        ("industry_class", "5179", "5170"),
        ("town_code", "441900004", "441900999"),
        ("country_alpha3", "CHN", "CN"),
        ("email", "a@b.cn", "a@b"),
    ],
)
def test_named_validators(validator, good, bad):
    check = ITEM_VALIDATORS[validator]
    assert check(good) is None
    assert check(bad)

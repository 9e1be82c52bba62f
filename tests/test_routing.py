"""Routing rules as data decide which departments receive a filing (docs/DOMAIN.md)."""

import pytest

from departments.models import RoutingRule
from departments.routing import RoutingFacts, industry_matches, scope_matches
from departments.selectors import departments_routed
from departments.services import routing_rule_revise

ALWAYS = {"NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS", "PBOC"}
FOREIGN_TRADE = {"COMMERCE", "CUSTOMS", "CIQ", "SAFE"}


@pytest.mark.parametrize(
    ("code", "spec", "expected"),
    [
        ("3982", "13-43,62,8111-8113", True),
        ("1311", "13-43", True),
        ("4390", "13-43", True),
        ("4411", "13-43", False),
        ("1299", "13-43", False),
        ("6210", "62", True),
        ("8112", "8111-8113", True),
        ("8114", "8111-8113", False),
        ("", "13-43", False),
        ("5212", "5211-5212", True),
    ],
)
def test_industry_codes_match_prefixes_and_ranges(code, spec, expected):
    assert industry_matches(code, spec) is expected


def test_scope_words_found_once_in_order():
    assert scope_matches("餐饮服务；酒店住宿；餐饮管理", "宾馆|酒店|餐饮") == ["餐饮", "酒店"]
    assert scope_matches("软件开发", "宾馆|酒店") == []
    assert scope_matches("ktv 经营", "KTV|卡拉OK") == ["ktv"]


def routed(**facts):
    return {d.code: reasons for d, reasons in departments_routed(facts=RoutingFacts(**facts))}


@pytest.mark.django_db
def test_software_company_goes_to_aic_and_the_always_departments(seeded):
    result = routed(new_company=True, industry_code="6513", business_scope="应用软件开发；信息技术咨询服务")

    assert set(result) == {"AIC"} | ALWAYS


@pytest.mark.django_db
def test_existing_company_skips_aic(seeded):
    assert "AIC" not in routed(new_company=False, industry_code="6513", business_scope="软件开发")


@pytest.mark.django_db
def test_electronics_trader_with_import_export_adds_the_foreign_trade_departments(seeded):
    result = routed(new_company=True, import_export=True, industry_code="5179", business_scope="电子产品批发")

    assert set(result) == {"AIC"} | ALWAYS | FOREIGN_TRADE
    assert result["CUSTOMS"][0].detail == "import_export"


@pytest.mark.django_db
def test_scope_alone_makes_foreign_trade(seeded):
    result = routed(new_company=True, industry_code="5179", business_scope="电子产品批发；自营和代理各类商品的进出口")

    assert set(result) >= FOREIGN_TRADE
    assert result["COMMERCE"][0].detail == "自营和代理各类商品的进出口"


@pytest.mark.django_db
def test_circuit_board_factory_goes_to_epb_by_industry_and_scope(seeded):
    result = routed(new_company=True, industry_code="3982", business_scope="线路板生产")

    assert [r.trigger for r in result["EPB"]] == ["industry", "scope"]
    assert "HEALTH" not in result and "FIRE" not in result


@pytest.mark.django_db
def test_hotel_with_restaurant_goes_to_health_fire_and_epb(seeded):
    result = routed(new_company=True, industry_code="6110", business_scope="酒店住宿；餐饮服务")

    assert {"HEALTH", "FIRE", "EPB"} <= set(result)


@pytest.mark.django_db
def test_revising_a_rule_keeps_the_old_version_and_routes_by_the_new(seeded):
    rule = RoutingRule.objects.get(department__code="HEALTH", trigger="scope", is_active=True)

    successor = routing_rule_revise(rule=rule, scope_pattern=rule.scope_pattern + "|月子中心")

    rule.refresh_from_db()
    assert rule.is_active is False
    assert (successor.version, successor.is_active) == (rule.version + 1, True)
    assert "HEALTH" in routed(new_company=True, industry_code="8090", business_scope="月子中心服务")


@pytest.mark.django_db
def test_revising_with_no_change_makes_no_new_version(seeded):
    rule = RoutingRule.objects.get(department__code="HEALTH", trigger="scope", is_active=True)

    same = routing_rule_revise(rule=rule, scope_pattern=rule.scope_pattern)

    assert same.pk == rule.pk
    assert RoutingRule.objects.filter(department__code="HEALTH", trigger="scope").count() == 1


@pytest.mark.django_db
def test_an_invalid_pattern_is_refused_and_nothing_changes(seeded):
    from django.core.exceptions import ValidationError

    rule = RoutingRule.objects.get(department__code="HEALTH", trigger="scope", is_active=True)

    with pytest.raises(ValidationError):
        routing_rule_revise(rule=rule, scope_pattern="酒店|(")

    rule.refresh_from_db()
    assert rule.is_active is True
    assert RoutingRule.objects.filter(department__code="HEALTH", trigger="scope").count() == 1

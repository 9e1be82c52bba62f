"""Reads of departments and routing rules."""

from django.db.models import QuerySet

from forms_engine.compose import UnifiedForm, compose
from forms_engine.selectors import data_item_specs, form_specs_current

from .models import Department, RoutingRule
from .routing import Reason, RoutingFacts, Rule, route


def department_list() -> QuerySet[Department]:
    return Department.objects.order_by("sort_order", "code")


def routing_rules_active() -> list[Rule]:
    rows = (
        RoutingRule.objects.filter(is_active=True).select_related("department").order_by("department__sort_order", "id")
    )
    return [
        Rule(
            id=r.id,
            department=r.department.code,
            trigger=r.trigger,
            industry_codes=r.industry_codes,
            scope_pattern=r.scope_pattern,
            version=r.version,
        )
        for r in rows
    ]


def departments_routed(*, facts: RoutingFacts) -> list[tuple[Department, list[Reason]]]:
    """The departments that receive a filing for these facts, in display order, each with its reasons."""
    routed = route(facts, routing_rules_active())
    return [(d, routed[d.code]) for d in department_list() if d.code in routed]


def unified_form_for(*, facts: RoutingFacts) -> tuple[list[tuple[Department, list[Reason]]], UnifiedForm]:
    """The departments routed for `facts` and the one form the applicant fills for them."""
    routed = departments_routed(facts=facts)
    form = compose([d.code for d, _ in routed], form_specs_current(), data_item_specs())
    return routed, form

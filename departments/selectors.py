"""Reads of departments and routing rules."""


from django.db.models import Q, QuerySet
from django.http import Http404

from forms_engine.compose import UnifiedForm, compose
from forms_engine.selectors import data_item_specs, form_specs_current
from portal.models import User

from .models import FORM_KINDS, Department, Filing, FilingKind, RoutingRule
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


def departments_routed(
    *, facts: RoutingFacts, rules: list[Rule] | None = None
) -> list[tuple[Department, list[Reason]]]:
    """The departments that receive a filing for these facts, in display order, each with its reasons."""
    routed = route(facts, routing_rules_active() if rules is None else rules)
    return [(d, routed[d.code]) for d in department_list() if d.code in routed]


def unified_form_for(*, facts: RoutingFacts) -> tuple[list[tuple[Department, list[Reason]]], UnifiedForm]:
    """The departments routed for `facts` and the one form the applicant fills for them."""
    routed = departments_routed(facts=facts)
    form = compose([d.code for d, _ in routed], form_specs_current(), data_item_specs())
    return routed, form


def filings_visible_to(user: User) -> QuerySet[Filing]:
    """Clerks see their department's filings and the AIC registrations (the licence every department relies on);
    admins and auditors see all; applicants see theirs through their applications."""
    filings = Filing.objects.select_related("department", "application", "application__enterprise", "form_version")
    if user.reads_everything:
        return filings
    if user.is_clerk:
        # Other departments read AIC's registration (the licence they rely on), not its change reviews or copies.
        return filings.filter(
            Q(department_id=user.department_id) | Q(department__code="AIC", kind=FilingKind.REGISTRATION)
        )
    return filings.none()


def filing_for(user: User, filing_id: int) -> Filing:
    """A filing the user may see, or 404 — whether it exists elsewhere is not revealed."""
    filing = filings_visible_to(user).filter(pk=filing_id).first()
    if filing is None:
        raise Http404
    return filing


def filing_can_decide(user: User, filing: Filing) -> bool:
    return user.is_clerk and user.department_id == filing.department_id


def filing_previous_payload(filing: Filing) -> dict | None:
    """What the department saw before, to mark what changed: for a filing sent again after corrections, its
    previous round's payload; for an update, the enterprise's earlier filing with the department."""
    if filing.round > 1 and filing.previous_payload is not None:
        return filing.previous_payload
    if filing.kind != FilingKind.UPDATE:
        return None
    earlier = (
        Filing.objects.filter(application__enterprise_id=filing.application.enterprise_id, department=filing.department)
        .filter(kind__in=FORM_KINDS)
        .filter(created_at__lt=filing.created_at, payload__isnull=False)
        .order_by("-created_at")
        .first()
    )
    return earlier.payload if earlier else None

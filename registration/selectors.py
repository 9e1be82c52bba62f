"""Reads of the registration domain: objects scoped by who is asking, and the data departments read (an
application's or an enterprise's current data, with what the licence issued)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from departments.models import FORM_KINDS, Filing, FilingState
from departments.routing import RoutingFacts
from departments.selectors import departments_routed
from forms_engine.canonical import compact
from forms_engine.compose import UnifiedForm, compose
from forms_engine.selectors import data_item_specs, form_specs_current
from forms_engine.transforms import REG_TYPE_CODES
from portal.models import AuditEvent, User

from .models import APPLIED_STATES, AccessLogEntry, Application, ApplicationState, Enterprise, Todo


def applications_visible_to(user: User) -> QuerySet[Application]:
    """Applicants see their own; admins and auditors all; clerks none (they work through filings)."""
    applications = Application.objects.select_related("enterprise", "applicant").prefetch_related(
        Prefetch("filings", queryset=Filing.objects.select_related("department").order_by("department__sort_order"))
    )
    if user.reads_everything:
        return applications
    if user.is_applicant:
        return applications.filter(applicant=user)
    return applications.none()


def application_for(user: User, application_id: Any) -> Application:
    """The application, or 404 when it does not exist or is not the caller's (never reveal which)."""
    try:
        return applications_visible_to(user).get(pk=int(application_id))
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def enterprise_by_code(uscc: Any) -> Enterprise | None:
    """The enterprise with this unified social credit code, in any accepted spelling (full-width, lower case,
    with separators): codes are compared in their canonical form."""
    code = compact(uscc or "")
    return Enterprise.objects.filter(uscc=code).first() if code else None


def acts_for(enterprise: Enterprise, id_number: Any) -> bool:
    """Whether `id_number` (any accepted spelling) is the ID number of the enterprise's legal representative or
    liaison, the people who may act for it (docs/CONTRACT.md "existing_company")."""
    number = compact(id_number or "")
    people = {compact((enterprise.data.get(role) or {}).get("id_number") or "") for role in ("legal_rep", "liaison")}
    return bool(number) and number in people


def acting_id_number(user: User, typed: Any = "") -> str:
    """The ID number `user` acts as: the one real-name sign-in vouched for (`User.verified_id_number`), whatever
    was typed. An account without it acts by a typed number only where `TYPED_ID_ACCEPTED` (password sign-up in
    the demo); otherwise as nobody."""
    if user.verified_id_number:
        return user.verified_id_number
    return compact(typed or "") if settings.TYPED_ID_ACCEPTED else ""


def enterprise_for(user: User, uscc: str) -> Enterprise:
    """The enterprise for its owner, its legal representative or liaison by verified ID number, clerks, admins and
    auditors; 404 for anyone else."""
    enterprise = enterprise_by_code(uscc)
    if enterprise is None:
        raise Http404
    if user.reads_everything or user.is_clerk or enterprise.owner_id == user.pk:
        return enterprise
    if user.is_applicant and acts_for(enterprise, user.verified_id_number):
        return enterprise  # its legal representative or liaison, as real-name sign-in vouched
    raise Http404


def enterprise_for_owner(user: User, uscc: str, id_number: str = "") -> Enterprise:
    """The enterprise an applicant may act for: its owner, or its legal representative or liaison by ID number
    (`acting_id_number`: the verified one). 403 for staff (they read, never act for an enterprise); 404 for
    everyone else."""
    if not user.is_applicant:
        raise PermissionDenied
    enterprise = enterprise_by_code(uscc)
    if enterprise is None:
        raise Http404
    if enterprise.owner_id == user.pk or acts_for(enterprise, acting_id_number(user, id_number)):
        return enterprise
    raise Http404


def enterprise_claims_refused(enterprise: Enterprise, limit: int = 20) -> list[AuditEvent]:
    """The newest attempts by people who are not its legal representative or liaison to act for the enterprise."""
    events = AuditEvent.objects.filter(action="enterprise.claim_refused", object_type="enterprise",
                                       object_id=enterprise.uscc).select_related("actor")  # fmt: skip
    return list(events.order_by("-at", "-id")[:limit])


def enterprise_todos(enterprise: Enterprise) -> QuerySet:
    return Todo.objects.filter(enterprise=enterprise).select_related("department", "filing")


def enterprises_of(user: User | AnonymousUser) -> QuerySet[Enterprise]:
    """The enterprises an applicant registered or represents (verified ID number), with their open todos, for the
    home page."""
    if not isinstance(user, User) or not user.is_applicant:
        return Enterprise.objects.none()
    open_todos = Todo.objects.filter(status=Todo.Status.OPEN).select_related("department").order_by("due_date", "id")
    mine = Q(owner=user)
    number = user.verified_id_number
    if number:  # and those it represents, as real-name sign-in vouched (claimed or not yet)
        mine |= Q(data__legal_rep__id_number=number) | Q(data__liaison__id_number=number)
    todos = Prefetch("todos", queryset=open_todos, to_attr="open_todos")
    return Enterprise.objects.filter(mine).prefetch_related(todos)


def preview_drafts(limit: int = 10) -> dict[str, dict]:
    """The newest applications' data, for admins previewing a department form with real answers."""
    applications = Application.objects.exclude(data={}).order_by("-updated_at")[:limit]
    return {f"application #{a.pk} ({a.get_state_display()})": a.data for a in applications}


def enterprise_access_log(enterprise: Enterprise) -> QuerySet:
    """Who verified the enterprise online, newest first (for the enterprise itself): every lookup, the caller
    pages."""
    return AccessLogEntry.objects.filter(uscc=enterprise.uscc).select_related("institution").order_by("-at", "-id")


# --- The data departments read -------------------------------------------------------------------------------


def routing_facts(application: Application, data: dict) -> RoutingFacts:
    return RoutingFacts(
        new_company=application.is_new_company,
        import_export=data.get("import_export") in (True, "true", "True", 1),
        industry_code=str(data.get("industry_code") or ""),
        business_scope=str(data.get("business_scope") or ""),
    )


def application_form(application: Application, data: dict | None = None) -> tuple[list[str], UnifiedForm]:
    """The routed departments and the unified form for the application's current answers."""
    data = application.data if data is None else data
    routed = [d.code for d, _reasons in departments_routed(facts=routing_facts(application, data))]
    return routed, compose(routed, form_specs_current(), data_item_specs())


def answers_not_needed(application: Application, form=None) -> dict:
    """Answers the current form no longer asks for (an earlier answer changed: the industry, import/export …),
    by item key: kept for if that answer changes back, never sent to a department and never blocking submit.
    A draft's come from its data; after submit they are in `set_aside`."""
    if form is None:
        _routed, form = application_form(application)
    known = data_item_specs()
    drafted = {k: v for k, v in application.data.items() if k in known and k not in form.keys}
    kept = {k: v for k, v in application.set_aside.items() if k not in form.keys}
    return {**kept, **drafted}


def answers_needed_again(application: Application, form) -> dict:
    """Answers set aside at an earlier submit that the form asks for again (a correction changed the earlier
    answer back): they come back, unless the applicant has typed the item anew."""
    return {k: v for k, v in application.set_aside.items() if k in form.keys and k not in application.data}


def application_answers(application: Application, form) -> dict:
    """The answers submit checks and sends: the data, with set-aside answers the form asks for again, without
    those it no longer asks for."""
    aside = answers_not_needed(application, form)
    answers = {**answers_needed_again(application, form), **application.data}
    return {k: v for k, v in answers.items() if k not in aside}


def projection_data(application: Application) -> dict:
    """The application's data plus what the platform issued with the licence: what department forms read."""
    if application.kind == Application.Kind.CHANGE:
        return change_projection_data(application)
    enterprise = application.enterprise
    if enterprise is None:
        return dict(application.data)
    # A filing released after a change registration (it waited for a prerequisite) carries the new data.
    return change_data(enterprise, {**application.data, **changes_applied_after(application)})


def register_data(data: dict) -> dict:
    """The part of an application's data that the register keeps (not the department-specific items)."""
    items = data_item_specs()
    return {k: v for k, v in data.items() if k in items and not items[k].department_specific and not items[k].issued}


# A change of entity type is a different procedure (改制), not a change registration.
UNCHANGEABLE_ITEMS = ("entity_type",)


def changeable_items() -> dict[str, Any]:
    """Item specs an enterprise may change: everything it typed, not what the platform issued."""
    return {k: i for k, i in data_item_specs().items() if not i.issued and k not in UNCHANGEABLE_ITEMS}


def enterprise_current_data(enterprise: Enterprise, exclude: Application | None = None) -> dict:
    """Everything the enterprise has told the portal, current: department items from its applications (later ones
    win, changes included once applied), overlaid by the register."""
    data: dict = {}
    applications = enterprise.applications.filter(state__in=APPLIED_STATES).exclude(kind=Application.Kind.ARCHIVE_COPY)
    if exclude is not None:
        applications = applications.exclude(pk=exclude.pk)
    # In the order they reached the departments: a change drafted earlier may be submitted (signed) later.
    for application in applications.order_by(Coalesce("submitted_at", "created_at"), "id"):
        # Items reopened for a correction hold what is being typed, not what the departments have.
        in_flux = set(application.editable_items) if application.is_awaiting_correction else set()
        data.update({k: v for k, v in application.data.items() if k not in in_flux})
    data.update(enterprise.data)
    return data


def changes_applied_after(application: Application) -> dict:
    """The items later change registrations of the application's enterprise changed (applied ones, oldest first):
    what a registration filing released late must carry instead of the registration's own values."""
    # In the order they reached the departments: a change drafted earlier may be submitted (signed) later.
    submitted = Coalesce("submitted_at", "created_at")
    later = Application.objects.annotate(reached=submitted).filter(
        enterprise_id=application.enterprise_id,
        kind=Application.Kind.CHANGE,
        state__in=(ApplicationState.IN_PROGRESS, ApplicationState.COMPLETED),
        reached__gt=application.created_at,
    )
    data: dict = {}
    for change in later.order_by("reached", "id"):
        data.update(change.data)
    return data


def change_data(enterprise: Enterprise, current: dict) -> dict:
    """What department forms read for an enterprise: its data plus what the platform issued with the licence."""
    return {
        **current,
        "uscc": enterprise.uscc,
        "established_on": enterprise.established_on.isoformat(),
        "division_code": "441900",
        "reg_type_code": REG_TYPE_CODES.get(enterprise.entity_type, ""),
    }


def change_projection_data(application: Application) -> dict:
    """What department forms read for a change application: the enterprise's data with the change applied."""
    enterprise = application.enterprise
    assert enterprise is not None, "a change registration belongs to an enterprise"
    return change_data(enterprise, {**enterprise_current_data(enterprise, exclude=application), **application.data})


def enterprise_filings_held(enterprise: Enterprise, exclude: Application | None = None) -> dict[str, Filing]:
    """The enterprise's newest non-rejected filing per department, from all its applications."""
    filings = (
        Filing.objects.filter(application__enterprise=enterprise)
        .exclude(state=FilingState.REJECTED)
        .filter(kind__in=FORM_KINDS)
        .select_related("department")
        .order_by("created_at", "id")
    )
    if exclude is not None:
        filings = filings.exclude(application=exclude)
    return {f.department.code: f for f in filings}

"""Reads of the registration domain, always scoped by who is asking."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from departments.models import Filing
from forms_engine.canonical import compact
from portal.models import AuditEvent

from .models import Application, Enterprise


def applications_visible_to(user: Any) -> QuerySet[Application]:
    """Applicants see their own; admins and auditors all; clerks none (they work through filings)."""
    applications = Application.objects.select_related("enterprise", "applicant").prefetch_related(
        Prefetch("filings", queryset=Filing.objects.select_related("department").order_by("department__sort_order"))
    )
    if user.reads_everything:
        return applications
    if user.is_applicant:
        return applications.filter(applicant=user)
    return applications.none()


def application_for(user: Any, application_id: Any) -> Application:
    """The application, or 404 when it does not exist or is not the caller's (never reveal which)."""
    try:
        return applications_visible_to(user).get(pk=int(application_id))
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def application_timeline(application_id: int) -> list[dict]:
    """What happened, oldest first, from the audit trail (transitions, decisions, deliveries, data changes)."""
    events = AuditEvent.objects.filter(application_id=application_id).select_related("actor").order_by("id")
    return [
        {
            "at": e.at,
            "action": e.action,
            "object": f"{e.object_type}:{e.object_id}",
            "actor": str(e.actor) if e.actor else e.actor_label,
            "state": (e.after or {}).get("state") if isinstance(e.after, dict) else None,
            "message": e.message,
        }
        for e in events
        if e.action != "application.data_changed"
    ]


def enterprise_by_code(uscc: Any) -> Enterprise | None:
    """The enterprise with this unified social credit code, in any accepted spelling (full-width, lower case,
    with separators): codes are compared in their canonical form."""
    code = compact(uscc or "")
    return Enterprise.objects.filter(uscc=code).first() if code else None


def acts_for(enterprise: Enterprise, id_number: Any) -> bool:
    """Whether `id_number` (any accepted spelling) is the ID number of the enterprise's legal representative or
    liaison, the people who may act for it (CONTRACT.md "existing_company")."""
    number = compact(id_number or "")
    people = {compact((enterprise.data.get(role) or {}).get("id_number") or "") for role in ("legal_rep", "liaison")}
    return bool(number) and number in people


def enterprise_for(user: Any, uscc: str) -> Enterprise:
    """The enterprise for its owner, clerks, admins and auditors; 404 for anyone else."""
    enterprise = enterprise_by_code(uscc)
    if enterprise is None:
        raise Http404
    if user.reads_everything or user.is_clerk or enterprise.owner_id == user.pk:
        return enterprise
    raise Http404


def enterprise_for_owner(user: Any, uscc: str, id_number: str = "") -> Enterprise:
    """The enterprise an applicant may act for: its owner, or its legal representative or liaison proving it with
    their ID number. 403 for staff (they read, never act for an enterprise); 404 for everyone else."""
    from rest_framework.exceptions import PermissionDenied

    if not user.is_applicant:
        raise PermissionDenied
    enterprise = enterprise_by_code(uscc)
    if enterprise is None:
        raise Http404
    if enterprise.owner_id == user.pk or acts_for(enterprise, id_number):
        return enterprise
    raise Http404


def enterprise_todos(enterprise: Enterprise) -> QuerySet:
    from .models import Todo

    return Todo.objects.filter(enterprise=enterprise).select_related("department", "filing")


def enterprises_of(user: Any) -> QuerySet[Enterprise]:
    """The enterprises an applicant registered, with their open todos, for the home page."""
    from .models import Todo

    if not getattr(user, "is_applicant", False):
        return Enterprise.objects.none()
    open_todos = Todo.objects.filter(status=Todo.Status.OPEN).select_related("department").order_by("due_date", "id")
    return Enterprise.objects.filter(owner=user).prefetch_related(
        Prefetch("todos", queryset=open_todos, to_attr="open_todos")
    )


def preview_drafts(limit: int = 10) -> dict[str, dict]:
    """The newest applications' data, for admins previewing a department form with real answers."""
    applications = Application.objects.exclude(data={}).order_by("-updated_at")[:limit]
    return {f"application #{a.pk} ({a.get_state_display()})": a.data for a in applications}


def enterprise_access_log(enterprise: Enterprise) -> QuerySet:
    """Who verified the enterprise online, newest first (for the enterprise itself): every lookup, the caller
    pages."""
    from .models import AccessLogEntry

    return AccessLogEntry.objects.filter(uscc=enterprise.uscc).select_related("institution").order_by("-at", "-id")

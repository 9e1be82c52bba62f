"""Service-hall pages of a licensed enterprise: its record, its todos (proactive service), change registration and
requests for printed archive copies. Only the enterprise's owner acts here; the logic is in `changes` and
`archive_copies`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied

from departments.selectors import department_list
from forms_engine.compose import SECTIONS
from forms_engine.display import english, item_label
from forms_engine.selectors import data_item_specs
from portal.errors import PortalError, StateConflict
from portal.pagination import page_of

from .archive_copies import DOCUMENTS, MAX_COPIES, archive_copy_request
from .changes import change_submit
from .documents import licence_facts
from .models import Application, Enterprise, EnterpriseChange, Todo
from .selectors import changeable_items, enterprise_claims_refused, enterprise_current_data, enterprise_for_owner
from .todos import items_needed_by, todos_needing, todos_supply
from .wizard import field_view, parse_post


def _owned(request: HttpRequest, uscc: str) -> Enterprise:
    try:
        return enterprise_for_owner(request.user, uscc)
    except ApiPermissionDenied:
        raise PermissionDenied from None


def register_items() -> list:
    """The items a change registration shows, in the cloud form's section order (department items are changed
    where a department asks for them: in a todo)."""
    items = [i for i in changeable_items().values() if not i.department_specific]
    order = list(SECTIONS)
    return sorted(items, key=lambda i: (order.index(i.section) if i.section in order else len(order), i.position))


def _details_form(open_todos: list[Todo], errors: dict | None = None, values: dict | None = None) -> list[dict]:
    """One form for every item the newly required departments still need, each asked once."""
    items = data_item_specs()
    names = {t.department.code: t.department.display_name for t in open_todos}
    return [
        {"field": field_view(items[key], (values or {}).get(key), errors or {}), "for": [names[c] for c in codes]}
        for key, codes in items_needed_by([t for t in open_todos if t.needed_items]).items()
        if key in items
    ]


def change_log(changes: Iterable[EnterpriseChange]) -> list[dict]:
    """Entries of the change log for people: item labels, not keys; the oldest entry is the registration itself."""
    return [
        {
            "at": c.at,
            "actor": c.actor,
            "application_id": c.application_id,
            "labels": [item_label(k) for k in c.after] if c.before else [],
        }
        for c in changes
    ]


def _page(request: HttpRequest, enterprise: Enterprise, status: int = 200, **extra: Any) -> HttpResponse:
    todos = list(Todo.objects.filter(enterprise=enterprise).select_related("department", "filing"))
    open_todos = [t for t in todos if t.status == Todo.Status.OPEN]
    requests = enterprise.applications.filter(
        kind__in=(Application.Kind.CHANGE, Application.Kind.ARCHIVE_COPY)
    ).prefetch_related("filings__department")
    here = reverse("registration:enterprise", args=[enterprise.uscc])  # also rendered as the answer to a POST
    requests_page = page_of(request, requests, per_page=20, param="requests_page", path=here, anchor="requests-title")
    changes = EnterpriseChange.objects.filter(enterprise=enterprise).select_related("actor")
    changes_page = page_of(request, changes, per_page=20, param="changes_page", path=here, anchor="changes-title")
    context = {
        "enterprise": enterprise,
        "facts": licence_facts(enterprise),
        "open_todos": open_todos,
        "details": _details_form(open_todos, extra.pop("details_errors", None), extra.pop("details_values", None)),
        "done_todos": [t for t in todos if t.status != Todo.Status.OPEN],
        "changes": change_log(changes_page.items),
        "changes_page": changes_page,
        "requests": requests_page.items,
        "requests_page": requests_page,
        "departments": department_list(),
        "documents": [(k, en if english() else zh) for k, (zh, en) in DOCUMENTS.items()],
        "max_copies": range(1, MAX_COPIES + 1),
        "copy_form": {"document": "licence", "department": "", "copies": "1", "delivery": "collect"},
        "copy_errors": {},
        "claims_refused": enterprise_claims_refused(enterprise),
        **extra,
    }
    return render(request, "registration/enterprise.html", context, status=status)


@login_required
def enterprise_page(request: HttpRequest, uscc: str) -> HttpResponse:
    return _page(request, _owned(request, uscc))


@login_required
def enterprise_change(request: HttpRequest, uscc: str) -> HttpResponse:
    """The change registration form: the register's items, filled with the current record; only what differs is
    filed."""
    enterprise = _owned(request, uscc)
    current = enterprise_current_data(enterprise)
    items = register_items()
    values, problems, status = current, {}, 200
    if request.method == "POST":
        posted = parse_post(request.POST, items)
        go = request.POST.get("go", "")
        if go.startswith("add:") and isinstance(posted.get(go[4:]), list):
            posted[go[4:]].append({})  # one more blank row for another investor
            values = {**current, **posted}
        else:
            try:
                application = change_submit(enterprise=enterprise, user=request.user, data=posted)
            except (PortalError, StateConflict) as exc:
                values, status = {**current, **posted}, 400
                problems = getattr(exc, "errors", {}) or {}
                messages.error(request, str(exc.detail))
            else:
                if application.state == "draft":
                    messages.success(request, _("The change is saved as a draft. Each person named below signs it; "
                                                "then submit it."))  # fmt: skip
                elif application.state == "submitted":
                    messages.success(request, _("Change filed. Market supervision reviews it; you can follow it here."))
                else:
                    messages.success(request, _("Change registered. The departments concerned have been informed."))
                return redirect("registration:detail", application.pk)
    fields = [field_view(i, values.get(i.key), problems) for i in items]
    return render(
        request,
        "registration/enterprise_change.html",
        {"enterprise": enterprise, "fields": fields, "other_problems": _other_problems(problems, items)},
        status=status,
    )


def _other_problems(problems: dict, items: list) -> dict:
    """Problems not shown next to a field of this page (the request as a whole)."""
    keys = {i.key for i in items}
    return {k: v for k, v in problems.items() if k.split(".")[0] not in keys}


@login_required
@require_POST
def todo_details_view(request: HttpRequest, uscc: str) -> HttpResponse:
    """The details newly required departments still need, given once for all of them."""
    enterprise = _owned(request, uscc)
    items = data_item_specs()
    needed = items_needed_by(todos_needing(enterprise))
    data = parse_post(request.POST, [items[k] for k in needed if k in items])
    try:
        todos = todos_supply(enterprise=enterprise, user=request.user, data=data)
    except (PortalError, StateConflict) as exc:
        messages.error(request, str(exc.detail))
        errors = getattr(exc, "errors", {}) or {}
        return _page(request, enterprise, status=400, details_errors=errors, details_values=data)
    sent = [t.department.display_name for t in todos if not t.needed_items]
    messages.success(request, _("Thank you. Sent to: %(departments)s.") % {"departments": "、".join(sent) or "—"})
    return redirect("registration:enterprise", enterprise.uscc)


@login_required
@require_POST
def archive_copy_view(request: HttpRequest, uscc: str) -> HttpResponse:
    enterprise = _owned(request, uscc)
    form = {k: request.POST.get(k, "").strip() for k in ("document", "department", "copies", "delivery")}
    form["postal_address"] = request.POST.get("postal_address", "").strip()
    try:
        application = archive_copy_request(enterprise=enterprise, user=request.user, **form)
    except (PortalError, StateConflict) as exc:
        messages.error(request, str(exc.detail))
        return _page(request, enterprise, status=400, copy_form=form, copy_errors=getattr(exc, "errors", {}) or {})
    messages.success(request, _("Your request is with the department. You can follow it here."))
    return redirect("registration:detail", application.pk)

"""To-dos (待办事项) of proactive service: what a change made an enterprise responsible for, the items a newly
required department still needs (given once for all of them), and closing them when the department decides."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.filings import filings_release, items_missing
from departments.models import Department, Filing, FilingKind, FilingState, RoutingRule
from departments.routing import Reason
from forms_engine.selectors import CurrentForm, data_item_specs, forms_current
from forms_engine.spec import ItemSpec
from forms_engine.validation import validate
from portal.calendar import beijing_today
from portal.errors import PortalError, StateConflict
from portal.models import User

from .models import Application, Enterprise, Todo
from .selectors import change_projection_data, enterprise_filings_held
from .services import application_audit, application_lock


def todos_create(
    application: Application,
    enterprise: Enterprise,
    newly_required: list[tuple[Department, list[Reason]]],
    data: dict,
    forms: dict[str, CurrentForm],
    items: dict[str, ItemSpec],
) -> list[Todo]:
    """One todo per department a change made responsible (proactive service): the rule's text and version that
    routed it, a due date counted from today in Beijing, and the items its form still needs."""
    rules = RoutingRule.objects.in_bulk([reasons[0].rule_id for _d, reasons in newly_required])
    filings = {f.department_id: f for f in application.filings.filter(kind=FilingKind.NEW_OBLIGATION)}
    today = beijing_today()
    todos = []
    for department, reasons in newly_required:
        rule = rules.get(reasons[0].rule_id)
        due_days = next((r.due_days for r in (rules.get(x.rule_id) for x in reasons) if r and r.due_days), None)
        todos.append(
            Todo(
                enterprise=enterprise,
                application=application,
                filing=filings[department.pk],
                department=department,
                rule=rule,
                rule_version=reasons[0].rule_version,
                title=(rule.todo_text if rule else "") or department.filing_name,
                title_en=(rule.todo_text_en if rule else "") or department.filing_name_en,
                reason="、".join(r.detail for r in reasons if r.detail)[:300],
                needed_items=items_missing(department.code, data, forms, items),
                due_date=today + dt.timedelta(days=due_days) if due_days else None,
            )
        )
    return Todo.objects.bulk_create(todos)


def todos_close_for(filing: Filing) -> int:
    """The department decided: the todo it answered is done, or refused (its message says why)."""
    status = Todo.Status.DONE if filing.state == FilingState.APPROVED else Todo.Status.REFUSED
    now = timezone.now()
    return Todo.objects.filter(filing=filing, status=Todo.Status.OPEN).update(
        status=status, done_at=now, updated_at=now, needed_items=[]
    )


def todos_needing(enterprise: Enterprise) -> list[Todo]:
    """Open todos whose department still needs items from the enterprise."""
    todos = Todo.objects.filter(enterprise=enterprise, status=Todo.Status.OPEN).select_related("department")
    return [t for t in todos.order_by("id") if t.needed_items]


def items_needed_by(todos: list[Todo]) -> dict[str, list[str]]:
    """Each needed item once, with the departments that need it: the enterprise types it once for all of them."""
    needed: dict[str, list[str]] = {}
    for todo in todos:
        for key in todo.needed_items:
            needed.setdefault(key, []).append(todo.department.code)
    return needed


@transaction.atomic
def todos_supply(*, enterprise: Enterprise, user: User, data: Any, todos: list[Todo] | None = None) -> list[Todo]:
    """The enterprise gives the items newly required departments' forms still need (each item once, for every
    todo that needs it); the filings that now have everything go out. Nothing is saved if anything is wrong."""
    todos = todos_needing(enterprise) if todos is None else [t for t in todos if t.needed_items]
    if not todos:
        raise StateConflict(_("This todo needs nothing more from you."), state=Todo.Status.DONE)
    if not isinstance(data, dict):
        raise PortalError(_("The request has errors; see “errors”."), {"data": [_("Expected an object.")]})
    items = data_item_specs()
    needed = items_needed_by(todos)
    extra = {k: [_("This item is not asked here.")] for k in data if k not in needed}
    result = validate({k: v for k, v in data.items() if k in needed}, [items[k] for k in needed])
    errors = {**result.errors, **extra}
    if errors:
        raise PortalError(_("Some items have errors; nothing was saved."), errors)
    forms = forms_current()
    for application_id in sorted({t.application_id for t in todos}):
        application = application_lock(application_id)
        given = {
            k: v
            for k, v in result.cleaned.items()
            if k in {i for t in todos if t.application_id == application_id for i in t.needed_items}
        }
        application.data = {**application.data, **given}
        application.save()
        application_audit(application, "application.data_changed", actor=user, after=given)
        data_now = change_projection_data(application)
        for todo in Todo.objects.filter(application=application, status=Todo.Status.OPEN).select_related("department"):
            todo.needed_items = items_missing(todo.department.code, data_now, forms, items)
            todo.save(update_fields=["needed_items", "updated_at"])
        filings_release(application=application, data=data_now, held=enterprise_filings_held(enterprise, application))
    return list(Todo.objects.filter(pk__in=[t.pk for t in todos]).select_related("department", "filing"))

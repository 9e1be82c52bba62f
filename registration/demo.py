"""A licensed demo enterprise for `make run`, registered through the real workflow, so that change registration,
todos and printed copies can be tried at once (the history of `--history` has no payloads to change)."""

from __future__ import annotations

import copy

from departments.decisions import filing_approve
from departments.models import AdapterKind, Filing, FilingState
from forms_engine.samples import _shipped
from portal.models import User

from .models import Enterprise
from .services import application_create, application_submit


def demo_enterprise_ensure(*, owner: User) -> Enterprise | None:
    """The electronics trader of the samples, owned by `owner`: submitted, licensed by the AIC clerk and approved by
    every department deciding in the workbench. Departments on HTTP get theirs when the worker runs (the sandbox
    decides them). Returns None when the owner already has an enterprise (safe to run again)."""
    if Enterprise.objects.filter(owner=owner).exists():
        return None
    data = copy.deepcopy(_shipped()["electronics_trader"])
    application = application_create(applicant=owner, kind="new_company", data=data)
    application_submit(application=application, user=owner)
    while True:
        pending = list(
            Filing.objects.filter(
                application=application, state=FilingState.DISPATCHED, department__adapter_kind=AdapterKind.CLERK_QUEUE
            ).select_related("department")
        )
        if not pending:
            break
        for filing in pending:
            clerk = User.objects.filter(department=filing.department).order_by("id").first()
            filing_approve(filing_id=filing.pk, actor=clerk)
    application.refresh_from_db()
    return application.enterprise

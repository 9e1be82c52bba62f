"""Change registration (变更登记) and proactive service: a licensed enterprise changes its record once, and every
department concerned hears of it (docs/DOMAIN.md "change registration", docs/CONTRACT.md "Enterprises, changes and
proactive service").

On approval (by AIC for the items it reviews, at once for the others):
- the register and its change log are updated;
- every department that holds a filing whose form reads a changed item gets an update filing with the new payload;
- the routing rules run again on the new data; each department they now require that the enterprise has no filing
  with gets a new filing, and the enterprise a todo naming the rule version that required it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from departments.filings import filing_release_payload, filings_create, filings_release, payload_hash
from departments.models import Department, Filing, FilingKind, FilingState
from departments.routing import route
from departments.selectors import departments_routed, routing_rules_active
from departments.trust import crls_current
from forms_engine.compose import items_needed
from forms_engine.projection import project
from forms_engine.selectors import CurrentForm, data_item_specs, forms_current
from portal.audit import audit_record
from portal.errors import PortalError, StateConflict
from portal.models import User
from portal.services import notify
from portal.texts import Text, bilingual

from .change_check import change_items_check
from .models import Application, ApplicationState, Enterprise, EnterpriseChange, Todo
from .names import name_key, name_pass_to_enterprise, name_release, name_reserve
from .selectors import (
    change_data,
    changeable_items,
    enterprise_current_data,
    enterprise_filings_held,
    routing_facts,
)
from .services import application_audit, application_complete_if_done
from .signing import document_bytes, signatures_missing, signing_basis
from .todos import todos_create

# Items AIC must review before they change (名称、经营范围、法定代表人、注册资本、住所); the others apply at once.
REVIEWED_ITEMS = ("name_zh", "business_scope", "legal_rep", "reg_capital", "reg_address")
# Filings that put the enterprise's data in a department's hands.
# A department holds the data once its filing is built (queued or failed ones will deliver the old payload, so
# they get an update too); a waiting filing is built later, from the data current then.
HOLDING_STATES = (
    FilingState.QUEUED,
    FilingState.DISPATCHED,
    FilingState.APPROVED,
    FilingState.CORRECTION_REQUESTED,
    FilingState.FAILED,
)


def _change_allowed(enterprise: Enterprise) -> None:
    """StateConflict unless the enterprise may file a change now (call with the enterprise locked)."""
    if enterprise.status != Enterprise.Status.ACTIVE:
        raise StateConflict(_("Only an active enterprise can change its registration."), state=enterprise.status)
    if enterprise.applications.filter(kind=Application.Kind.CHANGE, state=ApplicationState.SUBMITTED).exists():
        raise StateConflict(
            _("A change of this enterprise is already with market supervision; wait for its decision."),
            state=ApplicationState.SUBMITTED,
        )


@transaction.atomic
def change_submit(*, enterprise: Enterprise, user: User, data: Any) -> Application:
    """File a change registration for the enterprise. Items AIC reviews go to the AIC clerks; otherwise the change
    applies at once. When signatures are required (SIGNATURES_REQUIRED) the change is kept as a draft instead: the
    people the signing rule names sign it (`GET /applications/<id>/signing`), then it is submitted
    (`change_draft_submit`), as the regulation has the (new) legal representative sign the change application."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _change_allowed(enterprise)
    current = enterprise_current_data(enterprise)
    changed = change_items_check(enterprise, current, data)
    application = Application.objects.create(
        kind=Application.Kind.CHANGE, applicant=user, enterprise=enterprise, data=changed
    )
    application_audit(
        application, "application.created", actor=user, after={"kind": application.kind, "state": "draft"}
    )
    if settings.SIGNATURES_REQUIRED:
        return application
    _change_send(application, enterprise, user, current, changed)
    return application


def change_draft_submit(*, application: Application, user: User) -> Application:
    """Submit a signed change draft: the items are checked again against the record as it is now, every signer
    must have signed exactly that (else PortalError with "signatures.<path>" errors, nothing written), then it goes
    on as `change_submit` would have sent it."""
    if settings.SIGNATURES_REQUIRED:
        crls_current()  # any fetch happens before the enterprise is locked
    with transaction.atomic():
        assert application.enterprise_id is not None, "a change registration belongs to an enterprise"
        enterprise = Enterprise.objects.select_for_update().get(pk=application.enterprise_id)
        locked = Application.objects.select_for_update().filter(pk=application.pk).first()
        if locked is None:
            raise StateConflict(_("This draft was deleted."), state="deleted")
        application = locked
        if application.state != ApplicationState.DRAFT:
            raise StateConflict(_("This application has already been submitted."), state=application.state)
        _change_allowed(enterprise)
        checked = signing_basis(application)
        digest = hashlib.sha256(document_bytes(application, checked)).hexdigest()
        if settings.SIGNATURES_REQUIRED:
            errors = signatures_missing(application, digest, checked)
            if errors:
                raise PortalError(_("The change has errors; nothing was submitted."), errors)
        current = enterprise_current_data(enterprise)
        changed = checked.data["after"]
        application.data = changed
        application.submitted_digest = digest
        _change_send(application, enterprise, user, current, changed)
    return application


def _change_send(application: Application, enterprise: Enterprise, user: User, current: dict, changed: dict) -> None:
    """The change goes on: to AIC's review for the items it reviews, else applied at once."""
    application.submitted_at = timezone.now()
    # A new name is reserved while AIC reviews it, as a new company's is.
    application.name_key = name_key(changed["name_zh"]) if "name_zh" in changed else ""
    before = {k: current.get(k) for k in changed}
    if "name_zh" in changed and name_key(changed["name_zh"]) != enterprise.name_key:
        name_reserve(name_zh=changed["name_zh"], application=application)  # held while AIC reviews it
    reviewed = sorted(set(changed) & set(REVIEWED_ITEMS))
    if reviewed:
        application.submit_for_licence()
        application.routed = ["AIC"]
        application.save()
        after = {"state": application.state, "reviewed": reviewed}
        application_audit(application, "application.submitted", actor=user, before={"state": "draft"}, after=after)
        (review,) = filings_create(application=application, codes=["AIC"], kind=FilingKind.CHANGE_REVIEW)
        filing_release_payload(filing=review, payload={"before": before, "after": changed})
        return
    application.submit_to_departments()
    application.save()
    after = {"state": application.state}
    application_audit(application, "application.submitted", actor=user, before={"state": "draft"}, after=after)
    change_apply(application=application, actor=user)


def change_apply(*, application: Application, actor: User | None, from_register: bool = False) -> None:
    """The change is approved: update the register, tell the departments concerned, run the rules again.
    Called with the application locked and already `in_progress`. `from_register`: market supervision's own
    register sent it (the feed), so AIC is not told of its own change."""
    assert application.enterprise_id is not None, "a change registration belongs to an enterprise"
    enterprise = Enterprise.objects.select_for_update().get(pk=application.enterprise_id)
    current = enterprise_current_data(enterprise, exclude=application)
    changed = {k: v for k, v in application.data.items() if v != current.get(k)}
    new_data = {**current, **application.data}
    register_keys = set(enterprise.data) | {k for k, i in changeable_items().items() if not i.department_specific}
    enterprise.data = {**enterprise.data, **{k: v for k, v in application.data.items() if k in register_keys}}
    if "name_zh" in application.data:
        enterprise.name_zh = application.data["name_zh"]
        enterprise.name_key = name_key(enterprise.name_zh)
        name_pass_to_enterprise(application=application, enterprise=enterprise)
    enterprise.save()
    EnterpriseChange.objects.create(
        enterprise=enterprise,
        actor=actor if getattr(actor, "pk", None) else None,
        application=application,
        before={k: current.get(k) for k in changed},
        after=changed,
    )
    audit_record(
        action="enterprise.changed",
        obj_type="enterprise",
        obj_id=enterprise.uscc,
        actor=actor,
        application_id=application.pk,
        before={k: current.get(k) for k in changed},
        after=changed,
    )
    reviewed_by_aic = from_register or application.filings.filter(kind=FilingKind.CHANGE_REVIEW).exists()
    held = enterprise_filings_held(enterprise, exclude=application)
    forms, items = forms_current(), data_item_specs()
    data = change_data(enterprise, new_data)
    concerned = [
        code
        for code, filing in held.items()
        if filing.state in HOLDING_STATES
        and not (code == "AIC" and reviewed_by_aic)
        and code in forms
        and items_needed([forms[code].spec]) & set(changed)
        and _payload_changes(filing, data, forms[code], items)
    ]
    # Newly required: routed for the new data, not for the old, and not already with the enterprise (a filing, or
    # a todo still open after a refusal). A department the old data routed but the enterprise never filed with is
    # not this change's business.
    rules = routing_rules_active()
    routed_before = set(route(routing_facts(application, current), rules))
    open_todos = set(
        Todo.objects.filter(enterprise=enterprise, status=Todo.Status.OPEN).values_list("department__code", flat=True)
    )
    newly_required = [
        (d, reasons)
        for d, reasons in departments_routed(facts=routing_facts(application, new_data), rules=rules)
        if d.code not in routed_before and d.code not in held and d.code not in open_todos and d.code != "AIC"
    ]
    filings_create(application=application, codes=concerned, kind=FilingKind.UPDATE)
    filings_create(application=application, codes=[d.code for d, _r in newly_required], kind=FilingKind.NEW_OBLIGATION)
    application.routed = sorted(set(application.routed) | set(concerned) | {d.code for d, _r in newly_required})
    application.save()
    todos = todos_create(application, enterprise, newly_required, data, forms, items)
    filings_release(application=application, data=data, held=held)
    application_audit(
        application,
        "application.change_applied",
        actor=actor,
        after={"updated": sorted(concerned), "new": [d.code for d, _r in newly_required], "todos": len(todos)},
    )
    _change_notify(application, enterprise, concerned, todos)
    application_complete_if_done(application, actor)


def _payload_changes(held: Filing, data: dict, current: CurrentForm, items: dict) -> bool:
    """Whether the department's form, filled with the new data, differs from what it holds (a form that reads only
    the first activities of the scope does not hear of a fourth)."""
    projection = project(data, current.spec, items, held.references)
    return bool(projection.errors) or payload_hash(projection.payload) != held.payload_hash


def _change_notify(application: Application, enterprise: Enterprise, concerned: list[str], todos: list[Todo]):
    names = {d.code: d.names for d in Department.objects.all()}
    body = [Text(gettext_noop("The record of %(name)s has changed."), name=enterprise.name_zh)]
    if concerned:
        body.append(Text(gettext_noop("Informed: %(departments)s."),
                         departments=bilingual("、".join(names[c]["zh"] for c in concerned),
                                               ", ".join(names[c]["en"] for c in concerned))))  # fmt: skip
    for todo in todos:
        line = Text(gettext_noop("To do for %(department)s: %(title)s"), department=names[todo.department.code],
                    title=todo.title)  # fmt: skip
        if todo.due_date:
            line = Text(gettext_noop("%(todo)s (by %(date)s)"), todo=line, date=todo.due_date.isoformat())
        body.append(line)
    recipients = {application.applicant}
    if enterprise.owner is not None:
        recipients.add(enterprise.owner)
    for user in recipients:
        notify(
            user=user,
            title=Text(gettext_noop("Change registered: %(count)s new things to do"), count=len(todos))
            if todos
            else Text(gettext_noop("Change registered")),
            body=body,
            # With things to do, the enterprise page is where they are done; otherwise the change's progress.
            url=f"/enterprises/{enterprise.uscc}/" if todos else f"/applications/{application.pk}/",
        )


def change_after_review(*, application: Application, filing: Filing, actor: User | None) -> None:
    """AIC decided a change: approved applies it; rejected leaves the record untouched."""
    if application.state != ApplicationState.SUBMITTED:
        return
    if filing.state == FilingState.APPROVED:
        application.approve_change()
        application.save()
        application_audit(application, "application.change_approved", actor=actor, before={"state": "submitted"},
               after={"state": application.state})  # fmt: skip
        change_apply(application=application, actor=actor)
    elif filing.state == FilingState.REJECTED:
        application.reject()  # a refused new name is free again
        application.save()
        name_release(application=application)
        application_audit(application, "application.rejected", actor=actor, after={"state": application.state},
               message=filing.message)  # fmt: skip
        notify(
            user=application.applicant,
            title=Text(gettext_noop("Change refused")),
            body=Text(gettext_noop("Market supervision refused the change: %(reason)s"), reason=filing.message),
            url=f"/applications/{application.pk}/",
        )

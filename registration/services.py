"""Writes of the registration domain: applications from draft to completion, the licence, the register.

Every state change happens inside `transaction.atomic()` with the application row locked (`application_lock`),
so a clerk, a department callback and a worker acting at the same moment are serialised in one order: application
first, then its filings.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import TransitionNotAllowed, can_proceed

from departments.filings import filings_create, filings_release, filings_resend_changed
from departments.models import Department, FilingState
from departments.trust import crls_current
from forms_engine.projection import project, referenced_items
from forms_engine.samples import SAMPLE_REFERENCES, with_issued
from forms_engine.selectors import data_item_specs, forms_current
from forms_engine.validation import validate
from forms_engine.validators import uscc_problem
from portal.audit import audit_record
from portal.calendar import beijing_today
from portal.errors import PortalError, StateConflict
from portal.models import User
from portal.services import notify
from portal.texts import Text

from .identifiers import uscc_generate
from .models import Application, ApplicationState, Enterprise, EnterpriseChange
from .names import name_check, name_key, name_pass_to_enterprise, name_release, name_reserve
from .selectors import (
    acting_id_number,
    acts_for,
    answers_not_needed,
    application_answers,
    application_form,
    enterprise_by_code,
    projection_data,
    register_data,
)
from .signing import Checked, document_bytes, signatures_missing

# Register data: what AIC records about an enterprise. Department-specific items (bank, seals, …) are not in it.
ISSUED_ITEMS = ("uscc", "established_on", "division_code", "reg_type_code")


def application_lock(application_id: int) -> Application:
    return Application.objects.select_for_update().get(pk=application_id)


def application_audit(
    application: Application,
    action: str,
    actor: User | None = None,
    before: Any = None,
    after: Any = None,
    message: str = "",
):
    audit_record(
        action=action,
        obj_type="application",
        obj_id=application.pk,
        actor=actor,
        application_id=application.pk,
        before=before,
        after=after,
        message=message,
    )


# --- Drafts ---------------------------------------------------------------------------------------------------


def application_create(
    *, applicant: User, kind: str, data: dict | None = None, uscc: str = "", id_number: str = ""
) -> Application:
    """A new draft. For an enterprise that already holds a licence, its register data is filled in and locked; only
    its legal representative, liaison or the account that registered it may do this."""
    if kind not in (Application.Kind.NEW_COMPANY, Application.Kind.EXISTING_COMPANY):
        # A change registration and a copy request have their own ways in (they belong to an enterprise).
        raise PortalError(_("Unknown kind of application."), {"kind": [_("Use new_company or existing_company.")]})
    if not isinstance(data or {}, dict):
        raise PortalError(_("The request has errors; see “errors”."), {"data": [_("Expected an object.")]})
    application = Application(kind=kind, applicant=applicant, data={})
    if kind == Application.Kind.EXISTING_COMPANY:
        enterprise = _enterprise_for_applicant(applicant, uscc, id_number)
        register = {k: v for k, v in enterprise.data.items() if k not in ISSUED_ITEMS}
        application.enterprise = enterprise
        application.readonly_items = sorted(register)
        application.data = register
    with transaction.atomic():
        application.save()
        application_audit(
            application, "application.created", actor=applicant, after={"kind": kind, "state": application.state}
        )
        if data:
            application_update_data(application=application, user=applicant, data=data)
            application.refresh_from_db()  # the caller gets the draft as saved, answers included
    return application


def _enterprise_for_applicant(applicant: User, uscc: str, id_number: str) -> Enterprise:
    problem = uscc_problem(uscc) if uscc else _("Give the enterprise's unified social credit code.")
    if problem:
        raise PortalError(_("The request has errors; see “errors”."), {"uscc": [problem]})
    enterprise = enterprise_by_code(uscc)
    if enterprise is None or enterprise.status != Enterprise.Status.ACTIVE:
        raise PortalError(
            _("The request has errors; see “errors”."), {"uscc": [_("No active enterprise has this code.")]}
        )
    if enterprise.owner_id == applicant.pk or acts_for(enterprise, acting_id_number(applicant, id_number)):
        return enterprise
    # The enterprise sees who tried to act for it (its page, "Attempts to act for this enterprise").
    audit_record(
        action="enterprise.claim_refused", obj_type="enterprise", obj_id=enterprise.uscc, actor=applicant,
        after={"verified": bool(applicant.verified_id_number), "name": applicant.verified_name or applicant.full_name},
    )  # fmt: skip
    if applicant.verified_id_number:
        reason = _(
            "Your real-name identity (ID number ending %(tail)s) is not this enterprise's legal representative or "
            "liaison."
        ) % {"tail": applicant.verified_id_number[-4:]}
    elif not settings.TYPED_ID_ACCEPTED:
        reason = _(
            "Sign in with your real-name identity to act for an enterprise as its legal representative or liaison."
        )
    else:
        reason = _("Give the ID number of the enterprise's legal representative or liaison.")
    raise PortalError(
        _("Only the enterprise's legal representative or liaison can apply for it."), {"id_number": [reason]}
    )


def _editable_keys(application: Application) -> set[str] | None:
    """Which items the applicant may change now (None: any item of the form)."""
    if application.state == ApplicationState.CORRECTION_REQUESTED:
        return set(application.editable_items)
    if application.state == ApplicationState.DRAFT:
        return None
    return set()


def application_update_data(*, application: Application, user: User, data: dict) -> dict[str, list[str]]:
    """Autosave: merge `data` into the application as typed (nothing typed is lost), and return the problems the
    typed values have so far (missing values are not problems yet). Items the applicant may not change are refused."""
    if not isinstance(data, dict):
        raise PortalError(_("The request has errors; see “errors”."), {"data": [_("Expected an object.")]})
    with transaction.atomic():
        application = application_lock(application.pk)
        if application.kind == Application.Kind.CHANGE:
            raise StateConflict(
                _("A change registration is filed as a whole: delete this draft and file the change again."),
                state=application.state,
            )
        editable = _editable_keys(application)
        if editable is not None and not editable:
            raise StateConflict(_("This application cannot be changed in its current state."), state=application.state)
        locked = set(application.readonly_items) | (set(data) - editable if editable is not None else set())
        register = set(register_data(dict.fromkeys(data, True))) if application.enterprise_id is not None else set()
        refused = {
            key: [
                _("This item is in the register of your enterprise: change it with a change registration on the "
                  "enterprise's page, which market supervision reviews and every department concerned hears of.")
                if key in register
                else _("This item cannot be changed here.")
            ]
            for key in data
            if key in locked and data[key] != application.data.get(key)
        }  # fmt: skip
        if refused:
            raise PortalError(_("Some items cannot be changed."), refused)
        before = {k: application.data.get(k) for k in data}
        merged = {**application.data, **data}
        application.data = {k: v for k, v in merged.items() if v is not None}
        application.save()
        application_audit(application, "application.data_changed", actor=user, before=before, after=data)
    _routed, form = application_form(application)
    check = validate({k: v for k, v in application.data.items() if k in form.keys}, form.items, partial=True)
    # An item of the dictionary this form does not ask for (now) is kept as not needed, not an error.
    known = data_item_specs()
    unknown = {k: [_("This item is not part of this form.")] for k in application.data if k not in known}
    return {**check.errors, **unknown}


# --- Submit, withdraw ----------------------------------------------------------------------------------------


def application_submit(*, application: Application, user: User) -> Application:
    """Check everything at once and send the application on: to AIC for a licence (new company, or a correction
    AIC asked for) or straight to the departments (existing company, or corrections after the licence). A change
    registration's draft is submitted by `changes.change_draft_submit` instead."""
    if application.kind == Application.Kind.CHANGE:
        raise StateConflict(_("A change registration is submitted from its own page."), state=application.state)
    if settings.SIGNATURES_REQUIRED:
        crls_current()  # any fetch happens before the application is locked
    with transaction.atomic():
        application = application_lock(application.pk)
        if application.state not in (ApplicationState.DRAFT, ApplicationState.CORRECTION_REQUESTED):
            raise StateConflict(_("This application has already been submitted."), state=application.state)
        routed, form = application_form(application)
        # Answers the form no longer asks for are set aside (kept, not sent, not checked); anything that is no
        # item of the dictionary at all is still refused by validation.
        aside = answers_not_needed(application, form)
        result = validate(application_answers(application, form), form.items)
        errors = dict(result.errors)
        naming = application.is_new_company and application.enterprise_id is None and "name_zh" in result.cleaned
        if naming:
            reasons = name_check(
                name_zh=result.cleaned["name_zh"],
                entity_type=result.cleaned.get("entity_type"),
                exclude_application_id=application.pk,
            )
            if reasons:
                errors.setdefault("name_zh", []).extend(r for r in reasons if r not in errors.get("name_zh", []))
        if not errors:
            errors = departments_cannot_take(result.cleaned, routed)
        checked = Checked(routed, result.cleaned, result.cleaned)
        digest = hashlib.sha256(document_bytes(application, checked)).hexdigest()
        if not errors and settings.SIGNATURES_REQUIRED:
            errors = signatures_missing(application, digest, checked)
        if errors:
            raise PortalError(_("The application has errors; nothing was submitted."), errors)
        if naming:
            # The check above was a read; this holds the name, and refuses it if another submit won the race.
            name_reserve(name_zh=result.cleaned["name_zh"], application=application)
        cleaned = dict(result.cleaned)
        before_state = application.state
        correcting = application.state == ApplicationState.CORRECTION_REQUESTED
        application.data = cleaned
        application.set_aside = aside
        application.submitted_digest = digest
        application.routed = routed
        application.name_key = name_key(cleaned.get("name_zh", "")) if application.is_new_company else ""
        licensed = application.enterprise_id is not None
        if application.is_new_company and not licensed:
            application.submit_for_licence()
        else:
            application.submit_to_departments()
        application.save()
        application_audit(
            application,
            "application.submitted",
            actor=user,
            before={"state": before_state},
            after={"state": application.state, "routed": routed},
        )
        data = projection_data(application)
        if correcting:
            requesters = set(
                application.filings.filter(state=FilingState.CORRECTION_REQUESTED).values_list(
                    "department__code", flat=True
                )
            )
            # After the licence the register is settled: AIC's registration is never sent again by a correction.
            frozen = frozenset({"AIC"}) if application.enterprise_id is not None else frozenset()
            filings_resend_changed(application=application, data=data, always=requesters, frozen=frozen)
        elif application.is_new_company:
            filings_create(application=application, codes=["AIC"])
            filings_release(application=application, data=data)
        else:
            filings_create(application=application, codes=routed)
            filings_release(application=application, data=data)
    return application


def departments_cannot_take(data: dict, routed: list[str]) -> dict[str, list[str]]:
    """What a routed department's form could not be filled with, by item path: found at submit, while the
    applicant can still change it, not when a clerk's approval releases the filings (e.g. an identity document
    a department's code list has no code for). The licence's values are stood in for by samples."""
    forms, items = forms_current(), data_item_specs()
    sample = with_issued(data)
    names = dict(Department.objects.filter(code__in=routed).values_list("code", "name"))
    errors: dict[str, list[str]] = {}
    for code in routed:
        current = forms.get(code)
        if current is None:
            continue
        projection = project(sample, current.spec, items, SAMPLE_REFERENCES)
        by_name = {f.name: f for f in current.spec.fields}
        for field_name, reason in projection.errors.items():
            spec = by_name.get(field_name)
            paths = sorted(referenced_items(spec)) if spec is not None else []
            path = next((p for p in paths if p.split(".")[0] in data), paths[0] if paths else f"{code}.{field_name}")
            message = _("%(department)s cannot take this value on its form (%(field)s: %(reason)s).") % {
                "department": names.get(code, code), "field": field_name, "reason": reason,
            }  # fmt: skip
            errors.setdefault(path, []).append(message)
    return errors


def application_withdraw(*, application: Application, user: User) -> Application:
    with transaction.atomic():
        application = application_lock(application.pk)
        before = application.state
        try:
            application.withdraw()
        except TransitionNotAllowed:
            raise StateConflict(_("This application can no longer be withdrawn."), state=application.state) from None
        application.save()
        name_release(application=application)
        application_audit(
            application,
            "application.withdrawn",
            actor=user,
            before={"state": before},
            after={"state": application.state},
        )
    return application


def application_delete_draft(*, application: Application, user: User) -> None:
    """Delete a draft that was never submitted (nothing was sent anywhere, no name was held). The audit trail keeps
    that it existed and was deleted. Raises StateConflict for anything past the draft: that is withdrawn instead."""
    with transaction.atomic():
        application = application_lock(application.pk)
        if not application.is_unsent_draft:
            raise StateConflict(
                _("Only a draft that was never submitted can be deleted; withdraw the application instead."),
                state=application.state,
            )
        application_audit(application, "application.draft_deleted", actor=user, before={"state": application.state})
        try:
            application.delete()
        except ProtectedError:
            raise StateConflict(
                _("This draft is referred to by the register and cannot be deleted; withdraw it instead."),
                state=application.state,
            ) from None


# --- After a department's decision ----------------------------------------------------------------------------


def application_complete_if_done(application: Application, actor: User | None) -> None:
    """A registration is complete when every routed filing is approved. A change is complete when every department
    concerned has decided (a refusal stays visible on its filing), or at once when it concerned none."""
    states = list(application.filings.values_list("state", flat=True))
    if application.kind == Application.Kind.CHANGE:
        done = (FilingState.APPROVED, FilingState.REJECTED)
        if not can_proceed(application.complete) or any(s not in done for s in states):
            return
    elif not can_proceed(application.complete) or not states or any(s != FilingState.APPROVED for s in states):
        return
    if set(application.filings.values_list("department__code", flat=True)) < set(application.routed):
        return
    application.complete()
    application.save()
    application_audit(application, "application.completed", actor=actor, after={"state": application.state})
    if application.kind == Application.Kind.ARCHIVE_COPY:
        filing = application.filings.select_related("department").get()  # a copy request has exactly one filing
        title = Text(gettext_noop("Printed archive copy ready"))
        body = Text(gettext_noop("%(department)s has your printed copy: %(reference)s"),
                    department=filing.department.names, reference=filing.reference_no)  # fmt: skip
    elif application.kind == Application.Kind.CHANGE:
        title = Text(gettext_noop("Change complete"))
        body = Text(gettext_noop("Every department concerned has taken the change on record."))
    else:
        title = Text(gettext_noop("Registration complete"))
        body = Text(gettext_noop("Every department has approved. Your receipt is ready."))
    notify(user=application.applicant, title=title, body=body, url=f"/applications/{application.pk}/")


def application_licence_issue(application: Application, actor: User | None) -> Enterprise:
    """AIC approved: issue a unique USCC, record the enterprise, release every other routed department."""
    data = application.data
    today = beijing_today()
    enterprise = None
    for _attempt in range(20):
        try:
            with transaction.atomic():
                enterprise = Enterprise.objects.create(
                    uscc=uscc_generate(),
                    name_zh=data["name_zh"],
                    name_key=name_key(data["name_zh"]),
                    entity_type=data["entity_type"],
                    established_on=today,
                    data=register_data(data),
                    owner=application.applicant,
                )
            break
        except IntegrityError:
            continue  # the random code was taken: draw another (1 in ~10^9 per draw)
    if enterprise is None:
        raise RuntimeError("could not draw a free unified social credit code")
    EnterpriseChange.objects.create(
        enterprise=enterprise, actor=actor if getattr(actor, "pk", None) else None, application=application,
        before={}, after=enterprise.data,
    )  # fmt: skip
    name_pass_to_enterprise(application=application, enterprise=enterprise)
    application.issue_licence(enterprise=enterprise)
    application.save()
    audit_record(
        action="enterprise.licensed",
        obj_type="enterprise",
        obj_id=enterprise.uscc,
        actor=actor,
        application_id=application.pk,
        after={"uscc": enterprise.uscc, "name_zh": enterprise.name_zh, "established_on": enterprise.established_on},
    )
    application_audit(
        application,
        "application.licence_issued",
        actor=actor,
        before={"state": "submitted"},
        after={"state": application.state, "uscc": enterprise.uscc},
    )
    others = [code for code in application.routed if code != "AIC"]
    filings_create(application=application, codes=others)
    filings_release(application=application, data=projection_data(application))
    notify(
        user=application.applicant,
        title=Text(gettext_noop("Business licence issued")),
        body=Text(gettext_noop("%(name)s is registered with the unified social credit code %(uscc)s. The other "
                               "departments have received your filings."),
                  name=enterprise.name_zh, uscc=enterprise.uscc),
        url=f"/applications/{application.pk}/",
    )  # fmt: skip
    application_complete_if_done(application, actor)
    return enterprise

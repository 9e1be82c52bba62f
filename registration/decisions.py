"""What a department's decision means for an application, and the port through which `departments` reports its
decisions (departments/ports.py). This module sits above services, changes and to-dos so that none of them need
to know about each other's reactions to a decision."""

from __future__ import annotations

from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from departments.filings import filings_release
from departments.models import Filing, FilingKind, FilingState
from departments.ports import PrintedCopy
from portal.models import User
from portal.services import notify
from portal.texts import Text

from .archive_copies import archive_copy_document
from .changes import change_after_review
from .models import Application, ApplicationState
from .names import name_release
from .selectors import enterprise_filings_held, projection_data
from .services import application_audit, application_complete_if_done, application_licence_issue, application_lock
from .todos import todos_close_for


class RegistrationDecisions:
    """Registration's implementation of `departments.ports.RegistrationPort`, plugged in by `RegistrationConfig`."""

    def application_lock(self, application_id: int) -> None:
        application_lock(application_id)

    def after_decision(self, *, filing: Filing, actor: User | None) -> None:
        application_after_filing_decision(filing=filing, actor=actor)

    def printed_copy(self, *, filing: Filing) -> PrintedCopy | None:
        return archive_copy_document(filing)


def application_after_filing_decision(*, filing: Filing, actor: User | None) -> None:
    """What a department's decision means for the application: the licence (AIC approves a registration), a
    refusal, a correction request, released prerequisites, completion, a change applied (AIC approves a change).
    Called through `departments.ports` in the deciding transaction, with the application locked."""
    # The deciding transaction locked the application, then read the filing with it: that read is current.
    application = filing.application
    code = filing.department.code
    if filing.kind == FilingKind.CHANGE_REVIEW:
        change_after_review(application=application, filing=filing, actor=actor)
        return
    if filing.state in (FilingState.APPROVED, FilingState.REJECTED):
        todos_close_for(filing)
    if code == "AIC" and filing.state == FilingState.APPROVED and application.state == ApplicationState.SUBMITTED:
        application_licence_issue(application, actor)
        return
    if code == "AIC" and filing.state == FilingState.REJECTED and application.state == ApplicationState.SUBMITTED:
        application.reject()
        application.save()
        name_release(application=application)
        application_audit(
            application, "application.rejected", actor=actor, after={"state": application.state}, message=filing.message
        )
        notify(
            user=application.applicant,
            title=Text(gettext_noop("Registration refused")),
            body=Text(gettext_noop("Market supervision refused the registration: %(reason)s"), reason=filing.message),
            url=f"/applications/{application.pk}/",
        )
        return
    if filing.state == FilingState.CORRECTION_REQUESTED:
        _correction_requested(application, filing, actor)
        return
    if filing.state == FilingState.APPROVED:
        held = None
        if application.kind == Application.Kind.CHANGE and application.enterprise is not None:
            held = enterprise_filings_held(application.enterprise, exclude=application)
        filings_release(application=application, data=lambda: projection_data(application), held=held)
        application_complete_if_done(application, actor)
        return
    if filing.state == FilingState.REJECTED:
        notify(
            user=application.applicant,
            title=Text(gettext_noop("%(department)s refused its filing"), department=filing.department.names),
            body=filing.message,
            url=f"/applications/{application.pk}/",
        )
        if application.kind == Application.Kind.ARCHIVE_COPY and application.state == ApplicationState.IN_PROGRESS:
            application.refuse_copy()
            application.save()
            application_audit(application, "application.rejected", actor=actor, after={"state": application.state},
                              message=filing.message)  # fmt: skip
        else:
            application_complete_if_done(application, actor)


def _correction_requested(application: Application, filing: Filing, actor: User | None) -> None:
    before = application.state
    if not can_proceed(application.request_correction):
        return  # withdrawn or refused meanwhile: nothing is left to correct
    reason = f"{filing.department.name}: {filing.message}"
    application.request_correction(items=filing.correction_items, reason=reason)
    application.save()
    application_audit(
        application,
        "application.correction_requested",
        actor=actor,
        before={"state": before},
        after={"state": application.state, "items": application.editable_items},
        message=reason,
    )
    notify(
        user=application.applicant,
        title=Text(gettext_noop("Please correct your application")),
        body=reason,
        url=f"/applications/{application.pk}/",
    )

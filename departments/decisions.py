"""A department's decisions on its filings (a clerk in the workbench or the API, or the department system's
callback): approve, reject, send back for correction; which items may be sent back; and the first opening of a
filing by a clerk. Each decision locks the application first, then the filing, and tells registration what it means
through the port (departments/ports.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from forms_engine.compose import items_needed
from forms_engine.display import item_label
from forms_engine.selectors import data_item_specs, form_version_spec
from portal.audit import audit_record_many
from portal.calendar import beijing_today
from portal.errors import PortalError, StateConflict
from portal.models import User

from .filings import filing_audit_event
from .models import REASON_MAX_LENGTH, REFERENCE_MAX_LENGTH, Filing, FilingKind, FilingState
from .ports import registration_port


def correction_items_offered(filing: Filing) -> list[str]:
    """The items a department may send back to the applicant, in dictionary order: those its form (the version
    this filing was built with) reads and the applicant types. Once the enterprise holds its licence, register
    items are not among them: the register changes only through a change registration that market supervision
    reviews (one copy of the truth), never through another department's correction."""
    if filing.kind != FilingKind.REGISTRATION or filing.form_version is None:
        return []
    items = data_item_specs()
    needed = items_needed([form_version_spec(filing.form_version)])
    licensed = filing.application.enterprise_id is not None
    return [
        key
        for key, item in items.items()
        if key in needed and not item.issued and not (licensed and not item.department_specific)
    ]


def correction_items_errors(filing: Filing, items: Any) -> list[str]:
    """Why `items` cannot be sent back for correction (empty when they can): a non-empty list of item keys,
    each one the department's form reads and, after the licence, not a register item."""
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        return [_("Name at least one item the applicant must correct.")]
    offered = set(correction_items_offered(filing))
    specs = data_item_specs()
    errors = []
    for key in dict.fromkeys(items):
        if key in offered:
            continue
        label = item_label(key)
        if key in specs and filing.application.enterprise_id is not None and not specs[key].department_specific:
            errors.append(
                _("%(item)s (%(key)s) is in the register: it changes only through a change registration that "
                  "market supervision reviews; ask the enterprise to file one.") % {"item": label, "key": key}
            )  # fmt: skip
        elif key in specs:
            errors.append(_("%(item)s (%(key)s) is not on your department's form.") % {"item": label, "key": key})
        else:
            errors.append(_("%(key)s is not a data item.") % {"key": key})
    return errors


def decision_text_errors(*, reason: str, reference_no: str) -> dict[str, list[str]]:
    """Text longer than its column is refused with a message, never cut (the applicant reads the reason)."""
    errors = {}
    if len(reason) > REASON_MAX_LENGTH:
        errors["reason"] = [_("The reason may have at most %(n)d characters (this has %(len)d).")
                            % {"n": REASON_MAX_LENGTH, "len": len(reason)}]  # fmt: skip
    if len(reference_no) > REFERENCE_MAX_LENGTH:
        errors["reference_no"] = [_("The reference number may have at most %(n)d characters (this has %(len)d).")
                                  % {"n": REFERENCE_MAX_LENGTH, "len": len(reference_no)}]  # fmt: skip
    return errors


def filing_approve(
    *, filing_id: int, actor: User | None = None, reference_no: str = "", note: str = "", round: int | None = None
) -> tuple[Filing, bool]:
    """The department approves the filing under its reference number (one is made when it gives none).
    Returns (filing, changed); see `_filing_decide` for `round`, replays and errors."""

    def approve(filing: Filing) -> None:
        filing.approve(by=actor, reference_no=reference_no or filing.reference_no or _reference_for(filing), note=note)

    return _filing_decide(
        filing_id, FilingState.APPROVED, approve, actor=actor, round=round, reason=note, reference_no=reference_no
    )


def filing_reject(
    *, filing_id: int, actor: User | None = None, reason: str = "", round: int | None = None
) -> tuple[Filing, bool]:
    """The department refuses the filing; `reason` is what the applicant reads. Returns (filing, changed)."""
    return _filing_decide(
        filing_id, FilingState.REJECTED, lambda f: f.reject(by=actor, reason=reason), actor=actor, round=round,
        reason=reason,
    )  # fmt: skip


def filing_correction_request(
    *, filing_id: int, items: Any, reason: str, actor: User | None = None, round: int | None = None
) -> tuple[Filing, bool]:
    """The department sends the application back with the named items to correct (a registration only; items
    its form reads, and after the licence no register items). Returns (filing, changed)."""

    def check(filing: Filing) -> None:
        if filing.kind != FilingKind.REGISTRATION:
            # Only a registration goes back to the applicant's cloud form; a change or a copy request is decided.
            raise PortalError(
                _("Only a registration can be sent back for correction; approve or reject this one."),
                {"decision": [_("Use approved or rejected.")]},
            )
        problems = correction_items_errors(filing, items)
        if problems:
            raise PortalError(_("These items cannot be sent back for correction."), {"items": problems})

    def request(filing: Filing) -> None:
        filing.request_correction(by=actor, items=items, reason=reason)

    return _filing_decide(
        filing_id, FilingState.CORRECTION_REQUESTED, request, actor=actor, round=round, reason=reason, check=check
    )


def _filing_decide(
    filing_id: int,
    target: FilingState,
    transition: Callable[[Filing], None],
    *,
    actor: User | None,
    round: int | None,
    reason: str = "",
    reference_no: str = "",
    check: Callable[[Filing], None] | None = None,
) -> tuple[Filing, bool]:
    """Record a decision with the application and the filing locked (in that order), audit it, and tell
    registration what it means. Returns (filing, changed).

    `round` is given by department callbacks: the delivery round the decision answers. A decision for an earlier
    round is stale, and the same decision again is a replay: neither changes anything (changed is False). A
    round that was never delivered is refused. A decision may arrive before the department's answer to the
    delivery was recorded (the filing is still queued, or failed after its retries): the department evidently has
    the filing, so it is marked dispatched first. Without `round` (a clerk) a decided filing answers 409.
    Raises PortalError (400) for text too long or a decision `check` refuses; StateConflict (409) for a transition
    the filing's state does not allow."""
    errors = decision_text_errors(reason=reason, reference_no=reference_no)
    if errors:
        raise PortalError(_("The request has errors; see “errors”."), errors)
    registration = registration_port()
    with transaction.atomic():
        registration.application_lock(Filing.objects.values_list("application_id", flat=True).get(pk=filing_id))
        filing = (
            Filing.objects.select_for_update(of=("self",))  # form_version is an outer join: lock the filing only
            .select_related("department", "application__enterprise", "application__applicant", "form_version")
            .get(pk=filing_id)
        )
        if round is not None:
            if round < filing.round:
                return filing, False  # answers an earlier delivery: the applicant has since resubmitted
            if round > filing.round:
                raise PortalError(
                    _("The request has errors; see “errors”."),
                    {"round": [_("This filing was never delivered in round %(round)d; it is in round %(current)d.")
                               % {"round": round, "current": filing.round}]},
                )  # fmt: skip
            if filing.state == target and (not reference_no or reference_no == filing.reference_no):
                return filing, False  # the same decision again
        if check is not None:
            check(filing)
        events: list[dict] = []
        if round is not None and filing.state in (FilingState.QUEUED, FilingState.FAILED):
            filing.dispatch()
            events.append(
                filing_audit_event(filing, "filing.dispatched", after={"state": "dispatched"},
                       message="the department's decision arrived before its answer to the delivery")
            )  # fmt: skip
        before = {"state": filing.state, "reference_no": filing.reference_no}
        try:
            transition(filing)
        except TransitionNotAllowed:
            raise StateConflict(
                _("This filing cannot be %(decision)s now.") % {"decision": target.value}, state=filing.state
            ) from None
        try:
            filing.save()
        except ConcurrentTransition:
            raise StateConflict(_("Someone else decided this filing at the same moment."), state=filing.state) from None
        events.append(
            filing_audit_event(filing, f"filing.{target.value}", actor=actor, before=before,
                   after={"state": filing.state, "reference_no": filing.reference_no, "items": filing.correction_items},
                   message=reason)
        )  # fmt: skip
        audit_record_many(events)
        registration.after_decision(filing=filing, actor=actor)
    return filing, True


def _reference_for(filing: Filing) -> str:
    return f"{filing.department.code}-{beijing_today():%Y%m%d}-{filing.pk:06d}"


def filing_open(*, filing: Filing, clerk: User) -> None:
    """A clerk opened the filing: the start of their handling time (only the first opening of a round counts)."""
    if filing.opened_at is None and filing.state == FilingState.DISPATCHED:
        Filing.objects.filter(pk=filing.pk, opened_at__isnull=True).update(opened_at=timezone.now())

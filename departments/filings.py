"""Filings (办件): creation, release, delivery through adapters, and decisions.

The database is the source of truth for delivery: a filing is claimed with a conditional UPDATE (a lease), the
adapter is called outside any transaction, and the outcome is written back under a row lock. Broker messages are
only hints to act now; the beat sweep (`filings_sweep`) finds due work whose message was lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from forms_engine.compose import items_needed
from forms_engine.display import item_label
from forms_engine.projection import project
from forms_engine.selectors import CurrentForm, data_item_specs, form_version_spec, forms_current
from portal.audit import audit_record_many
from portal.calendar import beijing_today
from portal.errors import PortalError, StateConflict
from portal.models import User

from .adapters import Delivered, Delivery, Refused, TransientError, adapter_for, delivery_policy
from .models import Department, Filing, FilingKind, FilingState
from .ports import FilingOwner, registration_port
from .tasks import deliver_filing

logger = logging.getLogger(__name__)
# Doubling stops here: a department down for a day is tried again at least every hour until the limit.
MAX_BACKOFF_SECONDS = 3600.0


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _dispatch_inline(filing: Filing, events: list[dict]) -> bool:
    """Deliver a just-queued filing now when its adapter needs no I/O (a clerk queue: delivering is only a state
    change, done in the same transaction, nothing for a broker to lose). The caller saves; returns False when a
    worker must deliver (the caller enqueues after saving)."""
    if not adapter_for(filing.department.adapter_kind).inline:
        return False
    filing.dispatch()
    filing.attempts += 1
    events.append(_event(filing, "filing.dispatched", after={"state": "dispatched"}))
    return True


def _enqueue(filing: Filing, countdown: float = 0) -> None:
    """Ask a worker to deliver after commit: a rolled-back release must never be delivered."""
    queue = filing.department.queue
    filing_id = filing.pk
    transaction.on_commit(lambda: deliver_filing.apply_async((filing_id,), queue=queue, countdown=countdown))


def _event(
    filing: Filing, action: str, before: Any = None, after: Any = None, message: str = "", actor: User | None = None
) -> dict:
    """An audit event about a filing, for `audit_record_many`; without an actor the department acted."""
    return {
        "action": action,
        "obj_type": "filing",
        "obj_id": filing.pk,
        "actor": actor,
        "actor_label": "" if actor is not None else filing.department.code,
        "application_id": filing.application_id,
        "before": before,
        "after": after,
        "message": message,
    }


def _audit(
    filing: Filing, action: str, actor: User | None = None, before: Any = None, after: Any = None, message: str = ""
) -> None:
    audit_record_many([_event(filing, action, before, after, message, actor)])


def filings_create(*, application: FilingOwner, codes: list[str], kind: str = FilingKind.REGISTRATION) -> list[Filing]:
    """One `waiting` filing per routed department (those already there are kept)."""
    existing = set(application.filings.values_list("department__code", flat=True))
    departments = [d for d in Department.objects.filter(code__in=codes) if d.code not in existing]
    created = Filing.objects.bulk_create(Filing(application=application, department=d, kind=kind) for d in departments)
    if created and created[0].pk is None:  # backends that do not return ids from a bulk insert
        created = list(application.filings.filter(department__in=departments).select_related("department"))
    audit_record_many(
        [_event(f, "filing.created", after={"state": f.state, "department": f.department.code}) for f in created]
    )
    return created


def _project(
    filing: Filing, data: dict, references: dict[str, str], forms: dict[str, CurrentForm], items: dict
) -> tuple[int, dict, str]:
    current = forms.get(filing.department.code)
    if current is None:
        raise PortalError(_("Department %(code)s has no published form.") % {"code": filing.department.code})
    projection = project(data, current.spec, items, references)
    if projection.errors:
        # Validated data that a department's form still cannot take is a configuration fault: say where.
        raise PortalError(
            _("The %(code)s form cannot be filled from this application.") % {"code": filing.department.code},
            {f"{filing.department.code}.{name}": [message] for name, message in projection.errors.items()},
        )
    return current.version_id, projection.payload, payload_hash(projection.payload)


def items_missing(code: str, data: dict, forms: dict[str, CurrentForm], items: dict) -> list[str]:
    """Required items the department's form reads that `data` lacks (a department newly routed by a change may
    need items the enterprise was never asked for)."""
    current = forms.get(code)
    if current is None:
        return []
    needed = items_needed([current.spec]) & set(items)
    return sorted(k for k in needed if items[k].required and not items[k].issued and data.get(k) in (None, "", [], {}))


def _prerequisites_met(filing: Filing, by_code: dict[str, Filing]) -> tuple[bool, dict[str, str]]:
    references = {}
    for prerequisite in filing.department.prerequisites.all():
        other = by_code.get(prerequisite.code)
        if other is None:
            continue  # not routed for this application: nothing to wait for
        if other.state != FilingState.APPROVED:
            return False, {}
        references[prerequisite.code] = other.reference_no
    return True, references


def filings_release(*, application: FilingOwner, data: dict, held: dict[str, Filing] | None = None) -> list[Filing]:
    """Release every waiting filing whose routed prerequisites are approved: project its payload, pin the form
    version, queue it. Call inside the transaction that changed the application (it is locked by the caller).

    `held`: the enterprise's filings from earlier applications by department, so a change's new filing can rely on
    a prerequisite approved long ago. A new obligation whose form needs items the enterprise has not given yet
    stays waiting (its todo asks for them)."""
    filings = list(
        application.filings.select_for_update()
        .select_related("department")
        .prefetch_related("department__prerequisites")
    )
    held = held or {}
    by_code = {**held, **{f.department.code: f for f in filings}}
    forms, items = forms_current(), data_item_specs()
    released: list[Filing] = []
    events: list[dict] = []
    for filing in filings:
        if filing.state != FilingState.WAITING or not filing.uses_department_form:
            continue
        code = filing.department.code
        if filing.kind == FilingKind.UPDATE:
            # The department registered the enterprise long ago: its prerequisites were met then, and the update
            # carries the reference numbers its registration carried.
            ready, references = True, dict(held[code].references) if code in held else {}
        else:
            ready, references = _prerequisites_met(filing, by_code)
        if not ready:
            continue
        if filing.kind == FilingKind.NEW_OBLIGATION and (code not in forms or items_missing(code, data, forms, items)):
            continue  # waits for a published form, or for the items its todo asks for
        version_id, payload, digest = _project(filing, data, references, forms, items)
        after = {"state": "queued", "form_version": forms[filing.department.code].number}
        _release(filing, version_id, payload, digest, references, after, events)
        released.append(filing)
    audit_record_many(events)
    return released


def filing_release_payload(*, filing: Filing, payload: dict) -> Filing:
    """Release a filing with a payload that is not projected from a department form (a change to review, an
    archive-copy request)."""
    events: list[dict] = []
    _release(filing, None, payload, payload_hash(payload), {}, {"state": "queued", "kind": filing.kind}, events)
    audit_record_many(events)
    return filing


def _release(filing, version_id, payload, digest, references, after, events) -> None:
    filing.release(form_version_id=version_id, payload=payload, payload_hash=digest, references=references)
    events.append(_event(filing, "filing.released", before={"state": "waiting"}, after=after))
    inline = _dispatch_inline(filing, events)
    filing.save()
    if not inline:
        _enqueue(filing)


def filings_resend_changed(
    *, application: FilingOwner, data: dict, always: set[str], frozen: frozenset[str] = frozenset()
) -> list[Filing]:
    """After the applicant's corrections: a new delivery round for each released filing whose payload changed,
    and for the departments in `always` (those that asked for the correction). Departments in `frozen` keep what
    they decided (market supervision after the licence: its record changes only through a change registration)."""
    resent: list[Filing] = []
    events: list[dict] = []
    filings = list(application.filings.select_for_update().select_related("department"))
    by_code = {f.department.code: f for f in filings}
    forms, items = forms_current(), data_item_specs()
    for filing in filings:
        if filing.state == FilingState.WAITING or not filing.uses_department_form or filing.department.code in frozen:
            continue
        _ready, references = _prerequisites_met(filing, by_code)
        version_id, payload, digest = _project(filing, data, references or filing.references, forms, items)
        if digest == filing.payload_hash and filing.department.code not in always:
            continue
        before = {"state": filing.state, "round": filing.round, "payload_hash": filing.payload_hash}
        filing.resend(form_version_id=version_id, payload=payload, payload_hash=digest, references=filing.references)
        events.append(_event(filing, "filing.resent", before=before, after={"state": "queued", "round": filing.round}))
        inline = _dispatch_inline(filing, events)
        filing.save()
        if not inline:
            _enqueue(filing)
        resent.append(filing)
    audit_record_many(events)
    return resent


# --- Delivery -------------------------------------------------------------------------------------------------


def _claim(filing_id: int, now: dt.datetime) -> bool:
    """Take the filing for one delivery attempt: one worker at a time, only when due, only while queued."""
    lease = now + dt.timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    return bool(
        Filing.objects.filter(pk=filing_id, state=FilingState.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=lease)
    )


def filing_deliver(*, filing_id: int) -> str:
    """One delivery attempt (the Celery task calls this). Idempotent: a filing that is not due, not queued, or held
    by another worker is skipped. Returns what happened, for logs and tests."""
    now = timezone.now()
    if not _claim(filing_id, now):
        return "skipped"
    filing = Filing.objects.select_related("department", "form_version").get(pk=filing_id)
    delivery = Delivery(
        filing_id=filing.pk,
        department=filing.department.code,
        round=filing.round,
        payload=filing.payload or {},
        payload_hash=filing.payload_hash,
        kind=filing.kind,
        form_version=filing.form_version.number if filing.form_version else 0,
        config=filing.department.adapter_config,
        secret=filing.department.hmac_secret,
    )
    try:
        result: Delivered | Refused | TransientError = adapter_for(filing.department.adapter_kind).deliver(delivery)
    except TransientError as exc:
        result = exc
    except Exception as exc:  # an adapter bug must not lose the filing: count it as a failed attempt
        logger.exception("adapter crashed delivering filing %s", filing_id)
        result = TransientError(f"{type(exc).__name__}: {exc}")
    return _record_attempt(filing.application_id, filing_id, delivery, result)


def _record_attempt(
    application_id: int, filing_id: int, delivery: Delivery, result: Delivered | Refused | TransientError
) -> str:
    # Only the delivery bookkeeping is written back: the payload (kilobytes) was not changed by an attempt.
    bookkeeping = ["state", "attempts", "claimed_until", "last_error", "next_attempt_at", "updated_at"]
    registration = registration_port()
    with transaction.atomic():
        registration.application_lock(application_id)
        filing = Filing.objects.select_for_update().select_related("department").get(pk=filing_id)
        if filing.state != FilingState.QUEUED or filing.round != delivery.round:
            if isinstance(result, Delivered) and result.reference and not filing.reference_no and (
                filing.round == delivery.round
            ):
                # The department decided before its answer to the delivery was recorded (its callback came
                # first); keep the reference number the answer carries if the decision gave none.
                Filing.objects.filter(pk=filing.pk).update(reference_no=result.reference[:REFERENCE_MAX_LENGTH])
            return "stale"  # resent or decided meanwhile: this attempt's outcome no longer matters
        policy, _problems = delivery_policy(delivery.config)
        filing.attempts += 1
        filing.claimed_until = None
        if isinstance(result, TransientError):
            filing.last_error = str(result)[:2000]
            if filing.attempts >= policy.max_attempts:
                filing.fail()
                filing.save(update_fields=bookkeeping)
                _audit(filing, "filing.failed", after={"attempts": filing.attempts}, message=filing.last_error)
                return "failed"
            delay = min(policy.backoff_seconds * 2 ** (filing.attempts - 1), MAX_BACKOFF_SECONDS)
            filing.next_attempt_at = timezone.now() + dt.timedelta(seconds=delay)
            filing.save(update_fields=bookkeeping)
            _audit(
                filing,
                "filing.attempt_failed",
                after={"attempts": filing.attempts, "retry_in": delay},
                message=filing.last_error,
            )
            _enqueue(filing, countdown=delay)
            return "retry"
        if isinstance(result, Refused):
            filing.reject(reason=result.reason)
            filing.last_error = ""
            filing.save()
            _audit(filing, "filing.refused_on_delivery", after={"state": filing.state}, message=result.reason)
            registration.after_decision(filing=filing, actor=None)
            return "refused"
        filing.dispatch()
        filing.last_error = ""
        if result.reference:
            filing.reference_no = result.reference
        filing.save(update_fields=[*bookkeeping, "dispatched_at", "due_at", "reference_no"])
        _audit(filing, "filing.dispatched", after={"state": filing.state, "reference_no": filing.reference_no})
        return "dispatched"


def filings_sweep() -> int:
    """Re-enqueue queued filings that are due and held by no worker (their broker message may be lost)."""
    now = timezone.now()
    grace = dt.timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS)
    due = (
        Filing.objects.filter(state=FilingState.QUEUED, next_attempt_at__lte=now - grace)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .select_related("department")
    )
    count = 0
    for filing in due:
        deliver_filing.apply_async((filing.pk,), queue=filing.department.queue)
        count += 1
    return count


def filing_redispatch(*, filing: Filing, actor: User | None) -> Filing:
    """An operator sends a failed filing again."""
    with transaction.atomic():
        filing = Filing.objects.select_for_update().select_related("department").get(pk=filing.pk)
        try:
            filing.redispatch()
        except TransitionNotAllowed:
            raise StateConflict(_("Only a failed delivery can be re-dispatched."), state=filing.state) from None
        events = [_event(filing, "filing.redispatched", {"state": "failed"}, {"state": "queued"}, actor=actor)]
        inline = _dispatch_inline(filing, events)
        filing.save()
        if not inline:
            _enqueue(filing)
        audit_record_many(events)
    return filing


# --- Decisions ------------------------------------------------------------------------------------------------

# What a clerk or a department system may write with a decision; longer text is refused, never cut.
REASON_MAX_LENGTH = 1000
REFERENCE_MAX_LENGTH = 60


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
            .select_related("department", "application", "form_version")
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
                _event(filing, "filing.dispatched", after={"state": "dispatched"},
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
            _event(filing, f"filing.{target.value}", actor=actor, before=before,
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

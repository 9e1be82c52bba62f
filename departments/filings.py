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
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from forms_engine.compose import items_needed
from forms_engine.projection import project
from forms_engine.selectors import CurrentForm, data_item_specs, forms_current
from portal.audit import audit_record_many
from portal.errors import PortalError, StateConflict
from portal.models import User

from .adapters import Delivered, Delivery, Refused, TransientError, adapter_for, delivery_policy
from .models import REFERENCE_MAX_LENGTH, Department, Filing, FilingKind, FilingState
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
    events.append(filing_audit_event(filing, "filing.dispatched", after={"state": "dispatched"}))
    return True


def _enqueue(filing: Filing, countdown: float = 0) -> None:
    """Ask a worker to deliver after commit: a rolled-back release must never be delivered."""
    queue = filing.department.queue
    filing_id = filing.pk
    transaction.on_commit(lambda: deliver_filing.apply_async((filing_id,), queue=queue, countdown=countdown))


def _signature_evidence(filing: Filing) -> tuple[dict[str, Any], ...]:
    """The signatures on what the application submitted, as delivered to a registration's department."""
    if filing.kind != FilingKind.REGISTRATION:
        return ()
    accepted = filing.department.accepted_ca_codes  # a department that names CAs gets the signatures it accepts
    return tuple(
        {"signer": s.signer, "name": s.name, "ca": s.ca_code, "ca_version": s.ca_version, "serial": s.serial,
         "signing_time": s.signing_time.isoformat() if s.signing_time else None,
         "verified_at": s.verified_at.isoformat()}
        for s in filing.application.submitted_signatures()
        if not accepted or s.ca_code in accepted
    )  # fmt: skip


def filing_audit_event(
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
    audit_record_many([filing_audit_event(filing, action, before, after, message, actor)])


def filings_create(*, application: FilingOwner, codes: list[str], kind: str = FilingKind.REGISTRATION) -> list[Filing]:
    """One `waiting` filing per routed department (those already there are kept)."""
    existing = set(application.filings.values_list("department__code", flat=True))
    departments = [d for d in Department.objects.filter(code__in=codes) if d.code not in existing]
    created = Filing.objects.bulk_create(Filing(application=application, department=d, kind=kind) for d in departments)
    if created and created[0].pk is None:  # backends that do not return ids from a bulk insert
        created = list(application.filings.filter(department__in=departments).select_related("department"))
    audit_record_many(
        [
            filing_audit_event(f, "filing.created", after={"state": f.state, "department": f.department.code})
            for f in created
        ]
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


PAYLOAD_FIELDS = ("payload", "previous_payload")  # what a release writes, never reads


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


def filings_release(
    *, application: FilingOwner, data: dict | Callable[[], dict], held: dict[str, Filing] | None = None
) -> list[Filing]:
    """Release every waiting filing whose routed prerequisites are approved: project its payload, pin the form
    version, queue it. Call inside the transaction that changed the application (it is locked by the caller).

    `data`: what the forms read, or a function that gives it, called only when some filing is ready (after most
    decisions none is, and reading the data and the forms would be wasted).
    `held`: the enterprise's filings from earlier applications by department, so a change's new filing can rely on
    a prerequisite approved long ago. A new obligation whose form needs items the enterprise has not given yet
    stays waiting (its todo asks for them)."""
    # Called after every decision: the payloads (kilobytes of JSON each) are read only for a filing released now,
    # and the departments' prerequisites only when some filing waits.
    filings = list(application.filings.select_for_update().select_related("department").defer(*PAYLOAD_FIELDS))
    waiting = [f for f in filings if f.state == FilingState.WAITING and f.uses_department_form]
    if not waiting:
        return []
    prefetch_related_objects(waiting, "department__prerequisites")
    held = held or {}
    by_code = {**held, **{f.department.code: f for f in filings}}
    ready: list[tuple[Filing, dict]] = []
    for filing in waiting:
        code = filing.department.code
        if filing.kind == FilingKind.UPDATE:
            # The department registered the enterprise long ago: its prerequisites were met then, and the update
            # carries the reference numbers its registration carried.
            met, references = True, dict(held[code].references) if code in held else {}
        else:
            met, references = _prerequisites_met(filing, by_code)
        if met:
            ready.append((filing, references))
    if not ready:
        return []
    forms, items = forms_current(), data_item_specs()
    data = data() if callable(data) else data
    released: list[Filing] = []
    events: list[dict] = []
    for filing, references in ready:
        code = filing.department.code
        if filing.kind == FilingKind.NEW_OBLIGATION and (code not in forms or items_missing(code, data, forms, items)):
            continue  # waits for a published form, or for the items its todo asks for
        version_id, payload, digest = _project(filing, data, references, forms, items)
        after = {"state": "queued", "form_version": forms[code].number}
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
    events.append(filing_audit_event(filing, "filing.released", before={"state": "waiting"}, after=after))
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
        after = {"state": "queued", "round": filing.round}
        events.append(filing_audit_event(filing, "filing.resent", before=before, after=after))
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
    # The application comes in the same read: its signature evidence goes with a registration's delivery.
    filing = Filing.objects.select_related("department", "form_version", "application").get(pk=filing_id)
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
        signatures=_signature_evidence(filing),
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
        events = [
            filing_audit_event(filing, "filing.redispatched", {"state": "failed"}, {"state": "queued"}, actor=actor)
        ]
        inline = _dispatch_inline(filing, events)
        filing.save()
        if not inline:
            _enqueue(filing)
        audit_record_many(events)
    return filing

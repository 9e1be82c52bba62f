"""The audit trail: `audit_record` appends a hash-chained `AuditEvent`; `audit_chain_verify` finds tampering."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


GENESIS = "0" * 64


def _chained_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "stream": event.stream,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "application_id": event.application_id,
        "before": event.before,
        "after": event.after,
        "message": event.message,
    }


def audit_record(
    *,
    action: str,
    obj_type: str,
    obj_id: Any,
    actor: Any = None,
    actor_label: str = "",
    application_id: int | None = None,
    before: Any = None,
    after: Any = None,
    message: str = "",
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction so the event exists exactly when the change does.

    Callers that change an application hold its row lock already, so taking the stream head's lock here keeps one
    lock order everywhere (application, then its filings or its audit head) and cannot deadlock.
    """
    return audit_record_many(
        [
            {
                "action": action, "obj_type": obj_type, "obj_id": obj_id, "actor": actor, "actor_label": actor_label,
                "application_id": application_id, "before": before, "after": after, "message": message,
            }
        ]
    )[0]  # fmt: skip


def _stream(application_id: int | None, obj_type: str, obj_id: Any) -> str:
    # One chain per application (its row lock is already held by every writer); one per object elsewhere.
    return f"application:{application_id}" if application_id is not None else f"{obj_type}:{obj_id}"


def audit_record_many(events: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append several events (keyword arguments of `audit_record` each) with one lock and insert per stream."""
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_stream.setdefault(_stream(e.get("application_id"), e["obj_type"], e["obj_id"]), []).append(e)
    written: list[AuditEvent] = []
    # Inside the caller's transaction no savepoint (two statements per call): an error here must undo the caller's
    # change with it anyway, as the event exists exactly when the change does.
    with transaction.atomic(savepoint=False):
        for stream, items in by_stream.items():
            head = _head(stream)
            rows = []
            for e in items:
                event = _event(stream, head.last_hash, **e)
                head.last_hash = event.hash
                rows.append(event)
            _append(head, rows)
            written += rows
    return written


_COLUMNS = ("at", "actor_id", "actor_label", "action", "object_type", "object_id", "application_id", "before",
            "after", "message", "stream", "prev_hash", "hash")  # fmt: skip


def _append(head: AuditChainHead, rows: list[AuditEvent]) -> None:
    """Insert a stream's new events and move its head to the last one. On PostgreSQL one statement (the head's
    UPDATE in a WITH clause of the INSERT); elsewhere an INSERT and an UPDATE, as Django writes them."""
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_create(rows)
        head.save(update_fields=["last_hash"])
        return
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * len(rows))
    values = [_jsonb(getattr(r, c)) if c in ("before", "after") else getattr(r, c) for r in rows for c in _COLUMNS]
    head_table, event_table = AuditChainHead._meta.db_table, AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH moved AS (UPDATE "{head_table}" SET "last_hash" = %s WHERE "id" = %s) '  # noqa: S608 — our tables
            f'INSERT INTO "{event_table}" ({", ".join(_COLUMNS)}) VALUES {placeholders} RETURNING "id"',
            [head.last_hash, head.pk, *values],
        )
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):  # RETURNING keeps the order of VALUES
            row.pk = pk
            row._state.adding, row._state.db = False, connection.alias


def _jsonb(value: Any) -> Any:
    # JSONField's None is SQL NULL; anything else is stored as Django's field would (the same JSON encoding).
    from psycopg.types.json import Jsonb  # only on PostgreSQL

    return None if value is None else Jsonb(value)


def _event(
    stream: str,
    prev_hash: str,
    *,
    action: str,
    obj_type: str,
    obj_id: Any,
    actor: Any = None,
    actor_label: str = "",
    application_id: int | None = None,
    before: Any = None,
    after: Any = None,
    message: str = "",
) -> AuditEvent:
    event = AuditEvent(
        stream=stream,
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label or (str(actor) if actor is not None and not getattr(actor, "pk", None) else ""),
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        application_id=application_id,
        before=json.loads(json.dumps(before, cls=DjangoJSONEncoder)) if before is not None else None,
        after=json.loads(json.dumps(after, cls=DjangoJSONEncoder)) if after is not None else None,
        message=message,
        prev_hash=prev_hash,
    )
    event.hash = _digest(prev_hash, _chained_fields(event))
    return event


def _head(stream: str) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(stream=stream).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            return AuditChainHead.objects.create(stream=stream)
    except IntegrityError:  # another writer created it a moment ago: wait for its lock
        return AuditChainHead.objects.select_for_update().get(stream=stream)


def audit_chain_verify() -> int | None:
    """The id of the first event whose hash or link does not match (or of the last event of a stream whose head
    points elsewhere: rows deleted at the end), or None when every chain is intact."""
    last: dict[str, AuditEvent] = {}
    for event in AuditEvent.objects.order_by("stream", "id").iterator():
        prev = last[event.stream].hash if event.stream in last else GENESIS
        if event.prev_hash != prev or event.hash != _digest(prev, _chained_fields(event)):
            return event.id
        last[event.stream] = event
    for head in AuditChainHead.objects.all():
        event = last.get(head.stream)
        if (event.hash if event else GENESIS) != head.last_hash:
            return event.id if event else -1
    return None


def application_timeline(application_id: int) -> list[dict]:
    """What happened to an application and its filings, oldest first, from the audit trail (transitions,
    decisions, deliveries; data changes left out): the timeline both the applicant and the clerk see."""
    events = AuditEvent.objects.filter(application_id=application_id).select_related("actor").order_by("id")
    return [
        {
            "at": e.at,
            "action": e.action,
            "object": f"{e.object_type}:{e.object_id}",
            "actor": str(e.actor) if e.actor else e.actor_label,
            "state": (e.after or {}).get("state") if isinstance(e.after, dict) else None,
            "message": e.message,
            # What a sentence about the event names: a decision's reference number, the items sent back.
            "details": {k: e.after[k] for k in ("reference_no", "items") if k in e.after}
            if isinstance(e.after, dict)
            else {},
        }
        for e in events
        if e.action != "application.data_changed"
    ]

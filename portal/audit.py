"""The audit trail: `audit_record` appends a hash-chained `AuditEvent`; `audit_chain_verify` finds tampering."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEvent


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _chained_fields(event: AuditEvent) -> dict[str, Any]:
    return {
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
    """Append one event. Runs inside the caller's transaction so the event exists exactly when the change does."""
    with transaction.atomic():
        # The head row's lock orders concurrent writers: each links to the hash the previous writer left.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=actor_label or (str(actor) if actor is not None and not getattr(actor, "pk", None) else ""),
            action=action,
            object_type=obj_type,
            object_id=str(obj_id),
            application_id=application_id,
            before=json.loads(json.dumps(before, cls=DjangoJSONEncoder)) if before is not None else None,
            after=json.loads(json.dumps(after, cls=DjangoJSONEncoder)) if after is not None else None,
            message=message[:500],
            prev_hash=head.last_hash,
        )
        event.hash = _digest(head.last_hash, _chained_fields(event))
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
        return event


def audit_chain_verify() -> int | None:
    """The id of the first event whose hash or link does not match, or None when the chain is intact."""
    prev = "0" * 64
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.prev_hash != prev or event.hash != _digest(prev, _chained_fields(event)):
            return event.id
        prev = event.hash
    return None

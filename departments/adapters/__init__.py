"""Adapters deliver a filing's payload to its department (docs/ARCHITECTURE.md "Adapters").

Each adapter has one job: deliver and report `Delivered(reference)`, `Refused(reason)` or raise `TransientError`.
Which adapter a department uses, and its settings, are data on the `Department` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings


@dataclass(frozen=True)
class Delivery:
    """What an adapter is given: everything it needs, nothing it must look up."""

    filing_id: int
    department: str
    round: int
    payload: dict[str, Any]
    payload_hash: str
    form_version: int
    config: dict[str, Any]
    secret: str
    # registration | change_review | update | new_obligation | archive_copy (departments.models.FilingKind)
    kind: str = "registration"
    # The signatures on what was submitted, as the platform verified them (docs/signatures.md).
    signatures: tuple[dict[str, Any], ...] = ()

    @property
    def idempotency_key(self) -> str:
        # Same filing, same round, same payload → same key: a repeated delivery is recognised as a repeat.
        return f"{self.filing_id}-{self.round}-{self.payload_hash[:16]}"


@dataclass(frozen=True)
class Delivered:
    reference: str = ""


@dataclass(frozen=True)
class Refused:
    """The department's system refused the payload itself (its validation): a decision, not a transport error."""

    reason: str


class TransientError(Exception):
    """Could not deliver now (connection, timeout, 5xx); try again later."""


class Adapter(Protocol):
    inline: bool  # True: delivering is a state change in the portal itself, done in the releasing transaction

    def deliver(self, delivery: Delivery) -> Delivered | Refused: ...


# Settings a department's `adapter_config` may hold, with their bounds (admin-editable data, checked on save).
# One attempt never runs past its deadline, and the deadline is always shorter than the delivery lease, so no
# second worker can claim a filing while an attempt at it may still be talking to the department.
LEASE_MARGIN_SECONDS = 15.0


@dataclass(frozen=True)
class DeliveryPolicy:
    """How one department is delivered to: retries and time limits (seconds)."""

    max_attempts: int
    backoff_seconds: float
    connect_timeout: float
    read_timeout: float
    deadline_seconds: float  # the whole attempt: connect, send, wait, read


def _number(config: dict[str, Any], key: str, default: float, low: float, high: float, errors: dict) -> float:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        errors[key] = f"a number from {low:g} to {high:g}"
        return default
    return float(value)


def delivery_policy(config: Any, lease_seconds: float | None = None) -> tuple[DeliveryPolicy, dict[str, str]]:
    """The policy a department's settings give, and what is wrong with them (by key). Unset keys take the
    portal's defaults (DELIVERY_MAX_ATTEMPTS, DELIVERY_BACKOFF_SECONDS); a wrong value is reported and replaced
    by its default, so a bad setting can never stop deliveries. The deadline is capped below the lease."""
    config = config if isinstance(config, dict) else {}
    lease = float(lease_seconds if lease_seconds is not None else settings.DELIVERY_LEASE_SECONDS)
    ceiling = max(lease - LEASE_MARGIN_SECONDS, 1.0)
    errors: dict[str, str] = {}
    attempts = config.get("max_attempts", settings.DELIVERY_MAX_ATTEMPTS)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 100:
        errors["max_attempts"] = "a whole number from 1 to 100"
        attempts = settings.DELIVERY_MAX_ATTEMPTS
    backoff = _number(config, "backoff_seconds", settings.DELIVERY_BACKOFF_SECONDS, 0, 3600, errors)
    connect = _number(config, "connect_timeout", 3.0, 0.1, ceiling, errors)
    read = _number(config, "read_timeout", 10.0, 0.1, ceiling, errors)
    deadline = _number(config, "deadline_seconds", min(connect + read, ceiling), 0.5, ceiling, errors)
    deadline = min(deadline, ceiling)
    policy = DeliveryPolicy(attempts, backoff, min(connect, deadline), min(read, deadline), deadline)
    return policy, errors


REGISTRY: dict[str, type] = {}


def register(kind: str):
    def decorate(cls: type) -> type:
        REGISTRY[kind] = cls
        return cls

    return decorate


def adapter_for(kind: str) -> Adapter:
    try:
        return REGISTRY[kind]()
    except KeyError:
        raise TransientError(f"no adapter registered for {kind!r}") from None


from . import clerk_queue, http  # noqa: E402,F401 — registers the adapters

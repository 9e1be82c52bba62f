"""Adapters deliver a filing's payload to its department (ARCHITECTURE.md "Adapters").

Each adapter has one job: deliver and report `Delivered(reference)`, `Refused(reason)` or raise `TransientError`.
Which adapter a department uses, and its settings, are data on the `Department` row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


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

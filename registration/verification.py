"""Mutual recognition (信息互认): institutions verify a registration online and get signed evidence.

Responses are signed with Ed25519; the public key is published at `/api/v1/verify/public-key` so a bank can keep
the JSON as evidence and check it later. Personal ID numbers never leave through this path.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils import timezone

from departments.models import Filing
from portal.bulk import GroupCommit
from portal.calendar import beijing_date

from .models import AccessLogEntry, Enterprise, Institution

KEY_PREFIX = "ywt_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """(key, prefix, hash). Only the prefix and the hash are stored."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:12], _hash(key)


def institution_create(*, name: str, kind: str = "other", scopes: list[str], purpose_required: bool = True):
    """A new institution and its API key, returned this once."""
    key, prefix, digest = new_key()
    institution = Institution.objects.create(
        name=name, kind=kind, key_prefix=prefix, key_hash=digest, scopes=scopes, purpose_required=purpose_required
    )
    return institution, key


def institution_revoke(*, institution: Institution) -> None:
    Institution.objects.filter(pk=institution.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _key_cache.clear()  # this process stops accepting it at once; others within KEY_CACHE_SECONDS


# Institutions by key hash, kept a few seconds per process: a lookup per request would cost more than the
# verification itself. A revoked key stops working within KEY_CACHE_SECONDS.
KEY_CACHE_SECONDS = 5.0
_key_cache: dict[str, tuple[float, Institution | None]] = {}


def institution_for_key(key: str) -> Institution | None:
    if not key or not key.startswith(KEY_PREFIX):
        return None
    digest = _hash(key)
    now = time.monotonic()
    cached = _key_cache.get(digest)
    if cached is not None and cached[0] > now:
        return cached[1]
    institution = Institution.objects.filter(key_hash=digest, revoked_at__isnull=True).first()
    _key_cache[digest] = (now + KEY_CACHE_SECONDS, institution)
    return institution


@lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    """From VERIFY_SIGNING_KEY (PEM) in production; otherwise a key kept under var/ (made on first use)."""
    pem = settings.VERIFY_SIGNING_KEY
    if not pem:
        path = Path(settings.VAR_DIR) / "verify-ed25519.pem"
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            path.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
                )
            )
            path.chmod(0o600)
        pem = path.read_text()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("VERIFY_SIGNING_KEY must be an Ed25519 private key")
    return key


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem() -> str:
    return (
        public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    )


def canonical(facts: dict[str, Any]) -> bytes:
    """The bytes that are signed: the response without its signature, keys sorted, compact, UTF-8."""
    unsigned = {k: v for k, v in facts.items() if k != "signature"}
    return json.dumps(unsigned, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def signed(facts: dict[str, Any]) -> dict[str, Any]:
    return {**facts, "signature": base64.b64encode(signing_key().sign(canonical(facts))).decode()}


def signature_valid(document: dict[str, Any]) -> bool:
    try:
        public_key().verify(base64.b64decode(document["signature"]), canonical(document))
        return True
    except Exception:  # noqa: BLE001 — any failure means "not valid"
        return False


def verification_facts(enterprise: Enterprise) -> dict[str, Any]:
    """What the register says, for institutions: names and results, never personal ID numbers."""
    data = enterprise.data
    latest: dict[str, Filing] = {}
    filings = (
        # What registered the enterprise with each department: not change reviews, updates or copy requests.
        Filing.objects.filter(
            application__enterprise=enterprise, kind__in=(Filing.Kind.REGISTRATION, Filing.Kind.NEW_OBLIGATION)
        )
        .select_related("department")
        .order_by("department__sort_order", "updated_at")
    )
    for filing in filings:
        latest[filing.department.code] = filing
    return {
        "uscc": enterprise.uscc,
        "name_zh": enterprise.name_zh,
        "entity_type": enterprise.entity_type,
        "status": enterprise.status,
        "established_on": enterprise.established_on.isoformat(),
        "reg_capital": data.get("reg_capital"),
        "capital_currency": data.get("capital_currency", "CNY"),
        "legal_rep": {"name": (data.get("legal_rep") or {}).get("name", "")},
        "registrations": [
            {
                "department": code,
                "state": f.state,
                "reference_no": f.reference_no,
                "date": beijing_date(f.decided_at or f.updated_at).isoformat(),
            }
            for code, f in latest.items()
        ],
        "verified_at": timezone.now().isoformat(),
    }


# Register facts per code, kept FACTS_CACHE_SECONDS per process: banks ask about the same companies in bursts,
# and the register changes far more slowly. Answers may lag a change by at most that long.
FACTS_CACHE_SECONDS = 2.0
_facts_cache: dict[str, tuple[float, dict[str, Any] | None]] = {}


def register_facts(uscc: str) -> dict[str, Any] | None:
    """`verification_facts` without the time of the answer, or None for an unknown code."""
    now = time.monotonic()
    cached = _facts_cache.get(uscc)
    if cached is not None and cached[0] > now:
        return cached[1]
    enterprise = Enterprise.objects.filter(uscc=uscc).first()
    facts = None
    if enterprise is not None:
        facts = {k: v for k, v in verification_facts(enterprise).items() if k != "verified_at"}
    _facts_cache[uscc] = (now + FACTS_CACHE_SECONDS, facts)
    return facts


# The lookups a process answers at the same moment are committed together (one INSERT and one log flush for all);
# each request still answers only after its own row is committed.
_access_log = GroupCommit(AccessLogEntry)


def access_log_write(*, institution: Institution, uscc: str, purpose: str, status: int) -> None:
    """One lookup in the access log, committed before this returns (the answer is sent after it: no lookup goes
    unlogged, even if the process dies right after answering). `uscc` is canonical; a malformed code (answered
    400) is kept as far as the column holds it, and a purpose too long for the column was refused with 400 before
    it got here, so the refusal is logged with the part that fits."""
    row = AccessLogEntry(institution=institution, uscc=uscc[:40], purpose=purpose[:200], status=status)
    _access_log.write(row)

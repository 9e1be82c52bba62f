"""Delivery to a department's own system over HTTP: signed JSON, an idempotency key, strict timeouts."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from typing import Any

import requests
from django.conf import settings

from . import Delivered, Delivery, Refused, TransientError, register

SIGNATURE_HEADER = "X-Signature"
_local = threading.local()


def _session() -> requests.Session:
    """One keep-alive session per worker thread: department systems are called again and again."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, signature: str | None) -> bool:
    return bool(secret and signature) and hmac.compare_digest(sign(secret, body), signature)


def endpoint(delivery: Delivery) -> str:
    """The department system's URL; "sandbox" means the simulated department system (demo and tests)."""
    configured = delivery.config.get("endpoint", "")
    if configured == "sandbox":
        return f"{settings.DEPARTMENT_SANDBOX_URL.rstrip('/')}/{delivery.department.lower()}/filings"
    return configured


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@register("http")
class HttpAdapter:
    inline = False

    def deliver(self, delivery: Delivery) -> Delivered | Refused:
        url = endpoint(delivery)
        if not url:
            raise TransientError("no endpoint configured")
        body = canonical_json(
            {
                "filing_id": delivery.filing_id,
                "department": delivery.department,
                "kind": delivery.kind,
                "round": delivery.round,
                "form_version": delivery.form_version,
                "payload": delivery.payload,
                "callback_url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/api/v1/departments/"
                f"{delivery.department}/callback",
            }
        )
        timeouts = (float(delivery.config.get("connect_timeout", 3)), float(delivery.config.get("read_timeout", 10)))
        try:
            response = _session().post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Idempotency-Key": delivery.idempotency_key,
                    SIGNATURE_HEADER: sign(delivery.secret, body),
                },
                timeout=timeouts,
            )
        except requests.RequestException as exc:
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise TransientError(f"HTTP {response.status_code}: {response.text[:300]}")
        if response.status_code >= 400:
            try:
                reason = response.json().get("detail") or response.text
            except ValueError:
                reason = response.text
            return Refused(reason=f"HTTP {response.status_code}: {str(reason)[:500]}")
        try:
            reference = str(response.json().get("reference_no", ""))
        except ValueError:
            raise TransientError("the department answered something that is not JSON") from None
        return Delivered(reference=reference)

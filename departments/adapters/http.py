"""Delivery to a department's own system over HTTP: signed JSON, an idempotency key, strict timeouts."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from portal.platform_seal import payload_seal

from . import Delivered, Delivery, Refused, TransientError, delivery_policy, register

SIGNATURE_HEADER = "X-Signature"
_local = threading.local()


# --- A total deadline per attempt ------------------------------------------------------------------------------
# requests' timeouts bound the connect and each single read, not the attempt: a department system that answers a
# byte at a time could hold a worker past its lease, and another worker would then deliver the same filing at the
# same moment. So each attempt registers the sockets it uses, and a timer shuts them down at the deadline; the
# blocked call then fails at once and the attempt counts as a transport error.


def _watch(sock: socket.socket | None) -> None:
    watched = getattr(_local, "watched", None)
    if watched is not None and sock is not None:
        watched.append(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive connection, reused: no connect() this time
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


@contextmanager
def deadline(seconds: float) -> Iterator[threading.Event]:
    """Within the block, every socket a delivery opens or reuses is shut down after `seconds`; the event tells
    whether that happened."""
    watched: list[socket.socket] = []
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        for sock in list(watched):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    _local.watched = watched
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()
        _local.watched = None


def _session() -> requests.Session:
    """One keep-alive session per worker thread: department systems are called again and again."""
    if not hasattr(_local, "session"):
        session = requests.Session()
        session.mount("http://", _WatchedAdapter())
        session.mount("https://", _WatchedAdapter())
        _local.session = session
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
                # The platform's seal on the payload's canonical bytes, and the founders' verified signatures:
                # what a department keeps as proof, trusting the platform's one seal rather than every CA.
                "payload_seal": payload_seal(canonical_json(delivery.payload)),
                "signatures": list(delivery.signatures),
                "callback_url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/api/v1/departments/"
                f"{delivery.department}/callback",
            }
        )
        policy, _problems = delivery_policy(delivery.config)
        with deadline(policy.deadline_seconds) as expired:
            try:
                response = _session().post(
                    url,
                    data=body,
                    headers={
                        "Content-Type": "application/json; charset=utf-8",
                        "Idempotency-Key": delivery.idempotency_key,
                        SIGNATURE_HEADER: sign(delivery.secret, body),
                    },
                    timeout=(policy.connect_timeout, policy.read_timeout),
                )
            except requests.RequestException as exc:
                if not expired.is_set():
                    raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        if expired.is_set():
            # Cut off mid-answer (what was read may look complete); the retry carries the same idempotency key.
            raise TransientError(f"no complete answer within the {policy.deadline_seconds:g} s deadline")
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

"""`GET /healthz`: does the portal reach what it needs? 200 when all answer, 503 naming what does not."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    # A fresh short-lived connection with a short timeout: the app's pooled connection would retry for minutes.
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        connect_timeout=TIMEOUT_SECONDS,
    ) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_SECONDS)


def check_cache() -> None:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return the value just stored")


CHECKS = {"database": check_database, "broker": check_broker, "cache": check_cache}


def health_report() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 — any failure of a component is what we report
            logger.warning("healthz: %s failed: %s", name, exc)
            results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
    return all(v == "ok" for v in results.values()), results

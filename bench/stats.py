"""bench/stats: `GET /api/v1/stats` on 10,000 past registrations (~115,000 filings) on PostgreSQL, cold.

A fresh database (`BENCH_STATS_DATABASE_URL`, default `portal_bench_stats` on 127.0.0.1) gets the demo data and
`seed_demo --history N` (timed: the seed itself must take well under a minute). The portal runs under gunicorn
(1 sync worker, so requests never overlap) with the Redis cache (`BENCH_STATS_REDIS_URL`, default Redis db 13).
Before every stats request the bench deletes the cached figures, so each answer is computed from the database
("cold"); in the same run and interleaved with them it times `GET /api/v1/ping` (the trivial DRF view: HTTP,
gunicorn, Django and DRF without work) and `SELECT 1` on the same database, and reports cold / ping.
`BENCH_STATS_REGISTRATIONS` (10000), `BENCH_STATS_REQUESTS` (40).
"""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.pipeline import _gunicorn, _prepare_database, _staff_otp

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("BENCH_STATS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_stats")
REDIS_URL = os.environ.get("BENCH_STATS_REDIS_URL", "redis://127.0.0.1:6379/13")
REGISTRATIONS = int(os.environ.get("BENCH_STATS_REGISTRATIONS", "10000"))
REQUESTS = int(os.environ.get("BENCH_STATS_REQUESTS", "40"))
PASSWORD = "bench-stats-1"  # noqa: S105 — users of a throw-away benchmark database
CACHE_KEY = ":1:portal:stats:v1"  # Django's key for reporting.stats.STATS_CACHE_KEY (no prefix, version 1)
TARGET_MS = 300


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median": round(statistics.median(ordered) * 1000, 1),
        "p95": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, 1),
        "min": round(ordered[0] * 1000, 1),
    }


def main() -> None:
    import psycopg
    import redis
    import requests

    env = {
        **os.environ, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL, "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false", "LOG_LEVEL": "WARNING", "SIGNATURES_REQUIRED": "false",
    }  # fmt: skip
    _prepare_database(DATABASE_URL)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--password", PASSWORD, "--history", str(REGISTRATIONS)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    seed_seconds = float(re.search(r"past registrations in ([\d.]+) s", seeded).group(1))
    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        # What autovacuum does to a table after this many inserts: statistics and the visibility map (which lets
        # the per-department, per-state counts come from the index alone).
        db.execute("VACUUM ANALYZE")
        filings = db.execute("SELECT count(*) FROM departments_filing").fetchone()[0]
    cache = redis.Redis.from_url(REDIS_URL)

    otp = _staff_otp(env, "auditor")
    server, base = _gunicorn(env, "bench-stats.log")
    try:
        http = requests.Session()
        credentials = {"username": "auditor", "password": PASSWORD, "otp": otp}
        token = http.post(f"{base}/api/v1/auth/token", json=credentials).json()
        http.headers["Authorization"] = f"Token {token['token']}"
        figures = http.get(f"{base}/api/v1/stats", timeout=30).json()  # also warms the worker's imports
        assert figures["registrations"] == REGISTRATIONS, figures["registrations"]

        cold, warm, ping, select_one = [], [], [], []
        with psycopg.connect(DATABASE_URL, autocommit=True) as db:
            for _ in range(REQUESTS):
                cache.delete(CACHE_KEY)
                started = time.perf_counter()
                response = http.get(f"{base}/api/v1/stats", timeout=30)
                cold.append(time.perf_counter() - started)
                assert response.status_code == 200
                started = time.perf_counter()
                http.get(f"{base}/api/v1/stats", timeout=30)
                warm.append(time.perf_counter() - started)
                started = time.perf_counter()
                http.get(f"{base}/api/v1/ping", timeout=30)
                ping.append(time.perf_counter() - started)
                started = time.perf_counter()
                db.execute("SELECT 1").fetchone()
                select_one.append(time.perf_counter() - started)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        cache.delete(CACHE_KEY)
    cold_ms, ping_ms = _ms(cold), _ms(ping)
    print(json.dumps({
        "registrations": REGISTRATIONS,
        "filings": filings,
        "seed_history_seconds": seed_seconds,
        "requests": REQUESTS,
        "stats_cold_ms": cold_ms,
        "stats_cached_ms": _ms(warm),
        "ping_ms": ping_ms,
        "select_1_ms": _ms(select_one),
        "cold_over_ping": round(cold_ms["median"] / ping_ms["median"], 1),
        "target_cold_ms": TARGET_MS,
        "target_met": cold_ms["p95"] < TARGET_MS,
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()

"""bench/register: the register feed (issue 15) on PostgreSQL — the bulk load's rows/s and pushed events/s.

A fresh database (`BENCH_REGISTER_DATABASE_URL`, default `portal_bench_register` on 127.0.0.1) gets the demo data.
- **Bulk load**: `BENCH_REGISTER_ROWS` (50,000) generated rows (registration/demo_register.py) in a JSON Lines file,
  loaded by `manage.py import_register` (timed as a whole: process start, reading, checks, inserts). Baseline in
  the same run: the same rows inserted into a scratch copy of the enterprise table with psycopg's COPY, no checks
  (what the database alone can take). Reported: rows/s of each and import / COPY.
- **Pushed events**: `BENCH_REGISTER_EVENTS` (400) signed events over HTTP to gunicorn (1 sync worker): licences
  of new enterprises and changes of loaded ones, one at a time; interleaved with them, `GET /api/v1/ping` (HTTP,
  gunicorn, Django and DRF without work). Reported: events/s and event time / ping time.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.pipeline import _gunicorn, _prepare_database

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_REGISTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench_register"
)
ROWS = int(os.environ.get("BENCH_REGISTER_ROWS", "50000"))
EVENTS = int(os.environ.get("BENCH_REGISTER_EVENTS", "400"))
PASSWORD = "bench-register-1"  # noqa: S105 — users of a throw-away benchmark database


def _django(env: dict) -> None:
    os.environ.update(env)
    import django

    django.setup()


def main() -> None:
    import psycopg
    import requests

    env = {
        **os.environ, "DATABASE_URL": DATABASE_URL, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "false",
        "LOG_LEVEL": "WARNING", "SIGNATURES_REQUIRED": "false",
    }  # fmt: skip
    _prepare_database(DATABASE_URL)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--password", PASSWORD], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    _django(env)
    from departments.adapters.http import sign
    from departments.models import Department
    from registration.demo_register import demo_register_rows

    rows = list(demo_register_rows(count=ROWS + EVENTS, seed=42))
    loaded, fresh = rows[:ROWS], rows[ROWS:]
    active = [r for r in loaded if r["status"] == "active"]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "register.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in loaded), encoding="utf-8")
        started = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "import_register", str(path), "--quiet"], cwd=ROOT, env=env,
                       check=True, capture_output=True)  # fmt: skip
        import_seconds = time.perf_counter() - started

    with psycopg.connect(DATABASE_URL, autocommit=True) as db:
        assert db.execute("SELECT count(*) FROM registration_enterprise").fetchone()[0] >= ROWS
        db.execute("CREATE TEMP TABLE copy_baseline (LIKE registration_enterprise INCLUDING ALL)")
        started = time.perf_counter()
        with db.cursor().copy(
            "COPY copy_baseline (uscc, name_zh, name_key, entity_type, status, established_on, data, register_version,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            for r in loaded:
                data = json.dumps(r, ensure_ascii=False)
                copy.write_row((r["uscc"], r["name_zh"], r["name_zh"], r["entity_type"], r["status"],
                                r["established_on"], data, r["version"], "now", "now"))  # fmt: skip
        copy_seconds = time.perf_counter() - started

    secret = Department.objects.get(code="AIC").hmac_secret
    server, base = _gunicorn(env, "bench-register.log")
    events, pings = [], []
    try:
        http = requests.Session()
        for index in range(EVENTS):
            if index % 2 == 0:
                row = dict(fresh[index])
                body = {"kind": "licence", "uscc": row.pop("uscc"), "version": 1,
                        "established_on": row.pop("established_on"),
                        "data": {k: v for k, v in row.items() if k not in ("version", "status")}}  # fmt: skip
            else:
                target = active[index]
                body = {"kind": "change", "uscc": target["uscc"], "version": target["version"] + 1,
                        "data": {"reg_address": f"东莞市南城街道新基路{index}号"}}  # fmt: skip
            body.update(event_id=uuid.uuid4().hex, sent_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
            raw = json.dumps(body, ensure_ascii=False).encode()
            started = time.perf_counter()
            headers = {"Content-Type": "application/json", "X-Signature": sign(secret, raw)}
            answer = http.post(f"{base}/api/v1/register/events", data=raw, timeout=30, headers=headers)
            events.append(time.perf_counter() - started)
            assert answer.status_code == 200 and answer.json()["changed"], answer.text
            started = time.perf_counter()
            http.get(f"{base}/api/v1/ping", timeout=30)
            pings.append(time.perf_counter() - started)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    event_ms, ping_ms = statistics.median(events) * 1000, statistics.median(pings) * 1000
    print(json.dumps({
        "rows": ROWS,
        "import_rows_per_s": round(ROWS / import_seconds),
        "copy_rows_per_s": round(ROWS / copy_seconds),
        "import_over_copy": round((ROWS / import_seconds) / (ROWS / copy_seconds), 3),
        "events": EVENTS,
        "events_per_s": round(EVENTS / sum(events), 1),
        "event_median_ms": round(event_ms, 1),
        "ping_median_ms": round(ping_ms, 2),
        "event_over_ping": round(event_ms / ping_ms, 1),
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()

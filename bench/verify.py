"""bench/verify: verification requests/s against bare DRF views, on PostgreSQL + Redis.

The portal runs under gunicorn (BENCH_VERIFY_WORKERS sync workers, 4, as docker-compose.yml runs it, DEBUG off);
wrk keeps 16 connections busy for BENCH_SECONDS on `GET /api/v1/verify/<uscc>?purpose=…` (API-key auth, Redis
throttle, signed answer, access-log row per call) and, in the same run, on `GET /api/v1/ping` (trivial) and on
`GET /bench/one-query` (a bare DRF view doing one PostgreSQL query, the baseline of issue 18). Also times the
licence PDF render in-process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from bench.pipeline import DEFAULT_DB, DEFAULT_REDIS, _free_port, _prepare_database, stop

ROOT = Path(__file__).resolve().parent.parent
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = 16
# gunicorn's sync workers (one request at a time each) by default, as docker-compose.yml runs it; gthread with
# BENCH_VERIFY_THREADS > 1 (slower here: the threads of a process contend for its interpreter lock).
WORKERS = int(os.environ.get("BENCH_VERIFY_WORKERS", "4"))
_threads = int(os.environ.get("BENCH_VERIFY_THREADS", "1"))
GUNICORN_THREADS = ["--threads", str(_threads)] if _threads > 1 else []


def _wrk(url: str, key: str = "") -> dict:
    script = ROOT / "var" / "bench-wrk.lua"
    script.write_text(f'wrk.headers["X-Api-Key"] = "{key}"\n' if key else "")
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    answered = int(re.search(r"(\d+) requests in", out).group(1))
    return {"requests_per_s": rate, "p99_ms": p99_ms, "requests": answered,
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}  # fmt: skip


def main() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SIGNATURES_REQUIRED", "false")
    os.environ["VERIFY_RATE"] = "100000000/min"  # measure the work, not the throttle's refusals
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DEBUG"] = "false"  # as served in production: DEBUG keeps every query's text in memory
    _prepare_database(os.environ["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--password", "bench-pass-1"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip

    import django

    django.setup()
    import redis
    from django.conf import settings

    from forms_engine.samples import _shipped
    from registration.documents import licence_pdf
    from registration.identifiers import uscc_generate
    from registration.models import AccessLogEntry, Enterprise
    from registration.selectors import register_data
    from registration.verification import institution_create

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    data = register_data(_shipped()["electronics_trader"])
    enterprise = Enterprise.objects.create(
        uscc=uscc_generate(), name_zh=data["name_zh"], name_key="bench", entity_type=data["entity_type"],
        established_on="2024-01-02", data=data,
    )  # fmt: skip
    enterprise.refresh_from_db()
    _institution, key = institution_create(name="bench bank", kind="bank", scopes=["verify"])

    renders = []
    for _ in range(5):
        started = time.perf_counter()
        licence_pdf(enterprise)
        renders.append(time.perf_counter() - started)

    port = _free_port()
    log = open(ROOT / "var" / "bench-verify.log", "w")  # noqa: SIM115 — closed with the process
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(WORKERS), *GUNICORN_THREADS],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.verify_settings"},  # the portal and the baseline view
    )  # fmt: skip
    try:
        import requests

        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                requests.get(f"{base}/api/v1/ping", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.25)
        verify_url = f"{base}/api/v1/verify/{enterprise.uscc}?purpose=bench"
        assert requests.get(verify_url, headers={"X-Api-Key": key}, timeout=5).status_code == 200
        one_query_url = f"{base}/bench/one-query?uscc={enterprise.uscc}"
        assert requests.get(one_query_url, timeout=5).json() == {"found": 1}
        _wrk(f"{base}/api/v1/ping")  # warm up both
        trivial = _wrk(f"{base}/api/v1/ping")
        one_query = _wrk(one_query_url)
        logged_before = AccessLogEntry.objects.count()
        verify = _wrk(verify_url, key)
        verify["access_log_rows"] = AccessLogEntry.objects.count() - logged_before
    finally:
        stop([server])
    print(json.dumps({
        "connections": CONNECTIONS,
        "gunicorn_workers": WORKERS,
        "gunicorn_threads": GUNICORN_THREADS[-1] if GUNICORN_THREADS else 1,
        "verify": verify,
        "trivial_drf": trivial,
        "one_query_drf": one_query,
        "verify_share_of_trivial": round(verify["requests_per_s"] / trivial["requests_per_s"], 3),
        "verify_share_of_one_query": round(verify["requests_per_s"] / one_query["requests_per_s"], 3),
        "licence_pdf_seconds_median": round(sorted(renders)[len(renders) // 2], 3),
        "targets": {"requests_per_s": 1000, "share_of_one_query": 0.30, "p99_ms": 50, "licence_pdf_seconds": 0.5},
    }, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()

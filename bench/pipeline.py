"""bench/pipeline: existing-company registrations per second, from submit to every released filing dispatched.

On PostgreSQL + Redis (DATABASE_URL / REDIS_URL, or the local defaults below), with the portal under gunicorn
(2 workers), the department sandbox under gunicorn, and one Celery worker with 2 processes. In the same run the
same worker executes no-op tasks on the same broker: the baseline. Prints registrations/s, filing deliveries/s and
deliveries per no-op task.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
REGISTRATIONS = int(os.environ.get("BENCH_REGISTRATIONS", "200"))
NOOPS = int(os.environ.get("BENCH_NOOPS", "3000"))
PASSWORD = "bench-password-1"  # noqa: S105 — users of a throw-away benchmark database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn(env: dict, log_name: str) -> tuple[subprocess.Popen, str]:
    """The portal under gunicorn with one sync worker (requests never overlap) on a free port, once it answers
    `GET /api/v1/ping`: (the server process, its base URL). Stop it with `os.killpg(server.pid, SIGTERM)`."""
    import requests

    port = _free_port()
    log = open(ROOT / "var" / log_name, "w")  # noqa: SIM115 — closed with the process
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            requests.get(f"{base}/api/v1/ping", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.25)
    return server, base


def _staff_otp(env: dict, username: str) -> str:
    """A second factor for a staff account of the bench database (issue 14: staff tokens need one): an enrolled
    authenticator and a fresh recovery code, as a clerk who lost their phone would type."""
    script = (
        "from django_otp.plugins.otp_totp.models import TOTPDevice; from portal.models import User; "
        "from portal.second_factor import recovery_codes_issue; "
        f"u = User.objects.get(username={username!r}); "
        "TOTPDevice.objects.get_or_create(user=u, confirmed=True, defaults={'name': 'authenticator'}); "
        "print(recovery_codes_issue(u)[0])"
    )
    shell = [sys.executable, "manage.py", "shell", "-c", script]
    return subprocess.run(shell, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()[-1]


def _prepare_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("SIGNATURES_REQUIRED", "false")  # the pipeline's cost; signing is measured on its own
    os.environ["DEBUG"] = "false"  # as served in production: DEBUG keeps every query's text in memory
    web_port, sandbox_port = _free_port(), _free_port()
    os.environ["PORTAL_BASE_URL"] = f"http://127.0.0.1:{web_port}"
    os.environ["DEPARTMENT_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}/sandbox"
    _prepare_database(os.environ["DATABASE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)  # noqa: S603
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--password", PASSWORD], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip

    import django

    django.setup()
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    applications = _drafts(REGISTRATIONS)

    processes = _start(web_port, sandbox_port)
    try:
        noop_rate = _noop_rate()
        result = _registrations(applications, web_port)
    finally:
        stop(processes)
    registrations_rate, deliveries_rate, seconds, deliveries, submitted = result
    print(json.dumps({
        "registrations": len(applications),
        "seconds": round(seconds, 2),
        "seconds_until_all_submitted": round(submitted, 2),
        "registrations_per_s": round(registrations_rate, 1),
        "filing_deliveries": deliveries,
        "filing_deliveries_per_s": round(deliveries_rate, 1),
        "noop_tasks_per_s": round(noop_rate, 1),
        "deliveries_per_noop_task": round(deliveries_rate / noop_rate, 3),
        "targets": {"registrations_per_s": 20, "deliveries_per_noop_task": 0.4},  # issue 18
    }, indent=1))  # fmt: skip


def _drafts(count: int) -> list[tuple[int, str]]:
    """`count` licensed enterprises, each with a draft existing-company application holding its department data."""
    from departments.models import SandboxSetting
    from forms_engine.samples import _shipped
    from portal.models import Role, User
    from registration.identifiers import uscc_generate
    from registration.models import Application, Enterprise
    from registration.selectors import register_data

    # The sandbox answers at once and never calls back: the bench measures delivery, not decisions.
    SandboxSetting.objects.update(mode="approve", decision_delay_seconds=-1, fail_times=0)
    sample = _shipped()["electronics_trader"]
    register = register_data(sample)
    department_items = {k: v for k, v in sample.items() if k not in register}
    drafts = []
    for index in range(count):
        owner = User.objects.create_user(username=f"bench{index}", password=PASSWORD, role=Role.APPLICANT)
        enterprise = Enterprise.objects.create(
            uscc=uscc_generate(), name_zh=f"{register['name_zh']}{index}", name_key=f"bench{index}",
            entity_type=register["entity_type"], established_on="2024-01-02", data=register, owner=owner,
        )  # fmt: skip
        application = Application.objects.create(
            kind="existing_company", applicant=owner, enterprise=enterprise,
            data={**register, **department_items}, readonly_items=sorted(register),
        )  # fmt: skip
        drafts.append((application.pk, owner.username))
    return drafts


def worker_command(threads: int | str) -> list[str]:
    """A Celery worker with a thread pool: delivery waits on department systems (I/O), so each process runs a few
    threads."""
    return [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "threads", "--concurrency",
            str(threads), "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]  # fmt: skip


def gunicorn_command(port: int) -> list[str]:
    """The portal under gunicorn, 2 workers × 4 threads, on `port`."""
    return [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "4"]  # fmt: skip


def stop(processes: list[subprocess.Popen], timeout: float = 60) -> None:
    """Stop each process and its children (each was started in a session of its own), then wait for them."""
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=timeout)


def wait_ready(ports: tuple[int, ...]) -> None:
    """Until each server on `ports` answers `GET /healthz` (30 s at most each) and a worker runs a task."""
    import requests

    from portal.tasks import ping

    for port in ports:
        for _ in range(120):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.25)
    ping.delay().get(timeout=60)


def _start(web_port: int, sandbox_port: int) -> list[subprocess.Popen]:
    log = open(ROOT / "var" / "bench-pipeline.log", "w")  # noqa: SIM115 — closed with the process
    worker = worker_command(os.environ.get("BENCH_WORKER_THREADS", "4"))
    commands = [
        gunicorn_command(web_port),
        gunicorn_command(sandbox_port),
        [*worker, "--hostname", "bench1@%h"],
        [*worker, "--hostname", "bench2@%h"],
    ]
    processes = [
        subprocess.Popen(c, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
        for c in commands
    ]
    wait_ready((web_port, sandbox_port))
    return processes


def _noop_rate() -> float:
    from celery import group

    from portal.tasks import noop

    group(noop.s() for _ in range(100)).apply_async().get(timeout=60)  # warm up
    started = time.perf_counter()
    group(noop.s() for _ in range(NOOPS)).apply_async().get(timeout=300)
    return NOOPS / (time.perf_counter() - started)


def _registrations(applications: list[tuple[int, str]], web_port: int) -> tuple[float, float, float, int, float]:
    import requests
    from django.db.models import Max

    from departments.models import Filing

    base = f"http://127.0.0.1:{web_port}/api/v1"

    def token(username: str) -> str:
        response = requests.post(f"{base}/auth/token", json={"username": username, "password": PASSWORD}, timeout=30)
        return response.json()["token"]

    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda a: token(a[1]), applications))

    def submit(pair: tuple[tuple[int, str], str]) -> int:
        (application_id, _), key = pair
        response = requests.post(
            f"{base}/applications/{application_id}/submit", headers={"Authorization": f"Token {key}"}, timeout=60
        )
        return response.status_code

    started = time.time()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(submit, zip(applications, tokens, strict=True)))
    submitted = time.time() - started
    if set(codes) != {200}:
        raise SystemExit(f"some submissions failed: {sorted(set(codes))}")
    released = Filing.objects.exclude(state="waiting")
    total = released.count()
    deadline = time.time() + 600
    while released.filter(state="dispatched").count() < total:
        if time.time() > deadline:
            raise SystemExit("filings were not all dispatched within 10 minutes")
        time.sleep(0.2)
    finished = released.aggregate(last=Max("dispatched_at"))["last"].timestamp()
    seconds = finished - started
    return len(applications) / seconds, total / seconds, seconds, total, submitted


if __name__ == "__main__":
    main()

"""The real thing on loopback: the portal (gunicorn), a department sandbox server (gunicorn), and a Celery worker
with beat, all on the test database and the configured broker. Tests drive it over HTTP like outside systems."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
import requests
from django.conf import settings
from django.core.management.base import CommandError
from django.test import TransactionTestCase

from tests.conftest import PASSWORD, database_url_for_tests

ROOT = Path(__file__).resolve().parent.parent.parent
LOGS = ROOT / "var" / "test-logs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float = 60, what: str = "condition", every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class Stack:
    """Processes started as they would be in production, each restartable (fault tests stop and start them)."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.web_port, self.sandbox_port = free_port(), free_port()
        self.env.update(
            PORTAL_BASE_URL=f"http://127.0.0.1:{self.web_port}",
            DEPARTMENT_SANDBOX_URL=f"http://127.0.0.1:{self.sandbox_port}/sandbox",
        )
        self.processes: dict[str, subprocess.Popen] = {}
        LOGS.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _gunicorn(self, port: int) -> list[str]:
        return [
            sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "4", "--timeout", "60",
        ]  # fmt: skip

    def commands(self) -> dict[str, list[str]]:
        return {
            "web": self._gunicorn(self.web_port),
            "sandbox": self._gunicorn(self.sandbox_port),
            "worker": [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "--beat", "--concurrency", "2",
                "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                "--schedule", str(Path(settings.VAR_DIR) / "test-celerybeat-schedule"),
            ],
        }  # fmt: skip

    def start(self, name: str, purge: bool = False) -> None:
        command = self.commands()[name] + (["--purge"] if purge and name == "worker" else [])
        log = (LOGS / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(  # noqa: S603 — our own commands
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if name in ("web", "sandbox"):
            port = self.web_port if name == "web" else self.sandbox_port
            wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 60, f"{name} to answer")
        else:
            wait_for(pings, 90, "the worker to answer a ping", every=0)

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code in (200, 503)
    except requests.RequestException:
        return False


def pings(queue: str | None = None) -> bool:
    """A worker answered a ping (through `queue`, when only the worker consuming it should answer)."""
    from portal.tasks import ping

    try:
        return bool(ping.apply_async(queue=queue).get(timeout=3))
    except Exception:
        return False


def stack_env(django_db_blocker) -> dict[str, str]:
    """The environment of the processes a stack starts: the test database, a sweep every second (it re-enqueues
    while workers deliver), short retries and leases."""
    with django_db_blocker.unblock():
        database_url = database_url_for_tests()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SWEEP_INTERVAL_SECONDS": "1",
        "DELIVERY_BACKOFF_SECONDS": "0.5",
        "DELIVERY_LEASE_SECONDS": "6",
        "DELIVERY_MAX_ATTEMPTS": "30",
        "SIGNATURES_REQUIRED": "false",  # these follow deliveries; signing has its own tests
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker):
    running = Stack(stack_env(django_db_blocker))
    try:
        running.start("web")
        running.start("sandbox")
        running.start("worker", purge=True)
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="session", autouse=True)
def _flush_retried_on_deadlock():
    """The stack's worker keeps querying between tests (the sweep runs every second, deliveries may still finish),
    so the TRUNCATE that empties the database after a test can deadlock with one of its reads; PostgreSQL then
    aborts one of the two. The flush is tried again instead of leaving rows behind for the next test."""
    flush = TransactionTestCase._fixture_teardown

    def retried(test_case):
        for attempt in range(5):
            try:
                return flush(test_case)
            except CommandError as error:
                if "deadlock" not in str(error.__cause__ or error) or attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    with mock.patch.object(TransactionTestCase, "_fixture_teardown", retried):
        yield


class Http:
    """API calls over HTTP with a token, as a mobile client or department system would make them."""

    def __init__(self, base: str, username: str):
        from portal.models import User
        from tests.conftest import second_factor_code

        self.base = base
        otp = second_factor_code(User.objects.get(username=username)) or ""
        credentials = {"username": username, "password": PASSWORD, "otp": otp}
        answer = requests.post(f"{base}/api/v1/auth/token", json=credentials, timeout=10)
        assert answer.status_code == 200, answer.text
        token = answer.json()["token"]
        self.headers = {"Authorization": f"Token {token}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}/api/v1{path}", headers=self.headers, timeout=30)

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return requests.post(f"{self.base}/api/v1{path}", json=body or {}, headers=self.headers, timeout=30)

    def patch(self, path: str, body: dict) -> requests.Response:
        return requests.patch(f"{self.base}/api/v1{path}", json=body, headers=self.headers, timeout=30)


@pytest.fixture(autouse=True)
def _real_password_hashing(settings):
    # The portal processes verify passwords with the production hashers, so users must be created with them.
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS

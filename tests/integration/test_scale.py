"""Issue 18: the same code on several nodes. Two portal processes (web nodes) and two Celery workers consuming
disjoint queues (worker nodes, one of them with beat and its one-second sweep racing the normal delivery path) on one
database and one broker: concurrent registrations through either portal, every department deciding through its
system (the sandbox, at once, by signed callback). No filing is delivered twice, none is lost."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db.models import Count
from rest_framework.authtoken.models import Token

from departments.models import AdapterKind, Department, Filing, SandboxReceipt, SandboxSetting
from portal.celery import app
from portal.models import AuditEvent, Role, User
from registration.identifiers import uscc_generate
from registration.models import Application, Enterprise
from registration.selectors import register_data
from tests.forms_fixtures import routed_for, sample
from tests.integration.conftest import LOGS, ROOT, Stack, _answers, free_port, pings, stack_env, wait_for

# Several machines share a database server and a broker server; the embedded SQLite file and folder broker are one
# machine's (there, a one-second sweep re-enqueues faster than the folder broker drains and the run never settles).
SHARED_SERVICES = "postgresql" in settings.DATABASES["default"]["ENGINE"] and settings.CELERY_BROKER_URL.startswith(
    ("redis://", "rediss://")
)
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not SHARED_SERVICES,
        reason="nodes share a database server and a broker: needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)",
    ),
]

# Interleaved, so that prerequisites cross workers: PSB (B) before PBOC (A), COMMERCE (B) before CUSTOMS (A).
CODES_A, CODES_B = settings.DEPARTMENT_CODES[0::2], settings.DEPARTMENT_CODES[1::2]
QUEUES_A = ["default", *(f"dept.{code.lower()}" for code in CODES_A)]
QUEUES_B = [*(f"dept.{code.lower()}" for code in CODES_B), "sandbox"]
TRADE_NAMES = ["华信", "达盛", "源泰", "恒通", "兴隆", "鼎丰", "嘉禾", "宏远", "瑞祥", "金桥"]
REGISTRATIONS = 10  # alternately a new company and an existing one
OUTCOME = re.compile(r"Task departments\.deliver_filing\[[^]]+\] succeeded in [\d.e-]+s: '(\w+)'")


class ScaleStack(Stack):
    """Two portals, the sandbox, and two workers on disjoint queues, exactly one of them running beat.

    A worker writes its own PORTAL_BASE_URL into each delivery as the callback address, so the departments worker A
    delivers call back to portal 1 and those worker B delivers to portal 2: both portals take callbacks, and the
    callback address a department received says which worker delivered to it."""

    def __init__(self, env: dict[str, str]):
        super().__init__(env)  # web_port: portal 1; sandbox_port; the shared env (sandbox URL, delivery settings)
        self.web2_port = free_port()
        suffix = f"{os.getpid()}@{socket.gethostname()}"
        self.hostnames = {"worker_a": f"scale-a.{suffix}", "worker_b": f"scale-b.{suffix}"}

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.web_port}", f"http://127.0.0.1:{self.web2_port}"]

    def _worker(self, name: str, queues: list[str], beat: bool) -> list[str]:
        schedule = ["--beat", "--schedule", str(Path(settings.VAR_DIR) / "test-scale-celerybeat-schedule")]
        return [
            sys.executable, "-m", "celery", "-A", "portal", "worker", "--hostname", self.hostnames[name],
            "-Q", ",".join(queues), "--concurrency", "2", "--loglevel", "INFO", "--without-gossip",
            "--without-mingle", "--purge", *(schedule if beat else []),
        ]  # fmt: skip

    def launches(self) -> dict[str, tuple[list[str], str]]:
        """name: (command, its PORTAL_BASE_URL)."""
        portal_1, portal_2 = self.urls
        return {
            "web1": (self._gunicorn(self.web_port), portal_1),
            "web2": (self._gunicorn(self.web2_port), portal_2),
            "sandbox": (self._gunicorn(self.sandbox_port), portal_1),  # it calls back where each delivery says
            "worker_a": (self._worker("worker_a", QUEUES_A, beat=True), portal_1),
            "worker_b": (self._worker("worker_b", QUEUES_B, beat=False), portal_2),
        }

    def log(self, name: str) -> Path:
        return LOGS / f"scale-{name}.log"

    def start_all(self) -> None:
        """All five at once (their start-up is most of the fixture's time), then wait for each to answer."""
        for name, (command, base_url) in self.launches().items():
            with self.log(name).open("w") as log:
                self.processes[name] = subprocess.Popen(  # noqa: S603 — our own commands
                    command, cwd=ROOT, env={**self.env, "PORTAL_BASE_URL": base_url}, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
        for name, port in (("web1", self.web_port), ("web2", self.web2_port), ("sandbox", self.sandbox_port)):
            wait_for(lambda p=port, n=name: self._alive(n) and _answers(f"http://127.0.0.1:{p}/healthz"), 90, name)
        # A ping through a queue only that worker consumes: `default` is worker A's alone, `sandbox` worker B's.
        for name, queue in (("worker_a", "default"), ("worker_b", "sandbox")):
            wait_for(lambda n=name, q=queue: self._alive(n) and pings(q), 90, f"{name} to answer on {queue}", 0)

    def _alive(self, name: str) -> bool:
        if self.processes[name].poll() is not None:
            raise AssertionError(f"{name} exited ({self.processes[name].returncode}); see {self.log(name)}")
        return True

    def outcomes(self, name: str) -> dict[str, int]:
        """What each delivery task of a worker returned, from its log: dispatched, stale, skipped, retry…"""
        found: dict[str, int] = {}
        for outcome in OUTCOME.findall(self.log(name).read_text(errors="replace")):
            found[outcome] = found.get(outcome, 0) + 1
        return found


@pytest.fixture(scope="module")
def scale(django_db_setup, django_db_blocker):
    running = ScaleStack(stack_env(django_db_blocker))
    try:
        running.start_all()
        yield running
    finally:
        running.stop_all()  # every process group this fixture started, also when starting or the test failed


DECIDES_AT_ONCE = {"mode": "approve", "decision_delay_seconds": 0, "fail_times": 0, "decide_before_answering": False}


def _world() -> None:
    """Every department decides through its own system: the sandbox, at once, by signed callback."""
    for department in Department.objects.all():
        department.adapter_kind = AdapterKind.HTTP
        department.adapter_config = {**department.adapter_config, "endpoint": "sandbox"}
        department.save()
        SandboxSetting.objects.update_or_create(department_code=department.code, defaults=DECIDES_AT_ONCE)


def _registrations(count: int) -> list[tuple[str, dict]]:
    """(API token, the body of POST /applications) for `count` applicants, alternately founding a new company and
    filing for an enterprise they own. The tokens are made here, as `POST /auth/token` would: a password check
    per applicant would only add CPU to the part of the run that is about delivery."""
    trader = sample("electronics_trader")
    register = register_data(trader)
    own = {k: v for k, v in trader.items() if k not in register}
    made = []
    for index in range(count):
        user = User.objects.create_user(username=f"scale{index}", role=Role.APPLICANT)  # signs in by token only
        token = Token.objects.create(user=user).key
        if index % 2 == 0:
            name = f"东莞市{TRADE_NAMES[index // 2]}电子贸易有限公司"
            made.append((token, {"kind": "new_company", "data": {**trader, "name_zh": name}}))
        else:
            enterprise = Enterprise.objects.create(
                uscc=uscc_generate(), name_zh=f"{register['name_zh']}{index}", name_key=f"scale{index}",
                entity_type=register["entity_type"], established_on="2024-05-06", data=register, owner=user,
            )  # fmt: skip
            made.append((token, {"kind": "existing_company", "uscc": enterprise.uscc, "data": own}))
    return made


def _submit(urls: list[str], index: int, token: str, body: dict) -> int:
    """Draft on one portal, submit on the other: the web nodes share nothing but the database and the cache."""
    here, there = urls[index % 2], urls[(index + 1) % 2]
    headers = {"Authorization": f"Token {token}"}
    created = requests.post(f"{here}/api/v1/applications", json=body, headers=headers, timeout=60)
    assert created.status_code == 201, (here, created.status_code, created.text)
    application_id = created.json()["id"]
    submitted = requests.post(f"{there}/api/v1/applications/{application_id}/submit", headers=headers, timeout=60)
    assert submitted.status_code == 200, (there, submitted.status_code, submitted.text)
    return application_id


def _progress(ids: list[int]) -> str:
    states = Filing.objects.filter(application_id__in=ids).values_list("state").annotate(n=Count("id"))
    apps = Application.objects.filter(pk__in=ids).values_list("state").annotate(n=Count("id"))
    return f"applications {dict(apps)}, filings {dict(states)}"


def test_two_portals_and_two_workers_on_split_queues_deliver_every_filing_exactly_once(scale, seeded):
    _world()
    registrations = _registrations(REGISTRATIONS)
    with ThreadPoolExecutor(6) as pool:
        ids = list(pool.map(lambda r: _submit(scale.urls, r[0], *r[1]), enumerate(registrations)))

    try:
        wait_for(
            lambda: Application.objects.filter(pk__in=ids, state="completed").count() == len(ids),
            180, "every application to complete", every=0.5,
        )  # fmt: skip
    except AssertionError as timeout:
        raise AssertionError(f"{timeout}: {_progress(ids)}") from None

    # None lost: each application has a filing for every department its route promises (the shipped routing
    # rules, read here without the portal), each of them decided.
    trader = sample("electronics_trader")
    promised = {"new_company": routed_for(trader, True), "existing_company": routed_for(trader, False)}
    filings = list(Filing.objects.filter(application_id__in=ids).select_related("department", "application"))
    for application in Application.objects.filter(pk__in=ids):
        codes = sorted(f.department.code for f in filings if f.application_id == application.pk)
        assert codes == sorted(promised[application.kind]) == sorted(application.routed), application.pk
    assert len(filings) == sum(len(promised[body["kind"]]) for _user, body in registrations)
    assert {f.state for f in filings} == {"approved"}

    # None twice: the department recorded each filing once; each was dispatched once and decided once.
    receipts = SandboxReceipt.objects.values_list("department_code", "filing_id").annotate(n=Count("id"))
    assert {(code, filing): n for code, filing, n in receipts} == {(f.department.code, f.pk): 1 for f in filings}
    for action in ("filing.dispatched", "filing.approved"):
        events = AuditEvent.objects.filter(object_type="filing", action=action).values_list("object_id")
        assert dict(events.annotate(n=Count("id"))) == {str(f.pk): 1 for f in filings}, action

    # The split was real: a department was delivered to only by the worker consuming its queue (the callback
    # address in what it received is that worker's portal), and each worker delivered.
    portal_1, portal_2 = scale.urls
    delivered_by: dict[str, set[str]] = {}
    for code, url in SandboxReceipt.objects.values_list("department_code", "callback_url"):
        delivered_by.setdefault(code, set()).add(url.split("/api/")[0])
    expected = {code: {portal_1 if code in CODES_A else portal_2} for code in delivered_by}
    assert delivered_by == expected
    assert set(delivered_by) & set(CODES_A) and set(delivered_by) & set(CODES_B), delivered_by
    stats = app.control.inspect(destination=list(scale.hostnames.values()), timeout=5).stats() or {}
    totals = {name: stats.get(host, {}).get("total", {}) for name, host in scale.hostnames.items()}
    assert all(totals[name].get("departments.deliver_filing") for name in totals), totals
    assert totals["worker_a"].get("departments.sweep_filings"), totals  # beat's sweep goes to `default`: worker A
    assert not totals["worker_b"].get("departments.sweep_filings"), totals
    assert totals["worker_b"].get("departments.sandbox_decide") and not totals["worker_a"].get(
        "departments.sandbox_decide"
    ), totals
    outcomes = {name: scale.outcomes(name) for name in ("worker_a", "worker_b")}
    assert outcomes["worker_a"].get("dispatched") and outcomes["worker_b"].get("dispatched"), outcomes

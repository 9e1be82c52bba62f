"""bench/cost: what one registration costs (issue 18), from its draft to every filing decided.

N new-company and N existing-company registrations of the foreign-trade trader (13 departments, every one of them
a department system: the sandbox over HTTP, deciding at once and calling back), driven through the HTTP API, on a
PostgreSQL and a Redis started for this run only, so that what they count and spend is this workload's alone. The
portal and the sandbox run under gunicorn (2 workers × 4 threads each), deliveries in 2 Celery worker processes;
the sandbox's decisions in a worker of its own, and the sandbox on a database role of its own: it stands for the
departments' systems, so its CPU and statements are reported apart from the platform's.

Per registration it reports the CPU milliseconds of every process involved, from the operating system's
accounting (/proc: user + system time of each process tree, children that ended included), the SQL statements
PostgreSQL executed (pg_stat_statements), the Redis commands (INFO commandstats) and the Celery tasks run; and the
same for the baselines measured in the same run: one no-op task, one trivial request (`GET /api/v1/ping`). Prints a
table and writes it as JSON to `var/bench-cost.json` (`BENCH_COST_JSON`), so later changes can be compared.

`BENCH_COST_REGISTRATIONS` (20 of each kind), `BENCH_COST_BASELINE` (300 tasks, 300 requests).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.pipeline import PASSWORD, _free_port, gunicorn_command, stop, wait_ready, worker_command

ROOT = Path(__file__).resolve().parent.parent
COUNT = int(os.environ.get("BENCH_COST_REGISTRATIONS", "20"))
BASELINE = int(os.environ.get("BENCH_COST_BASELINE", "300"))
TICKS = os.sysconf("SC_CLK_TCK")
OBSERVER = "bench_observer"  # the bench's own queries run as this role and are left out of the counts
SANDBOX_ROLE = "sandbox_system"  # the department sandbox's statements (a department's own system) are apart
SANDBOX_GROUPS = ("sandbox", "sandbox_worker")
GOALS = {"cpu_ms": 100, "sql": 150}


# --- Processes and their CPU time -----------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds of the process and of its children that ended and were waited for)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (name) "
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / TICKS


def tree_cpu(root: int) -> float:
    """CPU seconds a process tree has used so far: each live process with what its ended children used. A child
    that ended is counted in its parent's total once waited for, and is no longer live: nothing twice."""
    stats = {int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit() and (s := _stat(int(p.name)))}
    children: dict[int, list[int]] = {}
    for pid, (parent, _cpu) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


@dataclass
class Services:
    """The PostgreSQL and Redis of this run, and their URLs."""

    pg_dir: Path
    pg_port: int
    pg_bin: Path
    redis: subprocess.Popen
    redis_port: int

    def url(self, role: str = "postgres") -> str:
        """The run's database, as `role` (postgres: the platform; SANDBOX_ROLE; OBSERVER: the bench itself)."""
        return f"postgres://{role}@127.0.0.1:{self.pg_port}/portal_cost"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def postmaster(self) -> int:
        return int((self.pg_dir / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        _as_postgres([str(self.pg_bin / "pg_ctl"), "-D", str(self.pg_dir), "-m", "fast", "stop"])
        shutil.rmtree(self.pg_dir, ignore_errors=True)
        self.redis.terminate()
        self.redis.wait(timeout=30)


def _as_postgres(command: list[str]) -> None:
    """PostgreSQL refuses to run as root: as root, its commands run as the `postgres` account."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 — our own commands


def services_start() -> Services:
    import psycopg

    pg_bin = max(Path("/usr/lib/postgresql").glob("*/bin"))
    pg_dir = Path(tempfile.mkdtemp(prefix="portal-bench-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(pg_dir, account.pw_uid, account.pw_gid)
    pg_port, redis_port = _free_port(), _free_port()
    _as_postgres([str(pg_bin / "initdb"), "-D", str(pg_dir), "--auth=trust", "-U", "postgres", "-E", "UTF8"])
    options = (f"-p {pg_port} -k {pg_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all "
               "-c pg_stat_statements.max=20000 -c log_connections=on")  # fmt: skip
    _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(pg_dir), "-o", options, "-l", str(pg_dir / "log"), "-w", "start"])
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{pg_port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE portal_cost")
        conn.execute(f"CREATE ROLE {OBSERVER} SUPERUSER LOGIN")
        conn.execute(f"CREATE ROLE {SANDBOX_ROLE} SUPERUSER LOGIN")
    with psycopg.connect(f"postgres://postgres@127.0.0.1:{pg_port}/portal_cost", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
    redis = subprocess.Popen(  # noqa: S603
        ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    time.sleep(0.5)
    return Services(pg_dir, pg_port, pg_bin, redis, redis_port)


# --- Counters -------------------------------------------------------------------------------------------------


@dataclass
class Reading:
    cpu: dict[str, float]  # process group → CPU seconds so far
    sql: int  # the statements the platform's processes sent
    sql_nested: int  # the foreign-key checks PostgreSQL ran for them
    sandbox_sql: int
    redis: int
    tasks: dict[str, int]
    connections: dict[str, int]


class Meter:
    """Reads every counter at once; the difference of two readings is what happened between them."""

    def __init__(self, services: Services, groups: dict[str, int], app):
        import psycopg
        import redis

        self.groups = {**groups, "postgresql": services.postmaster(), "redis": services.redis.pid}
        self.pg_log = services.pg_dir / "log"
        self.db = psycopg.connect(services.url(OBSERVER), autocommit=True)
        self.redis = redis.Redis.from_url(services.redis_url)
        self.app = app

    def _tasks(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for stats in (self.app.control.inspect(timeout=2).stats() or {}).values():
            for name, count in stats.get("total", {}).items():
                totals[name] = totals.get(name, 0) + count
        return totals

    def _sql(self, role: str, sent: bool = True) -> int:
        """Statements run as `role`: those its processes sent, or (sent=False) the foreign-key checks PostgreSQL
        ran itself for the rows they wrote (`SELECT 1 FROM ONLY … FOR KEY SHARE OF x`, which it counts too)."""
        row = self.db.execute(
            "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
            "WHERE r.rolname = %s AND (query LIKE '%% FROM ONLY %% FOR KEY SHARE OF x') <> %s",
            [role, sent],
        ).fetchone()
        return int(row[0])

    def connections_opened(self) -> dict[str, int]:
        """Connections opened so far, by the process group that opened them (PostgreSQL's log)."""
        counts: dict[str, int] = {}
        for line in (self.pg_log.read_text(errors="replace").splitlines() if self.pg_log.exists() else []):
            if "connection authorized" in line and "application_name=" in line:
                name = line.split("application_name=")[1].split()[0]
                counts[name] = counts.get(name, 0) + 1
        return counts

    def _redis(self) -> int:
        stats = self.redis.info("commandstats")
        return sum(v["calls"] for k, v in stats.items() if k != "cmdstat_info")

    def top_statements(self, units: int, limit: int = 25) -> list[dict]:
        """The statements executed most since the last reset, per unit: where the SQL count comes from."""
        rows = self.db.execute(
            # The start of each statement, and what it filters on (the columns it reads are long and alike).
            # Savepoints have a name each: counted together.
            "SELECT sum(calls), sum(total_exec_time), q FROM (SELECT calls, total_exec_time, "
            "regexp_replace(left(regexp_replace(query, '\\s+', ' ', 'g'), 90), '(SAVEPOINT) \\S+', '\\1 …') "
            "|| ' … ' || "
            "coalesce(left(substring(regexp_replace(query, '\\s+', ' ', 'g') from ' (WHERE .*)$'), 110), '') AS q "
            "FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid WHERE r.rolname = 'postgres'"
            ") t GROUP BY q ORDER BY 1 DESC LIMIT %s",
            [limit],
        ).fetchall()
        # sum() gives numeric (Decimal): JSON wants plain numbers.
        return [{"per_unit": round(int(c) / units, 2), "ms_per_unit": round(float(t) / units, 3), "query": q}
                for c, t, q in rows]  # fmt: skip

    def reset_statements(self) -> None:
        self.db.execute("SELECT pg_stat_statements_reset()")

    def read(self, first: bool) -> Reading:
        # Worker statistics travel through the broker: asked for outside the span that is measured.
        tasks = self._tasks() if first else {}
        cpu = {name: tree_cpu(pid) for name, pid in self.groups.items()}
        sql, nested, sandbox_sql = self._sql("postgres"), self._sql("postgres", False), self._sql(SANDBOX_ROLE)
        commands = self._redis()
        return Reading(cpu, sql, nested, sandbox_sql, commands, tasks if first else self._tasks(),
                       self.connections_opened())  # fmt: skip

    @staticmethod
    def per_unit(before: Reading, after: Reading, units: int) -> dict:
        cpu = {k: round((after.cpu[k] - before.cpu[k]) * 1000 / units, 2) for k in after.cpu}
        platform = sum(v for k, v in cpu.items() if k not in SANDBOX_GROUPS)
        tasks = {k: round((after.tasks.get(k, 0) - before.tasks.get(k, 0)) / units, 2) for k in after.tasks}
        return {
            "cpu_ms": cpu,
            "cpu_ms_platform": round(platform, 2),  # everything but the sandbox (a department's own machine)
            "cpu_ms_total": round(sum(cpu.values()), 2),
            "sql": round((after.sql - before.sql) / units, 1),
            "sql_nested": round((after.sql_nested - before.sql_nested) / units, 1),
            "sql_sandbox": round((after.sandbox_sql - before.sandbox_sql) / units, 1),
            "redis_commands": round((after.redis - before.redis) / units, 1),
            "celery_tasks": round(sum(tasks.values()), 2),
            "celery_tasks_by_name": {k: v for k, v in tasks.items() if v},
            "connections_opened": {
                k: round((v - before.connections.get(k, 0)) / units, 2)
                for k, v in after.connections.items()
                if v != before.connections.get(k, 0)
            },
        }


# --- The run --------------------------------------------------------------------------------------------------


def main() -> None:
    services = services_start()
    processes: list[subprocess.Popen] = []
    try:
        result = _run(services, processes)
    finally:
        stop(processes)
        services.stop()
    _report(result)


def _run(services: Services, processes: list[subprocess.Popen]) -> dict:
    web_port, sandbox_port = _free_port(), _free_port()
    os.environ.update(
        DATABASE_URL=services.url(), REDIS_URL=services.redis_url, DJANGO_SETTINGS_MODULE="portal.settings",
        SIGNATURES_REQUIRED="false", PORTAL_BASE_URL=f"http://127.0.0.1:{web_port}",
        DEPARTMENT_SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}/sandbox", DEBUG="false", LOG_LEVEL="WARNING",
        SWEEP_INTERVAL_SECONDS="3600",
    )  # fmt: skip
    os.environ.pop("CELERY_BROKER_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)  # noqa: S603
    subprocess.run([sys.executable, "manage.py", "seed_demo", "--password", PASSWORD], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip  # noqa: S603

    import django

    django.setup()
    from portal.celery import app

    users = _world(COUNT + 2)
    groups = _start(processes, web_port, sandbox_port, services.url(SANDBOX_ROLE))
    import requests

    session = requests.Session()
    base = f"http://127.0.0.1:{web_port}/api/v1"
    meter = Meter(services, groups, app)

    # Warm-up, not measured: the first requests and deliveries load code and fill caches.
    _register(session, base, users["new"][:2], "new_company")
    _register(session, base, users["existing"][:2], "existing_company")
    _settle(meter)

    results = {"registrations_per_kind": COUNT, "baseline_units": BASELINE}
    before = meter.read(first=True)
    _noops(BASELINE)
    results["noop_task"] = Meter.per_unit(before, meter.read(first=False), BASELINE)

    token = users["new"][0][1]
    before = meter.read(first=True)
    with ThreadPoolExecutor(4) as pool:
        codes = set(pool.map(lambda _i: session.get(f"{base}/ping", headers=_auth(token)).status_code,
                             range(BASELINE)))  # fmt: skip
    assert codes == {200}, codes
    results["trivial_request"] = Meter.per_unit(before, meter.read(first=False), BASELINE)

    for kind, key in (("new_company", "new"), ("existing_company", "existing")):
        _settle(meter)
        meter.reset_statements()
        before = meter.read(first=True)
        started = time.perf_counter()
        ids = _register(session, base, users[key][2:], kind)
        _decided(meter, ids)
        seconds = time.perf_counter() - started
        time.sleep(1)  # what follows the last decision (its audit, notices) ends; asking the workers would count
        results[kind] = {**Meter.per_unit(before, meter.read(first=False), COUNT), "seconds": round(seconds, 1),
                         "top_statements": meter.top_statements(COUNT)}  # fmt: skip
    return results


def _auth(token: str) -> dict:
    return {"Authorization": f"Token {token}"}


def _world(count: int) -> dict[str, list[tuple[str, str]]]:
    """Every department decides through its system (the sandbox, at once, calling back); `count` applicants for new
    companies and `count` owners of licensed enterprises, each with an API token:
    {"new"|"existing": [(uscc, token)]}."""
    from rest_framework.authtoken.models import Token

    from departments.models import AdapterKind, Department, SandboxSetting
    from forms_engine.samples import _shipped
    from portal.models import Role, User
    from registration.identifiers import uscc_generate
    from registration.models import Enterprise
    from registration.selectors import register_data

    for department in Department.objects.all():
        department.adapter_kind = AdapterKind.HTTP
        department.adapter_config = {**department.adapter_config, "endpoint": "sandbox"}
        department.save()
        SandboxSetting.objects.update_or_create(
            department_code=department.code,
            defaults={"mode": "approve", "decision_delay_seconds": 0, "fail_times": 0,
                      "decide_before_answering": False},  # fmt: skip
        )
    register = register_data(_shipped()["electronics_trader"])
    users: dict[str, list[tuple[str, str]]] = {"new": [], "existing": []}
    for index in range(count):
        founder = User.objects.create_user(username=f"cost_new{index}", password=PASSWORD, role=Role.APPLICANT)
        users["new"].append(("", Token.objects.create(user=founder).key))
        owner = User.objects.create_user(username=f"cost_owner{index}", password=PASSWORD, role=Role.APPLICANT)
        enterprise = Enterprise.objects.create(
            uscc=uscc_generate(), name_zh=f"{register['name_zh']}{index}", name_key=f"cost{index}",
            entity_type=register["entity_type"], established_on="2024-01-02", data=register, owner=owner,
        )  # fmt: skip
        users["existing"].append((enterprise.uscc, Token.objects.create(user=owner).key))
    return users


def _register(session, base: str, users: list[tuple[str, str]], kind: str) -> list[int]:
    """Each user files the trader's registration over the API: a draft with its answers, then submit."""
    from forms_engine.samples import _shipped
    from registration.selectors import register_data

    sample = _shipped()["electronics_trader"]
    own = {k: v for k, v in sample.items() if k not in register_data(sample)}

    def one(user: tuple[str, str]) -> int:
        uscc, token = user
        if kind == "new_company":
            # A distinct trade name per company (names are unique, and digits are written in words).
            trade_name = "".join("华信达盛源泰恒通兴隆"[int(c, 16) % 10] for c in token[:6])
            body = {"kind": kind, "data": {**sample, "name_zh": f"东莞市{trade_name}电子贸易有限公司"}}
        else:
            body = {"kind": kind, "uscc": uscc, "data": own}
        created = session.post(f"{base}/applications", json=body, headers=_auth(token), timeout=60)
        assert created.status_code == 201, created.text
        application_id = created.json()["id"]
        submitted = session.post(f"{base}/applications/{application_id}/submit", headers=_auth(token), timeout=60)
        assert submitted.status_code == 200, submitted.text
        return application_id

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, users))


def _decided(meter: Meter, ids: list[int]) -> None:
    """Wait until each application is completed: every one of its filings decided."""
    deadline = time.time() + 600
    while True:
        row = meter.db.execute(
            "SELECT count(*) FROM registration_application WHERE id = ANY(%s) AND state = 'completed'", [ids]
        ).fetchone()
        if row[0] == len(ids):
            return
        if time.time() > deadline:
            raise SystemExit("the registrations were not all decided within 10 minutes")
        time.sleep(0.2)


def _settle(meter: Meter) -> None:
    """Wait until the workers have nothing left to do (no task queued, none running or scheduled)."""
    for _ in range(600):
        inspect = meter.app.control.inspect(timeout=1)
        busy = any((inspect.active() or {}).values()) or any((inspect.scheduled() or {}).values())
        queued = sum(meter.redis.llen(q) for q in meter.redis.keys("*") if meter.redis.type(q) == b"list")
        if not busy and not queued:
            return
        time.sleep(0.2)


def _noops(count: int) -> None:
    from celery import group

    from portal.tasks import noop

    group(noop.s() for _ in range(count)).apply_async().get(timeout=300)


def _start(processes: list[subprocess.Popen], web_port: int, sandbox_port: int, sandbox_db: str) -> dict[str, int]:
    """The platform (portal, 2 workers) and the department sandbox (its server and a worker for its decisions),
    the sandbox on a database role of its own so that its statements are counted apart."""
    worker = worker_command(4)
    commands = {
        "portal": gunicorn_command(web_port),
        "sandbox": gunicorn_command(sandbox_port),
        "worker_1": [*worker, "-X", "sandbox", "--hostname", "cost1@%h"],
        "worker_2": [*worker, "-X", "sandbox", "--hostname", "cost2@%h"],
        "sandbox_worker": [*worker, "-Q", "sandbox", "--hostname", "costsandbox@%h"],
    }
    log = open(ROOT / "var" / "bench-cost.log", "w")  # noqa: SIM115 — closed with the processes
    groups = {}
    for name, command in commands.items():
        env = {**os.environ, "PGAPPNAME": name}  # PostgreSQL's log names who opened each connection
        if name in SANDBOX_GROUPS:
            env["DATABASE_URL"] = sandbox_db
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,  # noqa: S603
                                   start_new_session=True)  # fmt: skip
        processes.append(process)
        groups[name] = process.pid
    wait_ready((web_port, sandbox_port))
    return groups


def _report(result: dict) -> None:
    rows = [("no-op task", result["noop_task"]), ("trivial request", result["trivial_request"]),
            ("new company", result["new_company"]), ("existing company", result["existing_company"])]  # fmt: skip
    groups = list(result["noop_task"]["cpu_ms"])
    header = ["per unit", *groups, "platform", "sql", "+fk", "sandbox sql", "redis", "tasks"]
    lines = [header] + [
        [name, *(f"{r['cpu_ms'][g]:.1f}" for g in groups), f"{r['cpu_ms_platform']:.1f}", f"{r['sql']:.0f}",
         f"{r['sql_nested']:.0f}", f"{r['sql_sandbox']:.0f}",
         f"{r['redis_commands']:.0f}", f"{r['celery_tasks']:.1f}"]
        for name, r in rows
    ]  # fmt: skip
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(str(cell).rjust(width) for cell, width in zip(line, widths, strict=True)))
    print("CPU in ms per unit (user + system, every process of the group); platform = all but the sandbox's server "
          "and worker (a department's own system); sql = the statements the platform sent; +fk = those PostgreSQL ran "
          "inside them (foreign-key checks).")
    for kind in ("new_company", "existing_company"):
        r = result[kind]
        print(f"{kind}: {r['cpu_ms_platform'] / result['noop_task']['cpu_ms_platform']:.0f}× a no-op task, "
              f"{r['cpu_ms_platform'] / result['trivial_request']['cpu_ms_platform']:.0f}× a trivial request; "
              f"goals ≤ {GOALS['cpu_ms']} CPU-ms, ≤ {GOALS['sql']} SQL statements; "
              f"tasks {r['celery_tasks_by_name']}; new database connections {r['connections_opened']}")  # fmt: skip
    if os.environ.get("BENCH_COST_TOP"):
        for kind in ("new_company", "existing_company"):
            print(f"top statements of a {kind} registration (per registration, calls and ms):")
            for row in result[kind]["top_statements"]:
                print(f"  {row['per_unit']:6.1f} {row['ms_per_unit']:7.2f}  {row['query']}")
    target = Path(os.environ.get("BENCH_COST_JSON", ROOT / "var" / "bench-cost.json"))
    target.write_text(json.dumps({"measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **result}, indent=1))
    print(f"written to {target}")


if __name__ == "__main__":
    main()

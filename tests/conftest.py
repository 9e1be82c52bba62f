"""Shared fixtures: the seeded reference data, the personas of every permission test, a real Celery worker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from departments.models import Department
from departments.services import departments_load
from forms_engine.services import codetables_load, data_items_load, department_forms_load
from portal.models import Role, User
from portal.second_factor import needs_second_factor, recovery_codes_issue
from portal.services import auditors_group_ensure

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Hashing strength is Django's business, not ours; the suite hashes hundreds of passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Submitting needs the founders' signatures (issue 17); the tests of everything after submit do without
    # them. Tests of signing turn it back on (@override_settings(SIGNATURES_REQUIRED=True), tests/test_signing.py
    # and the signing browser test).
    settings.SIGNATURES_REQUIRED = False


_force_login = Client.force_login


def force_login_with_second_factor(self: Client, user, backend=None) -> None:
    """`force_login` stands for a finished sign-in, which for staff includes the second factor: their session is
    marked verified by a confirmed authenticator, as `/accounts/second-factor/` would (django-otp's session key).
    Tests of the second factor itself use the real pages, or `force_login_password_only`."""
    _force_login(self, user, backend)
    if needs_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True
        )
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def second_factor_code(user) -> str | None:
    """What an enrolled staff member types as their second factor (None for applicants): a fresh recovery code,
    as a TOTP code cannot be used twice in its 30 seconds and tests sign the same clerk in more often than that."""
    if not needs_second_factor(user):
        return None
    TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "authenticator"})
    return recovery_codes_issue(user)[0]


def force_login_password_only(client: Client, user) -> None:
    """A staff session that gave its password but not yet its second factor."""
    _force_login(client, user)


@pytest.fixture(autouse=True)
def _staff_second_factor(monkeypatch):
    monkeypatch.setattr(Client, "force_login", force_login_with_second_factor)


@pytest.fixture
def seeded(db):
    """The 16 departments with routing rules, data items, department forms and code tables, as `seed_demo` loads
    them."""
    codetables_load()
    data_items_load()
    department_forms_load()
    departments_load()


def _user(username: str, role: str, department: Department | None = None, **extra) -> User:
    return User.objects.create_user(
        username=username, password=PASSWORD, role=role, department=department, full_name=username, **extra
    )


@pytest.fixture
def applicant(db) -> User:
    return _user("zhang_wei", Role.APPLICANT, mobile="13800138000")


@pytest.fixture
def outsider(db) -> User:
    """Another applicant: must never see the first one's things."""
    return _user("li_na", Role.APPLICANT, mobile="13900139000")


@pytest.fixture
def clerk(seeded) -> User:
    return _user("clerk_ntax_test", Role.CLERK, Department.objects.get(code="NTAX"))


@pytest.fixture
def admin_user(db) -> User:
    return _user("admin_test", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def auditor(db) -> User:
    user = _user("auditor_test", Role.AUDITOR, is_staff=True)
    user.groups.add(auditors_group_ensure())
    return user


@pytest.fixture
def world(seeded, applicant, django_capture_on_commit_callbacks):
    """The seeded portal with every department deciding in the workbench (clerk queues, delivered in the releasing
    transaction): (the applicant's Api, a clerk per department code)."""
    from tests.workflow import Api, all_by_clerk_queue, make_clerks

    all_by_clerk_queue()
    return Api(applicant), make_clerks()


@pytest.fixture
def trader(world):
    """A licensed foreign-trade electronics trader whose registration every department approved (the Enterprise)."""
    from tests.workflow import completed_trader

    api, clerks = world
    return completed_trader(api, clerks)


@pytest.fixture
def licensed_trader(world):
    """A foreign-trade trader with its licence, every other department holding a dispatched filing:
    (the applicant's Api reading English, clerks by department code, application id)."""
    from tests.workflow import Api, filing, submitted_trader

    api, clerks = world
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    application_id = submitted_trader(api)
    assert Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve").status_code == 200
    return api, clerks, application_id


def database_url_for_tests() -> str:
    """The URL of the database this test session really uses, for processes the tests start."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery -A portal worker` process on the test database and the configured broker (per module, so
    it never consumes work that other modules' tests enqueue)."""
    from portal.tasks import ping

    with django_db_blocker.unblock():
        env = {**os.environ, "DATABASE_URL": database_url_for_tests()}
    log = (ROOT / "var").joinpath("test-worker.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo", "--purge",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
            ],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited ({process.returncode}); see {log}")
            try:
                ping.apply_async().get(timeout=5)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()

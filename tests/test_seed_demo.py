"""`seed_demo --password P` loads the reference data and the users of docs/CONTRACT.md, and can run again."""

import datetime as dt

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from departments.models import AdapterKind, Department, RoutingRule
from forms_engine.models import IndustryCode, Town
from portal.models import Role, User
from registration.demo_register import demo_register_rows

CODES = [
    "AIC", "NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS",
    "PBOC", "COMMERCE", "CUSTOMS", "CIQ", "SAFE", "EPB", "HEALTH", "FIRE",
]  # fmt: skip
HTTP_DEPARTMENTS = {"NTAX", "LTAX", "SI", "CUSTOMS", "CIQ"}

pytestmark = pytest.mark.django_db


def seed(password="demo-pass"):
    call_command("seed_demo", password=password, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_loads_the_sixteen_departments_in_order():
    seed()

    assert list(Department.objects.values_list("code", flat=True)) == CODES
    aic = Department.objects.get(code="AIC")
    assert aic.name == "市场监督管理局(工商)"
    assert aic.name_en.startswith("Administration for Market Regulation")


def test_adapters_are_http_for_the_five_sandboxed_departments_and_clerk_queue_elsewhere():
    seed()

    kinds = dict(Department.objects.values_list("code", "adapter_kind"))
    assert {c for c, k in kinds.items() if k == AdapterKind.HTTP} == HTTP_DEPARTMENTS
    assert {c for c, k in kinds.items() if k == AdapterKind.CLERK_QUEUE} == set(CODES) - HTTP_DEPARTMENTS
    assert all(d.hmac_secret and len(d.hmac_secret) >= 32 for d in Department.objects.all())


def test_prerequisites_are_the_real_ones():
    seed()

    def prereqs(code):
        return set(Department.objects.get(code=code).prerequisites.values_list("code", flat=True))

    assert prereqs("PBOC") == {"PSB"}
    assert prereqs("CUSTOMS") == {"COMMERCE"}
    assert prereqs("SAFE") == {"COMMERCE", "CUSTOMS"}
    assert prereqs("NTAX") == set()


def test_routing_rules_are_data_for_every_department():
    seed()

    assert set(RoutingRule.objects.filter(is_active=True).values_list("department__code", flat=True)) == set(CODES)
    epb = RoutingRule.objects.get(department__code="EPB", trigger="industry", is_active=True)
    assert epb.industry_codes == "13-43,62,8111-8113"


def test_code_tables_are_loaded():
    seed()

    assert Town.objects.count() == 35
    assert Town.objects.get(code="441900121").name_zh == "虎门镇"
    assert IndustryCode.objects.filter(level="class").count() == 1381
    assert IndustryCode.objects.get(code="3982").name_zh == "电子电路制造"
    assert IndustryCode.objects.filter(level="section").count() == 20


def test_creates_the_contract_users_with_the_password():
    seed("s3cret-demo")

    expected = {"admin", "applicant", "applicant2", "auditor"} | {f"clerk_{c.lower()}" for c in CODES}
    assert set(User.objects.values_list("username", flat=True)) == expected
    assert authenticate(HttpRequest(), username="clerk_ntax", password="s3cret-demo") is not None
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.role == Role.ADMIN
    assert User.objects.get(username="clerk_customs").department.code == "CUSTOMS"
    assert User.objects.get(username="auditor").role == Role.AUDITOR
    assert User.objects.get(username="applicant").role == Role.APPLICANT


def test_running_twice_changes_nothing_but_the_password():
    seed("first-pass")
    counts = (Department.objects.count(), RoutingRule.objects.count(), User.objects.count(), Town.objects.count())
    secrets = dict(Department.objects.values_list("code", "hmac_secret"))

    seed("second-pass")

    assert counts == (
        Department.objects.count(),
        RoutingRule.objects.count(),
        User.objects.count(),
        Town.objects.count(),
    )
    assert secrets == dict(Department.objects.values_list("code", "hmac_secret"))
    assert authenticate(HttpRequest(), username="applicant", password="second-pass") is not None
    assert authenticate(HttpRequest(), username="applicant", password="first-pass") is None


def test_refuses_a_too_short_password():
    with pytest.raises(CommandError, match="at least 4"):
        seed("abc")
    assert not User.objects.exists()


# --- seed_demo --history N: past registrations for the operations dashboard ----------------------------------


def history(n, password="demo-pass", seed=7):
    call_command(
        "seed_demo",
        password=password,
        history=n,
        history_seed=seed,
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )


def test_history_makes_registered_enterprises_with_valid_unique_codes():
    from forms_engine.validators import resident_id_problem, uscc_problem
    from registration.models import Application, Enterprise

    history(120)

    applications = Application.objects.filter(applicant__username__startswith="history_")
    assert applications.count() == 120
    enterprises = list(Enterprise.objects.all())
    assert len(enterprises) == applications.filter(licensed_at__isnull=False).count() >= 110
    assert len({e.uscc for e in enterprises}) == len(enterprises)
    assert all(uscc_problem(e.uscc) is None for e in enterprises)
    assert len({e.name_key for e in enterprises}) == len(enterprises)
    assert all(resident_id_problem(e.data["legal_rep"]["id_number"]) is None for e in enterprises)
    assert all(not User.objects.get(username=u).has_usable_password() for u in ["history_001", "history_002"])


def test_every_released_history_filing_carries_its_filled_form():
    from departments.models import Filing

    history(60)

    released = Filing.objects.exclude(state="waiting")
    assert released.count() > 60
    assert not released.filter(payload__isnull=True).exists()
    licensed = released.exclude(department__code="AIC").select_related("application__enterprise").first()
    assert licensed.payload and licensed.application.enterprise.uscc in str(licensed.payload)
    assert Filing.objects.filter(state="waiting", payload__isnull=False).count() == 0


def test_history_timestamps_follow_the_workflow():
    from django.utils import timezone

    from departments.models import Filing
    from registration.models import Application

    history(150)

    now = timezone.now()
    completed = Application.objects.filter(state="completed").prefetch_related("filings__department")
    assert completed.count() >= 130
    for application in completed:
        filings = list(application.filings.all())
        assert {f.department.code for f in filings} == set(application.routed)
        assert all(f.state == "approved" for f in filings)
        assert all(application.submitted_at <= f.dispatched_at <= f.decided_at <= now for f in filings)
        assert all(f.opened_at is None or f.dispatched_at <= f.opened_at <= f.decided_at for f in filings)
        assert application.completed_at == max(f.decided_at for f in filings)
        aic = next(f for f in filings if f.department.code == "AIC")
        assert application.licensed_at == aic.decided_at
        assert all(f.dispatched_at >= aic.decided_at for f in filings if f is not aic)
        assert now - application.submitted_at < dt.timedelta(days=183)
        assert application.enterprise.established_on == timezone.localdate(application.licensed_at)
    pboc = Filing.objects.filter(department__code="PBOC", state="approved").select_related("application")
    for f in pboc:  # PBOC waits for PSB's approval
        psb = Filing.objects.get(application=f.application, department__code="PSB")
        assert f.dispatched_at > psb.decided_at
    # Recent registrations are still under way, as they would be today.
    assert not Filing.objects.filter(state="approved", decided_at__gt=now).exists()


def test_history_mix_of_industries_and_capital():
    from reporting.stats import stats_compute

    history(600)

    stats = stats_compute()
    categories = stats["by_category"]
    total = sum(categories.values())
    assert total == stats["enterprises"]
    assert abs(categories["services"] / total - 0.48) < 0.07
    assert abs(categories["high_tech_manufacturing"] / total - 0.22) < 0.06
    assert abs(categories["traditional_manufacturing"] / total - 0.30) < 0.06
    assert 1_600_000 < stats["avg_reg_capital"] < 2_700_000
    assert stats["median_hours_to_complete"] is not None and stats["fields_delivered"] > stats["fields_typed"] > 0
    assert stats["registrations"] == 600


def test_history_tops_up_to_n_and_running_again_adds_nothing():
    from registration.models import Application

    history(40, seed=1)
    history(40, seed=2)
    assert Application.objects.count() == 40

    history(55, seed=3)
    assert Application.objects.count() == 55
    assert Application.objects.values("enterprise").count() == 55


def test_history_must_not_be_negative():
    with pytest.raises(CommandError, match="0 or more"):
        history(-1)


def test_demo_enterprise_is_registered_through_the_workflow_once(django_capture_on_commit_callbacks):
    from departments.models import Filing
    from registration.models import Enterprise

    for _run in range(2):
        call_command("seed_demo", password="demo-pass", demo_enterprise=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    enterprise = Enterprise.objects.get(owner__username="applicant")
    states = dict(Filing.objects.filter(application__enterprise=enterprise).values_list("department__code", "state"))
    assert states["AIC"] == states["COMMERCE"] == states["PBOC"] == "approved"
    assert states["SAFE"] == "waiting"  # for CUSTOMS, decided by its own system
    assert {states[c] for c in HTTP_DEPARTMENTS} == {"queued"}  # the worker and the sandbox take it from here
    # Besides it, the register market supervision had before the portal, loaded once however often it runs.
    assert Enterprise.objects.filter(owner__isnull=False).count() == 1
    assert Enterprise.objects.filter(owner__isnull=True, register_version__gte=1).count() == 1000
    first = Enterprise.objects.get(uscc=next(demo_register_rows(count=1))["uscc"])
    assert first.data["legal_rep"]["id_number"] == User.objects.get(username="applicant2").verified_id_number


def test_seed_demo_sets_up_the_ca_sandbox_and_the_demo_signers_certificates(seeded):
    from departments.models import CertificateAuthority, SandboxCertificate

    call_command("seed_demo", password="demo-pass", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", password="demo-pass", stdout=open("/dev/null", "w"))  # noqa: SIM115 — again: no more

    assert sorted(CertificateAuthority.objects.filter(is_active=True).values_list("code", flat=True)) == [
        "CFCA", "GDCA", "NETCA"
    ]  # fmt: skip
    chen = SandboxCertificate.objects.filter(id_number="441900199005151231")
    assert chen.count() == 7 and chen.filter(revoked_at__isnull=False).count() == 1
    assert chen.filter(signing=False).count() == 1 and chen.filter(ca__code="ROGUE").count() == 1
    assert SandboxCertificate.objects.filter(id_number="441900200101012464").count() == 3  # 李晓燕, an investor


def test_the_demo_enterprise_is_signed_like_any_registration_when_signatures_are_required(
    seeded, settings, django_capture_on_commit_callbacks
):
    from registration.models import Application

    settings.SIGNATURES_REQUIRED = True
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", password="demo-pass", demo_enterprise=True, stdout=open("/dev/null", "w"))  # noqa: SIM115

    application = Application.objects.get(applicant__username="applicant", kind="new_company")
    assert application.enterprise is not None
    assert sorted(application.submitted_signatures().values_list("signer", flat=True)) == ["investors.1", "legal_rep"]

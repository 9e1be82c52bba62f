"""`seed_demo --password P` loads the reference data and the users of CONTRACT.md, and can run again."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from departments.models import AdapterKind, Department, RoutingRule
from forms_engine.models import IndustryCode, Town
from portal.models import Role, User

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
    assert authenticate(username="clerk_ntax", password="s3cret-demo") is not None
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
    assert authenticate(username="applicant", password="second-pass") is not None
    assert authenticate(username="applicant", password="first-pass") is None


def test_refuses_a_too_short_password():
    with pytest.raises(CommandError, match="at least 4"):
        seed("abc")
    assert not User.objects.exists()

"""The operations dashboard: every figure of `/api/v1/stats` against values worked out by hand on a small register,
who may see it (admins and auditors; everyone else refused), the page with its charts, and the CSV downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

from departments.models import Department, Filing
from forms_engine import codetables
from forms_engine.compose import compose
from forms_engine.models import DepartmentForm, FieldMapping, FormVersion
from forms_engine.selectors import data_item_specs, form_specs_current, form_version_current
from registration.models import Application, Enterprise
from reporting import charts
from reporting.stats import (
    CATEGORIES,
    SecondsBetween,
    industry_category,
    medians,
    medians_by_window,
    stats_compute,
    stats_current,
)

pytestmark = pytest.mark.django_db

NOW_LOCAL = dt.datetime(2026, 11, 5, 12, 0)  # a Thursday; its week starts on Monday 2026-11-02


def at(text: str) -> dt.datetime:
    """A local (Asia/Shanghai) time, as the portal stores it (aware)."""
    return timezone.make_aware(dt.datetime.fromisoformat(text))


NOW = timezone.make_aware(NOW_LOCAL)


@pytest.fixture
def frozen(monkeypatch):
    """Pages and downloads compute "now" themselves: pin it to NOW."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _enterprise(n: int, code: str, capital: str | None) -> Enterprise:
    data = {"industry_code": code, "name_zh": f"东莞市测试{n}有限公司"}
    if capital is not None:
        data["reg_capital"] = capital
    return Enterprise.objects.create(
        uscc=f"91441900MA0000{n:03d}X", name_zh=data["name_zh"], name_key=f"test{n}", entity_type="llc",
        established_on=dt.date(2026, 11, 1), data=data,
    )  # fmt: skip


def _application(applicant, enterprise, kind, state, routed, submitted=None, licensed=None, completed=None):
    return Application.objects.create(
        kind=kind, state=state, applicant=applicant, enterprise=enterprise, routed=routed,
        submitted_at=submitted and at(submitted), licensed_at=licensed and at(licensed),
        completed_at=completed and at(completed),
    )  # fmt: skip


def _filing(
    application,
    code,
    state,
    dispatched=None,
    opened=None,
    decided=None,
    due=None,
    version="current",
    kind="registration",
):
    department = Department.objects.get(code=code)
    dispatched_at = dispatched and at(dispatched)
    if due is None and dispatched_at:
        due_at = dispatched_at + dt.timedelta(hours=department.sla_hours)
    else:
        due_at = due and at(due)
    if version == "current":
        version = form_version_current(code) if dispatched else None
    return Filing.objects.create(
        application=application, department=department, state=state, form_version=version, kind=kind,
        dispatched_at=dispatched_at, opened_at=opened and at(opened), decided_at=decided and at(decided),
        due_at=due_at,
    )  # fmt: skip


def _delivered_per_filing(version: FormVersion) -> int:
    """Worked out from the mapping rows: one field per mapping, one per sub-field of an `each` list."""
    return sum(
        len(m.args["fields"]) if m.transform == "each" else 1 for m in FieldMapping.objects.filter(version=version)
    )


@pytest.fixture
def register(seeded, applicant):
    """Six enterprises, seven applications and eleven filings whose figures are worked out in the tests below."""
    DepartmentForm.objects.filter(department_code="AIC").update(sheets=4)
    DepartmentForm.objects.filter(department_code="NTAX").update(sheets=2)
    DepartmentForm.objects.filter(department_code="PSB").update(sheets=1)
    e1 = _enterprise(1, "5179", "1000000.00")  # F wholesale: services
    e2 = _enterprise(2, "3982", "2000000.00")  # C 39: high-tech
    e3 = _enterprise(3, "3841", "3000000.00")  # the lithium battery class: high-tech
    e4 = _enterprise(4, "2110", "6000000.00")  # C 21 furniture: traditional
    _enterprise(5, "4790", "not a number")  # E construction: other; capital not counted
    _enterprise(6, "", None)  # no class: unclassified

    full = ["AIC", "NTAX", "PSB"]
    a1 = _application(applicant, e1, "new_company", "completed", full,
                      "2026-11-02 09:00", "2026-11-02 11:00", "2026-11-03 09:00")  # fmt: skip
    # Submitted at 23:30 local (15:30 UTC): counted on the 3rd, not the 4th nor (in UTC) the 3rd by accident.
    a2 = _application(applicant, e2, "new_company", "completed", full,
                      "2026-11-03 23:30", "2026-11-04 03:30", "2026-11-05 11:30")  # fmt: skip
    # 00:30 local on the 4th is still the 3rd in UTC.
    a3 = _application(applicant, e3, "new_company", "in_progress", full, "2026-11-04 00:30", "2026-11-04 06:30")
    a4 = _application(applicant, e4, "existing_company", "in_progress", ["NTAX", "PSB"], "2026-10-28 10:00")
    _application(applicant, None, "new_company", "draft", [])
    _application(applicant, None, "new_company", "withdrawn", ["AIC", "NTAX"], "2026-11-05 08:00")
    a7 = _application(applicant, e1, "change", "in_progress", ["NTAX"], "2026-11-05 09:00")

    # AIC: decisions 2 h, 4 h, 6 h after delivery; clerks 10, 20, 30 minutes after opening.
    _filing(a1, "AIC", "approved", "2026-11-02 09:00", "2026-11-02 10:50", "2026-11-02 11:00")
    _filing(a2, "AIC", "approved", "2026-11-03 23:30", "2026-11-04 03:10", "2026-11-04 03:30")
    _filing(a3, "AIC", "approved", "2026-11-04 00:30", "2026-11-04 06:00", "2026-11-04 06:30")
    # NTAX decides in its own system (no clerk opens anything): 300 s and 500 s. F4 was delivered with an older,
    # smaller version of the NTAX form.
    old_ntax = FormVersion.objects.create(form=DepartmentForm.objects.get(department_code="NTAX"), number=0)
    FieldMapping.objects.bulk_create([
        FieldMapping(version=old_ntax, position=1, name="纳税人名称", transform="item", args={"item": "name_zh"}),
        FieldMapping(version=old_ntax, position=2, name="股东", transform="each",
                     args={"item": "investors", "fields": [{"name": "名称", "transform": "item", "args": {}},
                                                           {"name": "证件", "transform": "item", "args": {}}]}),
    ])  # fmt: skip
    FormVersion.objects.filter(pk=old_ntax.pk).update(status="published", published_at=at("2026-01-01 00:00"))
    _filing(a1, "NTAX", "approved", "2026-11-02 11:00", None, "2026-11-02 11:05", version=old_ntax)
    _filing(a2, "NTAX", "approved", "2026-11-04 03:30", None, "2026-11-04 03:38:20")
    _filing(a4, "NTAX", "waiting")
    # A change registration's filing: a department figure (and overdue), not a registration delivery.
    _filing(a7, "NTAX", "dispatched", "2026-11-05 09:05", due="2026-11-05 10:00", kind="update")
    # PSB: one decided (22 h, the clerk 1 h), one overdue, one not yet due, one whose delivery failed.
    _filing(a1, "PSB", "approved", "2026-11-02 11:00", "2026-11-03 08:00", "2026-11-03 09:00")
    _filing(a3, "PSB", "dispatched", "2026-11-04 06:30")  # due 2026-11-05 06:30, before NOW
    _filing(a4, "PSB", "dispatched", "2026-11-05 10:00", version=None)  # due tomorrow; no version pinned
    _filing(a2, "PSB", "failed")
    return {"old_ntax": old_ntax}


def test_enterprises_by_category_and_capital(register):
    stats = stats_compute(now=NOW)

    assert stats["enterprises"] == 6
    assert stats["by_category"] == {
        "services": 1, "high_tech_manufacturing": 2, "traditional_manufacturing": 1, "other": 1,
    }  # fmt: skip
    assert stats["unclassified_enterprises"] == 1
    assert stats["avg_reg_capital"] == 3_000_000.0  # (1 + 2 + 3 + 6) M / 4; "not a number" and none left out
    assert stats["median_reg_capital"] == 2_500_000.0


def test_applications_by_state_and_registrations(register):
    stats = stats_compute(now=NOW)

    assert stats["applications"] == {
        "draft": 1, "submitted": 0, "in_progress": 3, "correction_requested": 0, "completed": 2, "rejected": 0,
        "withdrawn": 1,
    }  # fmt: skip
    assert stats["registrations"] == 5  # submitted new/existing-company applications; not the draft, not the change


def test_median_hours_to_licence_and_to_completion(register):
    stats = stats_compute(now=NOW)

    assert stats["median_hours_to_licence"] == 4.0  # 2 h, 4 h, 6 h
    assert stats["median_hours_to_complete"] == 30.0  # 24 h and 36 h


def test_registrations_per_local_day_and_week(register):
    stats = stats_compute(now=NOW)

    days = {p["date"]: p["n"] for p in stats["registrations_by_day"]}
    assert len(days) == 30 and stats["registrations_by_day"][-1]["date"] == "2026-11-05"
    assert stats["registrations_by_day"][0]["date"] == "2026-10-07"
    assert {d: n for d, n in days.items() if n} == {
        "2026-10-28": 1, "2026-11-02": 1, "2026-11-03": 1, "2026-11-04": 1, "2026-11-05": 1,
    }  # fmt: skip
    weeks = {p["week"]: p["n"] for p in stats["registrations_by_week"]}
    assert len(weeks) == 26 and stats["registrations_by_week"][-1]["week"] == "2026-11-02"
    assert {w: n for w, n in weeks.items() if n} == {"2026-10-26": 1, "2026-11-02": 4}


def test_filings_by_department_and_state(register):
    stats = stats_compute(now=NOW)

    counts = stats["filings_by_department"]
    assert list(counts)[:3] == ["AIC", "NTAX", "LTAX"]  # every department, in the portal's order
    assert len(counts) == 16
    assert {s: n for s, n in counts["AIC"].items() if n} == {"approved": 3}
    assert {s: n for s, n in counts["NTAX"].items() if n} == {"approved": 2, "waiting": 1, "dispatched": 1}
    assert {s: n for s, n in counts["PSB"].items() if n} == {"approved": 1, "dispatched": 2, "failed": 1}
    assert sum(counts["LTAX"].values()) == 0 and set(counts["LTAX"]) == set(counts["AIC"])


def test_decision_and_clerk_medians_per_department(register):
    stats = stats_compute(now=NOW)

    decision = stats["department_median_decision_seconds"]
    assert decision["AIC"] == 14400.0  # 2 h, 4 h, 6 h
    assert decision["NTAX"] == 400.0  # 300 s, 500 s (the undecided change filing does not count)
    assert decision["PSB"] == 79200.0  # 22 h, the only decision
    assert decision["LTAX"] is None
    clerk = stats["clerk_median_seconds"]
    assert clerk["AIC"] == 1200.0  # 10, 20, 30 min
    assert clerk["PSB"] == 3600.0
    assert clerk["NTAX"] is None  # decided by its own system: no clerk time


def test_overdue_and_failed_per_department(register):
    stats = stats_compute(now=NOW)

    assert {c: n for c, n in stats["overdue_filings"].items() if n} == {"PSB": 1, "NTAX": 1}
    assert stats["overdue_filings_total"] == 2
    assert {c: n for c, n in stats["failed_deliveries"].items() if n} == {"PSB": 1}
    assert stats["failed_deliveries_total"] == 1
    assert stats["sla_hours"]["AIC"] == 96 and stats["sla_hours"]["PSB"] == 24


def test_overdue_follows_the_clock(register):
    later = stats_compute(now=at("2026-11-06 10:30"))  # the existing company's PSB filing is now late too

    assert later["overdue_filings"]["PSB"] == 2


def test_paper_trips_and_fields(register):
    stats = stats_compute(now=NOW)

    # Delivered filings of registrations: AIC 3, NTAX 2, PSB 3 (not the failed one, not the waiting one, not the
    # change registration's).
    assert stats["trips_saved"] == stats["filings_delivered"] == 8
    assert stats["paper_sheets_saved"] == 3 * 4 + 2 * 2 + 3 * 1

    def current(code):
        return _delivered_per_filing(form_version_current(code))

    assert _delivered_per_filing(register["old_ntax"]) == 3 < current("NTAX")
    assert stats["fields_delivered"] == 3 * current("AIC") + (3 + current("NTAX")) + 3 * current("PSB")

    def typed(routed):  # what the service hall told each applicant: "you type N items"
        return compose(routed, form_specs_current(), data_item_specs()).fields_typed

    full = ["AIC", "NTAX", "PSB"]
    expected = 3 * typed(full) + typed(["NTAX", "PSB"]) + typed(["AIC", "NTAX"])
    assert stats["fields_typed"] == expected
    assert 0 < stats["fields_typed"] < stats["fields_delivered"]


def test_contract_keys_are_all_there(register):
    stats = stats_compute(now=NOW)

    contract = {
        "enterprises", "applications", "by_category", "avg_reg_capital", "median_hours_to_complete",
        "filings_by_department", "clerk_median_seconds", "fields_typed", "fields_delivered", "paper_sheets_saved",
    }  # fmt: skip
    assert contract <= set(stats)
    assert set(stats["by_category"]) == set(CATEGORIES)


def test_an_empty_portal_has_zeros_and_no_medians(seeded):
    stats = stats_compute(now=NOW)

    assert stats["enterprises"] == 0 and stats["registrations"] == 0
    assert stats["avg_reg_capital"] is None and stats["median_hours_to_complete"] is None
    assert set(stats["clerk_median_seconds"].values()) == {None}
    assert stats["fields_typed"] == stats["fields_delivered"] == stats["paper_sheets_saved"] == 0


def test_query_count_does_not_grow_with_the_rows(register, applicant):
    stats_compute(now=NOW)  # fills the per-process caches of form specs
    with CaptureQueriesContext(connection) as small:
        stats_compute(now=NOW)
    enterprise = Enterprise.objects.get(uscc="91441900MA0000001X")
    for n in range(15):
        more = _application(applicant, enterprise, "new_company", "completed", ["AIC", "NTAX", "PSB"],
                            "2026-11-01 09:00", "2026-11-01 10:00", f"2026-11-01 {11 + n % 9}:00")  # fmt: skip
        for code in ("AIC", "NTAX", "PSB"):
            _filing(more, code, "approved", "2026-11-01 09:00", "2026-11-01 09:30", "2026-11-01 10:00")

    with CaptureQueriesContext(connection) as large:
        stats = stats_compute(now=NOW)

    assert len(large.captured_queries) == len(small.captured_queries)
    assert stats["registrations"] == 20


@pytest.mark.django_db(transaction=True)
def test_the_same_figures_outside_a_transaction(register):
    """Outside a transaction PostgreSQL computes the medians on a second connection at the same time as the rest
    (inside one, as in the other tests, everything runs in turn): the figures must not change."""
    stats = stats_compute(now=NOW)

    assert stats["department_median_decision_seconds"]["AIC"] == 14400.0
    assert stats["clerk_median_seconds"]["PSB"] == 3600.0
    assert stats["by_category"]["high_tech_manufacturing"] == 2 and stats["median_hours_to_complete"] == 30.0
    assert stats["trips_saved"] == 8 and stats["fields_typed"] > 0
    assert stats["filings_by_department"]["PSB"]["failed"] == 1


def test_window_median_agrees_with_the_database_median(register):
    """The SQLite way (window functions) is checked on whichever database runs the suite, PostgreSQL included."""
    filings = Filing.objects.filter(decided_at__isnull=False)
    values = {"decision": SecondsBetween("decided_at", "dispatched_at")}

    by_window = medians_by_window(filings, values, group="department__code")
    native = medians(filings, values, group="department__code")

    assert {c: round(m["decision"], 1) for c, m in by_window.items()} == {
        "AIC": 14400.0, "NTAX": 400.0, "PSB": 79200.0,
    }  # fmt: skip
    assert {c: round(m["decision"], 1) for c, m in native.items()} == {"AIC": 14400.0, "NTAX": 400.0, "PSB": 79200.0}
    assert medians_by_window(Filing.objects.none(), values) == {None: {"decision": None}}


# --- Who may see the figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "auditor"])
def test_admins_and_auditors_get_the_figures(client, register, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/api/v1/stats")

    assert response.status_code == 200
    assert response.json()["by_category"]["high_tech_manufacturing"] == 2


def test_an_auditor_token_works_too(register, auditor):
    token = Token.objects.create(user=auditor)

    response = Client().get("/api/v1/stats", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["applicant", "clerk", "outsider"])
def test_applicants_and_clerks_are_refused(client, register, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get("/api/v1/stats")

    assert response.status_code == 403
    assert "enterprises" not in response.json()


def test_anonymous_gets_401(client, register):
    response = client.get("/api/v1/stats")

    assert response.status_code == 401
    assert "enterprises" not in response.json()


def test_figures_are_cached_briefly(client, register, admin_user):
    client.force_login(admin_user)
    first = client.get("/api/v1/stats").json()

    _enterprise(7, "6210", "500000.00")
    cached = client.get("/api/v1/stats").json()
    cache.clear()  # what 30 seconds do
    fresh = client.get("/api/v1/stats").json()

    assert first["enterprises"] == cached["enterprises"] == 6
    assert fresh["enterprises"] == 7
    assert stats_current()["enterprises"] == 7


# --- The page and the downloads ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "auditor"])
def test_the_dashboard_shows_charts_then_tables(client, register, persona, request, frozen):
    client.force_login(request.getfixturevalue(persona))
    client.cookies["django_language"] = "en"

    response = client.get("/dashboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('role="img"') == 5  # registrations, states, industries, forms, departments
    assert html.count("<title id=") == 5 and html.count("<desc id=") == 5
    assert "Registrations per week" in html and "Operations dashboard" in html
    assert html.index("<svg") < html.index("<table")  # pictures first
    assert "Filings by department and state" in html
    assert 'href="/dashboard/filings.csv"' in html and 'href="/dashboard/departments.csv"' in html
    assert "3,000,000 yuan" in html  # the average capital
    assert "High-tech manufacturing" in html and "40.0 %" in html  # 2 of the 5 classified enterprises
    kpis = {label: figure for label, figure, _note in response.context["kpis"]}
    assert kpis["Time to licence"] == "4.0 h" and kpis["Overdue filings"] == "2"


def test_the_dashboard_per_day_and_in_chinese(client, register, admin_user):
    client.force_login(admin_user)

    response = client.get("/dashboard/", {"by": "day"})

    assert response.status_code == 200
    assert response.context["period"] == "day"
    assert len(response.context["registrations"]["chart"].columns) == 30
    assert '<html lang="zh-CN">' in response.content.decode()


def test_the_dashboard_of_an_empty_portal(client, seeded, auditor):
    client.force_login(auditor)

    response = client.get("/dashboard/")

    assert response.status_code == 200
    assert response.context["forms"]["ratio"] == "—"


def test_only_admins_and_auditors_see_the_link(client, seeded, admin_user, applicant, clerk):
    client.force_login(admin_user)
    assert 'href="/dashboard/"' in client.get("/").content.decode()
    for user in (applicant, clerk):
        client.force_login(user)
        assert 'href="/dashboard/"' not in client.get("/").content.decode()


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/filings.csv", "/dashboard/departments.csv"])
@pytest.mark.parametrize("persona", ["applicant", "clerk", "outsider"])
def test_pages_refuse_applicants_and_clerks(client, seeded, path, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/filings.csv", "/dashboard/departments.csv"])
def test_pages_send_anonymous_visitors_to_log_in(client, seeded, path):
    response = client.get(path)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_filings_csv_has_one_row_per_filing(client, register, auditor, frozen):
    client.force_login(auditor)
    client.cookies["django_language"] = "en"

    response = client.get("/dashboard/filings.csv")

    rows = _csv(response)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, body = rows[0], rows[1:]
    assert header[:4] == ["filing", "application", "department", "state"]
    assert len(body) == Filing.objects.count() == 11
    by_key = {(r[2], r[1]): dict(zip(header, r, strict=True)) for r in body}
    aic = by_key[("AIC", str(Application.objects.get(submitted_at=at("2026-11-02 09:00")).pk))]
    assert aic["decision time (s)"] == "7200" and aic["clerk handling time (s)"] == "600"
    assert aic["delivered"] == "2026-11-02T09:00:00+08:00"
    assert aic["unified social credit code"] == "91441900MA0000001X"
    assert sum(int(r["overdue"]) for r in by_key.values()) == 2  # figures as of now: the two past their due time


def test_filings_csv_defuses_formulas(client, register, auditor):
    Enterprise.objects.filter(uscc="91441900MA0000001X").update(name_zh="=HYPERLINK(1)")
    client.force_login(auditor)

    rows = _csv(client.get("/dashboard/filings.csv"))

    assert "'=HYPERLINK(1)" in {cell for row in rows for cell in row}


def test_departments_csv_has_the_per_department_figures(client, register, admin_user, frozen):
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"

    rows = _csv(client.get("/dashboard/departments.csv"))

    header, body = rows[0], rows[1:]
    assert len(body) == 16
    psb = dict(zip(header, next(r for r in body if r[0] == "PSB"), strict=True))
    assert psb["filings"] == "4" and psb["Delivery failed"] == "1" and psb["overdue"] == "1"
    assert psb["median decision time (s)"] == "79200.0" and psb["median clerk handling time (s)"] == "3600.0"
    assert psb["decision time limit (hours)"] == "24"


# --- Pure parts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("5179", "services"), ("9013", "services"), ("6513", "services"), ("7010", "services"),
        ("3982", "high_tech_manufacturing"), ("2710", "high_tech_manufacturing"), ("3841", "high_tech_manufacturing"),
        ("4011", "high_tech_manufacturing"), ("3360", "traditional_manufacturing"),
        ("2110", "traditional_manufacturing"), ("1713", "traditional_manufacturing"),
        ("4350", "traditional_manufacturing"),
        ("0511", "other"), ("4790", "other"), ("4411", "other"), ("0610", "other"),
        ("", None), ("39", None), ("abcd", None), ("３９８２", None), (None, None),
    ],
)  # fmt: skip
def test_industry_category(code, category):
    assert industry_category(code) == category


def test_industry_category_agrees_with_the_sections_of_gbt4754():
    sections = {"C": None, "A": "other", "B": "other", "D": "other", "E": "other"}
    for code, row in codetables.industry_classes().items():
        expected = sections.get(row.section, "services")
        if row.section == "C":
            high = code[:2] in ("27", "35", "36", "37", "38", "39", "40") or code == "3841"
            expected = "high_tech_manufacturing" if high else "traditional_manufacturing"
        assert industry_category(code) == expected, code


def test_number_groups_thousands_in_both_languages():
    with translation.override("zh-hans"):
        assert charts.number(3603627) == "3,603,627"
    with translation.override("en"):
        assert charts.number(2106450.7) == "2,106,451"
        assert charts.number(5.46, 1) == "5.5"
        assert charts.number(None) == "—"


def test_duration_picks_a_readable_unit():
    with translation.override("en"):
        assert [charts.duration(s) for s in (45, 600, 9000, 259200, None)] == ["45 s", "10 min", "2.5 h", "3.0 d", "—"]


def test_bar_chart_scales_to_the_largest_value_or_marker():
    chart = charts.bar_chart([("a", 10, "10"), ("b", 5, "5"), ("c", 0, "0")], markers=[None, 20, None])

    assert [b.width for b in chart.bars] == ["36.00", "18.00", "0.00"]  # the marker (20) fills the track
    assert chart.bars[1].marker == f"{charts.BAR_TRACK:.2f}"
    assert chart.height == 3 * charts.ROW_HEIGHT + 4


def test_column_chart_uses_round_ticks():
    chart = charts.column_chart([("a", "A", 0), ("b", "B", 37), ("c", "C", 80)], label_every=2)

    assert [t.text for t in chart.ticks] == ["0", "20", "40", "60", "80"]
    assert [c.height for c in chart.columns] == [0, round(160 * 37 / 80), 160]
    assert [c.label for c in chart.columns] == ["a", "", "c"]
    assert [charts.nice_step(top) for top in (0, 8, 9, 4000)] == [1, 2, 5, 1000]


def test_donut_slices_go_round_once():
    slices = charts.donut([("x", "X", 1), ("y", "Y", 3), ("z", "Z", 0)])

    assert [s.dasharray for s in slices] == ["25.000 75.000", "75.000 25.000", "0.000 100.000"]
    assert [s.dashoffset for s in slices] == ["25.000", "0.000", "-75.000"]
    assert charts.donut([("x", "X", 0)])[0].dasharray == "0.000 100.000"


def test_capital_in_another_currency_is_not_counted_as_yuan(register):
    usd = _enterprise(9, "5179", "1000000.00")
    usd.data["capital_currency"] = "USD"
    usd.save()
    cny = _enterprise(10, "5179", "3000000.00")
    cny.data["capital_currency"] = "CNY"
    cny.save()
    stats = stats_compute(now=NOW)
    assert stats["avg_reg_capital"] == 3_000_000.0  # (1 + 2 + 3 + 6 + 3) M / 5; the dollars left out
    assert stats["median_reg_capital"] == 3_000_000.0

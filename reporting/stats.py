"""Operations dashboard figures (运营统计): what the one-stop reform delivers, computed by the database.

Every figure is an aggregate — COUNT / AVG with FILTER, GROUP BY, medians — so the work in Python grows with the
number of groups (states, departments, form versions, distinct routings, days), never with the number of rows.
Medians are PostgreSQL's PERCENTILE_CONT and, on other databases (SQLite), the same interpolated median from a
window-function query. On PostgreSQL the sort-heavy half (filing medians) runs on a second connection while
this one counts the rest (`_side_by_side`), so a cold answer on 10,000 registrations takes about a quarter of a
second (bench/stats.py). `stats_current()` keeps the answer in Django's cache for `STATS_CACHE_SECONDS`.

Which rows count:
- registrations are applications of the two registration kinds (new company, existing company) once submitted;
- "delivered" filings are the registration filings (`Filing.kind`; not change notices or archive copies) that
  reached their department (`dispatched_at` set): each saved the applicant a trip and the department's paper
  form (`DepartmentForm.sheets`), and carried the department's own fields, counted on the form version pinned to
  the filing;
- "fields typed" is what the service hall promises each applicant ("you type N items"): the unified form composed
  for the departments routed at submit, summed over submitted registrations;
- department figures (states, decision times, overdue, failed) count every filing, whatever its application.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from departments.models import Department, Filing, FilingKind, FilingState
from forms_engine.compose import compose
from forms_engine.models import DepartmentForm, FormVersion
from forms_engine.projection import delivered_count
from forms_engine.selectors import data_item_specs, form_specs_current, form_version_spec, forms_current
from portal.calendar import BEIJING, beijing_date, beijing_start_of_day
from registration.models import Application, ApplicationState, Enterprise

STATS_CACHE_KEY = "portal:stats:v1"
STATS_CACHE_SECONDS = 30
DAYS_SHOWN = 30
WEEKS_SHOWN = 26

REGISTRATION_KINDS = (Application.Kind.NEW_COMPANY, Application.Kind.EXISTING_COMPANY)

# Statistics categories of an enterprise (docs/DOMAIN.md), from its GB/T 4754 class code.
SERVICES = "services"
HIGH_TECH = "high_tech_manufacturing"
TRADITIONAL = "traditional_manufacturing"
OTHER = "other"
CATEGORIES = (SERVICES, HIGH_TECH, TRADITIONAL, OTHER)
HIGH_TECH_DIVISIONS = ("27", "35", "36", "37", "38", "39", "40")
HIGH_TECH_CLASSES = ("3841",)
# After the high-tech rule, by two-digit division: C 13–43 manufacturing; A 01–05, B 06–12, D 44–46, E 47–50;
# F–T 51–97 services.
DIVISION_RANGES = (
    (TRADITIONAL, "13", "43"),
    (OTHER, "01", "12"),
    (OTHER, "44", "50"),
    (SERVICES, "51", "97"),
)
AMOUNT_PATTERN = r"^[0-9]+(\.[0-9]+)?$"


def industry_category(code: str | None) -> str | None:
    """The dashboard category of a four-digit GB/T 4754 class: high-tech manufacturing (C divisions 27, 35–40 and
    class 3841), traditional manufacturing (other C), other (A, B, D, E) or services (F–T); None otherwise."""
    if not code or len(code) != 4 or not (code.isascii() and code.isdigit()):
        return None
    division = code[:2]
    if code in HIGH_TECH_CLASSES or division in HIGH_TECH_DIVISIONS:
        return HIGH_TECH
    for category, first, last in DIVISION_RANGES:
        if first <= division <= last:
            return category
    return None


# --- Database functions ---------------------------------------------------------------------------------------


class SecondsBetween(Func):
    """Seconds from `start` to `end` (two datetime expressions) as a float, computed by the database."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end: Any, start: Any, **extra: Any):
        super().__init__(end, start, **extra)

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra_context: Any) -> Any:
        raise NotSupportedError(f"SecondsBetween is written for PostgreSQL and SQLite, not {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        # date_part gives double precision directly (EXTRACT gives numeric, slower to compute and to sort).
        return super().as_sql(
            compiler,
            connection,
            template="date_part('epoch', %(expressions)s)",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django keeps datetimes in SQLite as ISO text in UTC; julianday() reads it (to about 0.1 ms).
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


class Median(Aggregate):
    """The interpolated median (PostgreSQL's PERCENTILE_CONT(0.5)). Use `medians()`, which also answers on SQLite."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def medians(
    queryset: QuerySet,
    values: dict[str, Expression],
    group: str | None = None,
    also: dict[str, Aggregate] | None = None,
) -> dict[Any, dict[str, Any]]:
    """{group value: {name: median of the expression, and each of `also`'s aggregates}} over the queryset's rows,
    NULLs ignored; the one key is None without `group`. PostgreSQL answers everything in one grouped query (one
    pass over the rows); elsewhere `medians_by_window` computes the medians and one more query the rest."""
    queryset = queryset.order_by()
    also = also or {}
    if connections[queryset.db].vendor != "postgresql":
        found: dict[Any, dict[str, Any]] = {}
        if also:
            rows = queryset.values(stat_group=F(group)).annotate(**also) if group else [queryset.aggregate(**also)]
            for row in rows:
                found[row.pop("stat_group", None)] = {**dict.fromkeys(values), **row}
        for key, found_medians in medians_by_window(queryset, values, group).items():
            found.setdefault(key, dict.fromkeys(also)).update(found_medians)
        return found
    aggregates: dict[str, Aggregate] = {f"stat_{name}": Median(expression) for name, expression in values.items()}
    aggregates |= {f"stat_{name}": aggregate for name, aggregate in also.items()}
    names = [*values, *also]
    if group is None:
        row = queryset.aggregate(**aggregates)
        return {None: {name: row[f"stat_{name}"] for name in names}}
    rows = queryset.values(stat_group=F(group)).annotate(**aggregates)
    return {row["stat_group"]: {name: row[f"stat_{name}"] for name in names} for row in rows}


WINDOW_MEDIAN_SQL = (
    "SELECT stat_group, AVG(stat_value) FROM ("
    " SELECT stat_group, stat_value,"
    " ROW_NUMBER() OVER (PARTITION BY stat_group ORDER BY stat_value) AS stat_rank,"
    " COUNT(*) OVER (PARTITION BY stat_group) AS stat_count"
    " FROM ({inner}) stat_rows"
    ") stat_ranked WHERE stat_rank IN ((stat_count + 1) / 2, (stat_count + 2) / 2) GROUP BY stat_group"
)


def medians_by_window(
    queryset: QuerySet, values: dict[str, Expression], group: str | None = None
) -> dict[Any, dict[str, float | None]]:
    """The medians of `medians` with window functions only (ROW_NUMBER and COUNT over each group), for databases
    without an ordered-set aggregate: the middle row, or the mean of the two middle rows. Runs on PostgreSQL too
    (the tests check it there). Groups without any value are left out; without `group` the key is None."""
    found: dict[Any, dict[str, float | None]] = {} if group is not None else {None: dict.fromkeys(values)}
    for name, expression in values.items():
        rows = queryset.order_by().annotate(stat_value=expression).filter(stat_value__isnull=False)
        rows = rows.annotate(stat_group=F(group) if group else Value(0, output_field=IntegerField()))
        try:
            inner, params = rows.values_list("stat_group", "stat_value").query.get_compiler(using=rows.db).as_sql()
        except EmptyResultSet:  # a queryset that cannot match anything (`.none()`, `pk__in=[]`)
            continue
        # `inner` is the ORM's own SQL for the queryset, with its values still as parameters.
        sql = WINDOW_MEDIAN_SQL.format(inner=inner)
        with connections[rows.db].cursor() as cursor:
            cursor.execute(sql, params)
            for key, median in cursor.fetchall():
                key = key if group is not None else None
                found.setdefault(key, dict.fromkeys(values))[name] = float(median)
    return found


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(float(value), places)


# --- The figures ----------------------------------------------------------------------------------------------


def _local_midnight(day: dt.date) -> dt.datetime:
    return beijing_start_of_day(day)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _application_figures(now: dt.datetime) -> dict[str, Any]:
    """One pass over the applications for states, counts and medians; one more for the registrations per day."""
    registration = Q(kind__in=REGISTRATION_KINDS, submitted_at__isnull=False)
    figures = medians(
        Application.objects.all(),
        {
            "licence": Case(
                When(
                    registration & Q(kind=Application.Kind.NEW_COMPANY),
                    then=SecondsBetween("licensed_at", "submitted_at"),
                )
            ),
            "complete": Case(When(registration, then=SecondsBetween("completed_at", "submitted_at"))),
        },
        also={
            "registrations": Count("id", filter=registration),
            **{f"state_{state}": Count("id", filter=Q(state=state)) for state in ApplicationState.values},
        },
    )[None]

    today = beijing_date(now)
    first_day = today - dt.timedelta(days=DAYS_SHOWN - 1)
    first_week = today - dt.timedelta(days=today.weekday(), weeks=WEEKS_SHOWN - 1)
    by_day = dict(
        Application.objects.filter(registration, submitted_at__gte=_local_midnight(first_week), submitted_at__lte=now)
        .order_by()
        .annotate(day=TruncDate("submitted_at", tzinfo=BEIJING))
        .values_list("day")
        .annotate(n=Count("id"))
    )
    by_week: dict[dt.date, int] = {}
    for day, n in by_day.items():
        monday = day - dt.timedelta(days=day.weekday())
        by_week[monday] = by_week.get(monday, 0) + n
    days = [first_day + dt.timedelta(days=i) for i in range(DAYS_SHOWN)]
    mondays = [first_week + dt.timedelta(weeks=i) for i in range(WEEKS_SHOWN)]
    return {
        "applications": {state: figures[f"state_{state}"] for state in ApplicationState.values},
        "registrations": figures["registrations"],
        "median_hours_to_licence": _hours(figures["licence"]),
        "median_hours_to_complete": _hours(figures["complete"]),
        "registrations_by_day": [{"date": d.isoformat(), "n": by_day.get(d, 0)} for d in days],
        "registrations_by_week": [{"week": m.isoformat(), "n": by_week.get(m, 0)} for m in mondays],
    }


def _enterprise_figures() -> dict[str, Any]:
    """Enterprises counted per industry class by the database, the classes put in categories here (a few hundred
    classes at most); capital average and median in one more pass."""
    categories = dict.fromkeys([*CATEGORIES, None], 0)
    per_class = (
        Enterprise.objects.order_by()
        .annotate(stat_code=KeyTextTransform("industry_code", "data"))
        .values_list("stat_code")
        .annotate(n=Count("id"))
    )
    for code, n in per_class:
        categories[industry_category(code)] += n
    capital = Cast(KeyTextTransform("reg_capital", "data"), FloatField())
    money = medians(
        # Amounts in yuan only: a foreign-invested company's capital keeps its own currency (docs/DOMAIN.md).
        Enterprise.objects.filter(data__reg_capital__regex=AMOUNT_PATTERN).filter(
            Q(data__capital_currency="CNY") | Q(data__capital_currency__isnull=True)
        ),
        {"median": capital},
        also={"avg": Avg(capital)},
    )[None]
    return {
        "enterprises": sum(categories.values()),
        "by_category": {category: categories[category] for category in CATEGORIES},
        "unclassified_enterprises": categories[None],
        "avg_reg_capital": _round(money["avg"], 2),
        "median_reg_capital": _round(money["median"], 2),
    }


def _fields_per_version() -> tuple[dict[str, int], dict[int, int]]:
    """How many department fields a filing carries: with the current version of each department's form (by
    code), and with each older published version (by id). Specs of published versions are cached."""
    forms = forms_current()
    current = {code: sum(delivered_count(f) for f in form.spec.fields) for code, form in forms.items()}
    current_ids = {form.version_id for form in forms.values()}
    older = FormVersion.objects.filter(status=FormVersion.Status.PUBLISHED).exclude(pk__in=current_ids)
    return current, {
        v.pk: sum(delivered_count(f) for f in form_version_spec(v).fields) for v in older.select_related("form")
    }


def _department_times_and_deliveries(older: dict[int, int]) -> dict[int, dict[str, Any]]:
    """Per department id, in one pass over the filings: the median decision and clerk handling times (the
    sort-heavy part), and what the registration filings delivered — how many reached the department, and the
    fields of those made with an older form version than the current one (`older`: version id → fields)."""
    delivered = Q(dispatched_at__isnull=False, kind=FilingKind.REGISTRATION)
    on_older = delivered & Q(form_version_id__in=list(older))
    per_older_version = Case(
        *(When(form_version_id=pk, then=Value(n)) for pk, n in older.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    found = medians(
        Filing.objects.all(),
        {
            "decision": SecondsBetween("decided_at", "dispatched_at"),
            "clerk": SecondsBetween("decided_at", "opened_at"),
        },
        group="department_id",
        also={
            "delivered": Count("id", filter=delivered),
            # Nearly every filing is on the current version of its form: the per-row CASE runs only for the
            # others (and not at all while no form has a second version).
            **(
                {
                    "delivered_older": Count("id", filter=on_older),
                    "older_fields": Sum(per_older_version, filter=on_older),
                }
                if older
                else {}
            ),
        },
    )
    return {
        pk: {
            "decision": row["decision"],
            "clerk": row["clerk"],
            "delivered": row["delivered"] or 0,
            "delivered_older": row.get("delivered_older") or 0,
            "older_fields": row.get("older_fields") or 0,
        }
        for pk, row in found.items()
    }


def _department_counts(now: dt.datetime) -> dict[int, dict[str, int]]:
    """Filings per department id and state (the (department, state) index can answer this alone), and the
    overdue ones: still with the department after their due time (few rows, found through the state index)."""
    counted: dict[int, dict[str, int]] = {}
    for department_id, state, n in (
        # COUNT(*), not COUNT(id): the id is not in that index.
        Filing.objects.order_by().values_list("department_id", "state").annotate(n=Count("*"))
    ):
        counted.setdefault(department_id, {f"state_{s}": 0 for s in FilingState.values} | {"overdue": 0})
        counted[department_id][f"state_{state}"] = n
    overdue = (
        Filing.objects.overdue(now)
        .order_by()
        .values_list("department_id")
        .annotate(n=Count("id"))
    )
    for department_id, n in overdue:
        counted.setdefault(department_id, {f"state_{s}": 0 for s in FilingState.values})["overdue"] = n
    return counted


def _department_figures(
    departments: list[tuple[int, str, int]],
    counted: dict[int, dict[str, int]],
    times: dict[int, dict[str, Any]],
    fields_current: dict[str, int],
) -> dict[str, Any]:
    no_filings = {f"state_{s}": 0 for s in FilingState.values} | {"overdue": 0}
    no_times = {"decision": None, "clerk": None, "delivered": 0, "delivered_older": 0, "older_fields": 0}
    rows = {code: counted.get(pk, no_filings) | times.get(pk, no_times) for pk, code, _sla in departments}
    counts = {code: {state: row[f"state_{state}"] for state in FilingState.values} for code, row in rows.items()}
    return {
        "filings_by_department": counts,
        "department_median_decision_seconds": {code: _round(row["decision"], 1) for code, row in rows.items()},
        "clerk_median_seconds": {code: _round(row["clerk"], 1) for code, row in rows.items()},
        "overdue_filings": {code: row["overdue"] for code, row in rows.items()},
        "overdue_filings_total": sum(row["overdue"] for row in rows.values()),
        "failed_deliveries": {code: n[FilingState.FAILED] for code, n in counts.items()},
        "failed_deliveries_total": sum(n[FilingState.FAILED] for n in counts.values()),
        "sla_hours": {code: sla for _pk, code, sla in departments},
        **_delivery_figures(rows, fields_current),
    }


def _fields_typed() -> int:
    """What the service hall promised each applicant ("you type N items"): the unified form composed for the
    departments routed at submit, per distinct routing (a handful), times the registrations routed so."""
    forms = form_specs_current()
    items = data_item_specs()
    routings = (
        Application.objects.filter(kind__in=REGISTRATION_KINDS, submitted_at__isnull=False)
        .order_by()
        .values_list("routed")
        .annotate(n=Count("id"))
    )
    return sum(compose(routed or [], forms, items).fields_typed * n for routed, n in routings)


def _delivery_figures(rows: dict[str, dict[str, Any]], current: dict[str, int]) -> dict[str, Any]:
    """What the registration filings delivered: trips, paper and department fields (by form version)."""
    sheets = dict(DepartmentForm.objects.values_list("department_code", "sheets"))
    default_sheets = DepartmentForm._meta.get_field("sheets").default
    delivered = sum(row["delivered"] for row in rows.values())
    return {
        "fields_delivered": sum(
            (row["delivered"] - row["delivered_older"]) * current.get(code, 0) + row["older_fields"]
            for code, row in rows.items()
        ),
        "filings_delivered": delivered,
        "paper_sheets_saved": sum(row["delivered"] * sheets.get(code, default_sheets) for code, row in rows.items()),
        "trips_saved": delivered,
    }


def _side_by_side(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Any]:
    """Run two independent groups of reads at the same time, `second` on its own database connection in a worker
    thread, so a server with two or more cores works on both at once (PostgreSQL only). Inside a transaction
    (the tests, or a caller's atomic block) both run here in turn: another connection would not see its rows."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return first(), second()

    def on_own_connection() -> Any:
        try:
            return second()
        finally:
            connections.close_all()  # this thread's connections only; the thread ends here

    with ThreadPoolExecutor(max_workers=1) as pool:
        later = pool.submit(on_own_connection)
        return first(), later.result()


def stats_compute(*, now: dt.datetime | None = None) -> dict[str, Any]:
    """Every dashboard figure, straight from the database (docs/CONTRACT.md "Statistics"); JSON-ready."""
    now = now or timezone.now()
    departments = list(Department.objects.order_by("sort_order", "code").values_list("id", "code", "sla_hours"))

    fields_current, fields_older = _fields_per_version()

    def counts_enterprises_applications() -> dict[str, Any]:
        return {
            "counted": _department_counts(now),
            "fields_typed": _fields_typed(),
            **_enterprise_figures(),
            **_application_figures(now),
        }

    # The two halves take about as long as each other on 10,000 registrations (bench/stats.py).
    figures, times = _side_by_side(
        counts_enterprises_applications, lambda: _department_times_and_deliveries(fields_older)
    )
    counted = figures.pop("counted")
    return {
        "generated_at": now.isoformat(),
        **figures,
        **_department_figures(departments, counted, times, fields_current),
    }


def stats_current() -> dict[str, Any]:
    """The figures, at most `STATS_CACHE_SECONDS` old: a dashboard left open, or many of them, costs the database
    one computation per interval."""
    figures = cache.get_or_set(STATS_CACHE_KEY, stats_compute, STATS_CACHE_SECONDS)
    return figures if figures is not None else stats_compute()  # a cache that refuses to store answers None

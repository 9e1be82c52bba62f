"""The operations dashboard (运营看板) for admins and auditors: the reform's numbers as charts, then as tables, and
as CSV downloads. The figures come from `reporting.stats` (cached); this module only arranges them for people."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import BooleanField, Case, Value, When
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department, Filing, FilingState
from portal.calendar import BEIJING, beijing_today
from portal.permissions import reader_required
from registration.models import ApplicationState

from .charts import bar_chart, column_chart, donut, duration, number
from .stats import CATEGORIES, HIGH_TECH, OTHER, SERVICES, TRADITIONAL, SecondsBetween, stats_current

CATEGORY_LABELS = {
    SERVICES: gettext_lazy("Services"),
    HIGH_TECH: gettext_lazy("High-tech manufacturing"),
    TRADITIONAL: gettext_lazy("Traditional manufacturing"),
    OTHER: gettext_lazy("Agriculture, mining, utilities, construction"),
}


def _day(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _registrations_chart(stats: dict[str, Any], period: str) -> dict[str, Any]:
    if period == "day":
        series = [(_day(p["date"]), p["n"]) for p in stats["registrations_by_day"]]
        points = [(f"{d:%m-%d}", date_format(d, "DATE_FORMAT"), n) for d, n in series]
        label_every = 5
    else:
        series = [(_day(p["week"]), p["n"]) for p in stats["registrations_by_week"]]
        points = [(f"{d:%m-%d}", _("week of %(date)s") % {"date": date_format(d, "DATE_FORMAT")}, n) for d, n in series]
        label_every = 4
    total = sum(n for _d, n in series)
    busiest = max(series, key=lambda p: p[1]) if series else None
    if period == "day":
        summary = _("%(total)s registrations in the last %(n)s days; the busiest day, %(date)s, had %(max)s.")
    else:
        summary = _("%(total)s registrations in the last %(n)s weeks; the busiest, the week of %(date)s, had %(max)s.")
    return {
        "chart": column_chart(points, label_every=label_every),
        "rows": [(full, number(n)) for (_a, full, n) in points],
        "summary": summary
        % {
            "total": number(total),
            "n": len(series),
            "date": date_format(busiest[0], "DATE_FORMAT") if busiest else "—",
            "max": number(busiest[1]) if busiest else "0",
        },
    }


def _states_chart(stats: dict[str, Any]) -> dict[str, Any]:
    rows = [(str(ApplicationState(s).label), n) for s, n in stats["applications"].items()]
    return {
        "chart": bar_chart(
            [(label, n, number(n)) for label, n in rows], css=[f"state-{s}" for s in stats["applications"]]
        ),
        "rows": [(label, number(n)) for label, n in rows],
        "summary": "; ".join(f"{label}: {number(n)}" for label, n in rows),
    }


def _category_chart(stats: dict[str, Any]) -> dict[str, Any]:
    slices = donut([(c, str(CATEGORY_LABELS[c]), stats["by_category"][c]) for c in CATEGORIES])
    return {
        "slices": slices,
        "summary": "; ".join(f"{s.label}: {number(s.value)} ({s.share})" for s in slices),
    }


def _department_rows(stats: dict[str, Any], departments: list[Department]) -> list[dict[str, Any]]:
    rows = []
    for d in departments:
        if d.code not in stats["filings_by_department"]:
            continue
        counts = stats["filings_by_department"][d.code]
        decision = stats["department_median_decision_seconds"].get(d.code)
        sla_seconds = stats["sla_hours"].get(d.code, d.sla_hours) * 3600
        rows.append(
            {
                "code": d.code,
                "name": d.display_name,
                "sla": _("%(n)s h") % {"n": number(sla_seconds / 3600)},
                "counts": [(label, number(counts.get(value, 0))) for value, label in FilingState.choices],
                "total": number(sum(counts.values())),
                "decision": duration(decision),
                "decision_seconds": decision,
                "sla_seconds": sla_seconds,
                "late": decision is not None and decision > sla_seconds,
                "clerk": duration(stats["clerk_median_seconds"].get(d.code)),
                "overdue": stats["overdue_filings"].get(d.code, 0),
                "failed": stats["failed_deliveries"].get(d.code, 0),
            }
        )
    return rows


def _decision_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    hours = [(r["decision_seconds"] or 0) / 3600 for r in rows]
    chart = bar_chart(
        [(f"{r['code']} {r['name']}", h, r["decision"]) for r, h in zip(rows, hours, strict=True)],
        markers=[r["sla_seconds"] / 3600 for r in rows],
        css=["late" if r["late"] else "" for r in rows],
    )
    late = [r["code"] for r in rows if r["late"]]
    summary = _("Median time from delivery to decision per department, each against its time limit.")
    summary += " " + (
        _("Over the limit: %(codes)s.") % {"codes": ", ".join(late)} if late else _("Every department is within it.")
    )
    return {"chart": chart, "summary": summary}


def _forms_chart(stats: dict[str, Any]) -> dict[str, Any]:
    typed, delivered = stats["fields_typed"], stats["fields_delivered"]
    return {
        "chart": bar_chart(
            [
                (_("Items applicants typed"), typed, number(typed)),
                (_("Department fields delivered"), delivered, number(delivered)),
            ],
            css=["typed", "delivered"],
        ),
        "ratio": number(delivered / typed, 1) if typed else "—",
        "sheets": number(stats["paper_sheets_saved"]),
        "trips": number(stats["trips_saved"]),
        "summary": _("Applicants typed %(typed)s items; departments received %(delivered)s fields filled from them.")
        % {"typed": number(typed), "delivered": number(delivered)},
    }


@reader_required
def dashboard(request: HttpRequest) -> HttpResponse:
    stats = stats_current()
    period = "day" if request.GET.get("by") == "day" else "week"
    departments = list(Department.objects.order_by("sort_order", "code"))
    department_rows = _department_rows(stats, departments)
    return render(
        request,
        "reporting/dashboard.html",
        {
            "stats": stats,
            "generated_at": dt.datetime.fromisoformat(stats["generated_at"]),
            "period": period,
            "kpis": _kpis(stats),
            "registrations": _registrations_chart(stats, period),
            "states": _states_chart(stats),
            "categories": _category_chart(stats),
            "forms": _forms_chart(stats),
            "decisions": _decision_chart(department_rows),
            "department_rows": department_rows,
            "filing_states": FilingState.choices,
        },
    )


def _kpis(stats: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, figure, explanation) for the tiles at the top."""

    def yuan(value: float | None) -> str:
        return "—" if value is None else _("%(n)s yuan") % {"n": number(value)}

    def hours(value: float | None) -> str:
        return duration(None if value is None else value * 3600)

    return [
        (_("Enterprises registered"), number(stats["enterprises"]), _("in the register")),
        (_("Registrations"), number(stats["registrations"]), _("applications submitted")),
        (_("Time to licence"), hours(stats["median_hours_to_licence"]), _("median, from submission")),
        (_("Time to completion"), hours(stats["median_hours_to_complete"]), _("median, until all approved")),
        (_("Average registered capital"), yuan(stats["avg_reg_capital"]), ""),
        (_("Median registered capital"), yuan(stats["median_reg_capital"]), ""),
        (_("Paper sheets saved"), number(stats["paper_sheets_saved"]), _("department forms not printed")),
        (_("Trips saved"), number(stats["trips_saved"]), _("one per filing delivered online")),
        (_("Overdue filings"), number(stats["overdue_filings_total"]), _("past the department's time limit")),
        (_("Failed deliveries"), number(stats["failed_deliveries_total"]), _("waiting for an operator")),
    ]


# --- CSV downloads ------------------------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection)."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local_iso(tz: dt.tzinfo) -> Any:
    """Local ISO time of a datetime, "" for none (the zone looked up once: exports format ~10^6 of them)."""

    def local(value: dt.datetime | None) -> str:
        return value.astimezone(tz).isoformat(timespec="seconds") if value else ""

    return local


def _csv_response(name: str, rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet programs read the Chinese as UTF-8
        for row in rows:
            yield writer.writerow([_cell(v) if isinstance(v, str) else v for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{beijing_today():%Y%m%d}.csv"'
    return response


@reader_required
def filings_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every filing, one row each, streamed (no list of all rows in memory)."""
    now = timezone.now()
    rows = (
        Filing.objects.order_by("id")
        .annotate(
            decision_seconds=SecondsBetween("decided_at", "dispatched_at"),
            clerk_seconds=SecondsBetween("decided_at", "opened_at"),
            overdue=Case(
                When(Filing.overdue_q(now), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .values_list(
            "id",
            "application_id",
            "department__code",
            "state",
            "application__enterprise__uscc",
            "application__enterprise__name_zh",
            "released_at",
            "dispatched_at",
            "due_at",
            "opened_at",
            "decided_at",
            "decision_seconds",
            "clerk_seconds",
            "overdue",
            "attempts",
        )  # fmt: skip
    )
    header = [
        _("filing"), _("application"), _("department"), _("state"), _("unified social credit code"),
        _("enterprise"), _("released"), _("delivered"), _("decision due"), _("opened by a clerk"), _("decided"),
        _("decision time (s)"), _("clerk handling time (s)"), _("overdue"), _("delivery attempts"),
    ]  # fmt: skip

    local = _local_iso(BEIJING)

    def body() -> Iterator[list[Any]]:
        yield header
        for (pk, application, code, state, uscc, name, released, dispatched, due, opened, decided,
             decision, clerk, overdue, attempts) in rows.iterator(chunk_size=2000):  # fmt: skip
            yield [
                pk, application, code, state, uscc or "", name or "", local(released), local(dispatched),
                local(due), local(opened), local(decided), "" if decision is None else round(decision),
                "" if clerk is None else round(clerk), 1 if overdue else 0, attempts,
            ]  # fmt: skip

    return _csv_response("filings", body())


@reader_required
def departments_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The per-department figures of the dashboard (from the same cached statistics)."""
    stats = stats_current()
    departments = list(Department.objects.order_by("sort_order", "code"))
    header = [_("department"), _("department name"), _("decision time limit (hours)"), _("filings")]
    header += [str(label) for _value, label in FilingState.choices]
    header += [
        _("overdue"), _("failed deliveries"), _("median decision time (s)"), _("median clerk handling time (s)"),
    ]  # fmt: skip

    def body() -> Iterator[list[Any]]:
        yield header
        for d in departments:
            counts = stats["filings_by_department"].get(d.code)
            if counts is None:
                continue
            decision = stats["department_median_decision_seconds"].get(d.code)
            clerk = stats["clerk_median_seconds"].get(d.code)
            yield [
                d.code, d.display_name, stats["sla_hours"].get(d.code, d.sla_hours), sum(counts.values()),
                *(counts.get(s, 0) for s in FilingState.values),
                stats["overdue_filings"].get(d.code, 0), stats["failed_deliveries"].get(d.code, 0),
                "" if decision is None else decision, "" if clerk is None else clerk,
            ]  # fmt: skip

    return _csv_response("departments", body())

"""Where an application stands, in words: overall progress, each department's state with its time limit and
expected date, what a waiting filing waits for, and the timeline as plain sentences with item labels, never codes.
Presentation only (reads, no writes); the applicant's detail page and the clerk's filing page use it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from departments.models import Department, Filing, FilingState
from forms_engine.display import item_label


def limit_text(hours: int) -> str:
    """A department's decision time limit as a person says it: "2 days", "8 hours"."""
    if hours and hours % 24 == 0:
        days = hours // 24
        return _("%(n)d day") % {"n": days} if days == 1 else _("%(n)d days") % {"n": days}
    return _("%(n)d hours") % {"n": hours}


def filing_rows(filings: list[Filing], routed: list[str] | tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Each filing with its state explained: which departments it still waits for, the time limit, the expected
    date of the decision (dispatch + limit) and whether it is late, and the correction items by label. A routed
    department that has no filing yet (before the licence) is listed too, as waiting for the licence."""
    by_code = {f.department.code: f for f in filings}
    now = timezone.now()
    rows = []
    for f in filings:
        waits_for = [
            by_code[code].department.display_name
            for code in f.department.prerequisite_codes
            if code in by_code and by_code[code].state != FilingState.APPROVED
        ]
        rows.append(
            {
                "filing": f,
                "waits_for": waits_for if f.state == FilingState.WAITING else [],
                "limit": limit_text(f.department.sla_hours),
                "due_at": f.due_at if f.state == FilingState.DISPATCHED else None,
                "late": f.state == FilingState.DISPATCHED and f.due_at is not None and f.due_at < now,
                "correction_labels": [item_label(key) for key in f.correction_items or []],
                "explanation": _explain(f, waits_for),
                "department": f.department,
            }
        )
    missing = [code for code in routed if code not in by_code]  # callers pass no routing once the application ended
    departments = {d.code: d for d in Department.objects.filter(code__in=missing)} if missing else {}
    for code in missing:
        if code in departments:
            rows.append(
                {
                    "filing": None,
                    "department": departments[code],
                    "waits_for": [],
                    "limit": limit_text(departments[code].sla_hours),
                    "due_at": None,
                    "late": False,
                    "correction_labels": [],
                    "explanation": _("Sent once the business licence is issued."),
                }
            )
    return rows


def _explain(f: Filing, waits_for: list[str]) -> str:
    match f.state:
        case FilingState.WAITING if waits_for:
            return _("Waits for %(departments)s to approve first.") % {"departments": "、".join(waits_for)}
        case FilingState.WAITING:
            return _("Waits for the business licence.")
        case FilingState.QUEUED:
            return _("Being delivered to the department.")
        case FilingState.DISPATCHED:
            return _("The department is deciding.")
        case FilingState.APPROVED:
            return _("Done.")
        case FilingState.REJECTED:
            return _("Refused: %(reason)s") % {"reason": f.message} if f.message else _("Refused.")
        case FilingState.CORRECTION_REQUESTED:
            return _("The department asks you to correct some items.")
        case FilingState.FAILED:
            return _("Delivery failed; the platform's operators have been told and will send it again.")
    return ""


def overall(filings: list[Filing], routed: list[str]) -> dict[str, Any]:
    """How far the whole application is: departments done of all concerned, and the percentage for a bar. Pass
    no `routed` for an application that has ended (refused, withdrawn): only its filings count."""
    total = max(len(routed), len(filings))
    done = sum(1 for f in filings if f.state in (FilingState.APPROVED, FilingState.REJECTED))
    return {"done": done, "total": total, "percent": round(100 * done / total) if total else 0}

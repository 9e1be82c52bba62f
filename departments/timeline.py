"""The timeline of an application and its filings as plain sentences in the reader's language, with department
names and item labels, never event codes or item keys. Both the applicant's page and the clerk's filing page show
it; the API keeps the raw events (`portal.audit.application_timeline`)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from forms_engine.display import item_label

from .models import Filing


def timeline_sentences(events: list[dict], filings: list[Filing]) -> list[dict[str, Any]]:
    """The audit timeline (`portal.audit.application_timeline`) as sentences in the reader's language."""
    departments = {f"filing:{f.pk}": f.department.display_name for f in filings}
    return [{**e, "text": _sentence(e, departments.get(e["object"], ""))} for e in events]


def _sentence(e: dict, department: str) -> str:  # noqa: C901 - one line per kind of event reads best
    after = e.get("details") or {}
    params = {"department": department, "message": e.get("message") or "", "reference": after.get("reference_no", "")}
    match e["action"]:
        case "application.created":
            return _("The application was started.")
        case "application.submitted":
            return _("The application was submitted.")
        case "application.licence_issued":
            return _("The business licence was issued.")
        case "application.correction_requested":
            return _("Corrections were requested.")
        case "application.completed":
            return _("Every department has decided: the application is complete.")
        case "application.rejected":
            return (
                _("The application was refused: %(message)s") % params
                if params["message"]
                else _("The application was refused.")
            )
        case "application.withdrawn":
            return _("The application was withdrawn.")
        case "application.stopped":
            return _("The application stopped: the enterprise was cancelled or revoked in the register.")
        case "application.change_approved" | "application.change_applied":
            return _("The change was registered.")
        case "filing.created":
            return _("%(department)s: filing prepared.") % params
        case "filing.released":
            return _("%(department)s: its form was filled in from your answers.") % params
        case "filing.dispatched":
            return _("%(department)s received the filing.") % params
        case "filing.approved":
            return _("%(department)s approved (reference %(reference)s).") % params
        case "filing.rejected":
            return _("%(department)s refused: %(message)s") % params
        case "filing.correction_requested":
            labels = "、".join(item_label(k) for k in after.get("items") or [])
            return _("%(department)s asked for corrections of %(items)s: %(message)s") % {**params, "items": labels}
        case "filing.resent":
            return _("%(department)s received the corrected data.") % params
        case "filing.attempt_failed" | "filing.failed":
            return _("Delivery to %(department)s did not get through; it is tried again.") % params
        case "filing.refused_on_delivery":
            return _("%(department)s's system did not accept the delivery: %(message)s") % params
        case "filing.redispatched":
            return _("Delivery to %(department)s was started again.") % params
    if params["message"]:  # an event this list has no sentence for still says what it recorded
        return _("%(department)s: %(message)s") % params if department else params["message"]
    return _("Recorded: %(department)s %(state)s") % {**params, "state": e.get("state") or ""}

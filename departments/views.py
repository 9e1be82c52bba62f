"""The clerk workbench: a department's queue, a filing in the department's own form, decisions; operators' view
of failed deliveries."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from forms_engine.display import item_label, payload_rows, review_rows
from forms_engine.selectors import form_version_spec
from portal.audit import application_timeline
from portal.errors import PortalError, StateConflict
from portal.pagination import page_of
from portal.permissions import reader_required, role_required

from .decisions import correction_items_offered, filing_approve, filing_correction_request, filing_open, filing_reject
from .filings import filing_redispatch
from .models import Department, Filing, FilingKind, FilingState
from .ports import registration_port
from .selectors import filing_can_decide, filing_for, filing_previous_payload, filings_visible_to
from .timeline import timeline_sentences

workbench_user = role_required(lambda user: user.is_clerk or user.reads_everything)


def _department_for(request: HttpRequest) -> Department | None:
    if request.user.is_clerk:
        return request.user.department
    code = request.GET.get("department", "")
    return Department.objects.filter(code=code.upper()).first() if code else None


@workbench_user
def queue(request: HttpRequest) -> HttpResponse:
    """The department's filings, oldest first, with counts per state and the overdue ones against its SLA."""
    department = _department_for(request)
    filings = filings_visible_to(request.user)
    if department is not None:
        filings = filings.filter(department=department)
    now = timezone.now()
    counts = dict(filings.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    # Notices awaiting a decision that are not ordinary registrations: changes, new obligations, copy requests.
    notices = dict(
        filings.filter(state=FilingState.DISPATCHED)
        .exclude(kind=FilingKind.REGISTRATION)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    overdue = filings.overdue(now)
    state = request.GET.get("state", FilingState.DISPATCHED)
    shown = overdue if state == "overdue" else filings.filter(state=state) if state != "all" else filings
    kind = request.GET.get("kind", "")
    if kind in FilingKind.values:
        shown = shown.filter(kind=kind)
    days = request.GET.get("older_than_days", "")
    if days.isdigit():
        shown = shown.filter(dispatched_at__lt=now - dt.timedelta(days=int(days)))
    page = page_of(request, shown.order_by(F("dispatched_at").asc(nulls_last=True), "id"))
    return render(
        request,
        "departments/queue.html",
        {
            "department": department,
            "filings": page.items,
            "page": page,
            "counts": counts,
            "overdue_count": overdue.count(),
            "state": state,
            "states": FilingState.choices,
            "now": now,
            "departments": Department.objects.all() if request.user.reads_everything else [],
            "age_choices": [1, 3, 7],
            "older_than_days": int(days) if days.isdigit() else None,
            "kind": kind,
            "kinds": FilingKind.choices,
            "notices": [(value, label, notices[value]) for value, label in FilingKind.choices if notices.get(value)],
        },
    )


@workbench_user
def filing_document(request: HttpRequest, pk: int) -> HttpResponse:
    """The document an archive-copy request asks the department to print (its clerks, admins, auditors)."""
    filing = filing_for(request.user, pk)
    printed = registration_port().printed_copy(filing=filing)
    if printed is None:
        raise Http404
    document = (filing.payload or {}).get("document", "document")
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document}-{printed.number}.pdf"'
    return response


@workbench_user
def filing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filing = filing_for(request.user, pk)
    can_decide = filing_can_decide(request.user, filing)
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied
        return _decide(request, filing)
    if can_decide:
        filing_open(filing=filing, clerk=request.user)
    return _filing_page(request, filing, can_decide)


def _filing_page(
    request: HttpRequest, filing: Filing, can_decide: bool, decision: dict | None = None, status: int = 200
) -> HttpResponse:
    """The filing with its payload and the decision forms; `decision` re-shows what the clerk typed, with the
    errors, when a decision was refused (nothing a clerk typed is lost or cut)."""
    decision = decision or {}
    chosen = set(decision.get("items", []))
    item_choices = [(key, item_label(key), key in chosen) for key in correction_items_offered(filing)]
    return render(
        request,
        "departments/filing.html",
        {
            "filing": filing,
            "rows": payload_rows(
                filing.payload,
                form_version_spec(filing.form_version) if filing.form_version else None,
                filing_previous_payload(filing),
            )
            if filing.uses_department_form
            else [],
            "change_rows": review_rows(filing.payload) if filing.kind == FilingKind.CHANGE_REVIEW else [],
            "timeline": list(
                reversed(
                    timeline_sentences(
                        application_timeline(filing.application_id),
                        list(Filing.objects.filter(application_id=filing.application_id).select_related("department")),
                    )
                )
            ),
            "can_decide": can_decide and filing.awaits_decision,
            "item_choices": item_choices,
            "decision": decision,
        },
        status=status,
    )


def decision_consequences(filing: Filing, action: str) -> list[str]:
    """What approving or rejecting this filing will do, in the clerk's language, for the confirmation page."""
    application = filing.application
    others = [code for code in application.routed if code != filing.department.code]
    if action == "reject":
        lines = [_("The applicant reads your reason; this filing ends and cannot be decided again.")]
        if filing.kind == FilingKind.REGISTRATION and filing.department.code == "AIC":
            lines.append(_("No business licence is issued; the application stops and the company name is free again."))
        elif filing.kind == FilingKind.CHANGE_REVIEW:
            lines.append(_("The register stays as it is; no department hears of the change."))
        return lines
    match filing.kind:
        case FilingKind.REGISTRATION if filing.department.code == "AIC" and application.enterprise_id is None:
            return [
                _("A business licence is issued and a unified social credit code assigned."),
                _("The filings to the other %(n)d departments are released to them.") % {"n": len(others)},
                _("The applicant is told at once."),
            ]
        case FilingKind.CHANGE_REVIEW:
            return [
                _("The register changes to the new items."),
                _("Every department concerned receives the new data; a new licence copy is made if it shows them."),
            ]
        case FilingKind.STATUS_NOTICE:
            return [_("You confirm your department has closed its records for this enterprise.")]
        case FilingKind.ARCHIVE_COPY:
            return [_("The applicant is told the printed copy is ready, under your archive number.")]
    return [
        _("The filing is approved under your reference number (one is made if you gave none)."),
        _("The applicant is told; departments that wait for yours receive their filings."),
    ]


def _decide(request: HttpRequest, filing: Filing) -> HttpResponse:
    action = request.POST.get("action")
    typed = {
        "action": action,
        "reference_no": request.POST.get("reference_no", "").strip(),
        "reason": request.POST.get("reason", "").strip(),
        "items": request.POST.getlist("items"),
    }
    decisions = {
        "approve": lambda: filing_approve(filing_id=filing.pk, actor=request.user, reference_no=typed["reference_no"]),
        "reject": lambda: filing_reject(filing_id=filing.pk, actor=request.user, reason=typed["reason"]),
        "correct": lambda: filing_correction_request(
            filing_id=filing.pk, actor=request.user, items=typed["items"], reason=typed["reason"]
        ),
    }
    if action not in decisions:
        messages.error(request, _("Choose approve, reject or request correction."))
        return redirect("workbench:filing", filing.pk)
    errors: dict[str, list[str]] = {}
    if action in ("reject", "correct") and not typed["reason"]:
        errors["reason"] = [_("Give the reason the applicant will read.")]
    if action == "correct" and not typed["items"]:
        errors["items"] = [_("Pick the items the applicant must correct.")]
    if not errors and action in ("approve", "reject") and request.POST.get("confirmed") != "1":
        # A decision reaches the applicant and other departments at once: say what will happen, then ask.
        return render(
            request,
            "departments/confirm_decision.html",
            {"filing": filing, "typed": typed, "consequences": decision_consequences(filing, action)},
        )
    if not errors:
        try:
            decided, _changed = decisions[action]()
        except StateConflict as exc:
            messages.error(request, str(exc.detail))
            return redirect("workbench:filing", filing.pk)
        except PortalError as exc:
            errors = exc.errors or {"": [str(exc.detail)]}
    if errors:
        problems = [message for messages_ in errors.values() for message in messages_]
        return _filing_page(request, filing, True, decision={**typed, "problems": problems}, status=400)
    decided.application.refresh_from_db()
    enterprise = decided.application.enterprise
    licence = decided.kind == FilingKind.REGISTRATION and decided.department.code == "AIC"
    if licence and decided.state == FilingState.APPROVED and enterprise:
        messages.success(
            request,
            _("Licence issued: %(name)s, unified social credit code %(uscc)s.")
            % {"name": enterprise.name_zh, "uscc": enterprise.uscc},
        )
    elif decided.kind == FilingKind.CHANGE_REVIEW and decided.state == FilingState.APPROVED:
        messages.success(
            request,
            _("Change registered: the register of %(name)s now shows the new items; the departments concerned are "
              "told.") % {"name": enterprise.name_zh if enterprise else ""},
        )  # fmt: skip
    else:
        messages.success(request, _("Decision recorded: %(state)s.") % {"state": decided.get_state_display()})
    following = (
        filings_visible_to(request.user)
        .filter(department=decided.department, state=FilingState.DISPATCHED)
        .order_by("dispatched_at", "id")
        .first()
    )
    return redirect("workbench:filing", following.pk) if following else redirect("workbench:queue")


@reader_required
def failed(request: HttpRequest) -> HttpResponse:
    """Operators: deliveries that failed after every retry, with the last error and a re-dispatch button."""
    if request.method == "POST":
        if not request.user.is_portal_admin:
            raise PermissionDenied
        filing = filing_for(request.user, int(request.POST.get("filing", "0") or 0))
        try:
            filing_redispatch(filing=filing, actor=request.user)
            messages.success(request, _("Filing #%(id)s is queued for delivery again.") % {"id": filing.pk})
        except PortalError as exc:
            messages.error(request, str(exc.detail))
        return redirect("workbench:failed")
    in_trouble = Q(state=FilingState.FAILED) | Q(state=FilingState.QUEUED, attempts__gt=0)
    filings = filings_visible_to(request.user).filter(in_trouble)
    page = page_of(request, filings.order_by("updated_at", "id"))
    return render(request, "departments/failed.html", {"filings": page.items, "page": page})

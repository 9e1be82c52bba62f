"""The service hall for entrepreneurs: start, the cloud form as a wizard, review and submit, live progress."""

from __future__ import annotations

from functools import lru_cache

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from departments.routing import Reason, RoutingFacts
from departments.selectors import unified_form_for
from departments.timeline import timeline_sentences
from departments.trust import certificate_advice
from forms_engine import codetables
from forms_engine.canonical import compact
from forms_engine.display import changed_item_rows, display_value, item_label
from forms_engine.validation import validate
from portal.audit import application_timeline
from portal.errors import PortalError, StateConflict
from portal.pagination import page_of

from .changes import change_draft_submit
from .documents import document_is_current, document_response, licence_facts
from .models import Application, ApplicationState, EnterpriseChange, IssuedDocument
from .names import name_check, names_similar
from .progress import filing_rows, overall
from .seal import pdf_seal_check_isolated
from .selectors import (
    answers_not_needed,
    application_for,
    applications_visible_to,
    enterprise_access_log,
    enterprise_current_data,
)
from .services import (
    application_create,
    application_delete_draft,
    application_form,
    application_submit,
    application_update_data,
    application_withdraw,
)
from .signing import signing_status
from .wizard import field_view, list_or_person_edit, parse_post, problem_list, steps


def reason_text(reason: Reason) -> str:
    """Why a department receives a filing, in words an applicant understands."""
    match reason.trigger:
        case "always":
            return _("every enterprise registers here")
        case "new_company":
            return _("a new company gets its business licence here")
        case "foreign_trade" if reason.detail == "import_export":
            return _("you import or export goods")
        case "industry":
            return _("your industry (%(code)s)") % {"code": reason.detail}
    return _("your business scope mentions “%(words)s”") % {"words": reason.detail}


@lru_cache(maxsize=1)
def _folded_industry_names() -> dict[str, str]:
    """Class code → name in the folded form typed text is compared in (full-width brackets and all)."""
    return {code: compact(row.name_zh) for code, row in codetables.industry_classes().items()}


def industry_resolve(typed: str) -> tuple[str, list[tuple[str, str]]]:
    """What the industry box of /start/ means: (class code, []) when it names one GB/T 4754-2017 class (its code,
    "5179 …" as the list offers it, its exact name, or words only one class's name contains), else ("", every
    class the words match). Nothing typed is dropped silently: the caller says why no class was taken."""
    text = compact(typed or "").strip()
    classes = codetables.industry_classes()
    head = text[:4]
    if head.isdigit() and head in classes and (len(text) == 4 or not text[4].isdigit()):
        return head, []
    if not text:
        return "", []
    names = _folded_industry_names()
    exact = [code for code, name in names.items() if name == text]
    if exact:
        return exact[0], []
    matches = [(code, classes[code].name_zh) for code, name in names.items() if text in name]
    if len(matches) == 1:
        return matches[0][0], []
    return "", matches


def industry_problem(typed: str) -> str | None:
    """Why the typed industry names no class (None when it does, or nothing was typed)."""
    code, matches = industry_resolve(typed)
    if code or not (typed or "").strip():
        return None
    if matches:
        shown = "、".join(f"{c} {n}" for c, n in matches[:8])
        if len(matches) > 8:
            shown += " " + _("(and %(n)d more: type more of the name)") % {"n": len(matches) - 8}
        return _("“%(typed)s” matches several industries; pick one: %(classes)s.") % {
            "typed": typed.strip(),
            "classes": shown,
        }
    return _("No industry class matches “%(typed)s”; type other words or a four-digit code.") % {"typed": typed.strip()}


def _facts_from(params) -> RoutingFacts:
    industry, _matches = industry_resolve(params.get("industry_code") or "")
    return RoutingFacts(
        new_company=params.get("kind", "new_company") != "existing_company",
        import_export=params.get("import_export") == "true",
        industry_code=industry,
        business_scope=(params.get("business_scope") or "")[:2000],
    )


def _industry_options() -> list[tuple[str, str]]:
    return [(code, row.name_zh) for code, row in codetables.industry_classes().items()]


# The answers of /start/ kept in the session while a visitor signs in (they come back filled in afterwards), for a
# while only. Never the ID number: on a shared terminal the next person to sign in would see it.
START_ANSWERS_KEY = "registration.start_answers"
START_FIELDS = ("kind", "import_export", "industry_code", "uscc")
START_ANSWERS_SECONDS = 30 * 60


def start(request: HttpRequest) -> HttpResponse:
    """The three questions; shows which departments will receive filings and why, before anything is typed."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            # Signing in must not cost the answers: keep them server-side (an ID number never goes in a URL).
            kept = {k: request.POST.get(k, "")[:200] for k in START_FIELDS}
            request.session[START_ANSWERS_KEY] = {**kept, "at": timezone.now().timestamp()}
            return redirect(f"{reverse('login')}?next={reverse('registration:start')}")
        return _start_application(request)
    kept = request.session.pop(START_ANSWERS_KEY, None) if request.user.is_authenticated else None
    if kept and timezone.now().timestamp() - kept.pop("at", 0) > START_ANSWERS_SECONDS:
        kept = None  # left long ago, perhaps by someone else
    if kept:
        messages.info(request, _("Your answers were kept while you signed in. Check them and begin the form."))
    values = kept or request.GET
    return render(
        request,
        "registration/start.html",
        {
            "industries": _industry_options(),
            "preview": _routing_preview(values),
            "values": values,
            "errors": {"industry_code": [p]} if (p := industry_problem(values.get("industry_code", ""))) else {},
        },
    )


def start_preview(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/_routing_preview.html", {"preview": _routing_preview(request.GET)})


def _routing_preview(params) -> dict:
    facts = _facts_from(params)
    routed, form = unified_form_for(facts=facts)
    return {
        "departments": [(d, [reason_text(r) for r in reasons]) for d, reasons in routed],
        "fields_typed": form.fields_typed,
        "fields_delivered": form.fields_delivered,
        "industry_known": bool(facts.industry_code),
        "industry_problem": industry_problem(params.get("industry_code") or ""),
        # Which signing certificate serves all these departments, told before anything is typed.
        "certificates": certificate_advice([d.code for d, _reasons in routed]),
    }


@login_required
def _start_application(request: HttpRequest) -> HttpResponse:
    if not request.user.is_applicant:
        raise PermissionDenied
    kind = request.POST.get("kind", "new_company")
    facts = _facts_from(request.POST)
    problem = industry_problem(request.POST.get("industry_code", ""))
    if problem:
        refused = PortalError(_("Pick your industry from the list."), {"industry_code": [problem]})
        return _start_refused(request, refused)
    data = {"import_export": facts.import_export}
    if facts.industry_code:
        data["industry_code"] = facts.industry_code
    try:
        application = application_create(
            applicant=request.user,
            kind=kind,
            data=data if kind == "new_company" else {},
            uscc=request.POST.get("uscc", ""),
            id_number=request.POST.get("id_number", ""),
        )
    except PortalError as exc:
        return _start_refused(request, exc)
    if kind == "existing_company":
        application_update_data(application=application, user=request.user, data=data)
    return redirect("registration:section", application.pk, _first_section(application))


def _start_refused(request: HttpRequest, exc: PortalError) -> HttpResponse:
    return render(
        request,
        "registration/start.html",
        {
            "industries": _industry_options(),
            "preview": _routing_preview(request.POST),
            "values": request.POST,
            "errors": exc.errors,
            "error": exc.detail,
        },
        status=400,
    )


def _first_section(application: Application) -> str:
    _routed, form = application_form(application)
    return form.sections[0].key if form.sections else "entity"


def _own_editable(request: HttpRequest, pk: int) -> Application:
    application = application_for(request.user, pk)
    if application.applicant_id != request.user.pk:
        raise PermissionDenied
    return application


def _problems(application: Application, form, partial: bool = True) -> dict[str, list[str]]:
    data = {k: v for k, v in application.data.items() if k in form.keys}
    return validate(data, form.items, partial=partial).errors


def _section_views(application: Application, section, problems: dict, extra: str = "") -> list:
    """The section's fields with the application's values; `extra` names a list that gets one more blank entry."""
    readonly = set(application.readonly_items)
    views = []
    for item in section.items:
        value = application.data.get(item.key)
        if item.key == extra and item.type == "list":
            value = [*(value or [{}]), {}]
        views.append(field_view(item, value, problems, readonly=item.key in readonly))
    return views


def _go(request: HttpRequest, application: Application, keys: list[str], key: str, target: str) -> HttpResponse:
    """Where Back / Next / Add another lead after saving (htmx follows HX-Redirect, plain forms a redirect)."""
    if target.startswith("add:"):
        url = reverse("registration:section", args=[application.pk, key]) + f"?extra={target[4:]}#f-{target[4:]}"
    elif target == "review":
        url = reverse("registration:review", args=[application.pk])
    else:
        index = keys.index(key) + (1 if target == "next" else -1)
        url = (
            reverse("registration:review", args=[application.pk])
            if index >= len(keys)
            else reverse("registration:section", args=[application.pk, keys[max(index, 0)]])
        )
    if request.htmx:
        response = HttpResponse("")
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _edit_entry(request: HttpRequest, application: Application, current, editable: list, go: str) -> HttpResponse:
    """A "Same as the legal representative" or "Remove" button of the section: change that person or list entry,
    then show the section again at it."""
    changed = list_or_person_edit(application.data, editable, go)
    if changed is not None:
        application_update_data(application=application, user=request.user, data=changed)
    anchor = go.partition(":")[2].split(".")[0]
    return redirect(reverse("registration:section", args=[application.pk, current.key]) + f"#f-{anchor}")


@login_required
def section(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """One step of the wizard. Every change is saved at once (htmx) and checked as typed; Next/Back save too."""
    application = _own_editable(request, pk)
    if application.state != ApplicationState.DRAFT or application.kind == Application.Kind.CHANGE:
        return redirect("registration:detail", application.pk)  # a change draft is signed and submitted there
    routed, form = application_form(application)
    sections = {s.key: s for s in form.sections}
    if key not in sections:
        raise Http404
    current = sections[key]
    if request.method == "POST":
        editable = [i for i in current.items if i.key not in set(application.readonly_items)]
        try:
            problems = application_update_data(
                application=application, user=request.user, data=parse_post(request.POST, editable)
            )
        except PortalError as exc:
            problems = exc.errors
        application.refresh_from_db()
        go = request.POST.get("go", "")
        if go.startswith(("copy:", "remove:")):
            return _edit_entry(request, application, current, editable, go)
        if request.htmx and "go" not in request.POST:
            return render(
                request,
                "registration/_autosave.html",
                {
                    "application": application,
                    "current": current,
                    "steps": steps(form.sections, problems),
                    "fields": _section_views(application, current, problems),
                    "saved": True,
                },
            )
        return _go(request, application, list(sections), key, request.POST.get("go", "next"))
    problems = _problems(application, form)
    return render(
        request,
        "registration/section.html",
        {
            "application": application,
            "steps": steps(form.sections, problems),
            "current": current,
            "fields": _section_views(application, current, problems, extra=request.GET.get("extra", "")),
            "routed": routed,
            "form": form,
            "is_last": key == list(sections)[-1],
            "name_check_url": reverse("registration:name-check", args=[application.pk]),
            "wizard": True,  # the step's own buttons (copy, remove, add): not in a correction form
            "industries": _industry_options(),
        },
    )


@login_required
def name_check_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The company name checked as it is typed: available, or every reason why not, and similar registered
    names (htmx fragment under the name input of this application)."""
    application = _own_editable(request, pk)
    name = (request.GET.get("name_zh") or "").strip()[:200]
    reasons = (
        name_check(
            name_zh=name,
            entity_type=application.data.get("entity_type") or None,
            exclude_application_id=application.pk,
            exclude_enterprise_id=application.enterprise_id,
        )
        if name
        else []
    )
    return render(
        request,
        "registration/_name_check.html",
        {
            "name": name,
            "reasons": reasons,
            "similar": names_similar(name, exclude_enterprise_id=application.enterprise_id) if name else [],
        },
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything on one screen, every problem at once; submit from here."""
    application = _own_editable(request, pk)
    if application.kind == Application.Kind.CHANGE:
        return _change_submit(request, application)
    if not application.takes_answers:
        return redirect("registration:detail", application.pk)
    status, refused = 200, {}
    if request.method == "POST":
        try:
            application_submit(application=application, user=request.user)
        except StateConflict:
            return redirect("registration:detail", application.pk)
        except PortalError as exc:
            messages.error(request, str(exc.detail))
            status, refused = 400, exc.errors
        else:
            messages.success(request, _("Submitted. Follow each department's progress here."))
            return redirect("registration:detail", application.pk)
    routed, form = application_form(application)
    problems = _problems(application, form, partial=False)
    form_complete = not problems
    # What only submit finds (the name taken by another applicant, a department's code list) is marked too.
    for path, reasons in refused.items():
        problems.setdefault(path, []).extend(r for r in reasons if r not in problems[path])
    if status == 400:
        application.refresh_from_db()
    sections = [(s, _section_views(application, s, problems)) for s in form.sections]
    try:
        signing = signing_status(application) if form_complete else None
    except PortalError:
        signing = None  # signing waits until the form is complete
    return render(
        request,
        "registration/review.html",
        {
            "application": application,
            "sections": sections,
            "problems": problems,
            "problem_list": problem_list(form.sections, problems),
            "signing": signing,
            "signing_required": settings.SIGNATURES_REQUIRED,
            "ca_sandbox": settings.CA_SANDBOX,
            "not_needed": [
                {"key": k, "label": item_label(k), "value": display_value(v)}
                for k, v in answers_not_needed(application, form).items()
            ],
            "steps": steps(form.sections, problems),
            "routed": routed,
            "form": form,
        },
        status=status,
    )


def _change_submit(request: HttpRequest, application: Application) -> HttpResponse:
    """A change draft has no form pages: its detail page shows what changes and who signs, and posts here."""
    if request.method == "POST":
        try:
            application = change_draft_submit(application=application, user=request.user)
        except StateConflict as exc:
            messages.error(request, str(exc.detail))
        except PortalError as exc:
            messages.error(request, " ".join([str(exc.detail), *(m for ms in exc.errors.values() for m in ms)]))
        else:
            if application.state == ApplicationState.SUBMITTED:
                messages.success(request, _("Change filed. Market supervision reviews it; you can follow it here."))
            else:
                messages.success(request, _("Change registered. The departments concerned have been informed."))
    return redirect("registration:detail", application.pk)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for(request.user, pk)
    return render(request, "registration/detail.html", _detail_context(request, application))


@login_required
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the detail page, polled by htmx until the application reaches a final state."""
    application = application_for(request.user, pk)
    shown = request.GET.get("shown")
    if shown and shown != application.state:
        # The state changed under the page: reload it whole, so controls that depend on the state (correction
        # form, withdraw) appear or go — never swapped in under a person typing.
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "registration/_progress.html", _progress_context(application))


def _progress_context(application: Application) -> dict:
    """Only what the polled fragment shows: it is asked for every few seconds by every open page."""
    filings = list(application.filings.select_related("department").prefetch_related("department__prerequisites"))
    return {
        "application": application,
        "filings": filings,
        # An ended application (refused, withdrawn) will never send the rest: only its filings are shown.
        "rows": filing_rows(filings, [] if application.is_final else application.routed),
        "overall": overall(filings, [] if application.is_final else application.routed),
        "live": not application.is_final,
    }


def _change_rows(application: Application) -> list[dict]:
    """A change registration's items, before and after, for people (labels, not keys)."""
    if application.kind != Application.Kind.CHANGE:
        return []
    logged = EnterpriseChange.objects.filter(application=application).first()
    if logged is not None:
        before = logged.before
    else:
        before = {} if application.is_applied else enterprise_current_data(application.enterprise)
    return changed_item_rows(before, application.data)


def _detail_context(request: HttpRequest, application: Application) -> dict:
    progress = _progress_context(application)
    return {
        **progress,
        **_signing_context(request, application),
        "change_rows": _change_rows(application),
        "timeline": list(reversed(timeline_sentences(application_timeline(application.pk), progress["filings"]))),
        "can_withdraw": application.can_withdraw,
        "editable": _editable_views(application) if application.is_awaiting_correction else [],
        "access_log": page_of(
            request,
            enterprise_access_log(application.enterprise),
            per_page=20,
            param="log_page",
            path=reverse("registration:detail", args=[application.pk]),
            anchor="access-title",
        )
        if application.enterprise
        else None,
    }


def _signing_context(request: HttpRequest, application: Application) -> dict:
    """Who signs a change draft or a corrected application, for its applicant (the review page has its own)."""
    signable = (application.kind == Application.Kind.CHANGE and application.state == ApplicationState.DRAFT) or (
        application.is_awaiting_correction
    )
    if not signable or application.applicant_id != request.user.pk:
        return {}
    try:
        signing = signing_status(application)
    except PortalError:
        signing = None  # the corrected items are not complete yet; the change no longer applies (submit says why)
    return {"signing": signing, "signing_required": settings.SIGNATURES_REQUIRED, "ca_sandbox": settings.CA_SANDBOX}


def _editable_views(application: Application, problems: dict | None = None) -> list:
    _routed, form = application_form(application)
    items = {i.key: i for i in form.items}
    return [
        field_view(items[key], application.data.get(key), problems or {})
        for key in application.editable_items
        if key in items
    ]


@login_required
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the corrected items and submit again."""
    application = _own_editable(request, pk)
    if not application.is_awaiting_correction:
        return redirect("registration:detail", application.pk)
    _routed, form = application_form(application)
    items = [i for i in form.items if i.key in set(application.editable_items)]
    try:
        application_update_data(application=application, user=request.user, data=parse_post(request.POST, items))
        application_submit(application=application, user=request.user)
    except PortalError as exc:
        if exc.errors and all(k.split(".")[0] == "signatures" for k in exc.errors):
            # Saved; only the signatures on the corrected version are missing: sign, then send.
            saved = _("Your corrections are saved. The corrected application must be signed again before it is sent: "
                      "sign it below, then send the corrections.")  # fmt: skip
            messages.warning(request, saved)
            return redirect(reverse("registration:detail", args=[application.pk]) + "#signing")
        application.refresh_from_db()
        context = _detail_context(request, application)
        context["editable"] = _editable_views(application, exc.errors)
        messages.error(request, str(exc.detail))
        return render(request, "registration/detail.html", context, status=400)
    messages.success(request, _("Corrections sent. Only the departments concerned receive them again."))
    return redirect("registration:detail", application.pk)


@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what withdrawing will do, and a button to confirm; POST: withdraw."""
    application = _own_editable(request, pk)
    if request.method == "POST":
        try:
            application_withdraw(application=application, user=request.user)
            messages.success(request, _("The application was withdrawn."))
        except StateConflict as exc:
            messages.error(request, str(exc.detail))
        return redirect("registration:detail", application.pk)
    if not application.can_withdraw:
        messages.error(request, _("This application can no longer be withdrawn."))
        return redirect("registration:detail", application.pk)
    sent = list(application.filings.select_related("department"))
    return render(
        request,
        "registration/confirm.html",
        {
            "application": application,
            "title": _("Withdraw this application?"),
            "consequences": [
                _("The application stops for good; it cannot be submitted again. To register later, start anew."),
                *(
                    [
                        _("These departments have already received it: %(names)s. A decision they make after the "
                          "withdrawal changes nothing.")
                        % {"names": "、".join(f.department.display_name for f in sent)}
                    ]
                    if sent
                    else [_("Nothing has been sent to a department yet.")]
                ),
                *([_("The company name it held is free again for anyone.")] if application.name_key else []),
            ],
            "confirm_label": _("Yes, withdraw it"),
            "danger": True,
        },
    )


@login_required
def delete_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: ask; POST: delete a draft that was never submitted."""
    application = _own_editable(request, pk)
    if request.method == "POST" or not application.is_unsent_draft:
        try:
            application_delete_draft(application=application, user=request.user)
        except StateConflict as exc:
            messages.error(request, str(exc.detail))
            return redirect("registration:detail", application.pk)
        messages.success(request, _("The draft was deleted."))
        return redirect("registration:list")
    return render(
        request,
        "registration/confirm.html",
        {
            "application": application,
            "title": _("Delete this draft?"),
            "consequences": [
                _("Everything typed into this draft is deleted; it cannot be brought back."),
                _("Nothing has been sent to a department, so no department is told."),
            ],
            "confirm_label": _("Yes, delete the draft"),
            "danger": True,
        },
    )


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, applications_visible_to(request.user))
    return render(request, "registration/list.html", {"applications": page.items, "page": page})


@login_required
def document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The licence copy or the registration receipt as PDF (the applicant, admins and auditors)."""
    return document_response(application_for(request.user, pk), kind)


# A sealed document is a few hundred kilobytes; anything far larger is not one of ours.
UPLOAD_MAX_BYTES = 4 * 1024 * 1024


UPLOADS_PER_WINDOW, UPLOAD_WINDOW_SECONDS = 20, 600


def _upload_allowed(request: HttpRequest) -> bool:
    """At most UPLOADS_PER_WINDOW checks per address in UPLOAD_WINDOW_SECONDS: each costs a child process."""
    key = f"verify-upload:{get_client_ip_address(request) or '?'}"
    cache.add(key, 0, UPLOAD_WINDOW_SECONDS)
    try:
        return cache.incr(key) <= UPLOADS_PER_WINDOW
    except ValueError:  # expired between add and incr
        return True


def verify_upload(request: HttpRequest) -> HttpResponse:
    """Public: upload a PDF the platform issued; is it sealed by the platform, unchanged, and still current per
    the register? (GET: the form.)"""
    context: dict = {"max_mb": UPLOAD_MAX_BYTES // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("pdf")
        if not _upload_allowed(request):
            context["error"], status = _("Too many files checked from your address; try again in a few minutes."), 429
        elif upload is None:
            context["error"], status = _("Choose the PDF file to check."), 400
        elif upload.size is not None and upload.size > UPLOAD_MAX_BYTES:
            context["error"], status = (
                _("The file is larger than %(mb)d MB: it is not a document the platform issued.")
                % {"mb": context["max_mb"]},
                400,
            )
        else:
            check = pdf_seal_check_isolated(upload.read(UPLOAD_MAX_BYTES + 1))
            issued = (
                IssuedDocument.objects.select_related("enterprise").filter(number=check.document_number).first()
                if check.sealed and check.unchanged
                else None
            )
            context.update(
                {"checked": True, "check": check, "issued": issued,
                 "current": issued is not None and document_is_current(issued), "file_name": upload.name}
            )  # fmt: skip
    return render(request, "registration/verify_upload.html", context, status=status)


def verify_document(request: HttpRequest, number: str) -> HttpResponse:
    """Public: is this printed document genuine, current, what is the enterprise's status now, and what does the
    register say of the facts a printed licence carries?"""
    number = compact(number)  # printed numbers are typed in by hand too: any width, any case
    issued = IssuedDocument.objects.select_related("enterprise", "application", "filing").filter(number=number).first()
    return render(
        request,
        "registration/verify_document.html",
        {
            "issued": issued,
            "number": number,
            "current": issued is not None and document_is_current(issued),
            # What a printed licence carries, as registered now, for a bank to compare (names only, no ID numbers).
            "facts": licence_facts(issued.enterprise) if issued else None,
        },
        status=200 if issued else 404,
    )

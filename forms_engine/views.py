"""Pages for the admins who configure department forms: mappings with a live preview, publishing, item impact."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import PortalError, StateConflict
from portal.permissions import admin_required, reader_required

from .forms import FieldMappingForm, PublishForm, item_paths
from .models import DataItem, DepartmentForm, FieldMapping, FormVersion
from .projection import field_problems, referenced_items
from .samples import SAMPLE_REFERENCES, preview_samples
from .selectors import data_item_specs, department_forms, form_draft, form_version_spec, form_versions_current
from .services import (
    field_mapping_delete,
    field_mapping_save,
    form_draft_discard,
    form_draft_open,
    form_version_publish,
    mapping_preview,
)
from .transforms import REGISTRY, transform_names


def _detail_url(form: DepartmentForm, version: FormVersion) -> str:
    return f"{reverse('forms:detail', args=[form.department_code])}?version={version.number}"


def _form(code: str) -> DepartmentForm:
    return get_object_or_404(DepartmentForm, department_code=code.upper())


def _version(form: DepartmentForm, number: str | None) -> FormVersion:
    versions = form.versions.order_by("-number")
    if number:
        return get_object_or_404(versions, number=number)
    version = form_draft(form) or versions.filter(status=FormVersion.Status.PUBLISHED).first()
    if version is None:
        raise Http404
    return version


def _row_problems(version: FormVersion) -> dict[int, list[str]]:
    items = data_item_specs()
    spec = form_version_spec(version)
    names = {f.name for f in spec.fields}
    departments = set(settings.DEPARTMENT_CODES)
    return {
        m.pk: field_problems(f, items, departments, names)
        for m, f in zip(version.mappings.all(), spec.fields, strict=True)
    }


@reader_required
def form_list(request: HttpRequest) -> HttpResponse:
    current = form_versions_current()
    rows = []
    for form in department_forms():
        version = current.get(form.department_code)
        rows.append(
            {
                "form": form,
                "version": version,
                "fields": len(form_version_spec(version).fields) if version else 0,
                "draft": form_draft(form),
            }
        )
    return render(request, "forms_engine/form_list.html", {"rows": rows})


@reader_required
def form_detail(request: HttpRequest, code: str) -> HttpResponse:
    form = _form(code)
    version = _version(form, request.GET.get("version"))
    samples = preview_samples()
    problems = _row_problems(version)
    return render(
        request,
        "forms_engine/form_detail.html",
        {
            "form": form,
            "version": version,
            "versions": form.versions.order_by("-number"),
            "rows": [(m, problems.get(m.pk, [])) for m in version.mappings.all()],
            "editable": not version.is_published and request.user.is_portal_admin,
            "new_form": _mapping_form(version, initial={"transform": "item"}) if not version.is_published else None,
            "item_paths": item_paths(),
            "publish_form": PublishForm(),
            "samples": list(samples),
            "transforms": [
                {
                    "name": name,
                    "doc": REGISTRY[name].doc,
                    "params": REGISTRY[name].params,
                    "signature": ", ".join(
                        f"{arg}{'' if p.required else '?'}: {p.kind}" for arg, p in REGISTRY[name].params.items()
                    ),
                }
                for name in transform_names()
            ],
        },
    )


@reader_required
def form_preview(request: HttpRequest, code: str) -> HttpResponse:
    """The department payload for a sample through the shown version (htmx panel, refreshed after each edit)."""
    form = _form(code)
    version = _version(form, request.GET.get("version"))
    samples = preview_samples()
    sample = request.GET.get("sample") or next(iter(samples))
    if sample not in samples:
        raise Http404
    projection, problems = mapping_preview(version=version, data=samples[sample], references=SAMPLE_REFERENCES)
    return render(
        request,
        "forms_engine/_preview.html",
        {
            "payload": json.dumps(projection.payload, ensure_ascii=False, indent=2),
            "errors": projection.errors,
            "problems": problems,
            "sample": sample,
            "version": version,
        },
    )


@admin_required
@require_POST
def draft_open(request: HttpRequest, code: str) -> HttpResponse:
    form = _form(code)
    draft = form_draft_open(form=form, user=request.user)
    return redirect(_detail_url(form, draft))


def _editable_draft(form: DepartmentForm, number: str) -> FormVersion:
    version = get_object_or_404(form.versions, number=number)
    if version.is_published:
        raise StateConflict(_("A published form version cannot be changed; open a draft."), state=version.status)
    return version


def _row(request: HttpRequest, mapping: FieldMapping, version: FormVersion, edit_form=None, status=200) -> HttpResponse:
    response = render(
        request,
        "forms_engine/_mapping_row.html",
        {
            "m": mapping,
            "version": version,
            "problems": _row_problems(version).get(mapping.pk, []),
            "editable": True,
            "edit_form": edit_form,
        },
        status=status,
    )
    if edit_form is None:
        response["HX-Trigger"] = "mappingChanged"
    return response


@admin_required
def mapping_edit(request: HttpRequest, code: str, number: str, mapping_id: int) -> HttpResponse:
    form = _form(code)
    try:
        version = _editable_draft(form, number)
    except StateConflict:
        return HttpResponse(_("A published form version cannot be changed; open a draft."), status=409)
    mapping = get_object_or_404(version.mappings, pk=mapping_id)
    if request.method == "GET":
        return _row(request, mapping, version, _mapping_form(version, mapping))
    if request.POST.get("cancel"):
        return _row(request, mapping, version)
    edit_form = _mapping_form(version, FieldMapping.objects.get(pk=mapping.pk), data=request.POST)
    if not edit_form.is_valid():
        # 422: shown in the row (htmx swaps it), each problem at its input, nothing typed lost.
        return _row(request, mapping, version, edit_form, status=422)
    mapping = field_mapping_save(version=version, mapping=mapping, **edit_form.cleaned_data)
    return _row(request, mapping, version)


@admin_required
@require_POST
def mapping_add(request: HttpRequest, code: str, number: str) -> HttpResponse:
    form = _form(code)
    try:
        version = _editable_draft(form, number)
    except StateConflict:
        return HttpResponse(_("A published form version cannot be changed; open a draft."), status=409)
    new_form = _mapping_form(version, data=request.POST)
    if new_form.is_valid():
        field_mapping_save(version=version, **new_form.cleaned_data)
        messages.success(request, _("Field “%(name)s” added to the draft.") % {"name": new_form.cleaned_data["name"]})
    else:
        messages.error(
            request,
            _("The field was not added: %(errors)s")
            % {"errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in new_form.errors.items())},
        )
    return redirect(_detail_url(form, version))


def _mapping_form(
    version: FormVersion, mapping: FieldMapping | None = None, data=None, initial=None
) -> FieldMappingForm:
    """The structured editor of one mapping of a draft: the other fields' names for a "field" argument, and the
    URL that redraws the arguments when another transform is chosen."""
    return FieldMappingForm(
        data,
        instance=mapping,
        initial=initial,
        auto_id=f"m{mapping.pk}-%s" if mapping else "new-%s",
        field_names=tuple(version.mappings.exclude(pk=getattr(mapping, "pk", None)).values_list("name", flat=True)),
        fields_url=reverse("forms:mapping-fields", args=[version.form.department_code, version.number])
        + (f"?mapping={mapping.pk}" if mapping else ""),
    )


@admin_required
def mapping_fields(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """The inputs of a mapping redrawn for the transform chosen (htmx): name, block and flag as typed, the new
    transform's arguments, filled where they share a name with the old ones."""
    version = get_object_or_404(_form(code).versions, number=number)
    wanted = request.GET.get("mapping", "")
    mapping = version.mappings.filter(pk=int(wanted)).first() if wanted.isdigit() else None
    initial = {
        "name": request.GET.get("name", ""),
        "group": request.GET.get("group", ""),
        "transform": request.GET.get("transform", "item"),
        "required": bool(request.GET.get("required")),
    }
    return render(
        request, "forms_engine/_mapping_fields.html", {"form": _mapping_form(version, mapping, initial=initial)}
    )


@admin_required
@require_POST
def mapping_delete(request: HttpRequest, code: str, number: str, mapping_id: int) -> HttpResponse:
    form = _form(code)
    try:
        version = _editable_draft(form, number)
    except StateConflict:
        return HttpResponse(_("A published form version cannot be changed; open a draft."), status=409)
    field_mapping_delete(mapping=get_object_or_404(version.mappings, pk=mapping_id))
    response = HttpResponse("")
    response["HX-Trigger"] = "mappingChanged"
    return response


@admin_required
@require_POST
def form_publish(request: HttpRequest, code: str, number: str) -> HttpResponse:
    form = _form(code)
    version = get_object_or_404(form.versions, number=number)
    publish_form = PublishForm(request.POST)
    publish_form.is_valid()
    try:
        form_version_publish(version=version, user=request.user, note=publish_form.cleaned_data.get("note", ""))
    except StateConflict:
        messages.error(request, _("This version is already published."))
    except PortalError as exc:
        messages.error(request, str(exc.detail))
        for name, problems in exc.errors.items():
            messages.error(request, f"{name}: {'; '.join(problems)}")
        return redirect(_detail_url(form, version))
    else:
        messages.success(
            request,
            _("Version %(n)d of %(form)s is published; new filings use it.")
            % {"n": version.number, "form": form.title},
        )
    return redirect(_detail_url(form, version))


@admin_required
def draft_discard(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """GET: ask, saying what is lost; POST: discard the draft version and go back to the published one."""
    form = _form(code)
    version = get_object_or_404(form.versions, number=number)
    if request.method == "POST":
        try:
            form_draft_discard(version=version)
        except StateConflict:
            messages.error(request, _("A published form version cannot be changed; open a draft."))
            return redirect(_detail_url(form, version))
        messages.success(request, _("Draft version %(n)d was discarded.") % {"n": number})
        return redirect("forms:detail", form.department_code)
    if version.is_published:
        return redirect(_detail_url(form, version))
    return render(
        request,
        "forms_engine/discard.html",
        {"form": form, "version": version, "fields": version.mappings.count()},
    )


@reader_required
def item_list(request: HttpRequest) -> HttpResponse:
    return render(request, "forms_engine/item_list.html", {"items": DataItem.objects.order_by("position")})


@reader_required
def item_impact(request: HttpRequest, key: str) -> HttpResponse:
    """Which departments and fields use an item: what changes if the item changes."""
    item = get_object_or_404(DataItem, key=key)
    uses = []
    for code, version in form_versions_current().items():
        for field in form_version_spec(version).fields:
            paths = sorted(p for p in referenced_items(field) if p.split(".")[0] == key)
            if paths:
                uses.append({"department": code, "version": version, "field": field, "paths": paths})
    departments = sorted({u["department"] for u in uses}, key=lambda c: settings.DEPARTMENT_CODES.index(c))
    return render(request, "forms_engine/item_impact.html", {"item": item, "uses": uses, "departments": departments})

"""Reads of the cloud form: the dictionary and the current department forms, as the engine's specs.

Published form versions never change, so their specs are built once per process and kept (keyed by id and
publication time, which together never repeat). The dictionary is rebuilt only when an item was edited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from django.db.models import Count, Max

from .models import DataItem, DepartmentForm, FieldMapping, FormVersion
from .spec import FieldSpec, FormSpec, ItemSpec

_published_specs: dict[tuple[int, dt.datetime | None], FormSpec] = {}
_items_cache: dict[str, Any] = {"stamp": None, "specs": {}}


def data_item_specs() -> dict[str, ItemSpec]:
    stamp = tuple(DataItem.objects.aggregate(n=Count("id"), changed=Max("updated_at")).values())
    if _items_cache["stamp"] != stamp:
        items = DataItem.objects.order_by("position", "key")
        _items_cache["specs"] = {item.key: ItemSpec.from_dict(item.as_dict()) for item in items}
        _items_cache["stamp"] = stamp
    specs: dict[str, ItemSpec] = _items_cache["specs"]
    return dict(specs)


def _build_spec(version_id: int, code: str, number: int, title: str) -> FormSpec:
    rows = FieldMapping.objects.filter(version_id=version_id).order_by("position", "id")
    fields = tuple(
        FieldSpec(name=m.name, transform=m.transform, args=m.args, required=m.required, group=m.group) for m in rows
    )
    return FormSpec(department=code, version=number, title=title, fields=fields)


def form_version_spec(version: FormVersion) -> FormSpec:
    if version.is_published and version.published_at is not None:
        key = (version.pk, version.published_at)
        if key not in _published_specs:
            _published_specs[key] = _build_spec(
                version.pk, version.form.department_code, version.number, version.form.title
            )
        return _published_specs[key]
    return _build_spec(version.pk, version.form.department_code, version.number, version.form.title)


class CurrentForm(NamedTuple):
    version_id: int
    number: int
    spec: FormSpec


def forms_current() -> dict[str, CurrentForm]:
    """The newest published version of every department form: one small query, specs from the process cache."""
    rows = (
        FormVersion.objects.filter(status=FormVersion.Status.PUBLISHED)
        .order_by("form_id", "-number")
        .values_list("id", "number", "published_at", "form__department_code", "form__title")
    )
    current: dict[str, CurrentForm] = {}
    for version_id, number, published_at, code, title in rows:
        if code in current:
            continue
        key = (version_id, published_at)  # published versions always have their time
        if key not in _published_specs:
            _published_specs[key] = _build_spec(version_id, code, number, title)
        current[code] = CurrentForm(version_id, number, _published_specs[key])
    return current


def form_specs_current() -> dict[str, FormSpec]:
    return {code: form.spec for code, form in forms_current().items()}


def form_versions_current() -> dict[str, FormVersion]:
    """The newest published version of every department form, as model rows (pages and APIs)."""
    ids = [form.version_id for form in forms_current().values()]
    versions = FormVersion.objects.filter(pk__in=ids).select_related("form").order_by("form_id")
    return {v.form.department_code: v for v in versions}


def form_version_current(department_code: str) -> FormVersion | None:
    return (
        FormVersion.objects.filter(form__department_code=department_code, status=FormVersion.Status.PUBLISHED)
        .select_related("form")
        .order_by("-number")
        .first()
    )


def form_draft(form: DepartmentForm) -> FormVersion | None:
    return form.versions.filter(status=FormVersion.Status.DRAFT).first()


def department_forms() -> list[DepartmentForm]:
    return list(DepartmentForm.objects.order_by("id"))

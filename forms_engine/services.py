"""Writes to the cloud form: loading the shipped dictionary and forms, drafting and publishing form versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.errors import PortalError, StateConflict

from . import codetables
from .models import GBT4754, DataItem, DepartmentForm, FieldMapping, FormVersion, IndustryCode, Town
from .projection import Projection, form_problems, project
from .selectors import data_item_specs, form_version_spec
from .spec import DATA_DIR, FieldSpec, FormSpec

CONSTRAINT_KEYS = ("max_length", "min_value", "max_value", "max_digits", "decimal_places", "min_items", "max_items")


@transaction.atomic
def codetables_load() -> tuple[int, int]:
    """Load the towns and GB/T 4754-2017 tables from the shipped CSVs into the database. Safe to run again."""
    towns = [Town(code=t.code, name_zh=t.name_zh, name_en=t.name_en, kind=t.kind) for t in codetables.towns().values()]
    Town.objects.bulk_create(
        towns, update_conflicts=True, unique_fields=["code"], update_fields=["name_zh", "name_en", "kind"]
    )
    industries = [
        IndustryCode(standard=GBT4754, code=r.code, level=r.level, section=r.section, name_zh=r.name_zh)
        for r in codetables.industry_codes().values()
    ]
    IndustryCode.objects.bulk_create(
        industries,
        update_conflicts=True,
        unique_fields=["standard", "code"],
        update_fields=["level", "section", "name_zh"],
        batch_size=500,
    )
    return len(towns), len(industries)


@transaction.atomic
def data_items_load(*, path: Path = DATA_DIR / "data_items.json") -> int:
    """Create or update the data dictionary from the shipped file. Safe to run again."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    for entry in raw:
        columns = {k: v for k, v in entry.items() if k in DataItem.SPEC_COLUMNS and k != "key"}
        columns["constraints"] = {k: entry[k] for k in CONSTRAINT_KEYS if k in entry}
        for flag in ("required", "sensitive", "department_specific", "issued", "multiple"):
            columns.setdefault(flag, False)
        DataItem.objects.update_or_create(key=entry["key"], defaults=columns)
    return len(raw)


def _mappings_create(version: FormVersion, fields: list[FieldSpec] | tuple[FieldSpec, ...]) -> None:
    FieldMapping.objects.bulk_create(
        FieldMapping(
            version=version,
            position=(index + 1) * 10,
            name=f.name,
            group=f.group,
            transform=f.transform,
            args=f.args,
            required=f.required,
        )
        for index, f in enumerate(fields)
    )


@transaction.atomic
def department_forms_load(*, path: Path = DATA_DIR / "department_forms.json") -> int:
    """Create the department forms from the shipped file. A form whose current version differs from the file gets
    a new published version, so seeding again never rewrites a version that filings may point at."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    for entry in raw:
        form, _created = DepartmentForm.objects.update_or_create(
            department_code=entry["department"],
            defaults={"title": entry["title"], "title_en": entry["title_en"], "sheets": entry.get("sheets", 1)},
        )
        wanted = FormSpec.from_dict(entry).fields
        current = form.versions.filter(status=FormVersion.Status.PUBLISHED).order_by("-number").first()
        if current is not None and form_version_spec(current).fields == wanted:
            continue
        number = (form.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = FormVersion.objects.create(
            form=form,
            number=number,
            status=FormVersion.Status.PUBLISHED,
            published_at=timezone.now(),
            note="seed",
        )
        _mappings_create(version, wanted)
    return len(raw)


def form_draft_open(*, form: DepartmentForm, user: Any) -> FormVersion:
    """The form's draft, created as a copy of the current version when there is none."""
    with transaction.atomic():
        form = DepartmentForm.objects.select_for_update().get(pk=form.pk)
        draft = form.versions.filter(status=FormVersion.Status.DRAFT).first()
        if draft is not None:
            return draft
        current = form.versions.filter(status=FormVersion.Status.PUBLISHED).order_by("-number").first()
        number = (form.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        draft = FormVersion.objects.create(form=form, number=number, created_by=user)
        if current is not None:
            _mappings_create(draft, form_version_spec(current).fields)
        return draft


def form_draft_discard(*, version: FormVersion) -> None:
    """Throw a draft version away with its fields (it was never used: filings only ever use published versions).
    Raises StateConflict for a published version, which never changes."""
    with transaction.atomic():
        version = FormVersion.objects.select_for_update().get(pk=version.pk)
        _draft_only(version)
        version.mappings.all().delete()
        version.delete()


def _draft_only(version: FormVersion) -> None:
    if version.is_published:
        raise StateConflict(_("A published form version cannot be changed; open a draft."), state=version.status)


def field_mapping_save(*, version: FormVersion, mapping: FieldMapping | None = None, **values: Any) -> FieldMapping:
    """Add a field to a draft, or change one. Arguments are checked when the draft is published."""
    _draft_only(version)
    if mapping is None:
        last = version.mappings.order_by("-position").values_list("position", flat=True).first() or 0
        mapping = FieldMapping(version=version, position=last + 10)
    for name, value in values.items():
        setattr(mapping, name, value)
    mapping.save()
    return mapping


def field_mapping_delete(*, mapping: FieldMapping) -> None:
    _draft_only(mapping.version)
    mapping.delete()


def form_version_publish(*, version: FormVersion, user: Any, note: str = "") -> FormVersion:
    """Freeze a draft as the department's current form version. Refused, saying why, when any mapping is
    invalid (unknown item or transform, wrong arguments, a cycle)."""
    with transaction.atomic():
        version = FormVersion.objects.select_for_update().select_related("form").get(pk=version.pk)
        _draft_only(version)
        problems = form_problems(form_version_spec(version), data_item_specs(), set(settings.DEPARTMENT_CODES))
        if problems:
            raise PortalError(
                _("The form cannot be published until every field is correct."),
                {name or "form": messages for name, messages in problems.items()},
            )
        version.status = FormVersion.Status.PUBLISHED
        version.published_at = timezone.now()
        version.published_by = user
        version.note = note or version.note
        version.save(update_fields=["status", "published_at", "published_by", "note"])
        return version


def mapping_preview(
    *, version: FormVersion, data: dict[str, Any], references: dict[str, str] | None = None
) -> tuple[Projection, dict[str, list[str]]]:
    """What the department would receive for `data` through `version`, and what is wrong with the mapping."""
    spec = form_version_spec(version)
    items = data_item_specs()
    return project(data, spec, items, references), form_problems(spec, items, set(settings.DEPARTMENT_CODES))

"""Reads of the cloud form: the dictionary and the current department forms, as the engine's specs."""

from __future__ import annotations

from django.db.models import Max, Prefetch

from .models import DataItem, DepartmentForm, FieldMapping, FormVersion
from .spec import FieldSpec, FormSpec, ItemSpec


def data_item_specs() -> dict[str, ItemSpec]:
    return {item.key: ItemSpec.from_dict(item.as_dict()) for item in DataItem.objects.order_by("position", "key")}


def form_version_spec(version: FormVersion) -> FormSpec:
    mappings = version.mappings.all()
    return FormSpec(
        department=version.form.department_code,
        version=version.number,
        title=version.form.title,
        fields=tuple(
            FieldSpec(name=m.name, transform=m.transform, args=m.args, required=m.required, group=m.group)
            for m in mappings
        ),
    )


def form_versions_current() -> dict[str, FormVersion]:
    """The newest published version of every department form, by department code, mappings prefetched."""
    newest = (
        FormVersion.objects.filter(status=FormVersion.Status.PUBLISHED).values("form_id").annotate(number=Max("number"))
    )
    wanted = {(row["form_id"], row["number"]) for row in newest}
    versions = (
        FormVersion.objects.filter(status=FormVersion.Status.PUBLISHED, form_id__in={f for f, _ in wanted})
        .select_related("form")
        .prefetch_related(Prefetch("mappings", queryset=FieldMapping.objects.order_by("position", "id")))
    )
    return {v.form.department_code: v for v in versions if (v.form_id, v.number) in wanted}


def form_specs_current() -> dict[str, FormSpec]:
    return {code: form_version_spec(v) for code, v in form_versions_current().items()}


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

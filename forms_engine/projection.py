"""`project(data, form)`: one department's payload from the canonical data, and `form_problems`: why a form
version cannot be published. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .spec import FieldSpec, FormSpec, ItemSpec
from .transforms import (
    ANY,
    BOOLEAN,
    DEPARTMENT,
    FIELD,
    FIELDS,
    INTEGER,
    ITEM,
    ITEMS,
    NUMBER,
    REGISTRY,
    TABLE,
    TEXT,
    Context,
    TransformError,
    is_empty,
)


@dataclass(frozen=True)
class Projection:
    """A department payload (their field names → values; grouped fields nested) and what went wrong, by field."""

    payload: dict[str, Any]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def project_fields(fields: list[FieldSpec] | tuple[FieldSpec, ...], ctx: Context, prefix: str = "") -> dict[str, Any]:
    """Fill `fields` from `ctx`; errors go to `ctx.errors` keyed by the field's name (with `prefix`)."""
    by_name = {f.name: f for f in fields}
    values: dict[str, Any] = {}
    resolving: set[str] = set()
    ctx.prefix = prefix

    def value_of(name: str) -> Any:
        if name in values:
            return values[name]
        spec = by_name.get(name)
        if spec is None:
            raise TransformError(gettext("no field named “%(name)s” in this form") % {"name": name})
        if name in resolving:
            raise TransformError(gettext("field “%(name)s” refers to itself through other fields") % {"name": name})
        resolving.add(name)
        try:
            transform = REGISTRY.get(spec.transform)
            if transform is None:
                raise TransformError(gettext("unknown transform “%(name)s”") % {"name": spec.transform})
            value = transform.fn(ctx, **spec.args)
        finally:
            resolving.discard(name)
        values[name] = None if is_empty(value) else value
        return values[name]

    ctx.field_value = value_of
    ctx.projector = project_fields
    payload: dict[str, Any] = {}
    for spec in fields:
        try:
            value = value_of(spec.name)
        except TransformError as exc:
            ctx.errors.append((prefix + spec.name, str(exc)))
            value = values[spec.name] = None
        except TypeError as exc:  # arguments that do not fit the transform: reported, never a crash
            ctx.errors.append((prefix + spec.name, f"bad arguments for {spec.transform}: {exc}"))
            value = values[spec.name] = None
        if value is None and spec.required:
            ctx.errors.append((prefix + spec.name, "required value is missing"))
        target = payload.setdefault(spec.group, {}) if spec.group else payload
        target[spec.name] = value
    return payload


def project(
    data: dict[str, Any], form: FormSpec, items: dict[str, ItemSpec], references: dict[str, str] | None = None
) -> Projection:
    """The payload `form` receives for `data` (cleaned canonical data plus the items the platform issued)."""
    ctx = Context(data=data, items=items, references=dict(references or {}))
    payload = project_fields(form.fields, ctx)
    return Projection(payload=payload, errors=dict(ctx.errors))


# --- Checking a mapping before it is published ---------------------------------------------------------------


def _path_exists(path: Any, items: dict[str, ItemSpec], outer: dict[str, ItemSpec] | None = None) -> bool:
    if not isinstance(path, str) or not path:
        return False
    if path.startswith("^"):
        return outer is not None and _path_exists(path[1:], outer)
    parts = path.split(".")
    spec = items.get(parts[0])
    for part in parts[1:]:
        if spec is None:
            return False
        spec = spec.field(part)
    return spec is not None


def _kind_ok(kind: str, value: Any) -> bool:
    match kind:
        case "text" | "department" | "field":
            return isinstance(value, str) and value != ""
        case "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        case "number":
            if isinstance(value, bool):
                return False
            try:
                Decimal(str(value))
            except ArithmeticError:
                return False
            return isinstance(value, (int, float, str))
        case "boolean":
            return isinstance(value, bool)
        case "table":
            return isinstance(value, dict)
        case "fields":
            return isinstance(value, list) and all(isinstance(f, dict) for f in value)
        case "items":
            return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
        case "item":
            return isinstance(value, str)
    return True


_KIND_WORDS = {
    ITEM: _("an item key"), ITEMS: _("a list of item keys"), TEXT: _("a text"), INTEGER: _("a whole number"),
    NUMBER: _("a number"), BOOLEAN: _("true or false"), TABLE: _("an object"), FIELDS: _("a list of field mappings"),
    FIELD: _("a field name"), DEPARTMENT: _("a department code"), ANY: _("a value"),
}  # fmt: skip


def field_problems(
    spec: FieldSpec,
    items: dict[str, ItemSpec],
    departments: set[str] | None = None,
    field_names: set[str] = frozenset(),
    outer: dict[str, ItemSpec] | None = None,
) -> list[str]:
    """Why this one mapping is invalid (empty when it is fine). `outer`: the application's items, for "^" paths
    inside an `each`."""
    transform = REGISTRY.get(spec.transform)
    if transform is None:
        return [gettext("unknown transform “%(name)s”") % {"name": spec.transform}]
    problems = []
    for name in spec.args:
        if name not in transform.params:
            problems.append(
                gettext("“%(transform)s” has no argument “%(name)s”") % {"transform": spec.transform, "name": name}
            )
    for name, param in transform.params.items():
        if name not in spec.args:
            if param.required:
                problems.append(gettext("argument “%(name)s” is missing") % {"name": name})
            continue
        value = spec.args[name]
        if not _kind_ok(param.kind, value):
            problems.append(
                gettext("argument “%(name)s” must be %(kind)s") % {"name": name, "kind": _KIND_WORDS[param.kind]}
            )
            continue
        if param.choices and value not in param.choices:
            problems.append(
                gettext("argument “%(name)s” must be one of %(choices)s")
                % {"name": name, "choices": ", ".join(param.choices)}
            )
        if param.kind == ITEM and not _path_exists(value, items, outer):
            problems.append(gettext("unknown item “%(item)s”") % {"item": value})
        if param.kind == ITEMS:
            problems += [
                gettext("unknown item “%(item)s”") % {"item": v} for v in value if not _path_exists(v, items, outer)
            ]
        if param.kind == DEPARTMENT and departments is not None and value not in departments:
            problems.append(gettext("unknown department “%(code)s”") % {"code": value})
        if param.kind == FIELD and value not in field_names:
            problems.append(gettext("no field named “%(name)s” in this form") % {"name": value})
        if param.kind == FIELDS:
            parent = items.get(str(spec.args.get("item", "")).split(".")[0])
            sub_items = {f.key: f for f in parent.fields} if parent is not None else {}
            sub_names = [sub.get("name") for sub in value]
            for name in sorted({str(n) for n in sub_names if sub_names.count(n) > 1}):
                problems.append(gettext("sub-field name “%(name)s” is used more than once") % {"name": name})
            for index, sub in enumerate(value):
                try:
                    sub_spec = FieldSpec.from_dict(sub)
                except (KeyError, TypeError):
                    problems.append(gettext("sub-field %(n)d needs a name and a transform") % {"n": index + 1})
                    continue
                problems += [
                    f"{sub_spec.name}: {p}" for p in field_problems(sub_spec, sub_items, departments, outer=items)
                ]
    return problems


def form_problems(
    form: FormSpec, items: dict[str, ItemSpec], departments: set[str] | None = None
) -> dict[str, list[str]]:
    """Every reason `form` cannot be published, by field name ("" for the form as a whole)."""
    problems: dict[str, list[str]] = {}
    names = [f.name for f in form.fields]
    if not form.fields:
        problems.setdefault("", []).append(gettext("the form has no fields"))
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.setdefault(name, []).append(gettext("the field name is used more than once"))
    for name in sorted({f.group for f in form.fields if f.group} & set(names)):
        problems.setdefault(name, []).append(gettext("a block has the same name as this field"))
    field_names = set(names)
    for spec in form.fields:
        found = field_problems(spec, items, departments, field_names)
        if found:
            problems.setdefault(spec.name, []).extend(found)
    for cycle_field in _fields_in_cycles(form.fields):
        problems.setdefault(cycle_field, []).append(gettext("refers to itself through other fields (a cycle)"))
    return problems


def _fields_in_cycles(fields: tuple[FieldSpec, ...]) -> list[str]:
    edges = {f.name: f.args.get("field") for f in fields if f.transform == "field"}
    in_cycle = []
    for start in edges:
        seen, current = set(), start
        while current in edges and current not in seen:
            seen.add(current)
            current = edges[current]
        if current == start:
            in_cycle.append(start)
    return in_cycle


def referenced_items(spec: FieldSpec, parent: str = "") -> set[str]:
    """Dotted paths of every item a mapping reads (sub-mappings of `each` as "<list>.<sub-field>")."""
    transform = REGISTRY.get(spec.transform)
    if transform is None:
        return set()
    found: set[str] = set()
    for name, param in transform.params.items():
        value = spec.args.get(name)
        if value is None:
            continue
        if param.kind == ITEM and isinstance(value, str):
            found.add(parent + value)
        elif param.kind == ITEMS and isinstance(value, list):
            found |= {parent + v for v in value if isinstance(v, str)}
        elif param.kind == FIELDS and isinstance(value, list):
            list_path = parent + str(spec.args.get("item", ""))
            for sub in value:
                if isinstance(sub, dict) and "name" in sub and "transform" in sub:
                    found |= referenced_items(FieldSpec.from_dict(sub), parent=list_path + ".")
    return found


def delivered_count(spec: FieldSpec) -> int:
    """How many department fields one mapping fills: one, or one per sub-field of an `each`."""
    if spec.transform == "each" and isinstance(spec.args.get("fields"), list):
        return len(spec.args["fields"])
    return 1

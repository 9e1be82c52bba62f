"""The cloud form in the browser: turn the unified form into fields to render, and posted fields back into data.

Field names are the API's dotted paths (`legal_rep.id_number`, `investors.1.subscribed_amount`), so an error from
validation lands next to the input it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from forms_engine import codetables
from forms_engine.display import english
from forms_engine.spec import ItemSpec

MAX_ENTRIES = 20
# Limits from this length up are shown as a counter under the input.
COUNTED_FROM = 50
# Choice lists longer than this get a filter box (countries and regions: 249).
FILTER_FROM = 40


@dataclass
class Choice:
    value: str
    label: str
    selected: bool


@dataclass
class FieldView:
    """Everything a template needs to render one input (or a group of them)."""

    path: str
    label: str
    help: str
    widget: str
    value: Any = None
    required: bool = False
    readonly: bool = False
    errors: list[str] = field(default_factory=list)
    choices: list[Choice] = field(default_factory=list)
    children: list[FieldView] = field(default_factory=list)
    entries: list[list[FieldView]] = field(default_factory=list)
    max_length: int | None = None
    filterable: bool = False  # a long list of choices gets a box that narrows it as one types
    input_type: str = "text"
    inputmode: str = ""

    @property
    def dom_id(self) -> str:
        return "f-" + self.path.replace(".", "-")

    @property
    def copyable(self) -> bool:
        """A person (or a list of people) that can take the legal representative's details with one button."""
        if self.readonly or self.path == COPY_SOURCE or "." in self.path:
            return False
        children = self.children or (self.entries[0] if self.entries else [])
        return {"name", "id_number"} <= {c.path.rsplit(".", 1)[-1] for c in children}

    @property
    def counted(self) -> bool:
        """Long free text shows a counter of its limit (short codes are explained by their format instead)."""
        return bool(self.max_length and self.max_length >= COUNTED_FROM and self.widget in ("input", "textarea"))

    @property
    def length(self) -> int:
        return len(self.value) if isinstance(self.value, str) else 0

    @property
    def display(self) -> str:
        """The value as a person reads it (choice labels, yes/no)."""
        if self.value in (None, "", []):
            return "—"
        if self.choices:
            chosen = [c.label for c in self.choices if c.selected]
            return "、".join(chosen) if chosen else str(self.value)
        if self.widget == "boolean":
            return ("Yes" if self.value else "No") if english() else ("是" if self.value else "否")
        return str(self.value)


def _widget(item: ItemSpec) -> tuple[str, str, str]:
    """(widget, input type, inputmode) for an item."""
    if item.key == "town_code" or "country_alpha3" in item.validators:
        return "select", "", ""
    if item.key == "industry_code":
        return "industry", "text", ""
    if item.type == "enum":
        return ("checkboxes" if item.multiple else "select"), "", ""
    simple = {
        "text": ("textarea", "", ""),
        "integer": ("input", "number", "numeric"),
        "decimal": ("input", "text", "decimal"),
        "date": ("input", "date", ""),
        "month": ("input", "month", ""),
        "boolean": ("boolean", "", ""),
    }
    if item.type in simple:
        return simple[item.type]
    if "email" in item.validators:
        return "input", "email", ""
    if {"mobile", "phone", "landline"} & set(item.validators):
        return "input", "tel", "tel"
    if {"postcode", "cnaps", "bank_account", "hs_code"} & set(item.validators):
        return "input", "text", "numeric"
    return "input", "text", ""


def _choices(item: ItemSpec, value: Any) -> list[Choice]:
    if item.key == "town_code":
        return [
            Choice(t.code, f"{t.name_en}" if english() else t.name_zh, t.code == value)
            for t in codetables.towns().values()
        ]
    if "country_alpha3" in item.validators:
        return [
            Choice(c.code, f"{c.name_en if english() else c.name_zh} ({c.code})", c.code == value)
            for c in codetables.countries()
        ]
    selected = set(value) if isinstance(value, list) else {value}
    return [Choice(c.value, c.label_en if english() else c.label, c.value in selected) for c in item.choices]


def field_view(
    item: ItemSpec, value: Any, errors: dict[str, list[str]], path: str = "", readonly: bool = False
) -> FieldView:
    path = path or item.key
    widget, input_type, inputmode = _widget(item)
    view = FieldView(
        path=path,
        label=item.label_en if english() else item.label,
        help=item.help_en if english() else item.help,
        widget=widget,
        value=value,
        required=item.required,
        readonly=readonly,
        errors=errors.get(path, []),
        max_length=item.max_length,
        input_type=input_type,
        inputmode=inputmode,
    )
    if item.type == "person":
        view.widget = "group"
        current = value if isinstance(value, dict) else {}
        view.children = [
            field_view(sub, current.get(sub.key), errors, f"{path}.{sub.key}", readonly) for sub in item.fields
        ]
    elif item.type == "list":
        view.widget = "list"
        rows = value if isinstance(value, list) and value else [{}]
        view.entries = [
            [
                field_view(sub, (row or {}).get(sub.key), errors, f"{path}.{i}.{sub.key}", readonly)
                for sub in item.fields
            ]
            for i, row in enumerate(rows[:MAX_ENTRIES])
        ]
    elif item.type == "enum" or item.key == "town_code" or "country_alpha3" in item.validators:
        view.choices = _choices(item, value)
        view.filterable = len(view.choices) > FILTER_FROM
    return view


def parse_post(post: QueryDict, items: list[ItemSpec]) -> dict[str, Any]:
    """The posted inputs of `items` as item data: nested objects and lists rebuilt from the dotted names; an
    entry of a list whose inputs are all empty is left out (an unused blank row)."""
    data: dict[str, Any] = {}
    for item in items:
        if item.type == "person":
            if any(f"{item.key}.{sub.key}" in post for sub in item.fields):
                person = {sub.key: _scalar(sub, post, f"{item.key}.{sub.key}") for sub in item.fields}
                data[item.key] = {k: v for k, v in person.items() if v is not None}
        elif item.type == "list":
            rows = []
            for i in range(MAX_ENTRIES):
                row = {sub.key: _scalar(sub, post, f"{item.key}.{i}.{sub.key}") for sub in item.fields}
                if all(f"{item.key}.{i}.{sub.key}" not in post for sub in item.fields):
                    break
                if any(v not in (None, "", []) for k, v in row.items() if k not in _defaulted(item)):
                    rows.append({k: v for k, v in row.items() if v not in (None, "")})
            if any(f"{item.key}.0.{sub.key}" in post for sub in item.fields):
                data[item.key] = rows
        elif item.type == "enum" and item.multiple:
            data[item.key] = post.getlist(item.key) if f"{item.key}-present" in post else None
        else:
            data[item.key] = _scalar(item, post, item.key)
    return {k: v for k, v in data.items() if v is not None}


def _defaulted(item: ItemSpec) -> set[str]:
    """Sub-fields that come pre-selected (kind, ID type …): a row with only those is still an empty row."""
    return {sub.key for sub in item.fields if sub.default is not None}


def _scalar(item: ItemSpec, post: QueryDict, name: str) -> Any:
    if name not in post:
        return None
    raw = post.get(name, "").strip()
    if item.type == "boolean":
        return {"true": True, "false": False}.get(raw)
    return raw


@dataclass
class Problem:
    """One problem of the form, where it can be fixed: the field's dotted path, its label as a person reads it
    ("投资人 2 · 证件号码"), the message, and the step (section key) that shows the field."""

    path: str
    label: str
    message: str
    section: str

    @property
    def anchor(self) -> str:
        return "signing" if self.is_signature else "f-" + self.path.replace(".", "-")

    @property
    def is_signature(self) -> bool:
        """A signature still missing (submit's "signatures.<signer>"): fixed in the signing section, not a step."""
        return self.path.startswith("signatures.")


@dataclass
class Step:
    """One step of the wizard's step bar, with how many problems its fields have."""

    key: str
    title: str
    problems: int


def path_label(item: ItemSpec, path: str) -> str:
    """The label of a dotted path in the reader's language: `investors.1.id_number` → "投资人 2 · 证件号码"."""
    label = item.label_en if english() else item.label
    parts = path.split(".")[1:]
    if parts and parts[0].isdigit():
        label = f"{label} {int(parts[0]) + 1}"
        parts = parts[1:]
    if parts:
        sub = next((f for f in item.fields if f.key == parts[0]), None)
        if sub is not None:
            label = f"{label} · {sub.label_en if english() else sub.label}"
    return label


def problem_list(sections, problems: dict[str, list[str]]) -> list[Problem]:
    """The problems of `problems` (path → messages) in the order the form shows the fields; a path of no item of
    the form is listed last, under its key, so that nothing wrong is hidden."""
    where = {item.key: (n, s.key, i, item) for n, s in enumerate(sections) for i, item in enumerate(s.items)}
    ordered = sorted(problems.items(), key=lambda p: where.get(p[0].split(".")[0], (len(where), "", 0, None))[:3])
    out = []
    for path, messages in ordered:
        found = None if path.startswith("signatures.") else where.get(path.split(".")[0])
        label = path_label(found[3], path) if found else (_("Signatures") if path.startswith("signatures.") else path)
        out.extend(Problem(path, label, m, found[1] if found else "") for m in messages)
    return out


def steps(sections, problems: dict[str, list[str]]) -> list[Step]:
    """The step bar: each section's title and how many of its fields have a problem."""
    counted = problem_list(sections, problems)
    return [
        Step(s.key, s.title_en if english() else s.title, len({p.path for p in counted if p.section == s.key}))
        for s in sections
    ]


# The person whose details other people of the form most often share (finance officer, liaison, an investor).
COPY_SOURCE = "legal_rep"


def list_or_person_edit(data: dict, items: list[ItemSpec], action: str) -> dict[str, Any] | None:
    """The item data after a "copy:<path>" (the legal representative's details into a person or list entry, the
    sub-fields both have) or "remove:<list>.<i>" (one entry of a list) button, as {item key: new value}; None when
    the action does not name an editable person or entry. Pure."""
    verb, _colon, path = action.partition(":")
    key, _dot, rest = path.partition(".")
    item = next((i for i in items if i.key == key), None)
    if item is None or verb not in ("copy", "remove") or key == COPY_SOURCE:
        return None
    source = data.get(COPY_SOURCE) if isinstance(data.get(COPY_SOURCE), dict) else {}
    shared = {sub.key: source[sub.key] for sub in item.fields if source.get(sub.key) not in (None, "")}
    if item.type == "person" and verb == "copy" and not rest:
        current = data.get(key) if isinstance(data.get(key), dict) else {}
        return {key: {**current, **shared}}
    if item.type != "list" or not rest.isdigit():
        return None
    rows = [dict(row) for row in data.get(key) or [] if isinstance(row, dict)]
    index = int(rest)
    if verb == "remove":
        return {key: rows[:index] + rows[index + 1 :]} if index < len(rows) else None
    if index > len(rows) or index >= MAX_ENTRIES:  # at most the one blank entry the page shows after the last
        return None
    if index == len(rows):
        rows.append({})
    rows[index] = {**rows[index], **shared}
    return {key: rows}

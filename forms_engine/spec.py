"""Plain, immutable descriptions of the cloud form: items, department forms and their field mappings.

The engine's pure functions (validate, compose, project) work on these, never on model instances, so they run
and are tested without a database. Models turn themselves into specs (`DataItem.to_spec()`, `FormVersion.to_spec()`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

ITEM_TYPES = ("string", "text", "integer", "decimal", "date", "month", "boolean", "enum", "person", "list")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    label_en: str


@dataclass(frozen=True)
class ItemSpec:
    """A canonical data item (数据项) or a sub-field of a person / list item."""

    key: str
    label: str
    label_en: str
    type: str
    section: str = "entity"
    position: int = 0
    required: bool = False
    sensitive: bool = False
    department_specific: bool = False
    issued: bool = False
    multiple: bool = False
    choices: tuple[Choice, ...] = ()
    fields: tuple[ItemSpec, ...] = ()
    validators: tuple[str, ...] = ()
    default: Any = None
    help: str = ""
    help_en: str = ""
    max_length: int | None = None
    min_value: Any = None
    max_value: Any = None
    max_digits: int | None = None
    decimal_places: int | None = None
    min_items: int | None = None
    max_items: int | None = None

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ItemSpec:
        values = dict(raw)
        values["choices"] = tuple(Choice(**c) for c in raw.get("choices") or ())
        values["fields"] = tuple(ItemSpec.from_dict(f) for f in raw.get("fields") or ())
        values["validators"] = tuple(raw.get("validators") or ())
        return cls(**{k: v for k, v in values.items() if k in cls.__dataclass_fields__})

    def field(self, key: str) -> ItemSpec | None:
        return next((f for f in self.fields if f.key == key), None)

    def choice_label(self, value: Any, english: bool = False) -> str | None:
        for choice in self.choices:
            if choice.value == value:
                return choice.label_en if english else choice.label
        return None

    @property
    def is_compound(self) -> bool:
        return self.type in ("person", "list")

    @property
    def input_count(self) -> int:
        """How many inputs the applicant fills for this item: one, or one per sub-field."""
        return len(self.fields) if self.is_compound else 1


@dataclass(frozen=True)
class FieldSpec:
    """One field of a department's form (their name, Chinese) and how it is filled: a transform with arguments."""

    name: str
    transform: str
    args: dict[str, Any] = field(default_factory=dict)
    required: bool = False
    group: str = ""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FieldSpec:
        return cls(
            name=raw["name"],
            transform=raw["transform"],
            args=dict(raw.get("args") or {}),
            required=bool(raw.get("required", False)),
            group=raw.get("group", "") or "",
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "transform": self.transform, "args": self.args}
        if self.required:
            out["required"] = True
        if self.group:
            out["group"] = self.group
        return out

    def __hash__(self) -> int:
        return hash((self.name, self.transform, json.dumps(self.args, sort_keys=True), self.required, self.group))


@dataclass(frozen=True)
class FormSpec:
    """One version of a department's form."""

    department: str
    version: int
    title: str
    fields: tuple[FieldSpec, ...]

    @classmethod
    def from_dict(cls, raw: dict[str, Any], version: int = 1) -> FormSpec:
        return cls(
            department=raw["department"],
            version=raw.get("version", version),
            title=raw.get("title", ""),
            fields=tuple(FieldSpec.from_dict(f) for f in raw["fields"]),
        )


def load_items(path: Path = DATA_DIR / "data_items.json") -> dict[str, ItemSpec]:
    """The shipped data dictionary, by key, in display order."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    items = [ItemSpec.from_dict(r) for r in raw]
    return {i.key: i for i in sorted(items, key=lambda i: i.position)}


def load_forms(path: Path = DATA_DIR / "department_forms.json") -> dict[str, FormSpec]:
    """The shipped department forms (version 1 of each), by department code."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {f["department"]: FormSpec.from_dict(f) for f in raw}

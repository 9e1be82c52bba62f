"""Data items for people: labels in the reader's language and values as one line of text. Used wherever a page
shows items by key (a change to review, a change log, a clerk's item picker)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from .selectors import data_item_specs
from .spec import FormSpec


def english() -> bool:
    return (get_language() or "").startswith("en")


def item_label(key: str) -> str:
    """The item's label in the reader's language (the key itself for an unknown item)."""
    item = data_item_specs().get(key)
    if item is None:
        return key
    return item.label_en if english() else item.label


def display_value(value: Any) -> str:
    """A value on one line: a person's fields joined, list entries joined, nothing for None."""
    if isinstance(value, dict):
        return "，".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return "；".join(display_value(v) for v in value)
    return "" if value is None else str(value)


def changed_item_rows(before: dict, after: dict) -> list[dict]:
    """Each changed item with its label, the value before and the value after."""
    return [
        {"key": key, "label": item_label(key), "before": display_value(before.get(key)), "after": display_value(value)}
        for key, value in after.items()
    ]


def payload_rows(payload: dict | None, spec: FormSpec | None, previous: dict | None = None) -> list[dict]:
    """The department's form as rows to show, in the form's own field order (PostgreSQL's jsonb does not keep
    key order): blocks as headings, lists as small tables. With `previous` (an update), each value that differs
    from what the department held before is marked with its old value."""
    payload = payload or {}
    if spec is None:
        return [{"name": name, "value": value} for name, value in payload.items()]

    def changed(new, old_container, key) -> dict:
        if previous is None:
            return {}
        old = (old_container or {}).get(key)
        return {"changed": True, "before": old} if old != new else {}

    rows: list[dict] = []
    shown_blocks: set[str] = set()
    for field in spec.fields:
        if field.group:
            if field.group not in shown_blocks:
                shown_blocks.add(field.group)
                block, old_block = payload.get(field.group) or {}, (previous or {}).get(field.group) or {}
                names = [f.name for f in spec.fields if f.group == field.group]
                rows.append(
                    {
                        "heading": field.group,
                        "fields": [
                            {"name": n, "value": block.get(n), **changed(block.get(n), old_block, n)} for n in names
                        ],
                    }
                )
            continue
        value = payload.get(field.name)
        if field.transform == "each":
            columns = [sub["name"] for sub in field.args.get("fields", [])]
            entries = [[(entry or {}).get(c) for c in columns] for entry in (value or [])]
            rows.append(
                {"table": field.name, "columns": columns, "entries": entries, **changed(value, previous, field.name)}
            )
        else:
            rows.append({"name": field.name, "value": value, **changed(value, previous, field.name)})
    return rows


def review_rows(payload: dict | None) -> list[dict]:
    """A change registration's review payload ({"before", "after"}): each item with its label, before and after."""
    return changed_item_rows((payload or {}).get("before", {}), (payload or {}).get("after", {}))

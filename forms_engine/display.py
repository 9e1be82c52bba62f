"""Data items for people: labels in the reader's language and values as one line of text. Used wherever a page
shows items by key (a change to review, a change log, a clerk's item picker)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language

from .selectors import data_item_specs


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


def change_rows(before: dict, after: dict) -> list[dict]:
    """Each changed item with its label, the value before and the value after."""
    return [
        {"key": key, "label": item_label(key), "before": display_value(before.get(key)), "after": display_value(value)}
        for key, value in after.items()
    ]

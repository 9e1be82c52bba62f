"""Filling the cloud form in the browser from a sample company, input by input, as a person would."""

from __future__ import annotations

from typing import Any


def value_at(data: dict, path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, list):
            value = value[int(part)] if part.isdigit() and int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def add_missing_entries(page, data: dict) -> None:
    """Press "Add another" until every list has as many entries as the sample."""
    for _ in range(10):
        buttons = page.locator("button.add-entry")
        grew = False
        for index in range(buttons.count()):
            button = buttons.nth(index)
            list_path = button.get_attribute("value").removeprefix("add:")
            wanted = len(value_at(data, list_path) or [])
            shown = page.locator(f"#f-{list_path} fieldset.entry").count()
            if shown < wanted:
                fill_inputs(page, data)
                button.click()
                page.wait_for_load_state("networkidle")
                page.locator(f"#f-{list_path} fieldset.entry").nth(shown).wait_for()
                grew = True
                break
        if not grew:
            return


def fill_inputs(page, data: dict) -> None:
    form = page.locator("form.wizard")
    for element in form.locator("input[name], select[name], textarea[name]").all():
        name = element.get_attribute("name")
        kind = (element.get_attribute("type") or element.evaluate("e => e.tagName")).lower()
        if name.endswith("-present") or name == "csrfmiddlewaretoken" or kind == "hidden":
            continue
        value = value_at(data, name)
        if kind == "radio":
            wanted = {True: "true", False: "false"}.get(value)
            if wanted is not None and element.get_attribute("value") == wanted:
                element.check()
        elif kind == "checkbox":
            chosen = value if isinstance(value, list) else []
            element.set_checked(element.get_attribute("value") in chosen)
        elif value is None:
            continue
        elif kind == "select":
            element.select_option(str(value))
        else:
            element.fill(str(value))


def fill_section(page, data: dict) -> None:
    add_missing_entries(page, data)
    fill_inputs(page, data)

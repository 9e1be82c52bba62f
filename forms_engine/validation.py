"""`validate(data, items)`: clean an applicant's answers and report every problem at once, keyed by item key or
dotted path (`legal_rep.id_number`, `investors.1.subscribed_amount`). Pure: no database, messages translated."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from django.utils.translation import gettext as _

from .canonical import canonical, fold_ascii
from .identity import person_name_problem
from .spec import ItemSpec
from .validators import (
    ITEM_VALIDATORS,
    MAX_NUMBER_LENGTH,
    company_name_problem,
    id_number_problem,
    organisation_name_problem,
    parse_decimal,
)


@dataclass(frozen=True)
class Validation:
    cleaned: dict[str, Any]
    errors: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return not self.errors


class _Collector:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "") or value == [] or value == {}


# Largest whole number an integer item can hold (PostgreSQL bigint); longer digit strings are refused unread.
MAX_INTEGER_DIGITS = 18
EXPONENT_RE = re.compile(r"^[+-]?[\d.]+[eE][+-]?\d+$")
# Control characters a multi-line text may keep; any other control or format character is refused.
TEXT_WHITESPACE = {"\n", "\r", "\t"}


def _text_problem(text: str, multiline: bool) -> str | None:
    """Control (Cc) and invisible format (Cf) characters hide what a text says (a zero-width space inside a
    prohibited word or a routing keyword) and NUL cannot be stored: refuse them with a clear message."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and not (multiline and char in TEXT_WHITESPACE):
            return _("It contains a control character (U+%(code)04X); remove it.") % {"code": ord(char)}
        if category in ("Cf", "Cs"):
            return _("It contains an invisible character (U+%(code)04X); type the text again without it.") % {
                "code": ord(char)
            }
    return None


def _clean_integer(spec: ItemSpec, value: Any, path: str, out: _Collector) -> int | None:
    if isinstance(value, float) and value.is_integer() and abs(value) < 10**MAX_INTEGER_DIGITS:
        value = int(value)
    if isinstance(value, str):
        text = fold_ascii(value).strip()
        if text.isascii() and text.isdigit() and len(text) > MAX_INTEGER_DIGITS:
            out.add(path, _("The number is too large."))
            return None
        value = int(text) if text.isascii() and text.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, int):
        out.add(path, _("Enter a whole number."))
        return None
    if spec.min_value is not None and value < int(spec.min_value):
        out.add(path, _("Must be at least %(min)s.") % {"min": spec.min_value})
        return None
    if spec.max_value is not None and value > int(spec.max_value):
        out.add(path, _("Must be at most %(max)s.") % {"max": spec.max_value})
        return None
    if abs(value) >= 10**MAX_INTEGER_DIGITS:
        out.add(path, _("The number is too large."))
        return None
    return value


def _clean_decimal(spec: ItemSpec, value: Any, path: str, out: _Collector) -> str | None:
    number = parse_decimal(value)
    if number is None:
        if isinstance(value, str) and EXPONENT_RE.match(fold_ascii(value).strip()):
            out.add(path, _("Write the number in full, without an exponent (e.g. 2130000)."))
        else:
            out.add(path, _("Enter a number."))
        return None
    places = spec.decimal_places if spec.decimal_places is not None else 2
    # parse_decimal bounds the digits, so this context computes exactly.
    with localcontext(prec=2 * MAX_NUMBER_LENGTH):
        step = Decimal(1).scaleb(-places)
        whole_digits = (spec.max_digits or MAX_NUMBER_LENGTH) - places
        if number.copy_abs() >= Decimal(10) ** whole_digits:
            out.add(path, _("The number is too large."))
            return None
        if number != number.quantize(step):
            out.add(path, _("At most %(n)d decimal places.") % {"n": places})
            return None
        if spec.min_value is not None and number < Decimal(str(spec.min_value)):
            out.add(
                path,
                _("Must be greater than zero.")
                if Decimal(str(spec.min_value)) <= Decimal("0.01")
                else _("Must be at least %(min)s.") % {"min": spec.min_value},
            )
            return None
        if spec.max_value is not None and number > Decimal(str(spec.max_value)):
            out.add(path, _("Must be at most %(max)s.") % {"max": spec.max_value})
            return None
        return f"{number.quantize(step):f}"


def _clean_date(spec: ItemSpec, value: Any, path: str, out: _Collector) -> str | None:
    text = fold_ascii(value).strip() if isinstance(value, str) else ""
    try:
        if len(text) > 10 or (spec.type == "month" and len(text) != 7):
            raise ValueError
        parsed = dt.date.fromisoformat(f"{text}-01" if spec.type == "month" else text)
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            raise ValueError
    except ValueError:
        out.add(path, _("Enter a month as YYYY-MM.") if spec.type == "month" else _("Enter a date as YYYY-MM-DD."))
        return None
    return parsed.strftime("%Y-%m") if spec.type == "month" else parsed.isoformat()


# Dates outside these years are typing mistakes in a business registration (births, terms, due dates).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def _clean_scalar(spec: ItemSpec, value: Any, path: str, out: _Collector, siblings: dict | None = None) -> Any:
    """The canonical form of one scalar value, or None after recording why it is wrong. Total: any JSON value."""
    match spec.type:
        case "string" | "text":
            if isinstance(value, bool) or not isinstance(value, (str, int)) or (
                isinstance(value, int) and abs(value).bit_length() > 200
            ):
                out.add(path, _("Enter text."))
                return None
            text = str(value)
            problem = _text_problem(text, multiline=spec.type == "text")
            if problem:
                out.add(path, problem)
                return None
            if "person_name" in spec.validators and (siblings or {}).get("kind") == "legal":
                text = text.strip()  # an organisation's name is checked as its register writes it
            else:
                text = canonical(text.strip(), spec.validators)
            if spec.max_length and len(text) > spec.max_length:
                out.add(
                    path, _("At most %(n)d characters (this has %(len)d).") % {"n": spec.max_length, "len": len(text)}
                )
                return None
            return text
        case "integer":
            return _clean_integer(spec, value, path, out)
        case "decimal":
            return _clean_decimal(spec, value, path, out)
        case "date" | "month":
            return _clean_date(spec, value, path, out)
        case "boolean":
            if isinstance(value, bool):
                return value
            word = value.strip().lower() if isinstance(value, str) else value if isinstance(value, int) else None
            if word in ("true", "1", "yes", "on", 1):
                return True
            if word in ("false", "0", "no", "off", 0):
                return False
            out.add(path, _("Answer yes or no."))
            return None
        case "enum":
            allowed = {c.value for c in spec.choices}
            if spec.multiple:
                values = value if isinstance(value, list) else [value]
                if any(not isinstance(v, str) or v not in allowed for v in values):
                    out.add(path, _("Choose from the list."))
                    return None
                return [c.value for c in spec.choices if c.value in values]  # list order, no duplicates
            if not isinstance(value, str) or value not in allowed:
                out.add(path, _("Choose from the list."))
                return None
            return value
    out.add(path, _("This item cannot be typed."))
    return None


def _run_validators(spec: ItemSpec, value: Any, path: str, out: _Collector, siblings: dict[str, Any]) -> None:
    for name in spec.validators:
        if name == "id_number":
            problem = id_number_problem(value, siblings.get("id_type"))
        elif name == "person_name":
            problem = (
                organisation_name_problem(value)
                if siblings.get("kind") == "legal"
                else person_name_problem(value, siblings.get("id_type"))
            )
        elif name == "company_name":
            problem = company_name_problem(value, siblings.get("entity_type"))
        elif name in ITEM_VALIDATORS:
            problem = ITEM_VALIDATORS[name](value)
        else:
            problem = None  # list-level and cross-item validators run in _cross_checks
        if problem:
            out.add(path, problem)


def _clean_object(fields: Iterable[ItemSpec], raw: Any, path: str, out: _Collector, partial: bool) -> dict | None:
    if not isinstance(raw, dict):
        out.add(path, _("Fill in the sub-fields."))
        return None
    fields = list(fields)
    known = {f.key for f in fields}
    for key in raw:
        if key not in known:
            out.add(f"{path}.{key}", _("Unknown field."))
    cleaned: dict[str, Any] = {}
    for sub in fields:
        value = raw.get(sub.key)
        if _empty(value):
            if sub.default is not None and not partial:
                cleaned[sub.key] = sub.default
            elif sub.required and not partial:
                out.add(f"{path}.{sub.key}", _("This field is required."))
            continue
        result = _clean_scalar(sub, value, f"{path}.{sub.key}", out, siblings=raw)
        if result is not None:
            cleaned[sub.key] = result
    for sub in fields:
        if sub.key in cleaned:
            _run_validators(sub, cleaned[sub.key], f"{path}.{sub.key}", out, cleaned)
    return cleaned


def _clean_item(spec: ItemSpec, value: Any, out: _Collector, partial: bool) -> Any:
    path = spec.key
    if spec.type == "person":
        return _clean_object(spec.fields, value, path, out, partial)
    if spec.type == "list":
        if not isinstance(value, list):
            out.add(path, _("Expected a list."))
            return None
        if spec.min_items and len(value) < spec.min_items and not partial:
            out.add(path, _("Give at least %(n)d.") % {"n": spec.min_items})
        if spec.max_items and len(value) > spec.max_items:
            out.add(path, _("At most %(n)d entries.") % {"n": spec.max_items})
            return None
        return [_clean_object(spec.fields, entry, f"{path}.{i}", out, partial) or {} for i, entry in enumerate(value)]
    return _clean_scalar(spec, value, path, out)


def _cross_checks(items: dict[str, ItemSpec], cleaned: dict[str, Any], out: _Collector) -> None:
    """Rules between items (docs/DOMAIN.md): investors' amounts add up to the registered capital; seals include 公章."""
    investors = items.get("investors")
    if investors and "investors_total" in investors.validators and "investors" in cleaned and "reg_capital" in cleaned:
        amounts = [parse_decimal(i.get("subscribed_amount")) for i in cleaned["investors"]]
        if all(a is not None for a in amounts):
            total, capital = sum(amounts, Decimal(0)), Decimal(cleaned["reg_capital"])
            if total != capital:
                out.add(
                    "investors",
                    _("The investors' subscribed amounts add up to %(total)s yuan, but the registered capital is "
                      "%(capital)s yuan.") % {"total": f"{total:,.2f}", "capital": f"{capital:,.2f}"},
                )  # fmt: skip
    seals = items.get("seals")
    if seals and "official_seal" in seals.validators and "seals" in cleaned and "official" not in cleaned["seals"]:
        out.add("seals", _("The company seal (公章) is always engraved."))


def validate(data: dict[str, Any], items: Iterable[ItemSpec], *, partial: bool = False) -> Validation:
    """Clean `data` against the items the applicant is asked for.

    With `partial` (autosaving a draft) missing values are not errors and defaults are not filled in; what is
    typed is still checked. Keys that are not items of the form are errors, so nothing typed is silently lost.
    """
    items = {i.key: i for i in items if not i.issued}
    out = _Collector()
    if not isinstance(data, dict):
        return Validation({}, {"non_field_errors": [_("Expected an object of item keys and values.")]})
    for key in data:
        if key not in items:
            out.add(key, _("This item is not part of this form."))
    cleaned: dict[str, Any] = {}
    for key, spec in items.items():
        value = data.get(key)
        if _empty(value):
            if spec.default is not None and not partial:
                cleaned[key] = spec.default
            elif spec.required and not partial:
                out.add(key, _("This field is required."))
            continue
        result = _clean_item(spec, value, out, partial)
        if result is not None:
            cleaned[key] = result
    scalar_siblings = {k: v for k, v in cleaned.items() if not isinstance(v, (dict, list))}
    for key, spec in items.items():
        if key in cleaned and not spec.is_compound:
            _run_validators(spec, cleaned[key], key, out, scalar_siblings)
    _cross_checks(items, cleaned, out)
    # A value with an error is not "clean": keep only what passed, so callers never store half-checked data.
    bad_roots = {path.split(".")[0] for path in out.errors}
    return Validation({k: v for k, v in cleaned.items() if k not in bad_roots}, out.errors)

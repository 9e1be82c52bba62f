"""Reading request bodies so that no body can crash a view (docs/CONTRACT.md: never a 500 for any input).

Every JSON body the portal reads — DRF's `request.data` and the department callbacks' signed bytes — goes through
`json_loads_strict`: UTF-8 only, bounded size, bounded nesting, no NaN/Infinity, and no strings PostgreSQL cannot
store (NUL) or that are not Unicode text (lone surrogates). A refusal is a `ParseError`, answered 400.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Our deepest document is four levels (data → investors → 0 → name); anything far deeper is not ours.
MAX_JSON_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ParseError(_("The JSON body contains %(name)s, which is not a JSON number.") % {"name": name})


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent; one too large for a float (1e400 would become Infinity, which
    no database column or JSON document can hold) is refused."""
    number = float(text)
    if not math.isfinite(number):
        raise ParseError(_("The JSON body contains the number %(number)s, which is too large.") % {"number": text[:40]})
    return number


def text_problem(text: str) -> str | None:
    """Why a string cannot be taken at all (stored, compared, delivered), or None."""
    if "\x00" in text:
        return _("The request contains a NUL character (U+0000), which cannot be stored.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("The request contains text that is not valid Unicode (a lone surrogate).")
    return None


def _check_tree(document: Any) -> None:
    """Depth and string checks, iteratively (a recursive walk would itself overflow on hostile input)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ParseError(_("The JSON body is nested more than %(n)d levels deep.") % {"n": MAX_JSON_DEPTH})
        if isinstance(node, str):
            problem = text_problem(node)
            if problem:
                raise ParseError(problem)
        elif isinstance(node, dict):
            for key, value in node.items():
                problem = text_problem(key)
                if problem:
                    raise ParseError(problem)
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)


def json_loads_strict(raw: bytes) -> Any:
    """Parse a JSON request body, or raise ParseError saying in words what is wrong with it."""
    if len(raw) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        raise ParseError(
            _("The request body is larger than %(n)d bytes.") % {"n": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(_("The request body is not UTF-8 text.")) from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ParseError(
            _("The JSON body is nested more than %(n)d levels deep.") % {"n": MAX_JSON_DEPTH}
        ) from None
    except ValueError as exc:  # JSONDecodeError, and integers of over 4,300 digits
        raise ParseError(_("The request body is not valid JSON: %(error)s") % {"error": exc}) from None
    _check_tree(document)
    return document


class StrictJSONParser(JSONParser):
    """DRF's JSON parser with the portal's limits; only UTF-8 bodies are read (docs/CONTRACT.md: JSON in UTF-8)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        params = media_type.split(";")[1:] if media_type else []
        declared = next((p.split("=", 1)[1].strip().strip('"') for p in params if "charset=" in p.lower()), "")
        if declared and declared.lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise ParseError(_("Send the JSON body as UTF-8 (charset=%(charset)s is not accepted).") % {
                "charset": declared
            })  # fmt: skip
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if stream is not None else b""
        return json_loads_strict(raw)

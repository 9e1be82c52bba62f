"""Identity documents a founder may hold, and the checks their numbers and names must pass.

The documents, their number formats, the scripts their holders' names are written in and each department's
code for them are data (`data/id_documents.json`, researched in docs/identity-documents.md); this module only
implements the named checks that data refers to. Every function is total: any value in, a message or None out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from portal.calendar import beijing_today

from .canonical import compact, is_han, person_name

ID_DOCUMENTS_FILE = Path(__file__).resolve().parent / "data" / "id_documents.json"
GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Birth dates before this year are not dates a living founder was born on.
EARLIEST_BIRTH_YEAR = 1900


@dataclass(frozen=True)
class NumberFormat:
    name: str
    pattern: re.Pattern[str]
    checks: tuple[str, ...]
    example: str


@dataclass(frozen=True)
class IdDocument:
    value: str
    label: str
    label_en: str
    formats: tuple[NumberFormat, ...]
    name_scripts: tuple[str, ...]
    codes: dict[str, str]


@lru_cache(maxsize=1)
def id_documents() -> dict[str, IdDocument]:
    """The documents by enum value, in the order of the data file."""
    raw = json.loads(ID_DOCUMENTS_FILE.read_text(encoding="utf-8"))
    return {
        d["value"]: IdDocument(
            value=d["value"],
            label=d["label"],
            label_en=d["label_en"],
            formats=tuple(
                NumberFormat(f["name"], re.compile(f["pattern"]), tuple(f.get("checks", ())), f.get("example", ""))
                for f in d["formats"]
            ),
            name_scripts=tuple(d.get("name_scripts", ())),
            codes=dict(d.get("codes", {})),
        )
        for d in raw["documents"]
    }


def department_codes(table: str) -> dict[str, str]:
    """One department's code list for ID types (`table`: tax, aic, si, …), by document enum value."""
    return {value: doc.codes[table] for value, doc in id_documents().items() if table in doc.codes}


# --- GB 32100 unified social credit code ---------------------------------------------------------------------

ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code_check(body: str) -> str:
    """The check character of a GB 11714 organisation code body (8 characters)."""
    total = sum(ORG_CODE_ALPHABET.index(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_problem(value: Any) -> str | None:
    """Both check characters of GB 32100: the outer one (python-stdnum) and the inner organisation code's. Reads the
    canonical form (`canonical.compact`), so a full-width or lower-case spelling of a valid code passes."""
    number = compact(value)
    try:
        uscc.validate(number)
    except ValidationError:
        return _("Not a valid unified social credit code (18 characters, check character wrong or letter not allowed).")
    body, check = number[8:16], number[16]
    if any(c not in ORG_CODE_ALPHABET for c in body) or organisation_code_check(body) != check:
        return _("Not a valid unified social credit code: the organisation code inside it does not check.")
    return None


# --- Checks named in the data ----------------------------------------------------------------------------------


def gb11643_check_character(first17: str) -> str:
    """ISO 7064 MOD 11-2 as GB 11643-1999 uses it: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, 10 → X."""
    total = sum(int(c) * w for c, w in zip(first17, GB11643_WEIGHTS, strict=True))
    return "0123456789X"[(12 - total % 11) % 11]


def icao9303_check_digit(text: str) -> str:
    """ICAO Doc 9303 part 3 check digit: 0–9 as themselves, A–Z as 10–35, "<" as 0, weights 7 3 1 repeated,
    sum mod 10."""
    values = [int(c) if c.isdigit() else 0 if c == "<" else ord(c) - 55 for c in text]
    return str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(values)) % 10)


@lru_cache(maxsize=8192)  # a pure lookup in a fixed table; bulk loads ask for the same codes again
def division_exists(code: str) -> bool:
    """A 6-digit division code that exists in some revision of GB/T 2260 (python-stdnum's table keeps retired
    codes with the years they were valid, e.g. 441900 from 1988; any revision counts, since people keep the
    number they were given)."""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return False
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and "county" in parts[1][1]


def _birth_date(text: str, today: dt.date) -> str | None:
    try:
        if len(text) == 8:
            born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        else:  # YYMMDD: the most recent century that puts it in the past
            born = dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
            if born > today:
                born = born.replace(year=born.year - 100)
    except ValueError:
        return _("the birth date in it does not exist")
    if born > today:
        return _("the birth date in it is in the future")
    if born.year < EARLIEST_BIRTH_YEAR:
        return _("the birth date in it is not plausible")
    return None


def _run_check(check: str, number: str, today: dt.date) -> str | None:
    """Why `number` fails `check` (a phrase to put after "Not a valid …: "), or None."""
    name, _sep, args = check.partition(":")
    params = args.split(":") if args else []
    match name:
        case "gb11643_check":
            if gb11643_check_character(number[:17]) != number[17]:
                return _("the check character is wrong")
        case "birth_date":
            start, length = int(params[0]), int(params[1])
            return _birth_date(number[start : start + length], today)
        case "gb2260_division":
            start = int(params[0])
            if not division_exists(number[start : start + 6]):
                return _("the region code in it exists in no edition of GB/T 2260")
        case "prefix_in":
            start, allowed = int(params[0]), params[1].split("|")
            if not any(number.startswith(p, start) for p in allowed):
                return _("it does not start with a code this document uses")
        case "iso3166_alpha3":
            start = int(params[0])
            if pycountry.countries.get(alpha_3=number[start : start + 3]) is None:
                return _("the country code in it is not an ISO 3166 code")
        case "iso3166_numeric":
            start = int(params[0])
            if pycountry.countries.get(numeric=number[start : start + 3]) is None:
                return _("the country code in it is not an ISO 3166 code")
        case "icao9303_check":
            if icao9303_check_digit(number[:-1]) != number[-1]:
                return _("the check digit is wrong")
        case "gb32100":
            if uscc_problem(number):
                return _("a check character is wrong")
        case _:
            raise ValueError(f"unknown identity check {check!r} in {ID_DOCUMENTS_FILE.name}")
    return None


def id_number_problem(value: Any, id_type: Any, today: dt.date | None = None) -> str | None:
    """Why `value` is not a valid number of the document `id_type` (None when it is). The number is matched in
    its canonical form (`canonical.compact`); a number valid in any of the document's formats is accepted."""
    documents = id_documents()
    document = documents.get(id_type if isinstance(id_type, str) else "resident_id") or documents["resident_id"]
    number = compact(value)
    today = today or beijing_today()
    reasons = []
    for number_format in document.formats:
        if not number_format.pattern.fullmatch(number):
            continue
        reason = next((r for r in (_run_check(c, number, today) for c in number_format.checks) if r), None)
        if reason is None:
            return None
        reasons.append(reason)
    if reasons:
        return _("Not a valid %(document)s number: %(reason)s.") % {"document": _label(document), "reason": reasons[0]}
    return _("Not a valid %(document)s number: it does not have the form of this document's numbers, such as "
             "%(examples)s.") % {
        "document": _label(document),
        "examples": _(" or ").join(f.example for f in document.formats if f.example),
    }  # fmt: skip


def _label(document: IdDocument) -> str:
    return document.label_en if (get_language() or "").startswith("en") else document.label


# --- Names -----------------------------------------------------------------------------------------------------

_LATIN_PUNCTUATION = " -'.,"


def is_latin_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L") and unicodedata.name(char, "").startswith("LATIN")


def invisible_problem(text: str) -> str | None:
    """Format (Cf: zero-width spaces, direction marks) and control (Cc) characters hide what a name says."""
    if any(unicodedata.category(c) in ("Cf", "Cc") for c in text):
        return _("It contains invisible or control characters (for example a zero-width space); type it again.")
    return None


def person_name_problem(value: Any, id_type: Any) -> str | None:
    """A natural person's name as their identity document writes it: Chinese characters (with · between the parts
    of a transcribed name) for a resident ID; Latin letters too for documents foreigners hold. No invisible
    characters, digits, symbols or letters of other scripts."""
    name = person_name(value)
    problem = invisible_problem(name)
    if problem:
        return problem
    document = id_documents().get(id_type if isinstance(id_type, str) else "resident_id")
    scripts = set(document.name_scripts if document else ("han", "latin"))
    han = [c for c in name if is_han(c)]
    latin = [c for c in name if is_latin_letter(c)]
    other = [c for c in name if not (is_han(c) or is_latin_letter(c) or c == "·" or c in _LATIN_PUNCTUATION)]
    if other:
        message = _("A name may not contain “%(chars)s”: only the letters of the name on the identity document.")
        return message % {"chars": "".join(dict.fromkeys(other))[:10]}
    if latin and "latin" not in scripts:
        return _("Write the name in Chinese characters, as on the identity document (no Latin letters).")
    if han and "han" not in scripts:
        return _("Write the name in Latin letters, as in the identity document.")
    if han and latin:
        return _("Write the name either in Chinese characters or in Latin letters, not mixed.")
    if not han and not latin:
        return _("Enter the name.")
    if han and (name.startswith("·") or name.endswith("·") or "··" in name or any(c in name for c in " -'.,")):
        return _("In a Chinese name only · may separate its parts.")
    return None

"""One canonical spelling per identifier and code, made once where a value enters the portal (docs/STYLE.md habit 11).

People type full-width digits from a Chinese input method (５２３０００), lower-case check characters (…123x),
spaces in a bank account, or a mobile number with +86; department systems want one spelling. Each function
here takes any text and returns the standard form of its kind — ASCII digits and letters, upper-case check
characters, no separators or invisible characters — or the folded text unchanged when it cannot be read as that
kind, so the validator that runs next explains what is wrong. Pure functions; they never raise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

# Full-width forms of printable ASCII (U+FF01–FF5E) sit exactly 0xFEE0 above it; U+3000 is the ideographic space.
_FULLWIDTH_START, _FULLWIDTH_END, _FULLWIDTH_OFFSET = 0xFF01, 0xFF5E, 0xFEE0
# Separators people put inside numbers: spaces of every width, hyphens and dashes, dots, slashes.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―﹣－./·]+")


def fold_ascii(text: str) -> str:
    """Full-width ASCII to ASCII and every decimal digit of any script (Unicode category Nd) to 0–9; invisible
    format characters (category Cf, e.g. a zero-width space) dropped. Other characters are kept as they are:
    superscripts, circled numbers and Chinese numerals are not digits someone types into an identifier."""
    if text.isascii():
        return text  # nothing to fold: full-width forms, other digits and format characters are all beyond ASCII
    out = []
    for char in text:
        code = ord(char)
        if _FULLWIDTH_START <= code <= _FULLWIDTH_END:
            out.append(chr(code - _FULLWIDTH_OFFSET))
        elif char == "\u3000":
            out.append(" ")
        elif char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif unicodedata.category(char) != "Cf":
            out.append(char)
    return "".join(out)


def is_han(char: str) -> bool:
    """A Chinese character: CJK Unified Ideographs with every extension, compatibility ideographs, 〇."""
    return char == "〇" or unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEO"))


# Middle-dot look-alikes people type between the parts of a transcribed name (买买提·艾力).
MIDDLE_DOTS = "·•‧・･．。﹒"


def person_name(value: Any) -> str:
    """A natural person's name: full-width Latin folded, middle-dot look-alikes made ·, runs of spaces made one.
    Invisible characters are kept, so that the check refuses them instead of silently changing a legal name."""
    text = value if isinstance(value, str) else str(value)
    out = []
    for char in text.strip():
        if char in MIDDLE_DOTS:
            out.append("·")
        elif is_han(char) or unicodedata.category(char) == "Cf":
            out.append(char)
        else:
            out.append(fold_ascii(char))
    return re.sub(r" {2,}", " ", "".join(out))


def _text(value: Any) -> str:
    return fold_ascii(value if isinstance(value, str) else str(value)).strip()


def compact(value: Any) -> str:
    """Folded, upper-case, with no separators: identifiers (ID numbers, USCC, codes written in groups)."""
    return _SEPARATORS.sub("", _text(value)).upper()


def digits_only(value: Any) -> str:
    """Folded with separators removed (bank accounts written in groups of four, HS codes as 8471.3000)."""
    return _SEPARATORS.sub("", _text(value))


def mobile(value: Any) -> str:
    """An 11-digit mainland mobile number: separators and the country code (+86, 0086, 86) removed."""
    number = _SEPARATORS.sub("", _text(value).replace("(", "").replace(")", ""))
    for prefix in ("+86", "0086", "86"):
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            return number[len(prefix) :]
    return number


def landline(value: Any) -> str:
    """A Dongguan landline as 0769-NNNNNNNN (area code, one hyphen, the number), whatever separators were used."""
    number = mobile(value)  # same folding; a landline has no country-code form we accept
    if number.isdigit() and number.startswith("0769") and len(number) in (11, 12):
        return f"0769-{number[4:]}"
    return number


def phone(value: Any) -> str:
    """A mobile number or a landline, each in its own canonical form."""
    number = mobile(value)
    return number if len(number) == 11 and number.startswith("1") else landline(value)


def email(value: Any) -> str:
    """Folded and trimmed; the domain in lower case (domains are case-insensitive, the local part is not)."""
    text = _text(value)
    local, at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if at else text


def ascii_text(value: Any) -> str:
    """English text (names, addresses): full-width letters and punctuation folded, runs of spaces made one."""
    return re.sub(r" {2,}", " ", _text(value))


# Canonicaliser per named validator (`DataItem.validators`): the value is folded before it is checked.
CANONICAL: dict[str, Callable[[Any], str]] = {
    "mobile": mobile,
    "landline": landline,
    "phone": phone,
    "postcode": digits_only,
    "hs_code": digits_only,
    "cnaps": digits_only,
    "bank_account": digits_only,
    "email": email,
    "country_alpha3": compact,
    "ascii_en": ascii_text,
    "uscc": compact,
    "id_number": compact,
    "industry_class": digits_only,
    "town_code": digits_only,
    "person_name": person_name,
}


def canonical(value: Any, validators: tuple[str, ...] | list[str]) -> Any:
    """`value` in the canonical form of the first of `validators` that has one; other values unchanged."""
    for name in validators:
        if name in CANONICAL:
            return CANONICAL[name](value)
    return value

"""Named validators a data item may list (`"validators": ["mobile"]`), plus the identifier checks of docs/DOMAIN.md.

Each returns None when the value is fine, or a translated message. Pure functions over plain values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pycountry
from django.utils.translation import gettext as _

from . import codetables, identity
from .canonical import fold_ascii, is_han
from .identity import ORG_CODE_ALPHABET, organisation_code_check, uscc_problem  # noqa: F401 — public here too

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0769-?\d{7,8}$")
POSTCODE_RE = re.compile(r"^523\d{3}$")
HS_CODE_RE = re.compile(r"^\d{8,10}$")
CNAPS_RE = re.compile(r"^\d{12}$")
BANK_ACCOUNT_RE = re.compile(r"^\d{8,32}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
ALPHA3_RE = re.compile(r"^[A-Z]{3}$")
# Printable ASCII, and nothing a Chinese keyboard slips in (full-width letters, ，。：“” …).
ASCII_EN_RE = re.compile(r"^[A-Za-z0-9 ,.&()'\-/#:;]+$")


# Organisational forms a company name may end with, by entity type (GB 名称登记管理规定).
NAME_ENDINGS = {
    "llc_natural_controlled": ("有限公司", "有限责任公司"),
    "llc_natural_sole": ("有限公司", "有限责任公司"),
    "llc_legal_sole": ("有限公司", "有限责任公司"),
    "llc_foreign_invested": ("有限公司", "有限责任公司"),
    "joint_stock_unlisted": ("股份有限公司", "股份公司"),
    "sole_proprietorship": ("厂", "店", "部", "中心", "工作室", "企业", "行", "馆", "社"),
    "general_partnership": ("（普通合伙）",),
    "limited_partnership": ("（有限合伙）",),
    "individual_business": ("厂", "店", "部", "中心", "工作室", "行", "馆", "社", "坊", "档"),
    "farmers_cooperative": ("专业合作社", "合作社"),
}
ALL_ENDINGS = tuple(sorted({e for endings in NAME_ENDINGS.values() for e in endings}, key=len, reverse=True))


def resident_id_problem(value: Any) -> str | None:
    """GB 11643 resident ID: check character, a real past birth date, and a division code that exists in some GB/T
    2260 revision (python-stdnum alone refuses 441900 for births before 1988, although real Dongguan people carry
    it, and raises on a county code unknown in a known province)."""
    return identity.id_number_problem(value, "resident_id")


def id_number_problem(value: Any, id_type: Any) -> str | None:
    """An ID number checked by the rules of its document type (data/id_documents.json)."""
    return identity.id_number_problem(value, id_type)


def company_name_problem(value: Any, entity_type: Any = None) -> str | None:
    """东莞市 + 字号 + 行业 + 组织形式, in standard Chinese characters (企业名称登记管理规定 art. 8: 规范汉字) with
    full-width brackets: no Latin letters of any width, no digits, no letters of other scripts, no invisible
    characters, no emoji or symbols."""
    name = (value if isinstance(value, str) else str(value)).strip()
    if identity.invisible_problem(name):
        return _("The company name contains invisible or control characters (for example a zero-width space); "
                 "type it again.")  # fmt: skip
    if "(" in name or ")" in name:
        return _("Use full-width brackets （ ） in the company name.")
    if any(unicodedata.category(c) in {"So", "Sk", "Cs", "Co"} for c in name):
        return _("The company name may not contain emoji or symbols.")
    folded = fold_ascii(name)
    if any(identity.is_latin_letter(c) or c.isspace() for c in folded):
        return _("The company name is written in Chinese characters, without spaces or Latin letters.")
    if any(c.isdigit() or unicodedata.category(c).startswith("N") for c in folded):
        return _("Numbers in a company name are written in Chinese characters (e.g. 三 for 3).")
    others = [c for c in name if c not in "（）" and not is_han(c)]
    if others:
        return _("The company name may contain only Chinese characters and full-width brackets, not “%(chars)s”.") % {
            "chars": "".join(dict.fromkeys(others))[:10]
        }
    if not name.startswith("东莞市"):
        return _("The company name starts with the place name 东莞市.")
    endings = NAME_ENDINGS.get(entity_type if isinstance(entity_type, str) else "", ALL_ENDINGS)
    ending = next((e for e in endings if name.endswith(e)), None)
    if ending is None:
        return _("The company name must end with its organisational form, such as %(example)s.") % {
            "example": "、".join(endings[:3])
        }
    middle = name[len("东莞市") : -len(ending)]
    if len(middle) < 4:
        return _(
            "Between 东莞市 and the organisational form give a trade name and the industry (at least 4 characters)."
        )
    return None


def organisation_name_problem(value: Any) -> str | None:
    """An organisation's name as registered (an investor that is a legal person): any script its register uses,
    but no invisible characters, emoji or symbols."""
    name = (value if isinstance(value, str) else str(value)).strip()
    problem = identity.invisible_problem(name)
    if problem:
        return problem
    if any(unicodedata.category(c) in {"So", "Cs", "Co"} for c in name):
        return _("The name may not contain emoji or symbols.")
    return None


def _simple(pattern: re.Pattern[str], message: Callable[[], str]) -> Callable[[Any], str | None]:
    return lambda value: None if pattern.match(str(value).strip()) else message()


def _phone(value: Any) -> str | None:
    text = str(value).strip()
    if MOBILE_RE.match(text) or LANDLINE_RE.match(text):
        return None
    return _("Enter a Dongguan landline such as 0769-22112345 or an 11-digit mobile number.")


def _industry_class(value: Any) -> str | None:
    if str(value) in codetables.industry_classes():
        return None
    return _("Not a four-digit class of GB/T 4754-2017.")


def _town(value: Any) -> str | None:
    return None if str(value) in codetables.towns() else _("Not a Dongguan town or subdistrict code.")


def _country(value: Any) -> str | None:
    text = str(value)
    if ALPHA3_RE.match(text) and pycountry.countries.get(alpha_3=text) is not None:
        return None
    return _("Use the three-letter ISO 3166 country code, e.g. CHN.")


def _business_scope(value: Any) -> str | None:
    text = str(value).strip()
    if len(text) < 4:
        return _("Describe the business scope (at least one activity).")
    return None


ITEM_VALIDATORS: dict[str, Callable[[Any], str | None]] = {
    "mobile": _simple(MOBILE_RE, lambda: _("Enter an 11-digit mainland mobile number starting with 13–19.")),
    "landline": _simple(LANDLINE_RE, lambda: _("Enter a Dongguan landline such as 0769-22112345.")),
    "phone": _phone,
    "postcode": _simple(POSTCODE_RE, lambda: _("Dongguan postcodes have six digits starting with 523.")),
    "hs_code": _simple(HS_CODE_RE, lambda: _("An HS code has 8 to 10 digits.")),
    "cnaps": _simple(CNAPS_RE, lambda: _("A CNAPS bank code has 12 digits.")),
    "bank_account": _simple(BANK_ACCOUNT_RE, lambda: _("A bank account number has 8 to 32 digits.")),
    "email": _simple(EMAIL_RE, lambda: _("Enter a valid e-mail address.")),
    "country_alpha3": _country,
    "ascii_en": _simple(
        ASCII_EN_RE,
        lambda: _("Use English letters, digits and half-width punctuation only (no full-width characters)."),
    ),
    "uscc": uscc_problem,
    "industry_class": _industry_class,
    "town_code": _town,
    "business_scope": _business_scope,
}


# A typed number longer than this is not an amount anyone means; refusing it first bounds all later arithmetic.
MAX_NUMBER_LENGTH = 40
PLAIN_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_decimal(value: Any) -> Decimal | None:
    """A finite decimal from a JSON number or a typed one (full-width digits folded, thousands separators
    allowed), or None when it is not one. Exponents are refused: nobody types capital as 1e26. Total: never
    raises, and the result has at most MAX_NUMBER_LENGTH digits."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    if isinstance(value, int) and abs(value).bit_length() > 4 * MAX_NUMBER_LENGTH:
        return None  # before str(): Python refuses to print integers of over 4,300 digits
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or abs(value) >= 1e40:
            return None
        text = format(Decimal(repr(value)), "f")
    else:
        text = fold_ascii(str(value)).replace(",", "").replace(" ", "").strip()
    if len(text) > MAX_NUMBER_LENGTH or not PLAIN_NUMBER_RE.match(text):
        return None
    return Decimal(text)

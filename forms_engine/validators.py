"""Named validators a data item may list (`"validators": ["mobile"]`), plus the identifier checks of DOMAIN.md.

Each returns None when the value is fine, or a translated message. Pure functions over plain values.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent, ValidationError

from . import codetables

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
PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
HK_MACAO_RE = re.compile(r"^[HM]\d{8}(\d{2})?$")
TAIWAN_RE = re.compile(r"^\d{8}(\d{2})?$")
FOREIGN_PR_RE = re.compile(r"^([A-Z]{3}\d{12}|9\d{17})$")

ORG_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

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


def organisation_code_check(body: str) -> str:
    """The check character of a GB 11714 organisation code body (8 characters)."""
    total = sum(ORG_CODE_ALPHABET.index(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_problem(value: str) -> str | None:
    """Both check characters of GB 32100: the outer one (python-stdnum) and the inner organisation code's."""
    try:
        number = uscc.validate(value)
    except ValidationError:
        return _("Not a valid unified social credit code (18 characters, check character wrong or letter not allowed).")
    body, check = number[8:16], number[16]
    if any(c not in ORG_CODE_ALPHABET for c in body) or organisation_code_check(body) != check:
        return _("Not a valid unified social credit code: the organisation code inside it does not check.")
    return None


def resident_id_problem(value: str) -> str | None:
    """GB 11643 resident ID. python-stdnum refuses 441900 for births before 1988 (Dongguan became a prefecture-level
    city then) although real Dongguan people carry it: accept a valid checksum, a real past birth date and a division
    that exists in some GB/T 2260 revision."""
    number = str(value).strip().upper()
    try:
        ric.validate(number)
        birth = ric.get_birth_date(number)
    except InvalidComponent:
        try:
            birth = ric.get_birth_date(number)
        except ValidationError:
            return _("Not a valid resident ID number: the birth date does not exist.")
        if not numdb.get("cn/loc").info(number[:6])[0][1]:
            return _("Not a valid resident ID number: unknown region code.")
    except ValidationError:
        return _("Not a valid resident ID number (18 characters; the last one is a check character).")
    if birth > dt.date.today():
        return _("Not a valid resident ID number: the birth date is in the future.")
    return None


def id_number_problem(value: str, id_type: str | None) -> str | None:
    """An ID number checked by the rules of its type."""
    text = str(value).strip().upper()
    match id_type:
        case "resident_id" | None:
            return resident_id_problem(text)
        case "uscc":
            return uscc_problem(text)
        case "passport":
            ok = PASSPORT_RE.match(text)
        case "hk_macao_permit":
            ok = HK_MACAO_RE.match(text)
        case "taiwan_permit":
            ok = TAIWAN_RE.match(text)
        case "foreign_permanent_residence":
            ok = FOREIGN_PR_RE.match(text)
        case _:
            ok = True
    return None if ok else _("The number does not have the format of this kind of ID.")


def company_name_problem(value: str, entity_type: str | None = None) -> str | None:
    """东莞市 + 字号 + 行业 + 组织形式; full-width brackets; no emoji or Latin letters."""
    name = str(value).strip()
    if "(" in name or ")" in name:
        return _("Use full-width brackets （ ） in the company name.")
    if any(unicodedata.category(c) in {"So", "Cs", "Co"} for c in name):
        return _("The company name may not contain emoji or symbols.")
    if re.search(r"[A-Za-z\s]", name):
        return _("The company name is written in Chinese characters, without spaces or Latin letters.")
    if not name.startswith("东莞市"):
        return _("The company name starts with the place name 东莞市.")
    endings = NAME_ENDINGS.get(entity_type or "", ALL_ENDINGS)
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
    "country_alpha3": _simple(ALPHA3_RE, lambda: _("Use the three-letter ISO 3166 country code, e.g. CHN.")),
    "ascii_en": _simple(
        ASCII_EN_RE,
        lambda: _("Use English letters, digits and half-width punctuation only (no full-width characters)."),
    ),
    "uscc": uscc_problem,
    "industry_class": _industry_class,
    "town_code": _town,
    "business_scope": _business_scope,
}


def parse_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None

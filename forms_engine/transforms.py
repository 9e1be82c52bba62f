"""The transforms a field mapping may name (docs/DOMAIN.md "How departments want the data").

Each transform is a small pure function registered under a name with a typed parameter list; mappings are data
(`{"transform": "yuan_to_wan", "args": {"item": "reg_capital"}}`) checked against these signatures before a form
version can be published. Nothing is ever evaluated from text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import codetables
from .identity import department_codes
from .spec import FieldSpec

# Parameter kinds: what an argument must be, and how `check` verifies it.
ITEM = "item"  # a dotted path to a data item ("reg_capital", "legal_rep.id_type")
ITEMS = "items"  # a list of such paths
TEXT = "text"
INTEGER = "integer"
NUMBER = "number"  # a decimal given as a string or number
BOOLEAN = "boolean"
TABLE = "table"  # an object mapping values to values
FIELDS = "fields"  # a list of sub-mappings (for `each`)
FIELD = "field"  # the name of another field of the same form
DEPARTMENT = "department"
ANY = "any"


class TransformError(ValueError):
    """The transform cannot produce a value from this data (the message says why, for the admin's preview)."""


@dataclass(frozen=True)
class Param:
    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transform:
    name: str
    fn: Callable[..., Any]
    params: dict[str, Param]
    doc: Any  # what it does, translated when shown (lazy)


REGISTRY: dict[str, Transform] = {}


def register(name: str, *, doc: Any, **params: Param) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a transform under `name` with its parameters and `doc`, what it does (the mapping editor shows
    it in the reader's language, so it is a marked message rather than the function's docstring)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY[name] = Transform(name=name, fn=fn, params=params, doc=doc)
        return fn

    return decorate


@dataclass
class Context:
    """What a transform may look at: the (cleaned) data, the item dictionary for labels, reference numbers of
    prerequisite departments, and the other fields of the form (resolved on demand by the projector)."""

    data: dict[str, Any]
    items: dict[str, Any]  # key → ItemSpec
    references: dict[str, str] = field(default_factory=dict)
    field_value: Callable[[str], Any] | None = None
    # The projector itself (projection.project_fields), handed in so that `each` can project a list's entries
    # without this module importing the projector that imports it.
    projector: Callable[..., dict[str, Any]] | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    prefix: str = ""
    parent: Context | None = None  # inside `each`: the whole application, reached with a "^" path

    def get(self, path: str) -> Any:
        if path.startswith("^"):
            return self.parent.get(path[1:]) if self.parent is not None else None
        value: Any = self.data
        for part in path.split("."):
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return None if is_empty(value) else value

    def spec(self, path: str) -> Any:
        if path.startswith("^"):
            return self.parent.spec(path[1:]) if self.parent is not None else None
        parts = path.split(".")
        spec = self.items.get(parts[0])
        for part in parts[1:]:
            if spec is None:
                return None
            spec = spec.field(part)
        return spec


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _decimal(value: Any, what: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise TransformError(
            gettext("%(what)s: “%(value)s” is not a number") % {"what": what, "value": value}
        ) from None


def _plain(number: Decimal, places: int = 6) -> str:
    """A decimal as departments write it: no exponent, no trailing zeros, at most `places` decimals."""
    quantised = number.quantize(Decimal(1).scaleb(-places)).normalize()
    text = format(quantised, "f")
    return text


def _date(value: Any, what: str) -> dt.date:
    try:
        if len(str(value)) == 7:
            return dt.date.fromisoformat(f"{value}-01")
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise TransformError(gettext("%(what)s: “%(value)s” is not a date") % {"what": what, "value": value}) from None


# --- Built-in national code tables (not configurable: they are standards) ---------------------------------------

# Each department's own codes for identity documents (tax: 201 居民身份证 …), from data/id_documents.json.
ID_TYPE_TABLES = {table: department_codes(table) for table in ("tax", "aic", "psb")}

# 登记注册类型 (国家统计局, 110…340) from our entity types.
REG_TYPE_CODES = {
    "llc_natural_controlled": "173",
    "llc_natural_sole": "173",
    "llc_legal_sole": "159",
    "joint_stock_unlisted": "160",
    "llc_foreign_invested": "330",
    "sole_proprietorship": "171",
    "general_partnership": "172",
    "limited_partnership": "172",
    "individual_business": "190",
    "farmers_cooperative": "190",
}
# 经济类型 GB/T 12402-2000, 3 digits.
ECONOMIC_TYPE_CODES = {
    "llc_natural_controlled": "173",
    "llc_natural_sole": "173",
    "llc_legal_sole": "150",
    "joint_stock_unlisted": "160",
    "llc_foreign_invested": "330",
    "sole_proprietorship": "171",
    "general_partnership": "172",
    "limited_partnership": "172",
    "individual_business": "175",
    "farmers_cooperative": "190",
}
# 人民银行 存款人类别.
DEPOSITOR_CATEGORIES = {
    "llc_natural_controlled": "01 企业法人",
    "llc_natural_sole": "01 企业法人",
    "llc_legal_sole": "01 企业法人",
    "joint_stock_unlisted": "01 企业法人",
    "llc_foreign_invested": "01 企业法人",
    "sole_proprietorship": "02 非法人企业",
    "general_partnership": "02 非法人企业",
    "limited_partnership": "02 非法人企业",
    "individual_business": "13 个体工商户",
    "farmers_cooperative": "01 企业法人",
}
CODE_TABLES = {
    "reg_type": REG_TYPE_CODES,
    "economic_type": ECONOMIC_TYPE_CODES,
    "depositor_category": DEPOSITOR_CATEGORIES,
}


# --- The transforms ----------------------------------------------------------------------------------------------


@register("item", item=Param(ITEM), doc=_("The item's value as typed (numbers and dates in canonical text form)."))
def item_value(ctx: Context, *, item: str) -> Any:
    return ctx.get(item)


@register(
    "label",
    item=Param(ITEM),
    sep=Param(TEXT, required=False),
    doc=_("The Chinese label of an enum value (several joined by `sep` for a multiple choice)."),
)
def choice_label(ctx: Context, *, item: str, sep: str = "、") -> Any:
    value = ctx.get(item)
    spec = ctx.spec(item)
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    labels = []
    for v in values:
        label = spec.choice_label(v) if spec is not None else None
        if label is None:
            raise TransformError(
                gettext("%(item)s: “%(value)s” is not one of its choices") % {"item": item, "value": v}
            )
        labels.append(label)
    return sep.join(labels)


@register(
    "coalesce", items=Param(ITEMS), doc=_("The first of the items that has a value (op_address, else reg_address).")
)
def coalesce(ctx: Context, *, items: list[str]) -> Any:
    for path in items:
        value = ctx.get(path)
        if value is not None:
            return value
    return None


@register(
    "constant", value=Param(ANY), doc=_("A fixed value the department's form expects (e.g. the division 441900).")
)
def constant(ctx: Context, *, value: Any) -> Any:
    return value


@register(
    "yuan_to_wan",
    item=Param(ITEM),
    currency_item=Param(ITEM, required=False),
    with_unit=Param(BOOLEAN, required=False),
    doc=_('Yuan → 万 (÷10,000, up to 6 decimals); with the unit: "213万元", or "200万美元" for a foreign currency.'),
)
def yuan_to_wan(ctx: Context, *, item: str, currency_item: str = "", with_unit: bool = False) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    wan = _plain(_decimal(value, item) / 10000)
    if not with_unit:
        return wan
    currency = ctx.get(currency_item) if currency_item else "CNY"
    currency = currency or "CNY"
    if currency == "CNY":
        return f"{wan}万元"
    spec = ctx.spec(currency_item)
    label = spec.choice_label(currency) if spec is not None else None
    return f"{wan}万{label or currency}"


@register(
    "to_usd",
    item=Param(ITEM),
    rate=Param(NUMBER),
    currency_item=Param(ITEM, required=False),
    rates=Param(TABLE, required=False),
    unit=Param(TEXT, required=False, choices=("yuan", "wan")),
    doc=_("An amount in US dollars at the configured rate (CNY per USD); other currencies via `rates` (CNY per unit)."),
)
def to_usd(
    ctx: Context, *, item: str, rate: Any, currency_item: str = "", rates: dict | None = None, unit: str = "yuan"
) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    amount = _decimal(value, item)
    currency = (ctx.get(currency_item) if currency_item else None) or "CNY"
    if currency != "USD":
        if currency == "CNY":
            cny = amount
        elif rates and currency in rates:
            cny = amount * _decimal(rates[currency], f"rates.{currency}")
        else:
            raise TransformError(gettext("no conversion rate for %(currency)s") % {"currency": currency})
        per_usd = _decimal(rate, "rate")
        if per_usd <= 0:
            raise TransformError(gettext("the rate must be positive"))
        amount = cny / per_usd
    if unit == "wan":
        return _plain(amount / 10000, 4)
    return _plain(amount, 2)


@register(
    "id_type_code",
    item=Param(ITEM),
    table=Param(TEXT, choices=tuple(ID_TYPE_TABLES)),
    doc=_("A department's own code for an ID type (tax: 201 居民身份证 …); the applicant never picks these codes."),
)
def id_type_code(ctx: Context, *, item: str, table: str) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    code = ID_TYPE_TABLES[table].get(value)
    if code is None:
        raise TransformError(
            gettext("%(item)s: the %(table)s code list has no code for “%(value)s”")
            % {"item": item, "table": table, "value": value}
        )
    return code


@register(
    "code",
    item=Param(ITEM),
    table=Param(TEXT, choices=tuple(CODE_TABLES)),
    doc=_(
        "A national standard code derived from an item: reg_type (登记注册类型), economic_type (GB/T 12402), "
        "depositor_category (存款人类别)."
    ),
)
def standard_code(ctx: Context, *, item: str, table: str) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    code = CODE_TABLES[table].get(value)
    if code is None:
        raise TransformError(
            gettext("%(item)s: no %(table)s code for “%(value)s”") % {"item": item, "table": table, "value": value}
        )
    return code


@register(
    "map_value",
    item=Param(ITEM),
    table=Param(TABLE),
    default=Param(ANY, required=False),
    doc=_("A configurable lookup (e.g. industry section → work-injury risk class); `default` when not listed."),
)
def map_value(ctx: Context, *, item: str, table: dict, default: Any = None) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    if str(value) in table:
        return table[str(value)]
    if default is None:
        raise TransformError(
            gettext("%(item)s: “%(value)s” is not in the table and there is no default")
            % {"item": item, "value": value}
        )
    return default


@register(
    "division_12",
    item=Param(ITEM),
    doc=_('The 12-digit statistical division: town code + "000" (441900004 → 441900004000).'),
)
def division_12(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    return None if value is None else f"{value}000"


def _industry(ctx: Context, item: str) -> codetables.IndustryRow | None:
    value = ctx.get(item)
    if value is None:
        return None
    row = codetables.industry_codes().get(str(value))
    if row is None:
        raise TransformError(
            gettext("%(item)s: “%(value)s” is not a GB/T 4754-2017 code") % {"item": item, "value": value}
        )
    return row


@register("industry_section", item=Param(ITEM), doc=_("The GB/T 4754 section letter (A–T) of an industry class."))
def industry_section(ctx: Context, *, item: str) -> Any:
    row = _industry(ctx, item)
    return row and row.section


@register("industry_name", item=Param(ITEM), doc=_("The Chinese name of an industry class."))
def industry_name(ctx: Context, *, item: str) -> Any:
    row = _industry(ctx, item)
    return row and row.name_zh


@register(
    "industry_division",
    item=Param(ITEM),
    doc=_("The 2-digit GB/T 4754 division of an industry class (e.g. 5179 → 51)."),
)
def industry_division(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    return None if value is None else str(value)[:2]


# Old names of renamed transforms, still read from stored mappings; not offered for new ones.
ALIASES = {"industry_category": "industry_division"}
for _old, _new in ALIASES.items():
    REGISTRY[_old] = REGISTRY[_new]


def transform_names() -> list[str]:
    """The transforms an admin may choose for a mapping (current names only)."""
    return sorted(name for name in REGISTRY if name not in ALIASES)


@register("town_name", item=Param(ITEM), doc=_("The Chinese name of a Dongguan town or subdistrict."))
def town_name(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    row = codetables.towns().get(str(value))
    if row is None:
        raise TransformError(
            gettext("%(item)s: “%(value)s” is not a Dongguan town code") % {"item": item, "value": value}
        )
    return row.name_zh


@register("date_compact", item=Param(ITEM), doc=_("A date as YYYYMMDD."))
def date_compact(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    return None if value is None else _date(value, item).strftime("%Y%m%d")


@register("month_compact", item=Param(ITEM), doc=_("A date or month as YYYYMM."))
def month_compact(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    return None if value is None else _date(value, item).strftime("%Y%m")


@register(
    "term_end",
    start_item=Param(ITEM),
    years_item=Param(ITEM),
    doc=_("The last day of the term of operation, or 长期 when no term is set."),
)
def term_end(ctx: Context, *, start_item: str, years_item: str) -> Any:
    years = ctx.get(years_item)
    if years is None:
        return "长期"
    start = ctx.get(start_item)
    if start is None:
        return None
    begin = _date(start, start_item)
    try:
        end = begin.replace(year=begin.year + int(years))
    except ValueError:  # 29 February
        end = begin.replace(year=begin.year + int(years), day=28)
    return (end - dt.timedelta(days=1)).isoformat()


@register("term_label", item=Param(ITEM), doc=_('The term of operation as written on forms: "20年" or 长期.'))
def term_label(ctx: Context, *, item: str) -> Any:
    years = ctx.get(item)
    return "长期" if years is None else f"{int(years)}年"


@register("phone_area", item=Param(ITEM), doc=_("The area code of a landline (0769); empty for a mobile number."))
def phone_area(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    digits = str(value).replace("-", "")
    return "0769" if digits.startswith("0769") else ""


@register("phone_number", item=Param(ITEM), doc=_("The number without area code (landline) or the mobile number."))
def phone_number(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    digits = str(value).replace("-", "")
    return digits[4:] if digits.startswith("0769") else digits


@register(
    "scope_part",
    item=Param(ITEM),
    index=Param(INTEGER),
    sep=Param(TEXT, required=False),
    doc=_("The n-th activity of the business scope (0 = main activity); empty when there are fewer."),
)
def scope_part(ctx: Context, *, item: str, index: int, sep: str = "；") -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    parts = [p.strip(" 。.;；") for p in str(value).replace(";", sep).split(sep)]
    parts = [p for p in parts if p]
    return parts[index] if index < len(parts) else None


@register(
    "bool_label",
    item=Param(ITEM),
    true=Param(TEXT, required=False),
    false=Param(TEXT, required=False),
    doc=_("A yes/no item as the department writes it (是/否, 1/0 …)."),
)
def bool_label(ctx: Context, *, item: str, true: str = "是", false: str = "否") -> Any:
    value = ctx.get(item)
    if value is None:
        return None
    return true if value is True else false


@register(
    "join",
    items=Param(ITEMS),
    sep=Param(TEXT, required=False),
    doc=_("Several items joined into one text (empty ones left out)."),
)
def join(ctx: Context, *, items: list[str], sep: str = " ") -> Any:
    values = [str(v) for v in (ctx.get(p) for p in items) if v is not None]
    return sep.join(values) if values else None


@register("count", item=Param(ITEM), doc=_("How many entries a list item has (e.g. number of investors)."))
def count(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    return None if value is None else len(value)


@register("rate_fraction", item=Param(ITEM), doc=_("A percentage as a fraction (12 → 0.12)."))
def rate_fraction(ctx: Context, *, item: str) -> Any:
    value = ctx.get(item)
    return None if value is None else _plain(_decimal(value, item) / 100, 4)


@register(
    "reference",
    department=Param(DEPARTMENT),
    doc=_("The reference number a prerequisite department gave (e.g. COMMERCE's 备案表编号 for CUSTOMS)."),
)
def reference(ctx: Context, *, department: str) -> Any:
    return ctx.references.get(department)


@register("field", field=Param(FIELD), doc=_("The value of another field of the same form."))
def same_as_field(ctx: Context, *, field: str) -> Any:
    if ctx.field_value is None:
        raise TransformError(gettext("field references need a form"))
    return ctx.field_value(field)


@register(
    "share_percent",
    item=Param(ITEM),
    total_item=Param(ITEM),
    doc=_("An amount as a percentage of a total, 2 decimals (an investor's share of the registered capital)."),
)
def share_percent(ctx: Context, *, item: str, total_item: str) -> Any:
    value, total = ctx.get(item), ctx.get(total_item)
    if value is None or total is None:
        return None
    whole = _decimal(total, total_item)
    if whole == 0:
        raise TransformError(gettext("%(item)s is zero") % {"item": total_item})
    return _plain(_decimal(value, item) * 100 / whole, 2)


@register(
    "each",
    item=Param(ITEM),
    fields=Param(FIELDS),
    doc=_(
        "A list item projected entry by entry; `fields` are mappings whose item paths are relative to the entry "
        '(a path starting with ^ reads the whole application, e.g. "^reg_capital").'
    ),
)
def each(ctx: Context, *, item: str, fields: list[dict]) -> Any:
    if ctx.projector is None:
        raise TransformError(gettext("lists are projected within a form"))
    entries = ctx.get(item)
    if entries is None:
        return None
    spec = ctx.spec(item)
    sub_items = {f.key: f for f in spec.fields} if spec is not None else {}
    return [
        ctx.projector(
            [FieldSpec.from_dict(f) for f in fields],
            Context(data=entry, items=sub_items, references=ctx.references, errors=ctx.errors, parent=ctx),
            prefix=f"{ctx.prefix}{item}.{i}.",
        )
        for i, entry in enumerate(entries)
    ]

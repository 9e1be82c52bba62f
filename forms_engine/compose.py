"""`compose(departments, forms, items)`: the one form an applicant fills for a routed set of departments — the
union of the items their forms read, each once, in sections. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .projection import delivered_count, referenced_items
from .spec import FormSpec, ItemSpec

# Display order of sections, with titles in Chinese and English (like item labels, data rather than messages).
SECTIONS = {
    "entity": ("企业基本信息", "Company"),
    "address": ("住所与联系方式", "Address and contact"),
    "people": ("人员信息", "People"),
    "investors": ("股东(出资人)", "Investors"),
    "tax": ("税务与印章", "Tax and seals"),
    "bank": ("银行账户", "Bank account"),
    "social": ("社会保险与住房公积金", "Social insurance and housing fund"),
    "trade": ("对外贸易", "Foreign trade"),
    "premises": ("经营场所", "Premises"),
}
# Routing looks at these, so they are asked whichever departments are routed.
ROUTING_ITEMS = ("industry_code", "business_scope", "import_export")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    title_en: str
    items: tuple[ItemSpec, ...]


@dataclass(frozen=True)
class UnifiedForm:
    departments: tuple[str, ...]
    sections: tuple[Section, ...]
    fields_typed: int
    fields_delivered: int

    @property
    def items(self) -> list[ItemSpec]:
        return [item for section in self.sections for item in section.items]

    @property
    def keys(self) -> list[str]:
        return [item.key for item in self.items]


def items_needed(forms: Iterable[FormSpec]) -> set[str]:
    """Top-level item keys the forms read."""
    return {path.split(".")[0] for form in forms for f in form.fields for path in referenced_items(f)}


def compose(departments: Iterable[str], forms: dict[str, FormSpec], items: dict[str, ItemSpec]) -> UnifiedForm:
    """The unified form for `departments` (codes); departments without a form contribute nothing."""
    routed = tuple(departments)
    routed_forms = [forms[code] for code in routed if code in forms]
    needed = (items_needed(routed_forms) | set(ROUTING_ITEMS)) & set(items)
    asked = sorted(
        (items[k] for k in needed if not items[k].issued),
        key=lambda i: (list(SECTIONS).index(i.section) if i.section in SECTIONS else len(SECTIONS), i.position),
    )
    sections = []
    for key, (title_zh, title_en) in SECTIONS.items():
        in_section = tuple(i for i in asked if i.section == key)
        if in_section:
            sections.append(Section(key=key, title=title_zh, title_en=title_en, items=in_section))
    return UnifiedForm(
        departments=routed,
        sections=tuple(sections),
        fields_typed=sum(i.input_count for i in asked),
        fields_delivered=sum(delivered_count(f) for form in routed_forms for f in form.fields),
    )

"""Which departments receive a filing, decided by routing rules that are data (docs/DOMAIN.md "The 16 departments").

`route()` is a pure function over plain values so the start page, the submit, and every change registration
(proactive service) run exactly the same rules, and tests need no database.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from .models import RuleTrigger


@dataclass(frozen=True)
class RoutingFacts:
    """What routing looks at: the answers to the service hall's three questions plus the business scope."""

    new_company: bool
    import_export: bool = False
    industry_code: str = ""
    business_scope: str = ""


@dataclass(frozen=True)
class Rule:
    id: int
    department: str
    trigger: str
    industry_codes: str = ""
    scope_pattern: str = ""
    version: int = 1


@dataclass(frozen=True)
class Reason:
    """Why a department is routed; `detail` is the industry code or the scope words that matched."""

    rule_id: int
    rule_version: int
    trigger: str
    detail: str = ""


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def industry_matches(code: str, spec: str) -> bool:
    """True when `code` falls under one entry of `spec` ("13-43,62,8111-8113": prefixes and equal-length ranges)."""
    code = code.strip()
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        low, _, high = entry.partition("-")
        high = high or low
        prefix = code[: len(low)]
        if len(prefix) == len(low) and prefix.isdigit() and low <= prefix <= high:
            return True
    return False


def scope_matches(scope: str, pattern: str) -> list[str]:
    """The distinct scope words that match the pattern, in order of appearance (empty when none)."""
    if not pattern or not scope:
        return []
    found = [m.group(0) for m in _compiled(pattern).finditer(scope) if m.group(0)]
    return list(dict.fromkeys(found))


def rule_reason(rule: Rule, facts: RoutingFacts) -> Reason | None:
    """The reason this rule routes its department for these facts, or None."""
    match rule.trigger:
        case RuleTrigger.ALWAYS:
            return Reason(rule.id, rule.version, rule.trigger)
        case RuleTrigger.NEW_COMPANY:
            return Reason(rule.id, rule.version, rule.trigger) if facts.new_company else None
        case RuleTrigger.FOREIGN_TRADE:
            if facts.import_export:
                return Reason(rule.id, rule.version, rule.trigger, "import_export")
            words = scope_matches(facts.business_scope, rule.scope_pattern)
            return Reason(rule.id, rule.version, rule.trigger, "、".join(words)) if words else None
        case RuleTrigger.INDUSTRY:
            if facts.industry_code and industry_matches(facts.industry_code, rule.industry_codes):
                return Reason(rule.id, rule.version, rule.trigger, facts.industry_code)
            return None
        case RuleTrigger.SCOPE:
            words = scope_matches(facts.business_scope, rule.scope_pattern)
            return Reason(rule.id, rule.version, rule.trigger, "、".join(words)) if words else None
    return None


def route(facts: RoutingFacts, rules: list[Rule]) -> dict[str, list[Reason]]:
    """Departments routed for `facts`, each with every reason that applies, in the order the rules come."""
    routed: dict[str, list[Reason]] = {}
    for rule in rules:
        reason = rule_reason(rule, facts)
        if reason is not None:
            routed.setdefault(rule.department, []).append(reason)
    return routed

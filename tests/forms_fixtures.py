"""Shipped data for the pure form-engine tests: dictionary, forms, routing rules and sample companies, read from
the project's data files without a database."""

import json
from functools import cache
from pathlib import Path

from departments.routing import RoutingFacts, Rule, route
from forms_engine.compose import compose
from forms_engine.samples import SAMPLE_REFERENCES, with_issued
from forms_engine.spec import DATA_DIR, load_forms, load_items

ROOT = Path(__file__).resolve().parent.parent


@cache
def items():
    return load_items()


@cache
def forms():
    return load_forms()


@cache
def rules() -> list[Rule]:
    specs = json.loads((ROOT / "departments" / "data" / "departments.json").read_text(encoding="utf-8"))
    found = []
    for spec in specs:
        for rule in spec["rules"]:
            found.append(
                Rule(
                    id=len(found) + 1,
                    department=spec["code"],
                    trigger=rule["trigger"],
                    industry_codes=rule.get("industry_codes", ""),
                    scope_pattern=rule.get("scope_pattern", ""),
                )
            )
    return found


def sample(name: str) -> dict:
    return json.loads((DATA_DIR / "sample_applications.json").read_text(encoding="utf-8"))[name]


def issued(name: str) -> dict:
    return with_issued(sample(name))


def routed_for(data: dict, new_company: bool = True) -> list[str]:
    facts = RoutingFacts(
        new_company=new_company,
        import_export=bool(data.get("import_export")),
        industry_code=data.get("industry_code", ""),
        business_scope=data.get("business_scope", ""),
    )
    return list(route(facts, rules()))


def unified_for(data: dict, new_company: bool = True):
    return compose(routed_for(data, new_company), forms(), items())


REFERENCES = SAMPLE_REFERENCES

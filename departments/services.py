"""Writes to departments and routing rules."""

import json
import secrets
from pathlib import Path
from typing import Any

from django.db import transaction

from .models import AdapterKind, Department, RoutingRule, SandboxSetting

SEED_FILE = Path(__file__).resolve().parent / "data" / "departments.json"
RULE_FIELDS = ("industry_codes", "scope_pattern", "todo_text", "todo_text_en", "due_days")


def routing_rule_revise(*, rule: RoutingRule, **changes: Any) -> RoutingRule:
    """Change a rule by retiring it and adding the next version: todos keep pointing at the rule that made them."""
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        if all(getattr(rule, field) == value for field, value in changes.items()):
            return rule
        rule.is_active = False
        rule.save(update_fields=["is_active"])
        successor = RoutingRule(
            department=rule.department,
            trigger=rule.trigger,
            version=rule.version + 1,
            **{field: getattr(rule, field) for field in RULE_FIELDS},
        )
        for field, value in changes.items():
            setattr(successor, field, value)
        successor.full_clean()
        successor.save()
        return successor


def _rule_ensure(department: Department, spec: dict[str, Any]) -> None:
    values = {field: spec.get(field, "" if field != "due_days" else None) for field in RULE_FIELDS}
    current = RoutingRule.objects.filter(department=department, trigger=spec["trigger"], is_active=True).first()
    if current is None:
        rule = RoutingRule(department=department, trigger=spec["trigger"], **values)
        rule.full_clean()
        rule.save()
    else:
        routing_rule_revise(rule=current, **values)


@transaction.atomic
def departments_load(*, path: Path = SEED_FILE) -> int:
    """Create or update the 16 departments, their prerequisites and routing rules. Safe to run again."""
    specs = json.loads(path.read_text(encoding="utf-8"))
    by_code: dict[str, Department] = {}
    for spec in specs:
        fields = {k: v for k, v in spec.items() if k not in {"code", "prerequisites", "rules"}}
        department, _ = Department.objects.update_or_create(code=spec["code"], defaults=fields)
        if not department.hmac_secret:
            department.hmac_secret = secrets.token_hex(32)
            department.save(update_fields=["hmac_secret"])
        by_code[department.code] = department
    for spec in specs:
        department = by_code[spec["code"]]
        department.prerequisites.set([by_code[code] for code in spec["prerequisites"]])
        for rule_spec in spec["rules"]:
            _rule_ensure(department, rule_spec)
        if department.adapter_kind == AdapterKind.HTTP and department.adapter_config.get("endpoint") == "sandbox":
            # The simulated department system decides a few seconds after receiving, so the demo moves by itself.
            SandboxSetting.objects.get_or_create(
                department_code=department.code, defaults={"decision_delay_seconds": 8}
            )
    return len(specs)

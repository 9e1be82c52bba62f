"""What a change registration changes, checked (docs/DOMAIN.md "change registration"): used when the change is
filed, when it is signed and when a signed draft is submitted, so all three see the same items and the same
record. Reads only; nothing here writes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from forms_engine.selectors import data_item_specs
from forms_engine.validation import validate
from portal.errors import PortalError

from .models import Application, Enterprise
from .names import name_check, name_key
from .selectors import UNCHANGEABLE_ITEMS, changeable_items, enterprise_current_data, enterprise_filings_held


def change_items_check(enterprise: Enterprise, current: dict, data: Any) -> dict:
    """The cleaned changed items, or PortalError with every problem at once (nothing is written)."""
    if not isinstance(data, dict) or not data:
        raise PortalError(_("The request has errors; see “errors”."), {"data": [_("Give the items that change.")]})
    items = changeable_items()
    errors: dict[str, list[str]] = {}
    for key in data:
        if key in UNCHANGEABLE_ITEMS or (key in data_item_specs() and key not in items):
            errors[key] = [_("This item cannot be changed by a change registration.")]
        elif key not in items:
            errors[key] = [_("This item is not part of this form.")]
    if errors:
        raise PortalError(_("Some items cannot be changed."), errors)
    merged = {**current, **data}
    checked = {k: v for k, v in merged.items() if k in items}
    result = validate(checked, [items[k] for k in checked])
    # The record was valid before, so every problem now comes from the change, directly or through a rule between
    # items (investors' shares must still add up to a changed capital).
    errors = dict(result.errors)
    if "name_zh" in data and "name_zh" in result.cleaned and name_key(result.cleaned["name_zh"]) != enterprise.name_key:
        reasons = [
            r
            for r in name_check(
                name_zh=result.cleaned["name_zh"],
                entity_type=enterprise.entity_type,
                exclude_enterprise_id=enterprise.pk,
            )
            if r not in errors.get("name_zh", [])
        ]
        if reasons:
            errors.setdefault("name_zh", []).extend(reasons)
    if errors:
        raise PortalError(_("The change has errors; nothing was submitted."), errors)
    changed = {k: result.cleaned[k] for k in data if k in result.cleaned and result.cleaned[k] != current.get(k)}
    if not changed:
        raise PortalError(
            _("Nothing would change: every item already has this value."),
            {"data": [_("Nothing differs from the current record.")]},
        )
    return changed


def change_signing_basis(application: Application) -> tuple[list[str], dict, dict]:
    """For signing a change draft: (the departments whose accepted CAs count — the enterprise's departments and
    market supervision —, what the signature covers — the enterprise's code and each changed item before and after —,
    the record as it will be, from which the signers are read). The items are checked against the record as it is
    now, so a signature made before the record moved (another change, the register feed) no longer matches.
    PortalError as `change_items_check`."""
    enterprise = application.enterprise
    assert enterprise is not None, "a change registration belongs to an enterprise"
    current = enterprise_current_data(enterprise)
    changed = change_items_check(enterprise, current, application.data)
    routed = sorted({"AIC", *enterprise_filings_held(enterprise)})
    covered = {"enterprise": enterprise.uscc, "before": {k: current.get(k) for k in changed}, "after": changed}
    return routed, covered, {**current, **changed}

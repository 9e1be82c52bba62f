"""Sample canonical data for previewing department forms: the shipped example companies, with the values the
platform would have issued by the time filings are made."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from portal.calendar import beijing_today

from .spec import DATA_DIR
from .transforms import REG_TYPE_CODES

SAMPLE_USCC = "91441900MA4UJ8K20E"
SAMPLE_REFERENCES = {"COMMERCE": "04418937", "CUSTOMS": "4419960ABC", "PSB": "DG-YZ-2026-001234"}


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[str, Any]]:
    return json.loads((DATA_DIR / "sample_applications.json").read_text(encoding="utf-8"))


def sample_application(name: str) -> dict[str, Any]:
    """A copy of one shipped sample application's data ("electronics_trader", "restaurant_hotel")."""
    return json.loads(json.dumps(_shipped()[name]))


def with_issued(data: dict[str, Any], *, uscc: str = SAMPLE_USCC, established_on: dt.date | None = None) -> dict:
    """`data` plus what AIC issues with the licence (USCC, date, division, registration type)."""
    return {
        **data,
        "uscc": uscc,
        "established_on": (established_on or beijing_today()).isoformat(),
        "division_code": "441900",
        "reg_type_code": REG_TYPE_CODES.get(data.get("entity_type", ""), ""),
    }


# Other apps add sources of preview data (registration adds the newest draft applications) without this app
# depending on them.
PROVIDERS: list[Callable[[], dict[str, dict[str, Any]]]] = []


def preview_samples() -> dict[str, dict[str, Any]]:
    samples = {name: with_issued(data) for name, data in _shipped().items()}
    for provider in PROVIDERS:
        samples.update({name: with_issued(data) for name, data in provider().items()})
    return samples

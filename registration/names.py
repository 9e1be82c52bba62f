"""Company name check (名称自主申报): format, prohibited words, and duplicates among registered and pending names."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.utils.translation import gettext as _

from forms_engine.validators import company_name_problem

PROHIBITED_FILE = Path(__file__).resolve().parent / "data" / "prohibited_words.txt"
PENDING_STATES = ("submitted", "in_progress", "correction_requested")


def name_key(name: str) -> str:
    """The form names are compared in: full width folded to half width, brackets unified, spaces and dots gone."""
    folded = unicodedata.normalize("NFKC", name or "")
    folded = folded.replace("〔", "(").replace("〕", ")").replace("[", "(").replace("]", ")")
    return re.sub(r"[\s·•.\-]", "", folded).upper()


@lru_cache(maxsize=1)
def prohibited_words() -> tuple[str, ...]:
    lines = PROHIBITED_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def name_check(*, name_zh: str, entity_type: str | None = None, exclude_application_id: int | None = None) -> list[str]:
    """Every reason the name cannot be registered (empty when it is available)."""
    from .models import Application, Enterprise

    reasons = []
    name = (name_zh or "").strip()
    problem = company_name_problem(name, entity_type)
    if problem:
        reasons.append(problem)
    found = [word for word in prohibited_words() if word in name]
    if found:
        reasons.append(
            _("The name contains words that need special approval: %(words)s.") % {"words": "、".join(found)}
        )
    key = name_key(name)
    if key and Enterprise.objects.filter(name_key=key).exists():
        reasons.append(_("An enterprise with this name is already registered."))
    pending = Application.objects.filter(name_key=key, state__in=PENDING_STATES)
    if exclude_application_id is not None:
        pending = pending.exclude(pk=exclude_application_id)
    if key and pending.exists():
        reasons.append(_("Another application with this name is being processed."))
    return reasons

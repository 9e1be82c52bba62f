"""Company name check (名称自主申报): format, prohibited words, and duplicates among registered and pending names."""

from __future__ import annotations

import difflib
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from forms_engine.validators import company_name_problem
from portal.errors import PortalError

from .models import Application, Enterprise, NameReservation

PROHIBITED_FILE = Path(__file__).resolve().parent / "data" / "prohibited_words.txt"


def name_key(name: str) -> str:
    """The form names are compared in (duplicates, prohibited words): invisible format characters dropped, full
    width folded to half width (NFKC), brackets unified, spaces and dots gone, Latin letters in upper case. Two
    names a reader cannot tell apart have the same key."""
    visible = "".join(c for c in (name or "") if unicodedata.category(c) not in ("Cf", "Cc"))
    folded = unicodedata.normalize("NFKC", visible)
    folded = folded.replace("〔", "(").replace("〕", ")").replace("[", "(").replace("]", ")")
    return re.sub(r"[\s·•.\-]", "", folded).upper()


@lru_cache(maxsize=1)
def prohibited_words() -> tuple[str, ...]:
    lines = PROHIBITED_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def name_check(
    *,
    name_zh: str,
    entity_type: str | None = None,
    exclude_application_id: int | None = None,
    exclude_enterprise_id: int | None = None,
) -> list[str]:
    """Every reason the name cannot be registered (empty when it is available). A read: `name_reserve` is what
    holds a name against a concurrent applicant. The holder named by `exclude_*` does not count against itself."""
    reasons = []
    name = (name_zh or "").strip()
    problem = company_name_problem(name, entity_type)
    if problem:
        reasons.append(problem)
    # Compared in normalised form: 中\u200b华 or a full-width spelling must not hide a prohibited word.
    found = [word for word in prohibited_words() if name_key(word) in name_key(name)]
    if found:
        reasons.append(
            _("The name contains words that need special approval: %(words)s.") % {"words": "、".join(found)}
        )
    key = name_key(name)
    held = NameReservation.objects.filter(name_key=key).values_list("application_id", "enterprise_id").first()
    if key and held is not None:
        application_id, enterprise_id = held
        if enterprise_id is not None and enterprise_id != exclude_enterprise_id:
            reasons.append(_("An enterprise with this name is already registered."))
        elif application_id is not None and application_id != exclude_application_id:
            reasons.append(_("Another application with this name is being processed."))
    return reasons


def name_reserve(*, name_zh: str, application: Application | None = None, enterprise: Enterprise | None = None) -> None:
    """Hold the name for one application or enterprise, or raise PortalError naming `name_zh` when someone else
    holds it. A holder keeps one name: an application whose name was corrected gives up the old one. Call inside
    the caller's transaction; a concurrent reservation of the same name waits on the unique index and then
    fails here, so only one of two racing applicants gets the name."""
    key = name_key(name_zh)
    holder = {"application": application} if application is not None else {"enterprise": enterprise}
    current = NameReservation.objects.filter(name_key=key).first()
    if current is not None:
        if (current.application_id, current.enterprise_id) == (
            getattr(application, "pk", None),
            getattr(enterprise, "pk", None),
        ):
            return
        raise _name_taken(current)
    try:
        with transaction.atomic():  # a savepoint: a lost race must not break the caller's transaction
            NameReservation.objects.create(name_key=key, name_zh=name_zh, **holder)
    except IntegrityError:
        raise _name_taken(NameReservation.objects.filter(name_key=key).first()) from None
    if application is not None:
        NameReservation.objects.filter(application=application).exclude(name_key=key).delete()


def _name_taken(held: NameReservation | None) -> PortalError:
    reason = (
        _("An enterprise with this name is already registered.")
        if held is not None and held.enterprise_id
        else _("Another application with this name is being processed.")
    )
    return PortalError(_("The name is not available; nothing was submitted."), {"name_zh": [reason]})


def name_release(*, application: Application) -> None:
    """The application no longer holds a name (withdrawn, refused, or its change was refused)."""
    NameReservation.objects.filter(application=application).delete()


def name_pass_to_enterprise(*, application: Application, enterprise: Enterprise) -> None:
    """The application's name becomes the enterprise's (a licence, or an approved change of name); a renamed
    enterprise gives up its old name."""
    if not NameReservation.objects.filter(application=application).exists():
        return
    NameReservation.objects.filter(enterprise=enterprise).delete()
    NameReservation.objects.filter(application=application).update(application=None, enterprise=enterprise)


# The parts of a name every company shares: the place name in front, the organisational form at the end.
PLACE_PREFIXES = ("广东省东莞市", "东莞市", "东莞")
FORM_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "合伙企业", "个人独资企业", "分公司", "公司", "厂", "店")


def trade_name_part(name: str) -> str:
    """The distinctive middle of a name (字号 and industry), in compared form: place name and organisational
    form removed, so that similar names are found by what distinguishes them."""
    key = name_key(name)
    for prefix in PLACE_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix) :]
            break
    key = re.sub(r"\(.*?\)$", "", key)  # （有限合伙） and the like
    for suffix in FORM_SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def names_similar(name_zh: str, *, exclude_enterprise_id: int | None = None, limit: int = 5) -> list[str]:
    """Registered enterprise names that share the typed name's trade name (its first two characters), most
    alike first. Only registered names: they are public in the register, names pending elsewhere are not."""
    part = trade_name_part(name_zh)
    if len(part) < 2:
        return []
    registered = NameReservation.objects.filter(enterprise__isnull=False, name_key__contains=part[:2])
    if exclude_enterprise_id is not None:
        registered = registered.exclude(enterprise_id=exclude_enterprise_id)
    candidates = registered.values_list("name_zh", flat=True)[:200]
    ranked = sorted(
        ((difflib.SequenceMatcher(None, part, trade_name_part(n)).ratio(), n) for n in candidates),
        key=lambda pair: -pair[0],
    )
    return [n for ratio, n in ranked if n != name_zh][:limit]

"""The register feed from market supervision (市场监管登记系统): licences, changes, cancellations (注销) and
revocations (吊销) of enterprises registered outside the portal reach its register (docs/register-feed.md).

An event is taken once per `event_id` and in the order of the register's own `version` per enterprise: a replay
answers what was done the first time, an event not newer than the enterprise's `register_version` is recorded as
stale and changes nothing. Items are validated and canonicalised exactly as an application's are. A change flows
through the same path as a change registration the portal approved (`change_apply`: filings updated, re-routing,
to-dos); a cancellation or revocation sets the status, stops the enterprise's open applications and sends every
department holding a filing a notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from departments.filings import filing_release_payload, filings_create
from departments.models import Department, FilingKind
from forms_engine.canonical import compact
from forms_engine.identity import uscc_problem
from forms_engine.selectors import data_item_specs
from forms_engine.validation import validate
from portal.audit import audit_record
from portal.errors import PortalError
from portal.models import Role, User
from portal.services import notify
from portal.texts import Text, in_both_languages

from .changes import change_apply
from .models import Application, ApplicationState, Enterprise, RegisterEvent
from .names import name_key
from .selectors import enterprise_filings_held
from .services import application_audit

FEED_USERNAME = "market-supervision-feed"
# What a licence must carry besides its code and date: the items every department's form starts from.
LICENCE_ITEMS = ("name_zh", "entity_type", "legal_rep", "business_scope", "reg_address")
STATUS_BY_KIND = {
    RegisterEvent.Kind.CANCELLATION: Enterprise.Status.DEREGISTERED,
    RegisterEvent.Kind.REVOCATION: Enterprise.Status.REVOKED,
}
# Applications that are still moving: a cancelled or revoked enterprise files nothing more.
OPEN_STATES = (
    ApplicationState.DRAFT, ApplicationState.SUBMITTED, ApplicationState.CORRECTION_REQUESTED,
    ApplicationState.IN_PROGRESS,
)  # fmt: skip


@dataclass(frozen=True)
class FeedOutcome:
    event: RegisterEvent
    changed: bool
    note: str


def feed_user() -> User:
    """The account register events act as (market supervision's system): an AIC account no one signs in with."""
    aic = Department.objects.get(code="AIC")
    user, created = User.objects.get_or_create(
        username=FEED_USERNAME,
        defaults={
            "role": Role.CLERK,
            "department": aic,
            "full_name": _("Market supervision register"),
            "is_active": False,
        },
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def register_items() -> dict:
    """The items the register keeps (not department-specific, not issued by the portal)."""
    return {k: s for k, s in data_item_specs().items() if not s.department_specific and not s.issued}


def register_data_clean(data: Any, *, licence: bool, items: dict | None = None) -> dict:
    """The event's items cleaned and canonicalised as an application's are, or PortalError naming every problem
    (`data.<item path>`). A licence must carry `LICENCE_ITEMS`; the entity type never changes through the feed
    (that is a conversion, 改制, not a change)."""
    if not isinstance(data, dict):
        raise PortalError(_("The request has errors; see “errors”."), {"data": [_("Expected an object.")]})
    result = validate(data, (items if items is not None else register_items()).values(), partial=True)
    errors = {f"data.{path}": messages for path, messages in result.errors.items()}
    if licence:
        for key in LICENCE_ITEMS:
            if key not in result.cleaned and f"data.{key}" not in errors:
                errors[f"data.{key}"] = [_("This field is required.")]
    if errors:
        raise PortalError(_("The request has errors; see “errors”."), errors)
    return result.cleaned


def register_event_receive(event: dict) -> FeedOutcome:
    """Take one event (fields as `RegisterEventIn` validates them). Replays and stale versions change nothing and
    say so; two deliveries of one event racing each other apply it once."""
    event = {**event, "uscc": compact(event["uscc"])}
    problem = uscc_problem(event["uscc"])
    if problem:
        raise PortalError(_("The request has errors; see “errors”."), {"uscc": [problem]})
    kind = event["kind"]
    data = register_data_clean(event.get("data") or {}, licence=kind == RegisterEvent.Kind.LICENCE)
    if kind == RegisterEvent.Kind.LICENCE and not event.get("established_on"):
        raise PortalError(
            _("The request has errors; see “errors”."), {"established_on": [_("This field is required.")]}
        )
    for attempt in (1, 2):
        try:
            return _receive(event, data)
        except IntegrityError:
            # Another delivery of this event, or a licence for the same code, committed first: read what it did.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def register_event_taken(event_id: str) -> RegisterEvent | None:
    """The event already recorded under this id, if any (a replay answers what was done the first time)."""
    return RegisterEvent.objects.filter(event_id=event_id).first()


@transaction.atomic
def _receive(event: dict, data: dict) -> FeedOutcome:
    earlier = register_event_taken(event["event_id"])
    if earlier is not None:
        return FeedOutcome(earlier, False, _("Already recorded."))
    enterprise = Enterprise.objects.select_for_update().filter(uscc=event["uscc"]).first()
    kind, version = event["kind"], event["version"]
    if enterprise is not None and version <= enterprise.register_version:
        stale = _record(event, RegisterEvent.Outcome.STALE)
        note = _("The register already holds version %(current)d of this enterprise; version %(version)d changes "
                 "nothing.") % {"current": enterprise.register_version, "version": version}  # fmt: skip
        return FeedOutcome(stale, False, note)
    if enterprise is None and kind != RegisterEvent.Kind.LICENCE:
        raise PortalError(
            _("The request has errors; see “errors”."),
            {"uscc": [_("No enterprise with this code is in the register.")]},
        )
    if enterprise is None:
        enterprise = _licence(event, data)
    elif kind in STATUS_BY_KIND:
        _status_change(enterprise, event)
    else:
        _change(enterprise, event, data)
    return FeedOutcome(_record(event, RegisterEvent.Outcome.APPLIED), True, "")


def _record(event: dict, outcome: str) -> RegisterEvent:
    body = {k: (v.isoformat() if isinstance(v, dt.date | dt.datetime) else v) for k, v in event.items()}
    return RegisterEvent.objects.create(
        event_id=event["event_id"], uscc=event["uscc"], kind=event["kind"], version=event["version"],
        sent_at=event["sent_at"], outcome=outcome, body=body,
    )  # fmt: skip


def _licence(event: dict, data: dict) -> Enterprise:
    enterprise = Enterprise.objects.create(
        uscc=event["uscc"],
        name_zh=data["name_zh"],
        name_key=name_key(data["name_zh"]),
        entity_type=data["entity_type"],
        established_on=event["established_on"],
        data=data,
        register_version=event["version"],
    )
    audit_record(
        action="register.licence", obj_type="enterprise", obj_id=enterprise.uscc, actor_label=FEED_USERNAME,
        after={"name_zh": enterprise.name_zh, "version": event["version"]}, message=event["event_id"],
    )  # fmt: skip
    return enterprise


def _change(enterprise: Enterprise, event: dict, data: dict) -> None:
    """A change (or a licence repeated for a code the register holds): what differs goes through `change_apply`,
    as a change registration market supervision approved."""
    if "entity_type" in data and data["entity_type"] != enterprise.entity_type:
        raise PortalError(
            _("The request has errors; see “errors”."),
            {"data.entity_type": [_("The entity type does not change through a change registration.")]},
        )
    if enterprise.status != Enterprise.Status.ACTIVE:
        raise PortalError(
            _("The request has errors; see “errors”."),
            {"kind": [_("The enterprise is %(status)s; only an active enterprise changes.") % {
                "status": enterprise.get_status_display()}]},
        )  # fmt: skip
    changed = {k: v for k, v in data.items() if enterprise.data.get(k) != v}
    enterprise.register_version = event["version"]
    enterprise.save(update_fields=["register_version", "updated_at"])
    if not changed:
        return
    application = Application.objects.create(
        kind=Application.Kind.CHANGE, applicant=feed_user(), enterprise=enterprise, data=changed,
        submitted_at=timezone.now(),
    )  # fmt: skip
    application_audit(application, "application.created", after={"kind": application.kind, "by": "register feed"})
    application.submit_to_departments()
    application.save()
    application_audit(application, "application.submitted", before={"state": "draft"}, message=event["event_id"],
                      after={"state": application.state})  # fmt: skip
    change_apply(application=application, actor=None, from_register=True)


def _status_change(enterprise: Enterprise, event: dict) -> None:
    before = enterprise.status
    enterprise.status = STATUS_BY_KIND[event["kind"]]
    enterprise.register_version = event["version"]
    enterprise.save(update_fields=["status", "register_version", "updated_at"])
    reason = event.get("reason") or ""
    audit_record(
        action=f"register.{event['kind']}", obj_type="enterprise", obj_id=enterprise.uscc, actor_label=FEED_USERNAME,
        before={"status": before}, after={"status": enterprise.status, "reason": reason}, message=event["event_id"],
    )  # fmt: skip
    status = in_both_languages(enterprise.get_status_display())
    told = Text(
        gettext_noop("Market supervision recorded %(event)s of %(name)s on %(date)s: nothing more can be filed for "
                     "it."),
        event=status, name=enterprise.name_zh, date=(event.get("effective_on") or timezone.localdate()).isoformat(),
    )  # fmt: skip
    message = told.render()
    for application in enterprise.applications.filter(state__in=OPEN_STATES).select_related("applicant"):
        was = application.state
        application.stop()
        application.save()
        application_audit(application, "application.stopped", before={"state": was},
                          after={"state": application.state}, message=message)  # fmt: skip
        notify(user=application.applicant, title=Text(gettext_noop("Application stopped")), body=told,
               url=f"/applications/{application.pk}/")  # fmt: skip
    if enterprise.owner is not None:
        notify(user=enterprise.owner, title=Text("%(status)s", status=status), body=told,
               url=f"/enterprises/{enterprise.uscc}/")  # fmt: skip
    _departments_told(enterprise, event, reason)


def _departments_told(enterprise: Enterprise, event: dict, reason: str) -> None:
    """Every department holding a filing of the enterprise (but market supervision, whose event it is) gets a
    notice through its usual channel, carried by one notice application."""
    codes = sorted(code for code in enterprise_filings_held(enterprise) if code != "AIC")
    if not codes:
        return
    notice = Application.objects.create(
        kind=Application.Kind.REGISTER_NOTICE, applicant=feed_user(), enterprise=enterprise,
        data={"status": enterprise.status}, submitted_at=timezone.now(), routed=codes,
    )  # fmt: skip
    notice.submit_to_departments()
    notice.save()
    application_audit(notice, "application.submitted", after={"state": notice.state, "departments": codes},
                      message=event["event_id"])  # fmt: skip
    payload = {
        "uscc": enterprise.uscc, "name_zh": enterprise.name_zh, "status": enterprise.status, "event": event["kind"],
        "effective_on": (event.get("effective_on") or timezone.localdate()).isoformat(), "reason": reason,
        "register_version": event["version"],
    }  # fmt: skip
    for filing in filings_create(application=notice, codes=codes, kind=FilingKind.STATUS_NOTICE):
        filing_release_payload(filing=filing, payload=payload)

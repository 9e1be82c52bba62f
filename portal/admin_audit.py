"""Admin edits in the audit trail: `AuditedAdmin` records every add, change and delete made in the Django admin as
a hash-chained `AuditEvent`, next to Django's own LogEntry, which only the admin's history page reads.

It hooks the admin's logging methods, which every save and delete path calls: the change form with its inlines,
list_editable, the delete page, "delete selected", and UserAdmin's password form. A change records the fields that
changed, before and after; the before values are taken when the admin fetches the object (`get_object`), because
the form changes that instance in place before it is saved. Secrets are recorded as changed, never by value.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import models, router, transaction
from django.db.models.fields.files import FieldFile
from django.utils import translation
from django.utils.duration import duration_iso_string
from django.utils.functional import Promise

from .audit import audit_record_many

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite, ModelAdmin
    from django.http import HttpRequest

    _Base = ModelAdmin
else:
    _Base = object

REDACTED = "[redacted]"
# Field (and JSON key) names whose values never enter the audit. "key" alone is the secret of django-otp's devices
# and of DRF's tokens; an admin whose "key" is a public name says so in `audit_unredacted_fields`.
SECRET_NAMES = frozenset({"password", "key"})
SECRET_PARTS = ("secret", "key_hash", "token")

_SNAPSHOTS = "_admin_audit_snapshots"  # on the request: values as fetched, by (model label, pk)
_BEFORE = "_admin_audit_before"  # on an instance being saved: its values as stored, even if a service changes its pk


def secret_name(name: str) -> bool:
    name = name.lower()
    return name in SECRET_NAMES or any(part in name for part in SECRET_PARTS)


def _plain(value: Any) -> Any:
    """`value` as JSON, compared as stored: aware times in UTC, model instances as their primary key."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, models.Model):
        return _plain(value.pk)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return duration_iso_string(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()  # shows that it changed, not what it holds
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (decimal.Decimal, uuid.UUID, Promise)):
        return str(value)
    return str(value)


def _redacted(value: Any) -> Any:
    """`value` with the values of secret-named JSON keys replaced, at any depth (delivery settings, say)."""
    if isinstance(value, dict):
        return {k: REDACTED if secret_name(k) else _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _values(obj: models.Model) -> dict[str, Any]:
    """Every stored field of `obj` by name, as JSON, secrets included (they are redacted when written)."""
    opts = obj._meta
    values = {f.name: _plain(f.value_from_object(obj)) for f in opts.concrete_fields}
    if obj.pk is not None:
        for f in opts.many_to_many:
            values[f.name] = sorted((_plain(pk) for pk in getattr(obj, f.name).values_list("pk", flat=True)), key=str)
    return values


def _stored(obj: models.Model) -> models.Model | None:
    """`obj` as the database holds it now. By the primary key's column, not `pk`: a proxy may redefine `pk`
    (DRF's TokenProxy answers with the user's id)."""
    attname = obj._meta.pk.attname
    return type(obj)._base_manager.filter(**{attname: getattr(obj, attname)}).first()


def _key(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def _snapshots(request: HttpRequest) -> dict[tuple[str, str], dict[str, Any]]:
    if not hasattr(request, _SNAPSHOTS):
        setattr(request, _SNAPSHOTS, {})
    return getattr(request, _SNAPSHOTS)


def _message_text(message: Any) -> str:
    """Django's change message as the admin's history shows it, in the portal's language so one trail reads in one
    language whatever language each admin works in."""
    if isinstance(message, list):
        with translation.override(settings.LANGUAGE_CODE):
            return LogEntry(change_message=json.dumps(message)).get_change_message()
    return str(message or "")


def _tells_of_related_rows(message: Any) -> bool:
    """Whether a change message tells of more than the object's own fields: inline rows added, changed or
    deleted (their entries name the row), or free text from a custom view."""
    if isinstance(message, list):
        return any("object" in detail for entry in message for detail in entry.values() if isinstance(detail, dict))
    return bool(message)


class AuditedAdmin(_Base):
    """A ModelAdmin mixin (first base) that writes every add, change and delete to the audit trail, in the admin's
    own transaction, as `admin.add`, `admin.change`, `admin.delete`: object type the model label, actor the admin,
    message Django's change message. Custom actions that change data wrap each change in `audited_action`."""

    # Fields whose names look secret but are not (a public identifier called "key"): recorded by value.
    audit_unredacted_fields: tuple[str, ...] = ()

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":  # only a POST changes it; a page view skips the m2m reads
            _snapshots(request)[_key(obj)] = _values(obj)
        return obj

    def save_form(self, request, form, change):
        obj = super().save_form(request, form, change)
        if change:
            # Pinned to the instance: a save_model may hand the change to a service that gives the instance another
            # pk (a routing rule's next version). list_editable rows never pass get_object; their row is still as
            # stored until save_model runs.
            before = _snapshots(request).get(_key(obj))
            if before is None and (stored := _stored(obj)) is not None:
                before = _values(stored)
            setattr(obj, _BEFORE, before)
        return obj

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        after = self._shown(_values(_stored(obj) or obj))
        audit_record_many([self._event(request, "admin.add", obj, before=None, after=after, message=message)])
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        before = getattr(obj, _BEFORE, None) or _snapshots(request).get(_key(obj))
        self._audit_change(request, obj, before, "admin.change", message)
        return entry

    def log_deletions(self, request, queryset):
        # Called before the rows go (the delete page and "delete selected" alike), so their values are still here.
        entries = super().log_deletions(request, queryset)
        audit_record_many(
            [
                self._event(request, "admin.delete", obj, before=self._shown(_values(obj)), after=None, message="")
                for obj in queryset
            ]
        )
        return entries

    def response_action(self, request, queryset):  # type: ignore[override]  # django-stubs describe Django 6
        # The admin runs actions ("delete selected", revoke) outside any transaction: here the change and its audit
        # event commit together or not at all.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset)

    @contextmanager
    def audited_action(self, request: HttpRequest, obj: models.Model, action: str) -> Iterator[None]:
        """Records what the block changes on `obj` (as fetched, unchanged) as the audit event `action` and in the
        admin's history, like a change through the form; nothing when it changed nothing."""
        before = _values(obj)
        yield
        stored = _stored(obj)
        if stored is None:
            return
        changed = [name for name, value in _values(stored).items() if value != before.get(name)]
        if not changed:
            return
        labels = {f.name: f.verbose_name for f in [*stored._meta.concrete_fields, *stored._meta.many_to_many]}
        with translation.override(None):  # stored untranslated, as Django stores the change form's message
            message = [{"changed": {"fields": [str(labels[name]) for name in changed]}}]
        super().log_change(request, stored, message)
        self._audit_change(request, stored, before, action, message)

    def _audit_change(
        self, request: HttpRequest, obj: models.Model, before: dict[str, Any] | None, action: str, message: Any
    ) -> None:
        after = _values(_stored(obj) or obj)
        if before is None:  # changed by a path that never fetched it through get_object: the old values are unknown
            shown_before, shown_after = None, self._shown(after)
        else:
            changed = [name for name, value in after.items() if value != before.get(name)]
            if not changed and not _tells_of_related_rows(message):
                return  # saved without changing anything (Django may still call a JSON field changed)
            shown_before = self._shown({name: before.get(name) for name in changed})
            shown_after = self._shown({name: after[name] for name in changed})
        audit_record_many([self._event(request, action, obj, before=shown_before, after=shown_after, message=message)])

    def _shown(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` as the audit may hold them: a secret's name says it was there (or changed), never its value."""
        return {
            name: REDACTED if secret_name(name) and name not in self.audit_unredacted_fields else _redacted(value)
            for name, value in values.items()
        }

    def _event(
        self, request: HttpRequest, action: str, obj: models.Model, *, before: Any, after: Any, message: Any
    ) -> dict[str, Any]:
        return {
            "action": action,
            "obj_type": obj._meta.label_lower,
            "obj_id": obj.pk,
            "actor": request.user,
            "before": before,
            "after": after,
            "message": _message_text(message),
        }


def admins_audited(site: AdminSite) -> None:
    """Puts `AuditedAdmin` in front of every admin registered on `site` without it: the admins of contrib and
    third-party apps (groups, API tokens, sign-in lockouts, second-factor devices) change data as much as the
    portal's own, whose classes name the mixin themselves."""
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedAdmin):
            continue
        base = type(model_admin)
        site.unregister(model)
        site.register(
            model, type(base.__name__, (AuditedAdmin, base), {"__module__": __name__, "__doc__": base.__doc__})
        )

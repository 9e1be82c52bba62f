"""The second factor of staff sign-in (ASVS V2.7, V2.8): a TOTP authenticator app (RFC 6238, django-otp) and ten
single-use recovery codes for a lost phone. Staff are clerks, administrators and auditors; applicants sign in
through real-name identity instead (`portal.oidc`).

Enrolment happens at the first sign-in: an unconfirmed TOTP device is made, its key shown as a QR code, and the
first correct code confirms it and issues the recovery codes (shown once). Codes are checked by django-otp, which
slows down repeated wrong codes per device (its throttling) and refuses a TOTP code used twice.
"""

from __future__ import annotations

from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .models import User

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery codes"


def needs_second_factor(user: User) -> bool:
    """Clerks, administrators and auditors; superusers whatever their role."""
    return user.is_authenticated and (user.role != "applicant" or user.is_superuser)


def has_second_factor(user: User) -> bool:
    return any(isinstance(d, TOTPDevice) for d in devices_for_user(user, confirmed=True))


def pending_authenticator(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled (made on first call; the same key until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def enrolment_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]] | None:
    """Confirm the pending authenticator with its first code: returns the device and the new recovery codes (to
    show once), or None for a wrong code. Earlier authenticators and recovery codes stop working."""
    device = pending_authenticator(user)
    if not device.verify_token(_digits(code)):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_issue(user)
        audit_record(action="account.second_factor_enrolled", obj_type="user", obj_id=user.pk, actor=user)
    return device, codes


def recovery_codes_issue(user: User) -> list[str]:
    """Ten new single-use recovery codes, replacing any earlier ones."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def second_factor_check(user: User, code: str):
    """The device that accepts `code` (a TOTP code, or a recovery code, which is then used up), or None."""
    code = (code or "").strip()
    device = match_token(user, _digits(code) if code.replace(" ", "").isdigit() else code.lower())
    if device is not None and isinstance(device, StaticDevice):
        audit_record(
            action="account.recovery_code_used",
            obj_type="user",
            obj_id=user.pk,
            actor=user,
            after={"left": device.token_set.count()},
        )
    return device


def second_factor_reset(*, user: User, actor: User) -> None:
    """An administrator removes a user's authenticator and recovery codes (a lost phone): the next sign-in enrols
    again."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(action="account.second_factor_reset", obj_type="user", obj_id=user.pk, actor=actor)


def _digits(code: str) -> str:
    """Authenticator apps show the code as `123 456`; people type it with the space."""
    return "".join((code or "").split())

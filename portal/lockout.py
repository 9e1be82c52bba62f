"""What a client locked out for too many wrong passwords sees, and the notice its account's owner gets
(django-axes, settings `AXES_*`; docs/security.md "Brute force").

The lockout is keyed on the account *and* the client address, and lifts by itself after the cool-off: a stranger
guessing a clerk's password from elsewhere locks out only themself, and never for long.
"""

from __future__ import annotations

import math
from datetime import timedelta

from axes.helpers import get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import Notification
from .services import notify
from .texts import Text


def _minutes(request: HttpRequest) -> int:
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message(request: HttpRequest) -> str:
    return _(
        "Too many wrong passwords for this account from your network. Signing in is paused for %(minutes)d "
        "minutes; the account's owner has been told."
    ) % {"minutes": _minutes(request)}


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """429 for the locked-out sign-in: the API's error shape under /api/, else the sign-in page with the message
    (and no form, so nothing invites another try)."""
    message = lockout_message(request)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(_minutes(request) * 60)
    return response


def _owner_told(sender, request: HttpRequest, username: str, ip_address: str, **kwargs) -> None:
    """The account's owner hears of the lockout in their inbox (and by e-mail), with the time and the address
    the wrong passwords came from."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        return
    title = gettext_noop("Sign-in to your account was paused after repeated wrong passwords")
    # One notice per lockout: a client that keeps trying while paused must not fill the inbox.
    cool_off = get_cool_off(request)
    since = timezone.now() - (cool_off or timedelta(minutes=15))
    if Notification.objects.filter(user=user, texts__title__msgid=title, created_at__gte=since).exists():
        return
    notify(
        user=user,
        title=Text(title),
        body=Text(
            gettext_noop(
                "At %(time)s someone at the network address %(ip)s typed a wrong password for your account "
                "%(count)d times. Signing in from there is paused for %(minutes)d minutes. If this was not you, "
                "change your password and tell the portal's administrators."
            ),
            time=timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            ip=ip_address or "?",
            count=settings.AXES_FAILURE_LIMIT,
            minutes=_minutes(request),
        ),
    )


def connect() -> None:
    """Called from the app config's `ready`: listen for axes's lockouts."""
    receiver(user_locked_out, dispatch_uid="portal-lockout-notice")(_owner_told)

"""Finishing a staff sign-in with the second factor (`portal.second_factor`), and real-name sign-in's entry points.
Thin: the checks live in the services."""

from __future__ import annotations

from base64 import b32encode
from functools import wraps

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .second_factor import (
    enrolment_confirm,
    has_second_factor,
    needs_second_factor,
    pending_authenticator,
    second_factor_check,
)

WRONG_CODE = gettext_lazy(
    "That code is not right, or came too soon after a wrong one: wait a few seconds, check the time on your phone "
    "and type the newest code (or a recovery code)."
)


def real_name_only(view):
    """Real-name sign-in's pages exist only where a provider is configured (or the sandbox stands in)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.REAL_NAME_SIGNIN:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


real_name_start = real_name_only(OIDCAuthenticationRequestView.as_view())
real_name_callback = real_name_only(OIDCAuthenticationCallbackView.as_view())


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@never_cache
@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """`/accounts/second-factor/`: enrol an authenticator app (first sign-in) or give its code (every sign-in)."""
    user = request.user
    if not needs_second_factor(user) or user.is_verified():
        return redirect(_next_url(request))
    context: dict = {"next": _next_url(request)}
    if not has_second_factor(user):
        device = pending_authenticator(user)
        if request.method == "POST":
            confirmed = enrolment_confirm(user=user, code=request.POST.get("code", ""))
            if confirmed is not None:
                device, codes = confirmed
                otp_login(request, device)
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": context["next"]})
            context["error"] = WRONG_CODE
        context.update(
            enrol=True,
            secret=b32encode(device.bin_key).decode(),
            qr=segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1a1a1a", light="#ffffff"),
        )
    elif request.method == "POST":
        device = second_factor_check(user, request.POST.get("code", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(context["next"])
        context["error"] = WRONG_CODE
    return render(request, "accounts/second_factor.html", context, status=400 if "error" in context else 200)

"""Request checks at the door.

Refuse request text the database cannot hold: a NUL character (U+0000) in the path, the query
string or a form field would reach PostgreSQL (which refuses it in text and jsonb) from any view that filters
or saves it. JSON bodies get the same check in `portal.parsers`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_SEEN_KEY = "portal_last_seen"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_in(request: HttpRequest) -> str | None:
    """The name of the first place holding a NUL character, or None."""
    if "\x00" in request.path:
        return "path"
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return key.replace("\x00", "") or "query"
    if request.method == "POST" and request.content_type in FORM_TYPES:
        # Read the body first: parsing a multipart form straight from the stream would leave nothing for a view
        # that reads the raw body (a signed callback) to read.
        _body = request.body
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in v for v in values):
                return key.replace("\x00", "") or "form"
    return None


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _nul_in(request)
        if where is None:
            return self.get_response(request)
        message = _("The request contains a NUL character (U+0000), which cannot be stored.")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("The request has errors; see “errors”."), "errors": {where: [message]}}, status=400
            )
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _is_staff(user) -> bool:
    """Clerks, administrators and auditors: everyone who is not an applicant needs the second factor."""
    return bool(getattr(user, "is_authenticated", False)) and (user.role != "applicant" or user.is_superuser)


# Where an unverified staff session may still go: finishing the sign-in, signing out, switching language, and
# what needs no session at all.
STAFF_OPEN_PREFIXES = ("/accounts/second-factor/", "/accounts/logout/", "/i18n/", "/static/", "/healthz")


class StaffSessionMiddleware:
    """Staff sessions (ASVS V2.2, V3.3): a page or API call in a staff session needs the second factor
    (django-otp's `is_verified`), else the browser is sent to finish signing in and the API answers 403; and a
    staff session that saw no request for `STAFF_IDLE_SECONDS` is ended.

    Runs after `OTPMiddleware`. API calls with a token are not sessions: the token API asks staff for the code."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if not _is_staff(user):
            return self.get_response(request)
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN_KEY)
        if last_seen is not None and now - int(last_seen) > settings.STAFF_IDLE_SECONDS:
            logout(request)
            message = _("You were signed out after %(minutes)d minutes without activity. Please sign in again.") % {
                "minutes": settings.STAFF_IDLE_SECONDS // 60
            }
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=401)
            messages.info(request, message)
            return redirect_to_login(request.get_full_path())
        # Written at most once a minute: a session save per request would cost a database write per page.
        if last_seen is None or now - int(last_seen) >= 60:
            request.session[LAST_SEEN_KEY] = now
        if request.path.startswith(STAFF_OPEN_PREFIXES) or user.is_verified():
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": _("Staff accounts must confirm their sign-in with a second factor first.")}, status=403
            )
        return redirect_to_login(request.get_full_path(), login_url=reverse("second-factor"))


CREDENTIAL_HEADERS = frozenset({"HTTP_AUTHORIZATION", "HTTP_X_API_KEY"})


class SensitivePageCacheMiddleware:
    """Answers to a signed-in user, or to an API call with a token or an institution's key, are kept out of shared
    and browser caches (ASVS V8.2.1): they hold personal and enterprise data. An answer that already says how it may
    be cached is left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        # Read on the way out: a sign-in or sign-out during the request has already changed `request.user`. Token
        # and key calls authenticate inside the API view, so the middleware knows them only by their headers.
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) or CREDENTIAL_HEADERS.intersection(request.META):
            response["Cache-Control"] = "private, no-store"
        return response

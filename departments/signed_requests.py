"""What the platform takes from systems that sign their requests (department callbacks, market supervision's
register feed): the exact body checked against the sender's key before anything is parsed, and the `sent_at`
window that keeps an old signed request from being replayed (docs/department-protocol.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.request import Request

from portal.errors import PortalError
from portal.parsers import json_loads_strict

from .adapters.http import SIGNATURE_HEADER, signature_valid


def signed_json(request: Request, secret: str | None) -> Any:
    """The request's JSON body, once its `X-Signature` (sha256=<hex HMAC-SHA256 of the exact bytes>) matches
    `secret`. Raises ParseError (400) for a body over the size limit or that is not strict JSON, PermissionDenied
    (403) for a missing or wrong signature or no key (nothing is parsed before the signature holds)."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ParseError(_("The request body is too large.")) from None
    if not secret or not signature_valid(secret, raw, request.headers.get(SIGNATURE_HEADER)):
        raise PermissionDenied("bad signature")
    return json_loads_strict(raw)


def sent_at_too_old(sent_at: dt.datetime) -> str:
    """Why a signed request sent at `sent_at` is not taken ("" when it is in the window): older than
    CALLBACK_MAX_AGE_SECONDS is answered by the caller (a replay changes nothing); a time past now plus
    CALLBACK_CLOCK_SKEW_SECONDS raises PortalError (400: the sender's clock is wrong)."""
    now = timezone.now()
    if sent_at > now + dt.timedelta(seconds=settings.CALLBACK_CLOCK_SKEW_SECONDS):
        raise PortalError(
            _("The request has errors; see “errors”."),
            {"sent_at": [_("The time is in the future; check the department system's clock.")]},
        )
    if sent_at < now - dt.timedelta(seconds=settings.CALLBACK_MAX_AGE_SECONDS):
        return _("Sent too long ago (%(when)s): not taken.") % {"when": sent_at.isoformat()}
    return ""

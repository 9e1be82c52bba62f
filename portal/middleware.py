"""Refuse, at the door, request text the database cannot hold: a NUL character (U+0000) in the path, the query
string or a form field would reach PostgreSQL (which refuses it in text and jsonb) from any view that filters
or saves it. JSON bodies get the same check in `portal.parsers`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

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

"""API plumbing shared by every app: one error body for every failure (docs/CONTRACT.md "API basics")."""

from typing import Any

from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import PortalError, StateConflict
from .second_factor import needs_second_factor, second_factor_check


def flatten_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure → {"legal_rep.id_number": [...], "investors.0.subscribed_amount": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list) and data and all(isinstance(v, str) for v in data):
        flat[prefix or "non_field_errors"] = [str(v) for v in data]
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if value:
                flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    elif data:
        flat[prefix or "non_field_errors"] = [str(data)]
    return flat


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, StateConflict):
        return Response({"detail": str(exc.detail), "state": exc.state}, status=409)
    if isinstance(exc, PortalError):
        return Response({"detail": str(exc.detail), "errors": exc.errors}, status=exc.status_code)
    if isinstance(exc, exceptions.ParseError):
        return Response({"detail": str(exc.detail), "errors": {"body": [str(exc.detail)]}}, status=400)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # A body the portal cannot read is a bad request like any other (docs/CONTRACT.md lists 400, not 415).
        message = _("Send the request body as JSON (Content-Type: application/json).")
        return Response({"detail": message, "errors": {"Content-Type": [message]}}, status=400)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": _("The request has errors; see “errors”."), "errors": flatten_errors(response.data)}
    elif not (isinstance(response.data, dict) and "detail" in response.data):
        response.data = {"detail": response.data}
    return response


class TokenInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Staff accounts (clerks, administrators, auditors): the code of their authenticator app, or a "
        "recovery code.",
    )


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class TokenApi(APIView):
    """`POST /api/v1/auth/token` {"username","password","otp"?} → {"token"}; then `Authorization: Token <token>`.

    Staff give their second factor in `otp` (400 naming `otp` without it). Ten wrong passwords for one account from
    one address pause it for the cool-off: 429, the password no longer checked (django-axes)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=TokenInput, responses=TokenOutput)
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        credentials = {k: data.validated_data[k] for k in ("username", "password")}
        # Django's own request: axes marks a locked-out client on it, and its middleware answers 429.
        user = authenticate(request._request, **credentials)
        if user is None:
            raise PortalError(
                _("Unable to log in with the username and password given."),
                {"non_field_errors": [_("Wrong username or password.")]},
            )
        if needs_second_factor(user) and second_factor_check(user, data.validated_data["otp"]) is None:
            raise PortalError(
                _("Staff accounts need their second factor."),
                {"otp": [_("Give the code of your authenticator app, or a recovery code.")]},
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response(TokenOutput({"token": token.key}).data)


class PingApi(APIView):
    """`GET /api/v1/ping`: the smallest DRF answer, the baseline of bench/verify."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"pong": True})


# --- The error answers, in the schema ----------------------------------------------------------------------------

_ERROR_SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "Messages by item key or dotted path (legal_rep.id_number, investors.0.name).",
            },
        },
        "required": ["detail"],
    },
    "StateConflict": {
        "type": "object",
        "properties": {"detail": {"type": "string"}, "state": {"type": "string"}},
        "required": ["detail", "state"],
    },
}
_ERRORS = {
    "400": ("Error", "The input cannot be taken; `errors` names each problem."),
    "401": ("Error", "Not authenticated."),
    "403": ("Error", "Authenticated, but not allowed."),
    "404": ("Error", "Unknown, or not yours."),
    "409": ("StateConflict", "Not allowed from the object's current state."),
    "429": ("Error", "Throttled, or sign-in paused after repeated wrong passwords (`Retry-After` says how long)."),
}


def schema_error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular post-processing hook: every operation documents the contract's error answers (docs/CONTRACT.md
    "API basics") besides its success, so clients generated from the schema expect them."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(_ERROR_SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            wanted = ["400", "401", "403", "404"]
            if method in ("post", "patch", "put", "delete"):
                wanted.append("409")
            # Throttled lookups, and sign-in paused after repeated wrong passwords (django-axes).
            if (path.startswith("/api/v1/verify/") and "{" in path) or path == "/api/v1/auth/token":
                wanted.append("429")
            for status in wanted:
                name, description = _ERRORS[status]
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
                })  # fmt: skip
    return result

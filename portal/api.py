"""API plumbing shared by every app: one error body for every failure (CONTRACT.md "API basics")."""

from typing import Any

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
        # A body the portal cannot read is a bad request like any other (CONTRACT.md lists 400, not 415).
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


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()


class TokenApi(APIView):
    """`POST /api/v1/auth/token` {"username","password"} → {"token"}; then `Authorization: Token <token>`."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = TokenInput

    def post(self, request: Request) -> Response:
        from django.contrib.auth import authenticate

        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            raise PortalError(
                _("Unable to log in with the username and password given."),
                {"non_field_errors": [_("Wrong username or password.")]},
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

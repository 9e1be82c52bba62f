"""`POST /api/v1/register/events`: market supervision's registration system pushes register events (docs/register-
feed.md), signed with the AIC department's key like department callbacks."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.adapters.http import SIGNATURE_HEADER
from departments.models import Department
from departments.signed_requests import sent_at_too_old, signed_json
from portal.errors import PortalError

from .models import Enterprise, RegisterEvent
from .register_feed import register_event_receive


class RegisterEventIn(serializers.Serializer):
    """One register event, the exact body signed (`X-Signature: sha256=<hex HMAC-SHA256>` with AIC's key)."""

    event_id = serializers.RegexField(
        r"^[A-Za-z0-9._:-]{1,64}$", help_text="Unique per event; a replay with the same id changes nothing."
    )
    uscc = serializers.CharField(max_length=40, help_text="The enterprise's code, in any accepted spelling.")
    kind = serializers.ChoiceField(choices=RegisterEvent.Kind.choices)
    version = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The register's version of this enterprise after the event."
    )
    sent_at = serializers.DateTimeField(help_text="When the register sent the event (ISO 8601 with offset).")
    established_on = serializers.DateField(required=False, help_text="licence: the date of establishment.")
    effective_on = serializers.DateField(required=False, help_text="cancellation, revocation: effective date.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    data = serializers.DictField(
        required=False, default=dict, help_text="licence, change: register items by key, as in an application."
    )


class RegisterEventOut(serializers.Serializer):
    event_id = serializers.CharField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=RegisterEvent.Outcome.choices)
    changed = serializers.BooleanField(help_text="False: a replay or an older version; nothing was changed.")
    note = serializers.CharField()
    enterprise = serializers.DictField(help_text='{"uscc", "name_zh", "status", "register_version"}')


class RegisterEventApi(APIView):
    """Take one register event: 200 with `changed` true when applied, false (and a `note`) for a replay or an
    event older than the register's version of the enterprise; 400 naming every problem; 403 a bad signature."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=RegisterEventIn,
        responses={200: RegisterEventOut},
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="sha256=<hex HMAC-SHA256 of the exact request body with the AIC department's key>",
            )  # fmt: skip
        ],
    )
    def post(self, request: Request) -> Response:
        aic = Department.objects.filter(code="AIC").first()
        body = signed_json(request, aic.hmac_secret if aic else None)
        data = RegisterEventIn(data=body if isinstance(body, dict) else {})
        data.is_valid(raise_exception=True)
        event = data.validated_data
        too_old = sent_at_too_old(event["sent_at"])
        if too_old:  # a register event is refused outright (the register sends it again, newly signed)
            raise PortalError(_("The request has errors; see “errors”."), {"sent_at": [too_old]})
        outcome = register_event_receive(event)
        enterprise = Enterprise.objects.filter(uscc=outcome.event.uscc).first()
        return Response(
            RegisterEventOut(
                {
                    "event_id": outcome.event.event_id,
                    "kind": outcome.event.kind,
                    "version": outcome.event.version,
                    "outcome": outcome.event.outcome,
                    "changed": outcome.changed,
                    "note": outcome.note,
                    "enterprise": {
                        "uscc": enterprise.uscc,
                        "name_zh": enterprise.name_zh,
                        "status": enterprise.status,
                        "register_version": enterprise.register_version,
                    }
                    if enterprise
                    else {},
                }  # fmt: skip
            ).data
        )

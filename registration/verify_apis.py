"""`GET /api/v1/verify/<uscc>` for institutions (X-Api-Key), the public key, and the enterprise's access log."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forms_engine.canonical import compact
from forms_engine.validators import uscc_problem
from portal.errors import PortalError
from portal.pagination import list_schema, paginated
from portal.throttle import ExactRateThrottle

from .models import Institution
from .selectors import enterprise_access_log, enterprise_for
from .verification import access_log_write, institution_for_key, public_key_pem, register_facts, signed


class ApiKeyAuthentication(BaseAuthentication):
    """`X-Api-Key: <key>`: the request is made by an institution."""

    def authenticate(self, request):
        key = request.headers.get("X-Api-Key", "")
        if not key:
            return None
        institution = institution_for_key(key)
        if institution is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        return institution, None

    def authenticate_header(self, request) -> str:
        return "X-Api-Key"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Describes the institutions' key in the OpenAPI schema."""

    target_class = "registration.verify_apis.ApiKeyAuthentication"
    name = "InstitutionApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "X-Api-Key"}


class HasVerifyScope(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, Institution) and "verify" in request.user.scopes


class PerKeyThrottle(ExactRateThrottle):
    """VERIFY_RATE per institution key, counted exactly in Redis (shared by every process) in production."""

    scope = "verify"

    def get_rate(self) -> str:
        return settings.VERIFY_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.user, Institution):
            return None
        return f"throttle_verify_{request.user.pk}"


class RegistrationOut(serializers.Serializer):
    department = serializers.CharField()
    state = serializers.CharField()
    reference_no = serializers.CharField()
    date = serializers.DateField()


class VerificationOut(serializers.Serializer):
    uscc = serializers.CharField()
    name_zh = serializers.CharField()
    entity_type = serializers.CharField()
    status = serializers.CharField()
    established_on = serializers.DateField()
    reg_capital = serializers.CharField()
    capital_currency = serializers.CharField()
    legal_rep = serializers.DictField(child=serializers.CharField())
    registrations = RegistrationOut(many=True)
    verified_at = serializers.DateTimeField()
    signature = serializers.CharField(help_text="Ed25519 over the JSON without `signature`, keys sorted, compact.")


# The access log keeps the purpose an institution states; a longer one is refused, never cut.
PURPOSE_MAX_LENGTH = 200


class VerifyApi(APIView):
    """Verify a registration instead of asking for paper. Every call is written to the enterprise's access log."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasVerifyScope]
    throttle_classes = [PerKeyThrottle]

    @extend_schema(
        parameters=[OpenApiParameter("purpose", str, description="why the institution looks (required for most)")],
        responses=VerificationOut,
    )
    def get(self, request: Request, uscc: str) -> Response:
        purpose = request.query_params.get("purpose", "").strip()
        if request.user.purpose_required and not purpose:
            raise PortalError(_("State the purpose of this lookup."), {"purpose": [_("This field is required.")]})
        if len(purpose) > PURPOSE_MAX_LENGTH:
            raise PortalError(
                _("The purpose is too long."),
                {"purpose": [_("At most %(n)d characters (this has %(len)d).") % {"n": PURPOSE_MAX_LENGTH,
                                                                                   "len": len(purpose)}]},
            )  # fmt: skip
        # Any accepted spelling (full-width, lower case, spaced) is answered and logged under the canonical code.
        code = compact(uscc)
        problem = uscc_problem(code)
        if problem:
            raise PortalError(_("Not a valid unified social credit code."), {"uscc": [problem]})
        facts = register_facts(code)
        if facts is None:
            raise exceptions.NotFound(_("No enterprise is registered with this code."))
        return Response(signed({**facts, "verified_at": timezone.now().isoformat()}))

    def finalize_response(self, request, response, *args, **kwargs):
        # Every answered call is logged, refusals included; an unauthenticated one has no institution to name.
        user = getattr(request, "user", None)
        if isinstance(user, Institution):
            access_log_write(
                institution=user,
                uscc=compact(kwargs.get("uscc", "")),
                purpose=request.query_params.get("purpose", "").strip(),
                status=response.status_code,
            )
        return super().finalize_response(request, response, *args, **kwargs)


class PublicKeyApi(APIView):
    """`GET /api/v1/verify/public-key`: the Ed25519 key that checks verification signatures."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response({"algorithm": "Ed25519", "public_key_pem": public_key_pem()})


class AccessLogOut(serializers.Serializer):
    institution = serializers.CharField(source="institution.name")
    kind = serializers.CharField(source="institution.kind")
    purpose = serializers.CharField()
    at = serializers.DateTimeField()
    status = serializers.IntegerField()


class EnterpriseAccessLogApi(APIView):
    """`GET /api/v1/enterprises/<uscc>/access-log`: who looked at this enterprise's data, when and why."""

    @list_schema(AccessLogOut)
    def get(self, request: Request, uscc: str) -> Response:
        enterprise = enterprise_for(request.user, uscc)
        return paginated(request, enterprise_access_log(enterprise), AccessLogOut)

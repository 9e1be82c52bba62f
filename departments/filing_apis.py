"""Filings API (CONTRACT.md "Filings"): clerks decide their department's filings; department systems call back."""

from __future__ import annotations

import json

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .adapters.http import SIGNATURE_HEADER, signature_valid
from .filings import filing_decide, filing_open, filing_redispatch
from .models import Department, Filing
from .selectors import filing_can_decide, filing_for, filings_visible_to


class FilingOut(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField(source="department.code")
    state = serializers.CharField()
    application = serializers.IntegerField(source="application_id")
    enterprise = serializers.SerializerMethodField()
    round = serializers.IntegerField()
    attempts = serializers.IntegerField()
    reference_no = serializers.CharField()
    message = serializers.CharField()
    last_error = serializers.CharField()
    dispatched_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_enterprise(self, filing: Filing) -> dict | None:
        enterprise = filing.application.enterprise
        return {"uscc": enterprise.uscc, "name_zh": enterprise.name_zh} if enterprise else None


class FilingDetailOut(FilingOut):
    payload = serializers.JSONField()
    form_version = serializers.SerializerMethodField()
    correction_items = serializers.JSONField()
    references = serializers.JSONField()

    def get_form_version(self, filing: Filing) -> int | None:
        return filing.form_version.number if filing.form_version else None


class FilingListApi(APIView):
    """`GET /api/v1/filings?state=&department=`."""

    @extend_schema(responses=FilingOut(many=True))
    def get(self, request: Request) -> Response:
        filings = filings_visible_to(request.user).order_by("created_at", "id")
        if state := request.query_params.get("state"):
            filings = filings.filter(state=state)
        if department := request.query_params.get("department"):
            filings = filings.filter(department__code=department.upper())
        return Response(FilingOut(filings[:500], many=True).data)


class FilingDetailApi(APIView):
    """`GET /api/v1/filings/<id>`: also the payload the department receives and its form version."""

    @extend_schema(responses=FilingDetailOut)
    def get(self, request: Request, filing_id: int) -> Response:
        filing = filing_for(request.user, filing_id)
        if filing_can_decide(request.user, filing):
            filing_open(filing=filing, clerk=request.user)
        return Response(FilingDetailOut(filing).data)


def _decidable(request: Request, filing_id: int) -> Filing:
    filing = filing_for(request.user, filing_id)
    if not filing_can_decide(request.user, filing):
        raise PermissionDenied
    return filing


class ApproveIn(serializers.Serializer):
    reference_no = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class RejectIn(serializers.Serializer):
    reason = serializers.CharField(max_length=1000)


class CorrectionIn(serializers.Serializer):
    items = serializers.ListField(child=serializers.CharField(max_length=40), min_length=1)
    reason = serializers.CharField(max_length=1000)

    def validate_items(self, items: list[str]) -> list[str]:
        filing: Filing = self.context["filing"]
        known = set(filing.application.data)
        unknown = [i for i in items if i not in known]
        if unknown:
            raise serializers.ValidationError(f"not items of this application: {', '.join(unknown)}")
        return items


class _DecisionApi(APIView):
    """A clerk's decision on a filing of their department: validate the input, record the decision."""

    decision = ""
    input_class: type[serializers.Serializer] = ApproveIn

    def decision_arguments(self, data: dict) -> dict:
        return {}

    def post(self, request: Request, filing_id: int) -> Response:
        filing = _decidable(request, filing_id)
        data = self.input_class(data=request.data, context={"filing": filing})
        data.is_valid(raise_exception=True)
        filing, _ = filing_decide(
            filing_id=filing.pk,
            decision=self.decision,
            actor=request.user,
            **self.decision_arguments(data.validated_data),
        )
        return Response(FilingOut(filing).data)


@extend_schema_view(post=extend_schema(request=ApproveIn, responses=FilingOut))
class FilingApproveApi(_DecisionApi):
    decision, input_class = "approved", ApproveIn

    def decision_arguments(self, data: dict) -> dict:
        return {"reference_no": data["reference_no"], "reason": data["note"]}


@extend_schema_view(post=extend_schema(request=RejectIn, responses=FilingOut))
class FilingRejectApi(_DecisionApi):
    decision, input_class = "rejected", RejectIn

    def decision_arguments(self, data: dict) -> dict:
        return {"reason": data["reason"]}


@extend_schema_view(post=extend_schema(request=CorrectionIn, responses=FilingOut))
class FilingCorrectionApi(_DecisionApi):
    decision, input_class = "correction_requested", CorrectionIn

    def decision_arguments(self, data: dict) -> dict:
        return {"reason": data["reason"], "items": data["items"]}


class FilingRedispatchApi(APIView):
    """Operators (admins) send a failed delivery again."""

    @extend_schema(request=None, responses=FilingOut)
    def post(self, request: Request, filing_id: int) -> Response:
        filing = filing_for(request.user, filing_id)
        if not request.user.is_portal_admin:
            raise PermissionDenied
        return Response(FilingOut(filing_redispatch(filing=filing, actor=request.user)).data)


class CallbackIn(serializers.Serializer):
    filing_id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=["approved", "rejected", "correction_requested"])
    reference_no = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    items = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)


class DepartmentCallbackApi(APIView):
    """`POST /api/v1/departments/<code>/callback`: a department system reports a decision, signed with its key
    (`X-Signature: sha256=<HMAC of the body>`). Replays are answered 200 and change nothing."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=CallbackIn, responses={200: FilingOut})
    def post(self, request: Request, code: str) -> Response:
        department = get_object_or_404(Department, code=code.upper())
        if not signature_valid(department.hmac_secret, request.body, request.headers.get(SIGNATURE_HEADER)):
            raise PermissionDenied("bad signature")
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        data = CallbackIn(data=body if isinstance(body, dict) else {})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        filing = Filing.objects.filter(pk=d["filing_id"], department=department).first()
        if filing is None:
            raise Http404
        filing, changed = filing_decide(
            filing_id=filing.pk, decision=d["decision"], actor=None, reference_no=d["reference_no"],
            reason=d["reason"], items=d["items"], replay_ok=True,
        )  # fmt: skip
        return Response({**FilingOut(filing).data, "changed": changed})

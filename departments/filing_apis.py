"""Filings API (docs/CONTRACT.md "Filings"): clerks decide their department's filings; department systems call back."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.pagination import UPDATED_SINCE, list_schema, paginated, updated_since

from .adapters.http import SIGNATURE_HEADER
from .decisions import filing_approve, filing_correction_request, filing_open, filing_reject
from .filings import filing_redispatch
from .models import Department, Filing, FilingState
from .selectors import filing_can_decide, filing_for, filings_visible_to
from .signed_requests import sent_at_too_old, signed_json


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


class SignatureEvidenceOut(serializers.Serializer):
    """One signature on what was submitted, as the platform verified it (docs/signatures.md)."""

    signer = serializers.CharField(help_text="the person's path in the form: legal_rep, investors.0")
    name = serializers.CharField()
    ca = serializers.CharField(source="ca_code", help_text="trust list code of the CA")
    ca_version = serializers.IntegerField(help_text="version of the trust list entry it was checked against")
    serial = serializers.CharField(help_text="certificate serial number, hex")
    signing_time = serializers.DateTimeField(allow_null=True)
    verified_at = serializers.DateTimeField(help_text="when the platform verified it: valid path, not revoked")


class FilingDetailOut(FilingOut):
    signatures = serializers.SerializerMethodField(help_text="the signatures on what was submitted")
    payload = serializers.JSONField()
    form_version = serializers.SerializerMethodField()
    correction_items = serializers.JSONField()
    references = serializers.JSONField()

    def get_form_version(self, filing: Filing) -> int | None:
        return filing.form_version.number if filing.form_version else None

    @extend_schema_field(SignatureEvidenceOut(many=True))
    def get_signatures(self, filing: Filing) -> list:
        accepted = filing.department.accepted_ca_codes
        shown = [s for s in filing.application.submitted_signatures() if not accepted or s.ca_code in accepted]
        return list(SignatureEvidenceOut(shown, many=True).data)


class FilingListQuery(serializers.Serializer):
    state = serializers.ChoiceField(choices=FilingState.choices, required=False)
    department = serializers.CharField(required=False, help_text="department code")

    def validate_department(self, value: str) -> str:
        code = value.strip().upper()
        if not Department.objects.filter(code=code).exists():
            raise serializers.ValidationError(gettext("No department has this code."))
        return code


class FilingListApi(APIView):
    """`GET /api/v1/filings?state=&department=&updated_since=`: the filings the caller may see, oldest first, in
    pages (`Link`, `X-Total-Count`)."""

    @list_schema(FilingOut, parameters=(FilingListQuery, UPDATED_SINCE))
    def get(self, request: Request) -> Response:
        query = FilingListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filings = updated_since(request, filings_visible_to(request.user), "updated_at")
        if state := query.validated_data.get("state"):
            filings = filings.filter(state=state)
        if department := query.validated_data.get("department"):
            filings = filings.filter(department__code=department)
        return paginated(request, filings, FilingOut)


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
    items = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        help_text="Item keys the applicant must correct: items your department's form reads; after the licence, "
        "not register items (those change through a change registration).",
    )
    reason = serializers.CharField(max_length=1000)


class _DecisionApi(APIView):
    """A clerk's decision on a filing of their department: validate the input, record the decision."""

    input_class: type[serializers.Serializer] = ApproveIn

    def decide(self, filing: Filing, actor: Any, data: dict) -> Filing:
        raise NotImplementedError

    def post(self, request: Request, filing_id: int) -> Response:
        filing = _decidable(request, filing_id)
        data = self.input_class(data=request.data, context={"filing": filing})
        data.is_valid(raise_exception=True)
        return Response(FilingOut(self.decide(filing, request.user, data.validated_data)).data)


@extend_schema_view(post=extend_schema(request=ApproveIn, responses=FilingOut))
class FilingApproveApi(_DecisionApi):
    input_class = ApproveIn

    def decide(self, filing: Filing, actor: Any, data: dict) -> Filing:
        return filing_approve(filing_id=filing.pk, actor=actor, reference_no=data["reference_no"], note=data["note"])[0]


@extend_schema_view(post=extend_schema(request=RejectIn, responses=FilingOut))
class FilingRejectApi(_DecisionApi):
    input_class = RejectIn

    def decide(self, filing: Filing, actor: Any, data: dict) -> Filing:
        return filing_reject(filing_id=filing.pk, actor=actor, reason=data["reason"])[0]


@extend_schema_view(post=extend_schema(request=CorrectionIn, responses=FilingOut))
class FilingCorrectionApi(_DecisionApi):
    input_class = CorrectionIn

    def decide(self, filing: Filing, actor: Any, data: dict) -> Filing:
        decided, _changed = filing_correction_request(
            filing_id=filing.pk, actor=actor, items=data["items"], reason=data["reason"]
        )
        return decided


class FilingRedispatchApi(APIView):
    """Operators (admins) send a failed delivery again."""

    @extend_schema(request=None, responses=FilingOut)
    def post(self, request: Request, filing_id: int) -> Response:
        filing = filing_for(request.user, filing_id)
        if not request.user.is_portal_admin:
            raise PermissionDenied
        return Response(FilingOut(filing_redispatch(filing=filing, actor=request.user)).data)


class CallbackIn(serializers.Serializer):
    """The signed body of a department system's decision (docs/department-protocol.md)."""

    filing_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    round = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The delivery round this decision answers (the delivery's `round`)."
    )
    sent_at = serializers.DateTimeField(
        help_text="When the department system sent this callback (ISO 8601 with offset); part of the signed body."
    )
    decision = serializers.ChoiceField(choices=["approved", "rejected", "correction_requested"])
    reference_no = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    items = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=100,
        help_text="correction_requested: the items to correct, checked like a clerk's (at least one).",
    )  # fmt: skip


class CallbackOut(FilingOut):
    changed = serializers.BooleanField(help_text="False: a replay or a stale decision; nothing was changed.")
    note = serializers.CharField(help_text="Why nothing changed, when it did not.")


class DepartmentCallbackApi(APIView):
    """`POST /api/v1/departments/<code>/callback`: a department system reports a decision, signed with its key
    (`X-Signature: sha256=<hex HMAC-SHA256 of the exact body>`). The body names the delivery round it answers and
    the time it was sent. A replay, or a decision for an earlier round or sent too long ago, answers 200 with
    `"changed": false` and changes nothing. See docs/department-protocol.md."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=CallbackIn,
        responses={200: CallbackOut},
        parameters=[
            OpenApiParameter(
                SIGNATURE_HEADER, str, OpenApiParameter.HEADER, required=True,
                description="sha256=<hex HMAC-SHA256 of the exact request body with the department's key>",
            )  # fmt: skip
        ],
    )
    def post(self, request: Request, code: str) -> Response:
        department = get_object_or_404(Department, code=code.upper())
        body = signed_json(request, department.hmac_secret)
        data = CallbackIn(data=body if isinstance(body, dict) else {})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        filing = Filing.objects.filter(pk=d["filing_id"], department=department).first()
        if filing is None:
            raise Http404
        note = sent_at_too_old(d["sent_at"])
        if note:  # an old signed callback replayed: answered, never taken
            return Response({**FilingOut(filing).data, "changed": False, "note": note})
        # The one place a decision arrives as a word: each word is its own service.
        if d["decision"] == "approved":
            filing, changed = filing_approve(
                filing_id=filing.pk, reference_no=d["reference_no"], note=d["reason"], round=d["round"]
            )
        elif d["decision"] == "rejected":
            filing, changed = filing_reject(filing_id=filing.pk, reason=d["reason"], round=d["round"])
        else:
            filing, changed = filing_correction_request(
                filing_id=filing.pk, items=d["items"], reason=d["reason"], round=d["round"]
            )
        note = ""
        if not changed:
            note = (
                _("Answers round %(round)d; the filing is in round %(current)d: not taken.")
                % {"round": d["round"], "current": filing.round}
                if d["round"] < filing.round
                else _("Already recorded.")
            )
        return Response({**FilingOut(filing).data, "changed": changed, "note": note})

"""Applications API (docs/CONTRACT.md "Applications"): each applicant sees only their own."""

from __future__ import annotations

import base64

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.audit import application_timeline
from portal.pagination import UPDATED_SINCE, list_schema, paginated, updated_since

from .archive_copies import archive_copy_request
from .changes import change_draft_submit, change_submit
from .documents import document_response
from .models import Application
from .names import name_check
from .selectors import (
    answers_not_needed,
    application_for,
    applications_visible_to,
    enterprise_for,
    enterprise_for_owner,
    enterprise_todos,
)
from .services import (
    application_create,
    application_delete_draft,
    application_submit,
    application_update_data,
    application_withdraw,
)
from .signing import signature_add, signing_status
from .todos import todos_supply


class FilingSummary(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    state = serializers.CharField()
    reference_no = serializers.CharField()
    message = serializers.CharField()
    correction_items = serializers.JSONField()
    updated_at = serializers.DateTimeField()


class ApplicationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    data = serializers.JSONField()
    enterprise = serializers.SerializerMethodField()
    routed = serializers.JSONField()
    readonly_items = serializers.JSONField()
    editable_items = serializers.JSONField()
    correction_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    licensed_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_enterprise(self, application: Application) -> dict | None:
        e = application.enterprise
        return {"uscc": e.uscc, "name_zh": e.name_zh} if e else None


class TodoOut(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.display_name")
    title = serializers.CharField(source="display_title")
    reason = serializers.CharField()
    status = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    needed_items = serializers.JSONField()
    filing = serializers.IntegerField(source="filing_id")
    filing_state = serializers.CharField(source="filing.state")
    application = serializers.IntegerField(source="application_id")
    rule_version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)


class ApplicationDetailOut(ApplicationOut):
    filings = FilingSummary(many=True, source="filings.all")
    todos = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    not_needed = serializers.SerializerMethodField(help_text="answers the form no longer asks for: kept, not sent")

    def get_todos(self, application: Application) -> list:
        return TodoOut(application.todos.select_related("department"), many=True).data

    def get_timeline(self, application: Application) -> list:
        return application_timeline(application.pk)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_not_needed(self, application: Application) -> list[str]:
        return sorted(answers_not_needed(application))


class ApplicationIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Application.Kind.values)
    data = serializers.DictField(required=False, default=dict)
    uscc = serializers.CharField(required=False, allow_blank=True, default="")
    id_number = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="existing_company: legal representative or liaison"
    )


class DataIn(serializers.Serializer):
    data = serializers.DictField()


def _own(request: Request, application_id: int) -> Application:
    application = application_for(request.user, application_id)
    if application.applicant_id != request.user.pk:
        raise PermissionDenied  # admins and auditors read, only the applicant acts
    return application


class ApplicationListApi(APIView):
    """`GET /api/v1/applications?updated_since=`: the caller's applications, oldest first, in pages."""

    @list_schema(ApplicationOut, parameters=(UPDATED_SINCE,))
    def get(self, request: Request) -> Response:
        applications = updated_since(request, applications_visible_to(request.user), "updated_at")
        return paginated(request, applications, ApplicationOut)

    @extend_schema(request=ApplicationIn, responses={201: ApplicationDetailOut})
    def post(self, request: Request) -> Response:
        if not request.user.is_applicant:
            raise PermissionDenied
        data = ApplicationIn(data=request.data)
        data.is_valid(raise_exception=True)
        application = application_create(applicant=request.user, **data.validated_data)
        application = application_for(request.user, application.pk)
        return Response(ApplicationDetailOut(application).data, status=201)


class ApplicationDetailApi(APIView):
    @extend_schema(responses=ApplicationDetailOut)
    def get(self, request: Request, application_id: int) -> Response:
        return Response(ApplicationDetailOut(application_for(request.user, application_id)).data)

    @extend_schema(request=DataIn, responses=ApplicationDetailOut)
    def patch(self, request: Request, application_id: int) -> Response:
        application = _own(request, application_id)
        data = DataIn(data=request.data)
        data.is_valid(raise_exception=True)
        problems = application_update_data(application=application, user=request.user, data=data.validated_data["data"])
        application = application_for(request.user, application_id)
        return Response({**ApplicationDetailOut(application).data, "problems": problems})

    @extend_schema(responses={204: None})
    def delete(self, request: Request, application_id: int) -> Response:
        """A draft that was never submitted is deleted (409 for anything further along: withdraw it)."""
        application_delete_draft(application=_own(request, application_id), user=request.user)
        return Response(status=204)


class ApplicationSubmitApi(APIView):
    @extend_schema(request=None, responses=ApplicationDetailOut)
    def post(self, request: Request, application_id: int) -> Response:
        application = _own(request, application_id)
        # A change registration's draft (kept until it is signed) goes on as a change; anything else as an application.
        submit = change_draft_submit if application.kind == Application.Kind.CHANGE else application_submit
        application = submit(application=application, user=request.user)
        return Response(ApplicationDetailOut(application_for(request.user, application.pk)).data)


class ApplicationWithdrawApi(APIView):
    @extend_schema(request=None, responses=ApplicationDetailOut)
    def post(self, request: Request, application_id: int) -> Response:
        application = application_withdraw(application=_own(request, application_id), user=request.user)
        return Response(ApplicationDetailOut(application_for(request.user, application.pk)).data)


class SignerOut(serializers.Serializer):
    signer = serializers.CharField(source="path", help_text="the person's path in the form: legal_rep, investors.0")
    name = serializers.CharField()
    id_number_tail = serializers.SerializerMethodField(help_text="the ID number's last four characters")
    signed = serializers.BooleanField()
    ca = serializers.SerializerMethodField()
    cas = serializers.SerializerMethodField(help_text="the CAs of this signer's signatures (one per CA needed)")
    uncovered = serializers.ListField(child=serializers.CharField(), help_text="departments still to be served")
    lapsed = serializers.CharField(help_text="why an earlier signature no longer counts (revoked since, CA withdrawn)")
    serial = serializers.SerializerMethodField()
    signing_time = serializers.SerializerMethodField()

    def get_id_number_tail(self, signer) -> str:
        return signer.id_number[-4:]

    def get_ca(self, signer) -> str | None:
        return signer.signature.ca_code if signer.signature else None

    def get_cas(self, signer) -> list[str]:
        return [s.ca_code for s in signer.signatures]

    def get_serial(self, signer) -> str | None:
        return signer.signature.serial if signer.signature else None

    def get_signing_time(self, signer) -> str | None:
        time = signer.signature.signing_time if signer.signature else None
        return time.isoformat() if time else None


class SigningOut(serializers.Serializer):
    document = serializers.CharField(help_text="the exact bytes to sign, base64 (canonical JSON)")
    digest = serializers.CharField(help_text="SHA-256 of the document, hex")
    signers = SignerOut(many=True)
    stale = serializers.ListField(child=serializers.CharField(), help_text="signed an earlier version: sign again")
    certificates = serializers.DictField(
        help_text='{"accepted_by_all": [CA codes], "smallest_set": [CA codes], "by_department": {code: [CA codes]}}'
    )


class ApplicationSigningApi(APIView):
    """`GET /api/v1/applications/<id>/signing`: the document to sign (detached CMS/CAdES over these exact bytes),
    who must sign it and who has, and which CAs every routed department accepts (400 while the application has
    problems; nothing is signed that submit would refuse)."""

    @extend_schema(responses=SigningOut)
    def get(self, request: Request, application_id: int) -> Response:
        status = signing_status(_own(request, application_id))
        return Response(
            SigningOut(
                {
                    "document": base64.b64encode(status.document).decode(),
                    "digest": status.digest,
                    "signers": status.signers,
                    "stale": status.stale,
                    "certificates": {
                        "accepted_by_all": status.advice.by_all,
                        "smallest_set": status.advice.smallest_set,
                        "by_department": status.advice.accepted,
                    },
                }
            ).data
        )


class SignatureIn(serializers.Serializer):
    signer = serializers.CharField(max_length=40, help_text="the signer's path, as GET .../signing names it")
    cms = serializers.CharField(max_length=200_000, help_text="the detached CMS/CAdES signature, DER, base64")


class SignatureOut(serializers.Serializer):
    signer = serializers.CharField()
    name = serializers.CharField()
    ca = serializers.CharField(source="ca_code")
    ca_version = serializers.IntegerField()
    serial = serializers.CharField()
    signing_time = serializers.DateTimeField()
    verified_at = serializers.DateTimeField()
    digest = serializers.CharField()


class ApplicationSignaturesApi(APIView):
    """`POST /api/v1/applications/<id>/signatures` {"signer", "cms"} → 201 with the platform's verification, or 400
    naming the signer and why (untrusted CA, expired, revoked, not a signing certificate, another person's
    certificate, the data changed after signing, a CA a routed department does not accept)."""

    @extend_schema(request=SignatureIn, responses={201: SignatureOut})
    def post(self, request: Request, application_id: int) -> Response:
        application = _own(request, application_id)  # whose it is before what is wrong with the request
        data = SignatureIn(data=request.data)
        data.is_valid(raise_exception=True)
        signature = signature_add(
            application=application,
            user=request.user,
            signer=data.validated_data["signer"],
            cms_base64=data.validated_data["cms"],
        )
        return Response(SignatureOut(signature).data, status=201)


class NameCheckIn(serializers.Serializer):
    name_zh = serializers.CharField(max_length=100)
    entity_type = serializers.CharField(required=False, allow_blank=True, default="")


class NameCheckOut(serializers.Serializer):
    available = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())


class NameCheckApi(APIView):
    """`POST /api/v1/name-check` {"name_zh", "entity_type"?} → {"available", "reasons"}."""

    @extend_schema(request=NameCheckIn, responses=NameCheckOut)
    def post(self, request: Request) -> Response:
        data = NameCheckIn(data=request.data)
        data.is_valid(raise_exception=True)
        reasons = name_check(
            name_zh=data.validated_data["name_zh"], entity_type=data.validated_data["entity_type"] or None
        )
        return Response({"available": not reasons, "reasons": reasons})


class EnterpriseOut(serializers.Serializer):
    uscc = serializers.CharField()
    name_zh = serializers.CharField()
    entity_type = serializers.CharField()
    status = serializers.CharField()
    established_on = serializers.DateField()
    data = serializers.JSONField()


class EnterpriseDetailApi(APIView):
    """`GET /api/v1/enterprises/<uscc>`: the current record (owner, clerks, admins, auditors)."""

    @extend_schema(responses=EnterpriseOut)
    def get(self, request: Request, uscc: str) -> Response:
        return Response(EnterpriseOut(enterprise_for(request.user, uscc)).data)


class ApplicationDocumentApi(APIView):
    """`GET /api/v1/applications/<id>/documents/licence.pdf` and `/receipt.pdf`."""

    @extend_schema(responses={(200, "application/pdf"): bytes})
    def get(self, request: Request, pk: int, kind: str):
        return document_response(application_for(request.user, pk), kind)


class ChangeIn(serializers.Serializer):
    data = serializers.DictField(help_text="the changed items, by item key")
    id_number = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="legal representative or liaison, if not the owner"
    )


class EnterpriseChangesApi(APIView):
    """`POST /api/v1/enterprises/<uscc>/changes`: a change registration (its owner, legal representative or
    liaison). Items AIC reviews wait for AIC (`submitted`); the others apply at once (`in_progress`/`completed`)."""

    @extend_schema(request=ChangeIn, responses={201: ApplicationDetailOut})
    def post(self, request: Request, uscc: str) -> Response:
        body = ChangeIn(data=request.data)
        body.is_valid(raise_exception=True)
        enterprise = enterprise_for_owner(request.user, uscc, body.validated_data["id_number"])
        application = change_submit(enterprise=enterprise, user=request.user, data=body.validated_data["data"])
        return Response(ApplicationDetailOut(application_for(request.user, application.pk)).data, status=201)


class EnterpriseTodosApi(APIView):
    """`GET /api/v1/enterprises/<uscc>/todos?updated_since=`: what the enterprise must do, oldest first, in pages
    (filter on `status` client-side; a cursor needs an order that never changes)."""

    @list_schema(TodoOut, parameters=(UPDATED_SINCE,))
    def get(self, request: Request, uscc: str) -> Response:
        todos = enterprise_todos(enterprise_for(request.user, uscc))
        # A todo has no updated_at: it changes when it is created or closed, when the items it waits for are given
        # (its application is saved) and when its filing moves (`filing_state`).
        todos = updated_since(request, todos, "updated_at", "filing__updated_at")
        return paginated(request, todos, TodoOut)


class TodoSupplyApi(APIView):
    """`POST /api/v1/enterprises/<uscc>/todos/<id>` `{"data": {...}}`: give the items a department still needs."""

    @extend_schema(request=DataIn, responses=TodoOut)
    def post(self, request: Request, uscc: str, todo_id: int) -> Response:
        body = DataIn(data=request.data)
        body.is_valid(raise_exception=True)
        enterprise = enterprise_for_owner(request.user, uscc)
        todo = enterprise_todos(enterprise).filter(pk=todo_id).first()
        if todo is None:
            raise Http404
        (todo,) = todos_supply(enterprise=enterprise, user=request.user, data=body.validated_data["data"], todos=[todo])
        return Response(TodoOut(todo).data)


class ArchiveCopyIn(serializers.Serializer):
    document = serializers.CharField(help_text="licence | receipt")
    department = serializers.CharField(help_text="department code")
    copies = serializers.IntegerField(required=False, default=1)
    delivery = serializers.CharField(required=False, default="collect", help_text="collect | post")
    postal_address = serializers.CharField(required=False, allow_blank=True, default="")


class EnterpriseArchiveCopiesApi(APIView):
    """`POST /api/v1/enterprises/<uscc>/archive-copies`: ask a department for a printed archive copy; the request
    is tracked like an application with one filing."""

    @extend_schema(request=ArchiveCopyIn, responses={201: ApplicationDetailOut})
    def post(self, request: Request, uscc: str) -> Response:
        enterprise = enterprise_for_owner(request.user, uscc)  # who may ask comes before what they asked
        body = ArchiveCopyIn(data=request.data)
        body.is_valid(raise_exception=True)
        application = archive_copy_request(enterprise=enterprise, user=request.user, **body.validated_data)
        return Response(ApplicationDetailOut(application_for(request.user, application.pk)).data, status=201)

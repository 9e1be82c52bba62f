from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from forms_engine import codetables
from forms_engine.apis import item_json
from portal.pagination import list_schema, paginated

from .routing import RoutingFacts
from .selectors import department_list, unified_form_for


class DepartmentOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    routed_when = serializers.CharField(help_text="When the department receives a filing (Chinese).")
    routed_when_en = serializers.CharField()
    filing_name = serializers.CharField()
    filing_name_en = serializers.CharField()
    prerequisites = serializers.ListField(
        child=serializers.CharField(), source="prerequisite_codes", help_text="Codes of departments that approve first."
    )


class DepartmentListApi(APIView):
    """`GET /api/v1/departments`: the 16 departments — public reference data."""

    permission_classes = [AllowAny]
    serializer_class = DepartmentOutput

    @list_schema(DepartmentOutput)
    def get(self, request: Request) -> Response:
        return paginated(request, department_list().prefetch_related("prerequisites"), DepartmentOutput)


class UnifiedFormQuery(serializers.Serializer):
    import_export = serializers.BooleanField(required=False, default=False)
    industry_code = serializers.CharField(required=False, allow_blank=True, default="")
    business_scope = serializers.CharField(required=False, allow_blank=True, default="")
    has_licence = serializers.BooleanField(required=False, default=False)

    def validate_industry_code(self, value: str) -> str:
        if value and value not in codetables.industry_classes():
            raise serializers.ValidationError(_("Not a four-digit class of GB/T 4754-2017."))
        return value


class UnifiedFormOut(serializers.Serializer):
    departments = serializers.ListField(child=serializers.CharField())
    reasons = serializers.DictField(child=serializers.ListField(child=serializers.DictField()))
    sections = serializers.ListField(child=serializers.DictField())
    fields_typed = serializers.IntegerField()
    fields_delivered = serializers.IntegerField()


class UnifiedFormApi(APIView):
    """`GET /api/v1/forms/unified`: the departments routed for the three answers and the one form that serves them,
    with how many inputs the applicant types (`fields_typed`) and how many department fields they fill
    (`fields_delivered`)."""

    permission_classes = [AllowAny]

    @extend_schema(parameters=[UnifiedFormQuery], responses=UnifiedFormOut)
    def get(self, request: Request) -> Response:
        query = UnifiedFormQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        facts = RoutingFacts(
            new_company=not q["has_licence"],
            import_export=q["import_export"],
            industry_code=q["industry_code"],
            business_scope=q["business_scope"],
        )
        routed, form = unified_form_for(facts=facts)
        return Response(
            {
                "departments": [d.code for d, _ in routed],
                "reasons": {
                    d.code: [{"trigger": r.trigger, "detail": r.detail} for r in reasons] for d, reasons in routed
                },
                "sections": [
                    {
                        "key": s.key,
                        "title": s.title,
                        "title_en": s.title_en,
                        "items": [item_json(i) | {"required": i.required} for i in s.items],
                    }
                    for s in form.sections
                ],
                "fields_typed": form.fields_typed,
                "fields_delivered": form.fields_delivered,
            }
        )

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .selectors import department_list


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

    def get(self, request: Request) -> Response:
        departments = department_list().prefetch_related("prerequisites")
        return Response(DepartmentOutput(departments, many=True).data)

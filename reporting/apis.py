"""Statistics API (docs/CONTRACT.md "Statistics"): the operations dashboard's figures as JSON, for admins and
auditors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .stats import stats_current


class ReadsEverything(BasePermission):
    """Admins and auditors; everyone else who is logged in gets 403."""

    def has_permission(self, request, view) -> bool:
        return bool(getattr(request.user, "reads_everything", False))


class DayCount(serializers.Serializer):
    date = serializers.DateField()
    n = serializers.IntegerField()


class WeekCount(serializers.Serializer):
    week = serializers.DateField(help_text="the Monday the week starts on (local time)")
    n = serializers.IntegerField()


class StatsOut(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    enterprises = serializers.IntegerField()
    by_category = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="services, high_tech_manufacturing, traditional_manufacturing, other (GB/T 4754 class)",
    )
    unclassified_enterprises = serializers.IntegerField(help_text="no valid four-digit industry class")
    avg_reg_capital = serializers.FloatField(allow_null=True, help_text="yuan")
    median_reg_capital = serializers.FloatField(allow_null=True, help_text="yuan")
    applications = serializers.DictField(child=serializers.IntegerField(), help_text="state → number")
    registrations = serializers.IntegerField(help_text="submitted new-company and existing-company applications")
    median_hours_to_licence = serializers.FloatField(allow_null=True, help_text="submitted → licensed")
    median_hours_to_complete = serializers.FloatField(allow_null=True, help_text="submitted → every filing approved")
    registrations_by_day = DayCount(many=True, help_text="the last 30 days, local dates")
    registrations_by_week = WeekCount(many=True, help_text="the last 26 weeks")
    filings_by_department = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()), help_text="department code → state → number"
    )
    department_median_decision_seconds = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="dispatched → decided"
    )
    clerk_median_seconds = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="a clerk opened the filing → decided"
    )
    overdue_filings = serializers.DictField(
        child=serializers.IntegerField(), help_text="with the department past its decision time limit"
    )
    overdue_filings_total = serializers.IntegerField()
    failed_deliveries = serializers.DictField(child=serializers.IntegerField())
    failed_deliveries_total = serializers.IntegerField()
    sla_hours = serializers.DictField(child=serializers.IntegerField(), help_text="each department's time limit")
    fields_typed = serializers.IntegerField(help_text="items applicants typed (the unified form, once each)")
    fields_delivered = serializers.IntegerField(help_text="department form fields delivered, filled from them")
    filings_delivered = serializers.IntegerField()
    paper_sheets_saved = serializers.IntegerField()
    trips_saved = serializers.IntegerField(help_text="one per filing delivered to a department")


class StatsApi(APIView):
    """`GET /api/v1/stats`: the operations dashboard's figures (at most 30 s old)."""

    permission_classes = [IsAuthenticated, ReadsEverything]

    @extend_schema(responses=StatsOut)
    def get(self, request: Request) -> Response:
        return Response(stats_current())

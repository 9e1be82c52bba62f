"""The portal as bench/verify serves it: every URL of the portal, plus the baseline issue 18 names, a bare DRF
view doing one PostgreSQL query (`GET /bench/one-query?uscc=…`). Only the bench's gunicorn serves these
(bench/verify_settings); the portal itself has no such endpoint."""

from django.db import connection
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class OneQuery(APIView):
    """The smallest DRF answer that reads the database once."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        with connection.cursor() as cursor:  # as the verification looks an enterprise up: by its code's index
            cursor.execute("SELECT count(*) FROM registration_enterprise WHERE uscc = %s", [request.GET.get("uscc")])
            (found,) = cursor.fetchone()
        return Response({"found": found})


urlpatterns = [path("bench/one-query", OneQuery.as_view()), path("", include("portal.urls"))]

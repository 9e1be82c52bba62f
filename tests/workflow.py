"""Helpers for workflow tests: API calls as a given user, and doing a worker's job in-process."""

from __future__ import annotations

import json

from django.test import Client

from departments.filings import filing_deliver
from departments.models import Department, Filing
from portal.models import Role, User
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample

# A change of the electronics trader that makes HEALTH, FIRE and EPB responsible, and the details they need.
NEW_ADDRESS = "东莞市东城街道东纵大道东城万达广场3号楼1808室"

RESTAURANT_SCOPE = sample("electronics_trader")["business_scope"] + "；餐饮服务；酒店住宿"

HOTEL_ITEMS = {"venue_kind": "hotel", "premises_nature": "leased", "pollution_processes": ["injection_molding"]}


FOREIGN_TRADE_ROUTE = [
    "AIC", "NTAX", "LTAX", "PSB", "HRSS", "SI", "HPF", "STATS", "PBOC", "COMMERCE", "CUSTOMS", "CIQ", "SAFE",
]  # fmt: skip


class Api:
    """JSON calls as one user, through the real URL routing, authentication and exception handling."""

    def __init__(self, user: User):
        self.client = Client()
        self.client.force_login(user)
        self.user = user

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params)

    def post(self, path: str, body: dict | None = None):
        return self.client.post(f"/api/v1{path}", json.dumps(body or {}), content_type="application/json")

    def patch(self, path: str, body: dict):
        return self.client.patch(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def callback(code: str, body: dict, secret: str | None = None, raw: bytes | None = None):
    """A department system's signed decision (docs/department-protocol.md). `round` defaults to the filing's
    current round and `sent_at` to now, as an honest department system would send them; pass them to override."""
    from django.utils import timezone

    from departments.adapters.http import sign

    department = Department.objects.get(code=code)
    if raw is None:
        current = Filing.objects.filter(pk=body.get("filing_id")).values_list("round", flat=True).first()
        body = {"round": current or 1, "sent_at": timezone.now().isoformat(), **body}
        raw = json.dumps(body).encode()
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(
        f"/api/v1/departments/{code}/callback",
        raw,
        content_type="application/json",
        HTTP_X_SIGNATURE=sign(secret if secret is not None else department.hmac_secret, raw),
    )


def make_clerks() -> dict[str, User]:
    return {
        d.code: User.objects.create_user(
            username=f"t_clerk_{d.code.lower()}", password=PASSWORD, role=Role.CLERK, department=d
        )
        for d in Department.objects.all()
    }


def all_by_clerk_queue() -> None:
    """Unit-level workflow tests decide every department in the workbench (the HTTP path has its own tests)."""
    Department.objects.update(adapter_kind="clerk_queue")


def deliver_all() -> list[str]:
    """What the worker would do now: one delivery attempt for every due queued filing."""
    return [filing_deliver(filing_id=f.pk) for f in Filing.objects.filter(state="queued").order_by("id")]


def filing(application_id: int, code: str) -> Filing:
    return Filing.objects.get(application_id=application_id, department__code=code)


def states(application_id: int) -> dict[str, str]:
    return dict(Filing.objects.filter(application_id=application_id).values_list("department__code", "state"))


def submitted_trader(api: Api) -> int:
    """A foreign-trade electronics trader created and submitted through the API; returns the application id."""
    response = api.post("/applications", {"kind": "new_company", "data": sample("electronics_trader")})
    assert response.status_code == 201, response.json()
    application_id = response.json()["id"]
    response = api.post(f"/applications/{application_id}/submit")
    assert response.status_code == 200, response.json()
    return application_id


def approve_everything(clerks: dict[str, User], application_id: int) -> None:
    """Clerks approve what reaches them until nothing is left with a department."""
    while pending := list(Filing.objects.filter(application_id=application_id, state="dispatched")):
        for f in pending:
            response = Api(clerks[f.department.code]).post(f"/filings/{f.pk}/approve")
            assert response.status_code == 200, response.json()


def completed_trader(api: Api, clerks: dict[str, User]):
    """A licensed foreign-trade trader whose registration every department approved; returns the enterprise."""
    from registration.models import Application

    application_id = submitted_trader(api)
    approve_everything(clerks, application_id)
    application = Application.objects.get(pk=application_id)
    assert application.state == "completed"
    return application.enterprise


def change(api: Api, enterprise, data: dict, **extra):
    """File a change registration of `enterprise` through the API."""
    return api.post(f"/enterprises/{enterprise.uscc}/changes", {"data": data, **extra})


def by_kind(application_id: int) -> dict[str, set[str]]:
    """The departments of an application's filings, by filing kind."""
    kinds: dict[str, set[str]] = {}
    for code, kind in Filing.objects.filter(application_id=application_id).values_list("department__code", "kind"):
        kinds.setdefault(kind, set()).add(code)
    return kinds

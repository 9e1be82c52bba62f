"""Who may do what: one table of (method, URL) × caller → answer, for every page and API of the portal (docs/STYLE.md:
every permission rule has an outsider test). The callers: anonymous, the owner of the application and enterprise,
another applicant (outsider), a clerk of NTAX, an auditor and an admin; an institution's API key for verification.

Answers: `ok` the caller is let in (2xx, a redirect that is not to the login page, or 400/409 for a body or state
the endpoint refuses after letting the caller in); `login` a page sends to the login page, an API answers 401;
`403` authenticated but not allowed; `404` unknown or not the caller's; `405` the method does not exist here.
Each request runs in a savepoint rolled back afterwards, so every cell sees the same portal."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from departments.trust import trust_list_sandbox_ensure
from forms_engine.models import DepartmentForm
from forms_engine.services import form_draft_open
from registration.documents import licence_issue
from registration.models import Application, Todo
from registration.verification import institution_create
from tests.factories import ApplicationFactory, FilingFactory
from tests.workflow import RESTAURANT_SCOPE, Api, change, filing

CALLERS = ("anonymous", "owner", "outsider", "clerk", "auditor", "admin")


@dataclass(frozen=True)
class Row:
    method: str
    name: str  # URL name, with namespace
    kwargs: str  # which objects fill the URL (keys of `World.kwargs`)
    expected: str  # one answer per caller, in CALLERS order
    body: Any = None


ROWS = [
    Row("GET", "home", "", "ok ok ok ok ok ok"),
    Row("GET", "sandbox-ca-crl", "sandbox_ca", "ok ok ok ok ok ok"),
    Row("GET", "verify-upload", "", "ok ok ok ok ok ok"),
    Row("POST", "verify-upload", "", "ok ok ok ok ok ok", {}),
    Row("GET", "sandbox-signing-app", "draft_signer", "login ok 404 404 403 403"),
    Row("POST", "sandbox-signing-app", "draft_signer", "login ok 404 404 403 403", {}),
    Row("GET", "healthz", "", "ok ok ok ok ok ok"),
    Row("GET", "inbox", "", "login ok ok ok ok ok"),
    Row("GET", "dashboard", "", "login 403 403 403 ok ok"),
    Row("GET", "dashboard-filings-csv", "", "login 403 403 403 ok ok"),
    Row("GET", "dashboard-departments-csv", "", "login 403 403 403 ok ok"),
    Row("GET", "verify-document", "number", "ok ok ok ok ok ok"),
    Row("GET", "signup", "", "ok ok ok ok ok ok"),
    Row("GET", "login", "", "ok ok ok ok ok ok"),
    Row("GET", "second-factor", "", "login ok ok ok ok ok"),
    Row("GET", "oidc_authentication_init", "", "ok ok ok ok ok ok"),
    Row("GET", "oidc_authentication_callback", "", "login login login login login login"),
    Row("GET", "sandbox-idp-authorize", "", "ok ok ok ok ok ok"),
    Row("POST", "sandbox-idp-token", "", "login login login login login login", {}),
    Row("GET", "sandbox-idp-userinfo", "", "login login login login login login"),
    Row("GET", "sandbox-idp-jwks", "", "ok ok ok ok ok ok"),
    Row("GET", "sandbox-idp-discovery", "", "ok ok ok ok ok ok"),
    Row("POST", "logout", "", "ok ok ok ok ok ok"),
    Row("GET", "password_change", "", "login ok ok ok ok ok"),
    Row("GET", "password_change_done", "", "login ok ok ok ok ok"),
    Row("POST", "set_language", "", "ok ok ok ok ok ok", {"language": "en"}),
    Row("GET", "admin:index", "", "login login login login ok ok"),
    Row("GET", "forms:list", "", "login 403 403 403 ok ok"),
    Row("GET", "forms:detail", "code", "login 403 403 403 ok ok"),
    Row("GET", "forms:preview", "code", "login 403 403 403 ok ok"),
    Row("POST", "forms:draft", "code", "login 403 403 403 403 ok"),
    Row("POST", "forms:mapping-add", "form_draft", "login 403 403 403 403 ok", {"name": "新字段", "transform": "item"}),
    Row("GET", "forms:mapping-edit", "mapping", "login 403 403 403 403 ok"),
    Row("POST", "forms:mapping-delete", "mapping", "login 403 403 403 403 ok"),
    Row("POST", "forms:publish", "form_draft", "login 403 403 403 403 ok"),
    Row("GET", "forms:mapping-fields", "form_draft", "login 403 403 403 403 ok"),
    Row("GET", "forms:discard", "form_draft", "login 403 403 403 403 ok"),
    Row("POST", "forms:discard", "form_draft", "login 403 403 403 403 ok"),
    Row("GET", "forms:items", "", "login 403 403 403 ok ok"),
    Row("GET", "forms:item", "item", "login 403 403 403 ok ok"),
    Row("GET", "registration:start", "", "ok ok ok ok ok ok"),
    Row("GET", "registration:start-preview", "", "ok ok ok ok ok ok"),
    Row("POST", "registration:start", "", "login ok ok 403 403 403", {"kind": "new_company"}),
    Row("GET", "registration:list", "", "login ok ok ok ok ok"),
    Row("GET", "registration:detail", "application", "login ok 404 404 ok ok"),
    Row("GET", "registration:progress", "application", "login ok 404 404 ok ok"),
    Row("GET", "registration:section", "draft_section", "login ok 404 404 403 403"),
    Row("GET", "registration:review", "draft", "login ok 404 404 403 403"),
    Row("POST", "registration:correct", "draft", "login ok 404 404 403 403"),
    Row("POST", "registration:withdraw", "draft", "login ok 404 404 403 403"),
    Row("GET", "registration:withdraw", "draft", "login ok 404 404 403 403"),
    Row("GET", "registration:delete-draft", "draft", "login ok 404 404 403 403"),
    Row("POST", "registration:delete-draft", "draft", "login ok 404 404 403 403"),
    Row("GET", "registration:name-check", "draft", "login ok 404 404 403 403"),
    Row("GET", "registration:document", "licence", "login ok 404 404 ok ok"),
    Row("GET", "registration:enterprise", "uscc", "login ok 404 403 403 403"),
    Row("GET", "registration:enterprise-change", "uscc", "login ok 404 403 403 403"),
    Row("POST", "registration:todo-details", "uscc", "login ok 404 403 403 403", {}),
    Row("POST", "registration:archive-copy", "uscc", "login ok 404 403 403 403", {}),
    Row("GET", "workbench:queue", "", "login 403 403 ok ok ok"),
    Row("GET", "workbench:filing", "filing", "login 403 403 ok ok ok"),
    Row("POST", "workbench:filing", "filing", "login 403 403 ok 403 403", {"action": "reject", "reason": "不全"}),
    Row("GET", "workbench:filing-document", "copy_filing", "login 403 403 ok ok ok"),
    Row("GET", "workbench:failed", "", "login 403 403 403 ok ok"),
    Row("POST", "workbench:failed", "", "login 403 403 403 403 ok", {"filing": "failed_filing"}),
    Row("POST", "sandbox-receive", "sandbox", "403 403 403 403 403 403", "{}"),
    Row("GET", "api-schema", "", "ok ok ok ok ok ok"),
    Row("POST", "api-token", "", "ok ok ok ok ok ok", {"username": "x", "password": "y"}),
    Row("GET", "api-ping", "", "ok ok ok ok ok ok"),
    Row("GET", "api-departments", "", "ok ok ok ok ok ok"),
    Row("GET", "api-department-form", "code", "ok ok ok ok ok ok"),
    Row("GET", "api-data-items", "", "ok ok ok ok ok ok"),
    Row("GET", "api-forms-unified", "", "ok ok ok ok ok ok"),
    Row("POST", "api-callback", "code", "403 403 403 403 403 403", {}),
    Row("POST", "api-register-events", "", "403 403 403 403 403 403", {}),
    Row("GET", "api-filings", "", "login ok ok ok ok ok"),
    Row("GET", "api-filing", "filing_id", "login 404 404 ok ok ok"),
    Row("POST", "api-filing-approve", "filing_id", "login 404 404 ok 403 403", {}),
    Row("POST", "api-filing-reject", "filing_id", "login 404 404 ok 403 403", {"reason": "不全"}),
    Row("POST", "api-filing-correction", "filing_id", "login 404 404 ok 403 403", {"items": ["x"], "reason": "r"}),
    Row("POST", "api-filing-redispatch", "failed_filing_id", "login 404 404 403 403 ok"),
    Row("GET", "api-applications", "", "login ok ok ok ok ok"),
    Row("POST", "api-applications", "", "login ok ok 403 403 403", {"kind": "new_company", "data": {}}),
    Row("GET", "api-application", "application_id", "login ok 404 404 ok ok"),
    Row("PATCH", "api-application", "draft_id", "login ok 404 404 403 403", {"data": {"phone": "0769-22112345"}}),
    Row("DELETE", "api-application", "draft_id", "login ok 404 404 403 403", "{}"),
    Row("POST", "api-application-submit", "draft_id", "login ok 404 404 403 403"),
    Row("POST", "api-application-withdraw", "draft_id", "login ok 404 404 403 403"),
    Row("GET", "api-application-signing", "draft_id", "login ok 404 404 403 403"),
    Row("POST", "api-application-signatures", "draft_id", "login ok 404 404 403 403", {}),
    Row("POST", "api-name-check", "", "login ok ok ok ok ok", {"name_zh": "东莞市星河电子科技有限公司"}),
    Row("GET", "api-verify-public-key", "", "ok ok ok ok ok ok"),
    Row("GET", "api-verify", "uscc", "login login login login login login"),  # institutions' keys only
    Row("GET", "api-enterprise-access-log", "uscc", "login ok 404 ok ok ok"),
    Row("GET", "api-application-document", "licence_api", "login ok 404 404 ok ok"),
    Row("GET", "api-enterprise", "uscc", "login ok 404 ok ok ok"),
    Row("POST", "api-enterprise-changes", "uscc", "login ok 404 403 403 403", {"data": {"phone": "0769-22998877"}}),
    Row("GET", "api-enterprise-todos", "uscc", "login ok 404 ok ok ok"),
    Row("POST", "api-enterprise-todo", "todo", "login ok 404 403 403 403", {"data": {}}),
    Row("POST", "api-enterprise-archive-copies", "uscc", "login ok 404 403 403 403", {"document": "licence"}),
    Row("GET", "api-stats", "", "login 403 403 403 ok ok"),
]


class World:
    def __init__(self, applicant, outsider, clerks, auditor, admin_user, trader):
        owner_application = Application.objects.get(enterprise=trader, kind="new_company")
        draft = ApplicationFactory(applicant=applicant)
        failed = FilingFactory(failed=True)
        form = DepartmentForm.objects.get(department_code="NTAX")
        version = form_draft_open(form=form, user=admin_user)
        assert change(Api(applicant), trader, {"business_scope": RESTAURANT_SCOPE}).status_code == 201
        review = filing(Application.objects.get(kind="change").pk, "AIC")
        assert Api(clerks["AIC"]).post(f"/filings/{review.pk}/approve").status_code == 200
        copy = Api(applicant).post(f"/enterprises/{trader.uscc}/archive-copies",
                                   {"document": "licence", "department": "NTAX"})  # fmt: skip
        assert copy.status_code == 201
        ntax = filing(owner_application.pk, "NTAX")
        trust_list_sandbox_ensure()
        self.values = {"failed_filing": failed.pk}
        self.kwargs = {
            "": {},
            "number": {"number": licence_issue(trader).number},
            "code": {"code": "NTAX"},
            "form_draft": {"code": "NTAX", "number": version.number},
            "mapping": {"code": "NTAX", "number": version.number, "mapping_id": version.mappings.first().pk},
            "item": {"key": "name_zh"},
            "application": {"pk": owner_application.pk},
            "draft_section": {"pk": draft.pk, "key": "entity"},
            "draft": {"pk": draft.pk},
            "draft_signer": {"pk": draft.pk, "signer": "legal_rep"},
            "licence": {"pk": owner_application.pk, "kind": "licence"},
            "uscc": {"uscc": trader.uscc},
            "filing": {"pk": ntax.pk},
            "copy_filing": {"pk": filing(copy.json()["id"], "NTAX").pk},
            "sandbox": {"code": "ntax"},
            "sandbox_ca": {"code": "GDCA"},
            "filing_id": {"filing_id": ntax.pk},
            "failed_filing_id": {"filing_id": failed.pk},
            "application_id": {"application_id": owner_application.pk},
            "draft_id": {"application_id": draft.pk},
            "licence_api": {"pk": owner_application.pk, "kind": "licence"},
            "todo": {"uscc": trader.uscc, "todo_id": Todo.objects.filter(enterprise=trader).first().pk},
        }
        self.users = {"owner": applicant, "outsider": outsider, "clerk": clerks["NTAX"], "auditor": auditor,
                      "admin": admin_user}  # fmt: skip

    def url(self, row: Row) -> str:
        return reverse(row.name, kwargs=self.kwargs[row.kwargs])


def _answer(response) -> str:
    status = response.status_code
    location = response.get("Location", "")
    if status == 401 or (status == 302 and ("/accounts/login/" in location or "/admin/login/" in location)):
        return "login"
    if status in (403, 404, 405):
        return str(status)
    if status < 500 and (status < 400 or status in (400, 409)):
        return "ok"
    return str(status)


def _client(world: World, caller: str) -> Client:
    client = Client(raise_request_exception=False)
    if caller != "anonymous":
        client.force_login(world.users[caller])
    return client


def _send(client: Client, row: Row, url: str, values: dict):
    if row.method == "GET":
        return client.get(url)
    if isinstance(row.body, str):
        return client.generic(row.method, url, row.body.encode(), content_type="application/json")
    body = {k: values.get(v, v) if isinstance(v, str) else v for k, v in (row.body or {}).items()}
    if url.startswith("/api/"):
        return client.generic(row.method, url, json.dumps(body), content_type="application/json")
    return client.post(url, body)


def _url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    yield "admin:index"  # the Django admin is one row: who gets in at all
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}{pattern.name}"

    return set(walk(get_resolver().url_patterns))


def test_the_table_covers_every_url_pattern():
    assert _url_names() - {row.name for row in ROWS} == set()


@pytest.mark.django_db
def test_who_may_do_what(world, trader, applicant, outsider, auditor, admin_user):
    _api, clerks = world
    portal = World(applicant, outsider, clerks, auditor, admin_user, trader)
    wrong = []
    for row in ROWS:
        url = portal.url(row)
        for caller, expected in zip(CALLERS, row.expected.split(), strict=True):
            savepoint = transaction.savepoint()
            try:
                # A new session each time: one of the rows logs its caller out.
                response = _send(_client(portal, caller), row, url, portal.values)
            finally:
                transaction.savepoint_rollback(savepoint)
            got = _answer(response)
            if got != expected:
                wrong.append(f"{row.method} {url} as {caller}: expected {expected}, got {got} ({response.status_code})")
    assert wrong == [], "\n".join(wrong)


def test_an_institution_key_opens_verification_and_nothing_else(trader, client):
    _institution, key = institution_create(name="东莞银行", kind="bank", scopes=["verify"])

    assert client.get(f"/api/v1/verify/{trader.uscc}", {"purpose": "开户"}, HTTP_X_API_KEY=key).status_code == 200
    for path in ("/api/v1/applications", "/api/v1/filings", f"/api/v1/enterprises/{trader.uscc}", "/api/v1/stats"):
        assert client.get(path, HTTP_X_API_KEY=key).status_code == 401, path

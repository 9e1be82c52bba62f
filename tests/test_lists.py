"""Lists are complete (docs/CONTRACT.md "API basics", "Lists"): every API list pages with a cursor (`Link` rel="next",
`X-Total-Count`, `page_size` 1–500, `updated_since`), and every list page pages through all of it, says how many,
and keeps its filters in the previous/next links."""

from __future__ import annotations

import base64
import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.utils import timezone

from departments.models import Department, Filing
from portal.audit import audit_record_many
from portal.models import Notification
from registration.models import AccessLogEntry, Application, Enterprise, EnterpriseChange, Institution, Todo
from tests.workflow import Api

pytestmark = pytest.mark.django_db
USCC = "91441900MA4UJ8K20E"
UTC = dt.UTC


# --- helpers: what a client does --------------------------------------------------------------------------------


def next_url(response) -> str | None:
    """The URL of the `Link` rel="next" header, or None on the last page."""
    link = response.headers.get("Link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert match, link
    return match.group(1)


def walk(client: Client, url: str, **params) -> tuple[list[dict], list]:
    """Every item of a list, following `Link` rel="next"; also each page's response."""
    response = client.get(url, params)
    responses = [response]
    while True:
        assert response.status_code == 200, response.content
        assert isinstance(response.json(), list)
        following = next_url(response)
        if following is None:
            break
        response = client.get(following)
        responses.append(response)
    return [item for r in responses for item in r.json()], responses


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


# --- data, made cheaply -----------------------------------------------------------------------------------------


def applications(applicant, n: int, kind: str = "new_company", state: str = "in_progress", **extra) -> list:
    return Application.objects.bulk_create(
        [Application(kind=kind, state=state, applicant=applicant, **extra) for _ in range(n)]
    )


def filings_for(apps: list[Application], codes: list[str], state: str = "dispatched") -> list[Filing]:
    departments = {d.code: d for d in Department.objects.filter(code__in=codes)}
    start = timezone.now() - dt.timedelta(days=3)
    return Filing.objects.bulk_create(
        [
            Filing(
                application=a,
                department=departments[code],
                state=state,
                dispatched_at=start + dt.timedelta(minutes=i),
                due_at=start + dt.timedelta(days=1, minutes=i),
            )  # fmt: skip
            for i, a in enumerate(apps)
            for code in codes
        ]
    )


@pytest.fixture
def filings(seeded, applicant):
    """250 filings: 125 applications, each with an NTAX and a PSB filing awaiting a decision."""
    return filings_for(applications(applicant, 125), ["NTAX", "PSB"])


@pytest.fixture
def enterprise(seeded, applicant):
    return Enterprise.objects.create(
        uscc=USCC, name_zh="东莞市华信电子贸易有限公司", name_key="x", entity_type="llc_natural_controlled",
        established_on="2024-05-06", data={"name_zh": "东莞市华信电子贸易有限公司"}, owner=applicant,
    )  # fmt: skip


# --- the filings API --------------------------------------------------------------------------------------------


def test_following_next_links_returns_every_filing_exactly_once(filings, auditor):
    items, responses = walk(Api(auditor).client, "/api/v1/filings")

    ids = [f["id"] for f in items]
    assert sorted(ids) == sorted(f.pk for f in filings) and len(set(ids)) == 250
    assert ids == sorted(ids)  # oldest first, a fixed order
    assert [len(r.json()) for r in responses] == [100, 100, 50]  # default page size 100
    assert {r.headers["X-Total-Count"] for r in responses} == {"250"}
    assert "Link" not in responses[-1].headers


def test_the_item_shape_is_unchanged(filings, auditor):
    item = Api(auditor).get("/filings", page_size=1).json()[0]

    assert set(item) == {
        "id", "department", "state", "application", "enterprise", "round", "attempts", "reference_no", "message",
        "last_error", "dispatched_at", "decided_at", "updated_at",
    }  # fmt: skip


def test_a_filing_added_between_two_pages_is_neither_skipped_nor_repeated(filings, auditor, applicant):
    client = Api(auditor).client
    first = client.get("/api/v1/filings", {"page_size": 100})
    (added,) = filings_for(applications(applicant, 1), ["NTAX"])

    rest, _responses = walk(client, next_url(first))

    ids = [f["id"] for f in first.json() + rest]
    assert len(ids) == len(set(ids)) == 251
    assert ids == sorted(ids) and ids[-1] == added.pk
    assert first.headers["X-Total-Count"] == "250" and _responses[0].headers["X-Total-Count"] == "251"


def test_page_size_is_obeyed_and_the_filters_travel_in_the_next_link(filings, auditor, applicant):
    Filing.objects.filter(pk__in=[f.pk for f in filings[:20]]).update(state="approved")
    client = Api(auditor).client

    items, responses = walk(client, "/api/v1/filings", state="dispatched", department="ntax", page_size=30)

    assert {(f["department"], f["state"]) for f in items} == {("NTAX", "dispatched")}
    assert len(items) == len({f["id"] for f in items}) == 115  # 125 NTAX, 10 of the first 20 filings approved
    assert [len(r.json()) for r in responses] == [30, 30, 30, 25]
    query = parse_qs(urlparse(next_url(responses[0])).query)
    assert (query["state"], query["department"], query["page_size"]) == (["dispatched"], ["ntax"], ["30"])
    assert client.get("/api/v1/filings", {"page_size": 500}).headers.get("Link") is None


@pytest.mark.parametrize("size", ["501", "0", "-1", "x", "", "1.5", "100000000000000000000"])
def test_a_bad_page_size_is_400_naming_it(filings, auditor, size):
    response = Api(auditor).get("/filings", page_size=size)

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"} and list(response.json()["errors"]) == ["page_size"]


@pytest.mark.parametrize(
    "value",
    ["???", "%%%", "not base64!", cursor("p=abc"), cursor("o=-1"), cursor("r=x"), cursor(f"p={10**30}"), "５"],
)
def test_a_malformed_cursor_is_400_naming_it_never_500(filings, auditor, value):
    response = Api(auditor).get("/filings", cursor=value)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_crafted_but_well_formed_cursor_pages_from_that_position(filings, auditor):
    middle = sorted(f.pk for f in filings)[99]

    response = Api(auditor).get("/filings", cursor=cursor(f"p={middle}"), page_size=500)

    assert [f["id"] for f in response.json()] == sorted(f.pk for f in filings)[100:]


def test_updated_since_returns_what_changed_at_or_after_that_time(filings, auditor):
    long_ago = dt.datetime(2026, 1, 1, tzinfo=UTC)
    Filing.objects.update(updated_at=long_ago)
    changed = [f.pk for f in filings[:7]]
    Filing.objects.filter(pk__in=changed).update(updated_at=dt.datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    api = Api(auditor)

    since = api.get("/filings", updated_since="2026-03-01T00:00:00Z")
    naive_beijing = api.get("/filings", updated_since="2026-03-01T08:00:00")  # = 00:00 UTC
    a_second_later = api.get("/filings", updated_since="2026-03-01T08:00:01")
    unencoded_plus = api.client.get("/api/v1/filings?updated_since=2026-03-01T08:00:00+08:00")

    assert sorted(f["id"] for f in since.json()) == changed and since.headers["X-Total-Count"] == "7"
    assert sorted(f["id"] for f in naive_beijing.json()) == changed
    assert a_second_later.json() == [] and a_second_later.headers["X-Total-Count"] == "0"
    assert sorted(f["id"] for f in unencoded_plus.json()) == changed


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01T00:00:00", "2026-03-01T25:00", "", "0001-01-01T00:00:00", "9999-12-31T23:59:59-14:00"],
)
def test_a_malformed_updated_since_is_400_naming_it(filings, auditor, value):
    response = Api(auditor).get("/filings", updated_since=value)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["updated_since"]


def test_unknown_state_or_department_is_400_naming_it(filings, auditor):
    api = Api(auditor)

    assert list(api.get("/filings", state="lost").json()["errors"]) == ["state"]
    assert list(api.get("/filings", department="MARS").json()["errors"]) == ["department"]
    assert api.get("/filings", state="lost").status_code == 400


def test_a_clerk_sees_only_their_department_across_pages(filings, clerk):
    items, responses = walk(Api(clerk).client, "/api/v1/filings", page_size=40)

    assert {f["department"] for f in items} == {"NTAX"}
    assert len(items) == len({f["id"] for f in items}) == 125
    assert responses[0].headers["X-Total-Count"] == "125" and len(responses) == 4
    # A PSB filter is no way round the scope: nothing, not a 404 that would tell the department exists.
    psb = Api(clerk).get("/filings", department="PSB")
    assert psb.status_code == 200 and psb.json() == [] and psb.headers["X-Total-Count"] == "0"


def test_an_applicant_gets_no_filings_and_anonymous_401(filings, applicant):
    response = Api(applicant).get("/filings")

    assert response.status_code == 200 and response.json() == []
    assert response.headers["X-Total-Count"] == "0" and "Link" not in response.headers
    assert Client().get("/api/v1/filings").status_code == 401


# --- the other API lists ----------------------------------------------------------------------------------------


def test_applications_page_through_all_of_the_callers_own(seeded, applicant, outsider):
    mine = applications(applicant, 230)
    applications(outsider, 3)

    items, responses = walk(Api(applicant).client, "/api/v1/applications")

    assert sorted(a["id"] for a in items) == sorted(a.pk for a in mine)
    assert len(responses) == 3 and responses[0].headers["X-Total-Count"] == "230"
    others = Api(outsider).get("/applications")
    assert others.headers["X-Total-Count"] == "3" and not {a["id"] for a in others.json()} & {a.pk for a in mine}


def test_applications_updated_since(seeded, applicant):
    mine = applications(applicant, 5)
    Application.objects.update(updated_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    Application.objects.filter(pk=mine[2].pk).update(updated_at=dt.datetime(2026, 2, 1, tzinfo=UTC))
    api = Api(applicant)

    assert [a["id"] for a in api.get("/applications", updated_since="2026-01-15").json()] == [mine[2].pk]
    assert list(api.get("/applications", updated_since="soon").json()["errors"]) == ["updated_since"]


@pytest.fixture
def todos(enterprise, applicant):
    (application,) = applications(applicant, 1, enterprise=enterprise, kind="change")
    (filing,) = filings_for([application], ["HEALTH"], state="waiting")
    health = Department.objects.get(code="HEALTH")
    return Todo.objects.bulk_create(
        [
            Todo(enterprise=enterprise, application=application, filing=filing, department=health, title=f"事项{i}")
            for i in range(120)
        ]
    )


def test_todos_page_and_filter_by_updated_since(todos, applicant, outsider):
    items, responses = walk(Api(applicant).client, f"/api/v1/enterprises/{USCC}/todos", page_size=50)

    assert [t["id"] for t in items] == [t.pk for t in todos]
    assert len(responses) == 3 and responses[-1].headers["X-Total-Count"] == "120"
    Todo.objects.update(created_at=dt.datetime(2026, 1, 1, tzinfo=UTC), updated_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    Application.objects.update(updated_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    Filing.objects.update(updated_at=dt.datetime(2026, 1, 1, tzinfo=UTC))
    done = dt.datetime(2026, 2, 1, tzinfo=UTC)
    Todo.objects.filter(pk=todos[5].pk).update(status="done", done_at=done, updated_at=done)
    since = Api(applicant).get(f"/enterprises/{USCC}/todos", updated_since="2026-01-15T00:00:00+08:00")
    assert [t["id"] for t in since.json()] == [todos[5].pk] and since.json()[0]["status"] == "done"
    Filing.objects.update(updated_at=dt.datetime(2026, 3, 1, tzinfo=UTC))  # the filing moved: every todo shows it
    assert Api(applicant).get(f"/enterprises/{USCC}/todos", updated_since="2026-02-15").headers["X-Total-Count"] == (
        "120"
    )
    assert Api(outsider).get(f"/enterprises/{USCC}/todos").status_code == 404


@pytest.fixture
def lookups(enterprise):
    bank = Institution.objects.create(name="东莞农村商业银行", kind="bank", key_prefix="k", key_hash="h")
    return AccessLogEntry.objects.bulk_create(
        [AccessLogEntry(institution=bank, uscc=USCC, purpose=f"查询{i:03d}", status=200) for i in range(600)]
    )


def test_the_access_log_api_holds_every_lookup(lookups, applicant, outsider):
    items, responses = walk(Api(applicant).client, f"/api/v1/enterprises/{USCC}/access-log")

    assert [e["purpose"] for e in items] == [f"查询{i:03d}" for i in range(600)]  # the oldest ones too
    assert len(responses) == 6 and responses[0].headers["X-Total-Count"] == "600"
    assert set(items[0]) == {"institution", "kind", "purpose", "at", "status"}
    assert Api(outsider).get(f"/enterprises/{USCC}/access-log").status_code == 404


def test_reference_lists_page_in_their_usual_order(client, seeded):
    departments, pages = walk(client, "/api/v1/departments", page_size=5)
    items, _pages = walk(client, "/api/v1/data-items", page_size=7)
    whole = client.get("/api/v1/data-items")

    assert [d["code"] for d in departments] == list(
        Department.objects.order_by("sort_order").values_list("code", flat=True)
    )
    assert len(pages) == 4 and pages[0].headers["X-Total-Count"] == "16"
    assert items == whole.json() and "Link" not in whole.headers
    assert "uscc" not in {i["key"] for i in items}  # issued by the platform, never typed
    assert client.get("/api/v1/departments", {"page_size": "999"}).status_code == 400


def test_the_schema_describes_paging(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/filings"]["get"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert parameters >= {"cursor", "page_size", "updated_since", "state", "department"}
    ok = operation["responses"]["200"]
    assert set(ok["headers"]) == {"Link", "X-Total-Count"}
    assert ok["content"]["application/json"]["schema"]["type"] == "array"
    for path in ["/api/v1/applications", "/api/v1/enterprises/{uscc}/todos", "/api/v1/enterprises/{uscc}/access-log",
                 "/api/v1/departments", "/api/v1/data-items"]:  # fmt: skip
        assert set(schema["paths"][path]["get"]["responses"]["200"]["headers"]) == {"Link", "X-Total-Count"}, path


# --- pages ------------------------------------------------------------------------------------------------------


def follow_pages(client: Client, url: str, anchor: str = "") -> list[str]:
    """Each page's HTML, following the pager's rel="next" link (of the list at `anchor`) until there is none."""
    pages = [client.get(url)]
    while True:
        assert pages[-1].status_code == 200
        match = re.search(rf'rel="next" href="([^"]+{anchor})"', pages[-1].content.decode())
        if not match:
            return [p.content.decode() for p in pages]
        href = match.group(1).replace("&amp;", "&")
        pages.append(client.get(href if href.startswith("/") else urlparse(url).path + href))


def test_the_queue_pages_through_every_filing_keeping_its_filters(filings, clerk, client):
    client.force_login(clerk)

    pages = follow_pages(client, "/workbench/?state=dispatched&kind=registration")

    shown = [
        int(i) for html in pages for i in re.findall(r'href="/workbench/filings/(\d+)/" class="open-filing"', html)
    ]
    ntax = Filing.objects.filter(department__code="NTAX").order_by("dispatched_at", "id")
    assert shown == [f.pk for f in ntax]  # every one, once, oldest first as before
    assert len(pages) == 3 and "共 125 项" in pages[0] and "第 3 页，共 3 页" in pages[-1]
    assert "state=dispatched&amp;kind=registration&amp;page=2" in pages[0]
    assert 'rel="prev" href="?state=dispatched&amp;kind=registration&amp;page=2"' in pages[-1]


def test_the_queue_total_reads_in_english(filings, clerk, client):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"

    html = client.get("/workbench/").content.decode()

    assert "125 in all" in html and "Page 1 of 3" in html and "Next page" in html


def test_failed_deliveries_page_through_all(seeded, applicant, admin_user, client):
    failed = filings_for(applications(applicant, 70), ["SI"], state="failed")
    client.force_login(admin_user)

    pages = follow_pages(client, "/workbench/failed/")

    shown = {int(i) for html in pages for i in re.findall(r'href="/workbench/filings/(\d+)/"', html)}
    assert shown == {f.pk for f in failed} and len(pages) == 2 and "共 70 项" in pages[0]


def test_my_applications_page_through_all(seeded, applicant, client):
    mine = applications(applicant, 120)
    client.force_login(applicant)

    pages = follow_pages(client, "/applications/")

    shown = [int(i) for html in pages for i in re.findall(r'href="/applications/(\d+)/"', html)]
    assert shown == sorted((a.pk for a in mine), reverse=True)  # newest first, as before
    assert "共 120 项" in pages[0] and len(pages) == 3


def test_the_inbox_pages_and_marks_read_only_what_was_shown(applicant, client):
    Notification.objects.bulk_create([Notification(user=applicant, title=f"消息{i:03d}") for i in range(120)])
    client.force_login(applicant)

    first = client.get("/inbox/").content.decode()

    assert "共 120 项" in first and "消息119" in first and "消息000" not in first
    assert Notification.objects.filter(read_at__isnull=True).count() == 70
    pages = follow_pages(client, "/inbox/")
    assert "消息000" in pages[-1] and not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_access_log_on_the_application_page_reaches_the_oldest_lookup(lookups, enterprise, applicant, client):
    (application,) = applications(applicant, 1, enterprise=enterprise, state="completed")
    client.force_login(applicant)

    pages = follow_pages(client, f"/applications/{application.pk}/")

    assert "共 600 项" in pages[0] and "查询599" in pages[0] and len(pages) == 30
    assert "查询000" in pages[-1]
    assert f'href="/applications/{application.pk}/?log_page=2#access-title"' in pages[0]


def test_the_enterprise_page_pages_its_requests_and_change_log(enterprise, applicant, client):
    changes = applications(applicant, 45, enterprise=enterprise, kind="change")
    EnterpriseChange.objects.bulk_create(
        [EnterpriseChange(enterprise=enterprise, actor=applicant, application=a) for a in changes]
    )
    client.force_login(applicant)

    first = client.get(f"/enterprises/{USCC}/", {"changes_page": "2"}).content.decode()

    assert first.count("共 45 项") == 2
    assert f'href="/enterprises/{USCC}/?changes_page=2&amp;requests_page=2#requests-title"' in first
    requests = follow_pages(client, f"/enterprises/{USCC}/", anchor="#requests-title")
    shown = {int(i) for html in requests for i in re.findall(r'href="/applications/(\d+)/">', html)}
    assert shown == {a.pk for a in changes} and len(requests) == 3


def test_timelines_show_every_event_and_say_how_many(seeded, applicant, auditor, client):
    (application,) = applications(applicant, 1)
    (ntax,) = filings_for([application], ["NTAX"])
    audit_record_many(
        [
            {"action": "filing.note", "obj_type": "filing", "obj_id": ntax.pk, "application_id": application.pk,
             "message": f"第{i:02d}条"}
            for i in range(75)
        ]
    )  # fmt: skip
    client.force_login(applicant)

    page = client.get(f"/applications/{application.pk}/").content.decode()

    assert "共 75 条记录" in page and "第00条" in page and "第74条" in page
    client.force_login(auditor)
    page = client.get(f"/workbench/filings/{ntax.pk}/").content.decode()
    assert "共 75 条记录" in page and "第00条" in page

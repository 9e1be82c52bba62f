"""One calendar (issue 12): every date the portal shows, stores or sends is a Beijing date, so the suite and the
portal behave the same at any hour. Each test runs pinned (time-machine) at instants just before and after
midnight in Beijing (UTC+8) and in UTC."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from portal.calendar import BEIJING, beijing_date, beijing_today
from registration import verification
from registration.models import Application, Enterprise, IssuedDocument, Todo
from tests.workflow import Api, approve_everything, completed_trader

UTC = dt.UTC
# (instant, the Beijing date at that instant): around Beijing midnight (16:00 UTC) and around UTC midnight.
INSTANTS = [
    (dt.datetime(2026, 11, 30, 15, 59, 30, tzinfo=UTC), dt.date(2026, 11, 30)),  # 23:59:30 in Beijing
    (dt.datetime(2026, 11, 30, 16, 0, 30, tzinfo=UTC), dt.date(2026, 12, 1)),  # 00:00:30 in Beijing, UTC still 30th
    (dt.datetime(2026, 11, 30, 23, 59, 30, tzinfo=UTC), dt.date(2026, 12, 1)),  # 07:59:30 in Beijing
    (dt.datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC), dt.date(2026, 12, 1)),  # 08:00:30 in Beijing, UTC 1st
]
AT = pytest.mark.parametrize(("instant", "beijing_day"), INSTANTS, ids=lambda v: v.isoformat()[:19])


@AT
def test_today_is_the_beijing_date(instant, beijing_day):
    with time_machine.travel(instant, tick=False):
        assert beijing_today() == beijing_day
        assert beijing_date(instant) == beijing_day
        assert beijing_date(instant.astimezone(BEIJING)) == beijing_day


@pytest.fixture
def setup(world):
    cache.clear()
    verification._facts_cache.clear()
    return world


@AT
def test_the_licence_due_dates_documents_and_verification_all_use_the_beijing_date(setup, instant, beijing_day):
    api, clerks = setup
    with time_machine.travel(instant, tick=False):
        enterprise = completed_trader(api, clerks)
        change = api.post(f"/enterprises/{enterprise.uscc}/changes", {"data": {"business_scope":
                          enterprise.data["business_scope"] + "；餐饮服务"}})  # fmt: skip
        assert change.status_code == 201, change.json()
        review = change.json()["filings"][0]["id"]
        assert Api(clerks["AIC"]).post(f"/filings/{review}/approve").status_code == 200
        pdf = api.client.get(f"/api/v1/applications/{enterprise.applications.first().pk}/documents/licence.pdf")
        assert pdf.status_code == 200
        facts = verification.verification_facts(enterprise)

    enterprise = Enterprise.objects.get(pk=enterprise.pk)
    assert enterprise.established_on == beijing_day
    todos = list(Todo.objects.filter(enterprise=enterprise))
    assert todos and all(t.due_date is not None for t in todos)
    for todo in todos:
        rule_days = todo.rule.due_days
        assert todo.due_date == beijing_day + dt.timedelta(days=rule_days)
    number = IssuedDocument.objects.get(kind="licence").number
    assert number[4:12] == beijing_day.strftime("%Y%m%d")
    assert {r["date"] for r in facts["registrations"]} == {beijing_day.isoformat()}


@AT
def test_statistics_count_a_registration_on_its_beijing_day(setup, instant, beijing_day):
    from reporting.stats import stats_compute

    api, clerks = setup
    with time_machine.travel(instant, tick=False):
        enterprise = completed_trader(api, clerks)
        figures = stats_compute()

    by_day = {row["date"]: row["n"] for row in figures["registrations_by_day"]}
    assert by_day[beijing_day.isoformat()] == 1
    assert sum(by_day.values()) == 1
    assert Application.objects.get(enterprise=enterprise, kind="new_company").submitted_at is not None


@AT
def test_a_filing_reference_made_by_the_portal_carries_the_beijing_date(setup, instant, beijing_day):
    api, clerks = setup
    with time_machine.travel(instant, tick=False):
        from tests.workflow import submitted_trader

        application_id = submitted_trader(api)
        approve_everything(clerks, application_id)

    from departments.models import Filing

    references = Filing.objects.filter(application_id=application_id).values_list("reference_no", flat=True)
    assert {r.split("-")[1] for r in references} == {beijing_day.strftime("%Y%m%d")}

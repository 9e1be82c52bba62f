"""Proactive service in Chromium: the owner of a licensed trader changes its business scope on the change page,
the AIC clerk approves in the workbench, the home page lists the three new things to do, and the owner gives the
details one department still needs so that its filing goes out. Also a printed-copy request at phone width."""

from __future__ import annotations

import pytest

from registration.models import Application, Todo
from tests.browser.conftest import clerk_decides, log_in, shot
from tests.conftest import PASSWORD
from tests.workflow import RESTAURANT_SCOPE, Api, all_by_clerk_queue, completed_trader, make_clerks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def licensed(seeded, applicant):
    all_by_clerk_queue()
    clerks = make_clerks()
    return applicant, clerks, completed_trader(Api(applicant), clerks)


def choose(page, name: str, value: str) -> None:
    field = page.locator(f"[name={name}]").first
    if field.evaluate("e => e.tagName") == "SELECT":
        page.select_option(f"select[name={name}]", value)
    else:
        page.check(f"input[name={name}][value={value}]")


def test_change_of_scope_gives_todos_that_the_owner_completes(page, browser, licensed):
    owner, clerks, enterprise = licensed
    log_in(page, owner.username, PASSWORD)
    page.goto(page.base + "/")
    page.click(f"text={enterprise.name_zh}")
    page.locator("#no-todos").wait_for()
    page.click("#start-change")
    page.fill("[name=business_scope]", RESTAURANT_SCOPE)
    shot(page, "change-01-form")
    page.click("#submit-change")
    page.locator("#change-table").wait_for()
    assert "酒店住宿" in page.inner_text("#change-table")
    assert "市场监管" in page.inner_text("#application-state")  # with market supervision for review
    shot(page, "change-02-submitted")

    assert clerk_decides(browser, page.base, clerks["AIC"])  # the change review is the only filing in AIC's queue
    page.goto(page.base + "/")
    todos = page.locator(".todo-summary li")
    todos.first.wait_for()
    assert sorted(todos.evaluate_all("items => items.map(i => i.dataset.department)")) == ["EPB", "FIRE", "HEALTH"]
    shot(page, "change-03-home-todos")

    page.goto(page.base + f"/enterprises/{enterprise.uscc}/")
    health = page.locator(".todo[data-department=HEALTH]")
    assert Todo.objects.get(department__code="HEALTH").title in health.inner_text()
    shot(page, "change-04-enterprise-todos")
    choose(page, "venue_kind", "hotel")
    choose(page, "premises_nature", "leased")
    page.check("input[name=pollution_processes][value=injection_molding]")
    page.click("#send-details")
    page.locator(".todo[data-department=HEALTH] .state").wait_for()
    assert {t.filing.state for t in Todo.objects.all()} == {"dispatched"}
    shot(page, "change-05-details-sent")


def test_printed_copy_request_on_a_phone(page, licensed):
    owner, _clerks, enterprise = licensed
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, owner.username, PASSWORD)
    page.goto(page.base + f"/enterprises/{enterprise.uscc}/#archive-copy")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.select_option("#copy-department", "STATS")
    page.check("input[name=delivery][value=post]")
    page.click("#request-copy")
    page.locator("#copy-address").wait_for()  # no address: the form comes back with the error, nothing sent
    assert not Application.objects.filter(kind="archive_copy").exists()
    page.fill("#copy-address", "东莞市南城街道鸿福路106号")
    page.click("#request-copy")
    page.locator("#progress").wait_for()
    assert "STATS" in page.inner_text("#progress")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "copy-01-request-phone")

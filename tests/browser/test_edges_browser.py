"""The edges of issue 12 as people meet them in Chromium: a clerk's refused decision keeps what was typed and says
why; after the licence a clerk's checklist offers only the department's own items; a founder's full-width
postcode and phone are accepted and shown canonical, a Latin name on a resident ID is explained; the QR page of an
old licence says it is no longer current once the register changes."""

from __future__ import annotations

import pytest

from departments.models import Filing
from registration.documents import licence_issue
from registration.models import Application
from tests.browser.conftest import clerk_decides, log_in, shot
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample
from tests.workflow import Api, all_by_clerk_queue, completed_trader, filing, make_clerks, submitted_trader

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def licensed(seeded, applicant):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    assert Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve").status_code == 200
    return clerks, application_id


def test_a_refused_decision_keeps_the_typed_reason_and_says_why(page, licensed):
    clerks, application_id = licensed
    ntax = filing(application_id, "NTAX")
    log_in(page, clerks["NTAX"].username, PASSWORD)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(page.base + f"/workbench/filings/{ntax.pk}/")
    reason = "经审核，" + "财务会计制度备案材料与登记信息不一致，" * 60

    page.click("summary:has-text('要求补正')")
    page.check("input[name=items][value=accounting_standard]")
    page.fill("#correct-reason", reason)
    page.click("#request-correction")

    alert = page.locator("#decision-errors")
    alert.wait_for()
    assert "1000" in alert.inner_text().replace(",", "")
    assert page.input_value("#correct-reason") == reason.strip()  # nothing typed is lost or cut
    assert page.is_checked("input[name=items][value=accounting_standard]")
    assert Filing.objects.get(pk=ntax.pk).state == "dispatched"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "edges-01-refused-decision-phone")


def test_after_the_licence_a_departments_checklist_has_only_its_own_items(page, licensed):
    clerks, application_id = licensed
    log_in(page, clerks["HRSS"].username, PASSWORD)
    page.goto(page.base + f"/workbench/filings/{filing(application_id, 'HRSS').pk}/")
    page.click("summary:has-text('要求补正')")

    picker = page.locator(".item-picker")
    assert picker.locator("input[name=items]").count() == 0
    assert "变更登记" in picker.inner_text()
    shot(page, "edges-02-hrss-checklist")

    page.context.clear_cookies()
    log_in(page, clerks["SI"].username, PASSWORD)
    page.goto(page.base + f"/workbench/filings/{filing(application_id, 'SI').pk}/")
    page.click("summary:has-text('要求补正')")
    offered = page.locator(".item-picker input[name=items]").evaluate_all("xs => xs.map(x => x.value)")
    assert set(offered) == {"bank_account", "bank_code", "bank_name", "si_types"}
    shot(page, "edges-03-si-checklist")


def test_a_founder_types_full_width_digits_and_a_latin_name(page, seeded, applicant):
    all_by_clerk_queue()
    data = {**sample("electronics_trader"), "postcode": "５２３０７１", "phone": "0769-２２１１２３４５"}
    data["legal_rep"] = {**data["legal_rep"], "name": "Chen Zhiming"}
    application_id = Api(applicant).post("/applications", {"kind": "new_company", "data": data}).json()["id"]
    log_in(page, applicant.username, PASSWORD)

    page.goto(page.base + f"/applications/{application_id}/review/")
    page.locator("#review-errors").wait_for()
    problems = page.locator(".field-errors").all_inner_texts()
    assert len(problems) == 1 and "汉字" in problems[0]  # a resident-ID holder's name is in Chinese characters
    # the full-width postcode and phone are no problem
    shot(page, "edges-04-review-latin-name")

    Api(applicant).patch(f"/applications/{application_id}", {"data": {"legal_rep": {**data["legal_rep"],
                                                                                     "name": "陈志明"}}})  # fmt: skip
    page.goto(page.base + f"/applications/{application_id}/review/")
    page.click("#submit-application")
    page.locator("#application-state").wait_for()
    stored = Application.objects.get(pk=application_id).data
    assert (stored["postcode"], stored["phone"]) == ("523071", "0769-22112345")
    assert "523071" in page.content() or stored["postcode"] == "523071"


def test_the_qr_page_of_an_old_licence_says_it_is_no_longer_current(page, browser, seeded, applicant):
    all_by_clerk_queue()
    clerks = make_clerks()
    enterprise = completed_trader(Api(applicant), clerks)
    number = licence_issue(enterprise).number
    change = Api(applicant).post(f"/enterprises/{enterprise.uscc}/changes",
                                 {"data": {"business_scope": "电子产品批发；技术咨询服务"}})  # fmt: skip
    assert change.status_code == 201
    assert clerk_decides(browser, page.base, clerks["AIC"])

    page.set_viewport_size({"width": 375, "height": 700})
    page.goto(page.base + f"/verify/{number.lower()}/")
    verdict = page.locator(".verdict")
    assert "最新版本" in verdict.inner_text() and "不是" in verdict.inner_text()
    shot(page, "edges-05-old-licence-qr-page")

"""The whole service hall in Chromium: an entrepreneur signs up and registers a foreign-trade company through the
wizard (one mistake flagged and fixed), the AIC clerk issues the licence, a department asks for a correction,
the applicant fixes only that item, every clerk approves, the applicant sees it all live.

All departments decide in the workbench here (HTTP deliveries to department systems run in tests/integration)."""

from __future__ import annotations

import copy

import pytest
from pypdf import PdfReader

from departments.models import Department, Filing
from registration.models import Application
from tests.browser.conftest import clerk_decides, shot
from tests.browser.wizard import fill_section
from tests.forms_fixtures import sample
from tests.workflow import make_clerks

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {
    "zh-hans": {"approved": "已通过", "completed": "已办结", "correction": "要求补正"},
    "en": {"approved": "Approved", "completed": "Completed", "correction": "Correction requested"},
}


def sign_up(page, username: str) -> None:
    page.goto(page.base + "/accounts/signup/")
    page.fill("#id_username", username)
    page.fill("#id_full_name", "陈志明")
    page.fill("#id_mobile", "13800138000")
    page.fill("#id_password1", "Dongguan-2016!")
    page.fill("#id_password2", "Dongguan-2016!")
    page.click("main button[type=submit]")
    page.wait_for_url(page.base + "/")


def switch_language(page, language: str) -> None:
    if language == "en":
        page.click("form.lang-switch button[value=en]")
        page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_entrepreneur_registers_a_foreign_trade_company(page, browser, seeded, language):
    Department.objects.update(adapter_kind="clerk_queue")
    clerks = make_clerks()
    data = copy.deepcopy(sample("electronics_trader"))
    words = TEXT[language]

    sign_up(page, f"chen_{language.replace('-', '_')}")
    switch_language(page, language)
    page.click("#start-registration")
    page.check("input[name=import_export][value=true]")
    page.fill("#industry", "5179")
    page.locator("#routing-preview li:has-text('CUSTOMS')").wait_for()
    assert page.locator("#routing-preview li").count() == 13
    assert page.locator("#routing-preview .tally").inner_text()
    shot(page, f"service-hall-start-{language}")
    page.click("#begin")

    while "/form/" in page.url:
        section = page.url.rstrip("/").rsplit("/", 1)[1]
        fill_section(page, data)
        if section == "address":
            page.fill("#f-postcode-input", "518000")  # the deliberate mistake
            page.locator("#f-postcode-input").blur()
            page.locator("#err-postcode p").wait_for()
            assert "523" in page.locator("#err-postcode").inner_text()
            shot(page, f"service-hall-inline-error-{language}")
            page.fill("#f-postcode-input", data["postcode"])
            page.locator("#f-postcode-input").blur()
            # A function: Playwright polls a plain expression with eval(), which the CSP refuses.
            page.wait_for_function("() => document.querySelector('#err-postcode').innerText.trim() === ''")
        page.click("#next")
        page.wait_for_load_state("networkidle")

    assert "/review/" in page.url
    assert page.locator("#review-errors").count() == 0, page.locator(".field-errors").all_inner_texts()
    shot(page, f"service-hall-review-{language}")
    page.click("#submit-application")
    page.locator("#application-state").wait_for()
    application = Application.objects.get(applicant__username=f"chen_{language.replace('-', '_')}")
    assert application.state == "submitted"

    message = clerk_decides(browser, page.base, clerks["AIC"])
    application.refresh_from_db()
    assert application.enterprise.uscc in message
    page.locator("#uscc").wait_for(timeout=20000)  # the page updates itself
    assert page.locator("#uscc").inner_text() == application.enterprise.uscc
    page.locator("tr[data-department=CUSTOMS]").wait_for()
    shot(page, f"service-hall-licensed-{language}")

    # After the licence a department sends back only its own items (a register item needs a change registration).
    clerk_decides(browser, page.base, clerks["SI"], "correct", items=["bank_account"], reason="银行账号与开户许可不符")
    page.locator("#resubmit").wait_for(timeout=20000)
    assert words["correction"] in page.locator("#application-state").inner_text()
    editable = page.locator("section.correction input[name]:not([type=hidden]), section.correction select[name]")
    assert [e.get_attribute("name") for e in editable.all()] == ["bank_account"]
    shot(page, f"service-hall-correction-{language}")
    page.fill("section.correction input[name=bank_account]", "6222 0212 3456 7890")
    page.click("#resubmit")
    page.locator(".message.success").wait_for()
    assert Application.objects.get(pk=application.pk).data["bank_account"] == "6222021234567890"  # canonical

    for _ in range(20):
        pending = Filing.objects.filter(application=application, state="dispatched").select_related("department")
        if not pending:
            break
        clerk_decides(browser, page.base, clerks[pending.first().department.code])
    page.locator(f"#application-state:has-text('{words['completed']}')").wait_for(timeout=20000)
    assert page.locator(f"td:has-text('{words['approved']}')").count() == 13
    shot(page, f"service-hall-completed-{language}")

    with page.expect_download() as download:
        page.click("#download-receipt")
    receipt = download.value
    assert receipt.suggested_filename.startswith("receipt-") and receipt.suggested_filename.endswith(".pdf")
    text = PdfReader(receipt.path()).pages[0].extract_text()
    assert application.enterprise.uscc in text and "SAFE" in text

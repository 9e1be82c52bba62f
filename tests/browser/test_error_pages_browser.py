"""The portal's error pages in Chromium (issue 16): a phone, both languages, a way back, no accessibility faults."""

import pytest

from tests.browser.conftest import critical_violations, log_in, shot
from tests.conftest import PASSWORD


@pytest.mark.parametrize("language, heading", [("zh-hans", "找不到页面"), ("en", "Page not found")])
def test_a_missing_page_says_so_and_leads_back(page, language, heading, db):
    page.set_viewport_size({"width": 375, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    response = page.goto(page.base + "/no-such-page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == heading
    assert critical_violations(page) == []
    shot(page, f"error-404-{language}")
    page.click("main a.button:not(.secondary)")
    page.wait_for_url(page.base + "/")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_page_of_another_role_names_the_account(page, applicant, language):
    page.set_viewport_size({"width": 375, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    log_in(page, applicant.username, PASSWORD)
    response = page.goto(page.base + "/dashboard/")
    assert response.status == 403
    assert applicant.full_name in page.locator("main").inner_text()
    assert critical_violations(page) == []
    shot(page, f"error-403-{language}")

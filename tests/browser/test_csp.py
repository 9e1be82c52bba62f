"""The Content-Security-Policy in Chromium: the portal's pages, htmx included, run without the browser refusing
anything (no inline script, inline style or eval), and the workbench's department filter still sends itself."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.conftest import log_in, shot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

# Reported by Playwright's own script, which the page's policy does not govern.
LISTEN = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__refused.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, and what Chromium said about it: console messages, uncaught errors, policy violations."""
    said: list[str] = []
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: said.append(f"pageerror: {error}"))
    page.add_init_script(LISTEN)
    return page, said


def assert_nothing_refused(page, said: list[str]) -> None:
    refused = page.evaluate("window.__refused")
    policy_messages = [m for m in said if "Content Security Policy" in m or "Permissions-Policy" in m]
    assert not refused and not policy_messages, (refused, said)
    assert not [m for m in said if m.startswith("pageerror")], said
    # htmx was told not to inject its indicator <style>; the only styles are the portal's own file.
    assert page.evaluate("document.querySelectorAll('style').length") == 0


def as_signed_in(page, user) -> None:
    """Give the browser a finished sign-in (for staff with the second factor, see tests/conftest.py)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": page.base}])


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/start/", "/admin/login/", "/verify/YWTL2026/"])
def test_public_pages_run_under_the_policy(watched, seeded, path):
    page, said = watched

    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")

    assert_nothing_refused(page, said)


def test_htmx_updates_the_start_page_under_the_policy(watched, seeded):
    page, said = watched
    page.goto(page.base + "/start/")
    page.wait_for_function("() => window.htmx !== undefined")

    page.check("input[name=import_export][value=true]")
    page.fill("#industry", "5179")
    page.locator("#routing-preview li:has-text('CUSTOMS')").wait_for()

    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("htmx.config.allowEval") is False
    assert_nothing_refused(page, said)
    shot(page, "csp-start-preview")


def test_the_cloud_form_saves_as_it_is_typed_under_the_policy(watched, seeded, applicant):
    page, said = watched
    log_in(page, applicant.username, PASSWORD)
    page.goto(page.base + "/start/")
    page.click("#begin")
    page.wait_for_url(lambda url: "/form/" in url)
    said.clear()  # what the pages before said is checked by the other tests

    field = page.locator("form.wizard input[type=text]").first
    with page.expect_response(lambda r: "/form/" in r.url and r.request.method == "POST"):
        field.fill("东莞市测试贸易有限公司")
        field.blur()

    assert_nothing_refused(page, said)


def test_the_workbench_department_filter_sends_itself(watched, admin_user, seeded):
    page, said = watched
    as_signed_in(page, admin_user)
    page.goto(page.base + "/workbench/")

    with page.expect_navigation():
        page.select_option("#dep", "NTAX")

    assert "department=NTAX" in page.url
    assert page.input_value("#dep") == "NTAX"
    assert_nothing_refused(page, said)
    shot(page, "csp-workbench-filter")


def test_the_administration_runs_under_the_policy(watched, admin_user):
    page, said = watched
    as_signed_in(page, admin_user)

    for path in ("/admin/", "/admin/portal/user/", "/admin/portal/user/add/"):
        page.goto(page.base + path)
        page.wait_for_load_state("networkidle")
        assert_nothing_refused(page, said)

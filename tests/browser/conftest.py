"""Playwright driving Debian's Chromium against a live test server. Screenshots of failing tests are kept in
test-artifacts/ for a person to look at."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from portal.models import User
from tests.conftest import PASSWORD, second_factor_code

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]  # fmt: skip


@pytest.fixture(scope="package", autouse=True)
def browser():
    """One Chromium for the browser tests. Playwright's sync API keeps an event loop in this thread while it runs;
    the Django calls the tests and their database fixtures make around it are ordinary synchronous ones, so
    Django's async guard is lifted for exactly that time (package scope: until the last browser test's teardown)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "page" in item.funcargs:
        ARTIFACTS.mkdir(exist_ok=True)
        item.funcargs["page"].screenshot(path=str(ARTIFACTS / f"{item.name}.png"), full_page=True)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    page.base = live_server.url
    yield page
    context.close()


def log_in(page, username: str, password: str) -> None:
    """Sign in with the password form; staff then give their second factor as a person with an enrolled
    authenticator would (a recovery code here: a TOTP code cannot be used twice in its 30 seconds, and tests sign
    the same clerk in more often than that). Enrolment itself is driven in test_sign_in_browser."""
    recovery = second_factor_code(User.objects.get(username=username))
    page.goto(page.base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main form:has(#id_password) button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if recovery is not None:
        page.wait_for_url(lambda url: "/accounts/second-factor/" in url)
        page.fill("#id_code", recovery)
        page.click("main form:has(#id_code) button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/second-factor/" not in url)


def shot(page, name: str, full_page: bool = True) -> None:
    """Keep a screenshot of a step (looked at by people, not asserted on)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


def critical_violations(page) -> list[str]:
    # Evaluated through the DevTools protocol: a <script> tag with axe inline would be refused by the CSP.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}× e.g. {v['nodes'][0]['target']})"
        for v in result["violations"]
        if v["impact"] == "critical"
    ]


def clerk_decides(browser, base: str, clerk, action: str = "approve", items=(), reason: str = "") -> str:
    """The clerk opens the first filing of their queue in a browser of their own and decides it; the message."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.base = base
    log_in(page, clerk.username, PASSWORD)
    page.goto(base + "/workbench/")
    page.locator("a.open-filing").first.click()
    page.locator("#filing-state").wait_for()
    if action == "approve":
        page.click("#approve")
        page.click("#confirm")  # the confirmation says what approving does
    else:
        page.click("summary:has-text('补正'), summary:has-text('correction')")
        for item in items:
            page.check(f"input[name=items][value={item}]")
        page.fill("#correct-reason", reason)
        page.click("#request-correction")
    page.locator(".message.success").wait_for()
    message = page.locator(".message.success").inner_text()
    context.close()
    return message

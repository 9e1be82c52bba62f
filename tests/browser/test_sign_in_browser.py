"""Signing in as people do (issue 14): a founder through the sandbox identity platform, at 1280 px and 375 px,
in Chinese and English; a clerk enrolling an authenticator app and keeping the recovery codes."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.management.commands.totp_code import current_code
from portal.models import User
from portal.sandbox_idp import DEMO_PEOPLE
from tests.browser.conftest import critical_violations, shot
from tests.conftest import PASSWORD


@pytest.mark.parametrize(
    "language, width, person",
    [("zh-hans", 1280, "chen-zhiming"), ("en", 375, "li-xiuying"), ("zh-hans", 375, "huang-weiqiang")],
)
def test_a_founder_signs_in_through_the_identity_platform(page, language, width, person, transactional_db):
    page.set_viewport_size({"width": width, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    page.goto(page.base + "/accounts/login/?next=/inbox/")
    shot(page, f"sign-in-{language}-{width}")
    page.click("a[href^='/oidc/authenticate/']")
    page.wait_for_url(lambda url: "/sandbox/idp/authorize" in url)
    assert critical_violations(page) == []
    page.check(f"input[name=person][value={person}]")
    shot(page, f"sign-in-idp-{language}-{width}")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/inbox/"))
    name, number = DEMO_PEOPLE[person]
    assert name in page.inner_text("header")
    user = User.objects.get(verified_id_number=number)
    assert (user.verified_name, user.is_applicant) == (name, True)
    shot(page, f"sign-in-done-{language}-{width}")


@pytest.mark.parametrize("language, width", [("zh-hans", 1280), ("en", 375)])
def test_a_clerk_enrols_an_authenticator_app(page, clerk, language, width, transactional_db):
    page.set_viewport_size({"width": width, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    page.goto(page.base + "/accounts/login/?next=/workbench/")
    page.fill("#id_username", clerk.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form:has(#id_password) button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/second-factor/" in url)
    assert page.locator(".qr svg").is_visible()
    assert critical_violations(page) == []
    shot(page, f"second-factor-enrol-{language}-{width}")
    page.fill("#id_code", current_code(TOTPDevice.objects.get(user=clerk, confirmed=False)))
    page.click("main form:has(#id_code) button[type=submit]")
    codes = page.locator(".recovery-codes li")
    assert codes.count() == 10
    shot(page, f"second-factor-codes-{language}-{width}")
    page.click("main a.button")
    page.wait_for_url(lambda url: url.endswith("/workbench/"))
    assert page.locator("h1").count() == 1

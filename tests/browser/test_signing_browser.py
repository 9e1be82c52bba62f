"""Signing with the CA sandbox's signing app in Chromium (issue 17): the review page says which certificate all
the departments accept, each signer opens the signing app, a refused certificate says why, a good one signs;
desktop and 375 px, Chinese and English."""

import pytest

from departments.ca_sandbox import sandbox_demo_certificates_ensure
from departments.trust import trust_list_sandbox_ensure
from registration.models import ApplicationSignature
from registration.services import application_create
from tests.browser.conftest import critical_violations, log_in, shot
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample

pytestmark = pytest.mark.django_db(transaction=True)

CHEN = ("陈志明", "441900199005151231")
LI = ("李晓燕", "441900200101012464")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", [375, 1280])
def test_the_founders_sign_in_the_sandbox_signing_app(page, seeded, applicant, language, width, settings):
    settings.SIGNATURES_REQUIRED = True  # as in `make run` and production
    trust_list_sandbox_ensure()
    sandbox_demo_certificates_ensure([CHEN, LI])
    draft = application_create(applicant=applicant, kind="new_company", data=sample("electronics_trader"))
    page.set_viewport_size({"width": width, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/start/?import_export=true&industry_code=5179")
    assert "13" in page.locator("#start-certificates").inner_text()  # told before anything is typed

    page.goto(f"{page.base}/applications/{draft.pk}/review/")
    page.click("#submit-application")  # too early: nobody has signed
    assert page.locator("#review-errors .problem-list li").count() == 2
    advice = page.locator("#certificate-advice").inner_text()
    assert "GDCA" in advice and "13" in advice
    shot(page, f"signing-review-{language}-{width}")
    page.locator("li[data-signer=legal_rep] a").click()
    page.locator("#sign").wait_for()
    assert critical_violations(page) == []
    page.check("input[name=certificate][data-ca=ROGUE]")
    page.click("#sign")
    error = page.locator("#signing-error").inner_text()
    assert ("不被本申请认可" in error) if language == "zh-hans" else ("not accepted" in error)
    shot(page, f"signing-app-refused-{language}-{width}")
    page.check("input[name=certificate][data-ca=GDCA] >> nth=0")
    page.click("#sign")
    page.wait_for_url(lambda url: "/review/" in url)
    page.locator("li[data-signer='investors.1'] a").click()
    page.locator("#sign").wait_for()
    page.click("#sign")
    page.wait_for_url(lambda url: "/review/" in url)

    assert page.locator("#signing .state-approved").count() == 2
    assert sorted(ApplicationSignature.objects.values_list("signer", flat=True)) == ["investors.1", "legal_rep"]
    page.locator("#signing").scroll_into_view_if_needed()
    shot(page, f"signing-review-signed-{language}-{width}", full_page=False)
    page.click("#submit-application")
    page.locator("#application-state").wait_for()
    draft.refresh_from_db()
    assert draft.state == "submitted" and draft.submitted_signatures().count() == 2


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_change_is_signed_in_the_signing_app_before_it_is_submitted_on_a_phone(page, seeded, applicant, language,
                                                                                 settings):  # fmt: skip
    from tests.workflow import Api, all_by_clerk_queue, completed_trader, make_clerks

    all_by_clerk_queue()
    enterprise = completed_trader(Api(applicant), make_clerks())  # registered while signatures were off
    settings.SIGNATURES_REQUIRED = True
    trust_list_sandbox_ensure()
    sandbox_demo_certificates_ensure([CHEN, LI])
    page.set_viewport_size({"width": 375, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/enterprises/{enterprise.uscc}/change/")
    page.fill("[name=phone]", "0769-22998877")
    page.click("#submit-change")
    page.locator("#change-draft-note").wait_for()
    assert page.locator("#signing li[data-signer]").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, f"signing-change-draft-{language}")
    for signer in ("legal_rep", "investors.1"):
        page.locator(f"li[data-signer='{signer}'] a").click()
        page.locator("#sign").wait_for()
        page.check("input[name=certificate][data-ca=GDCA] >> nth=0")
        page.click("#sign")
        page.wait_for_url(lambda url: url.endswith("#signing"))
    assert page.locator("#signing .state-approved").count() == 2
    page.click("#submit-change-draft")
    page.locator("#application-state").wait_for()
    shot(page, f"signing-change-submitted-{language}")
    enterprise.refresh_from_db()
    assert enterprise.data["phone"] == "0769-22998877"
    assert enterprise.applications.get(kind="change").submitted_signatures().count() == 2

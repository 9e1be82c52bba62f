"""Every page a person uses passes axe-core (vendored, tests/browser/vendor) with no critical violation, in
Chinese and English, and holds its layout at 375 px (no sideways scrolling)."""

from __future__ import annotations

import pytest

from departments.models import Department, Filing
from registration.models import Application
from registration.services import application_create
from tests.browser.conftest import critical_violations, log_in, shot
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample
from tests.workflow import RESTAURANT_SCOPE, Api, deliver_all, filing, make_clerks, submitted_trader

pytestmark = pytest.mark.django_db(transaction=True)


def check(page, path: str, name: str) -> None:
    page.goto(page.base + path)
    page.wait_for_load_state("networkidle")
    assert critical_violations(page) == [], path
    page.set_viewport_size({"width": 375, "height": 800})
    page.wait_for_timeout(100)
    width = page.evaluate("document.documentElement.scrollWidth")
    shot(page, f"a11y-{name}-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 375, f"{path} scrolls sideways at 375 px ({width} px wide)"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_are_accessible_and_fit_a_phone(page, seeded, applicant, admin_user, language):
    Department.objects.update(adapter_kind="clerk_queue")
    clerks = make_clerks()
    draft = application_create(applicant=applicant, kind="new_company", data=sample("restaurant_hotel"))
    application_id = submitted_trader(Api(applicant))
    deliver_all()
    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])

    for path, name in [
        ("/", "home"),
        ("/start/", "start"),
        ("/accounts/login/", "login"),
        ("/accounts/signup/", "signup"),
    ]:
        check(page, path, f"{name}-{language}")

    log_in(page, applicant.username, PASSWORD)
    check(page, f"/applications/{draft.pk}/form/entity/", f"wizard-{language}")
    check(page, f"/applications/{draft.pk}/form/people/", f"wizard-people-{language}")
    check(page, f"/applications/{draft.pk}/review/", f"review-{language}")
    check(page, f"/applications/{application_id}/", f"detail-{language}")
    check(page, "/applications/", f"list-{language}")
    check(page, "/inbox/", f"inbox-{language}")
    uscc = Application.objects.get(pk=application_id).enterprise.uscc
    check(page, f"/enterprises/{uscc}/change/", f"enterprise-change-{language}")
    change_id = Api(applicant).post(f"/enterprises/{uscc}/changes", {"data": {"business_scope": RESTAURANT_SCOPE}})
    review = Filing.objects.get(application_id=change_id.json()["id"])
    Api(clerks["AIC"]).post(f"/filings/{review.pk}/approve")
    check(page, "/", f"home-todos-{language}")
    check(page, f"/enterprises/{uscc}/", f"enterprise-{language}")
    check(page, f"/applications/{review.application_id}/", f"change-detail-{language}")

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    log_in(page, clerks["NTAX"].username, PASSWORD)
    check(page, "/workbench/", f"workbench-{language}")
    check(page, f"/workbench/filings/{filing(application_id, 'NTAX').pk}/", f"filing-{language}")
    update = Filing.objects.get(application_id=review.application_id, department__code="NTAX")
    check(page, f"/workbench/filings/{update.pk}/", f"filing-update-{language}")

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    log_in(page, admin_user.username, PASSWORD)
    check(page, "/workbench/failed/", f"failed-{language}")
    check(page, "/manage/forms/", f"forms-{language}")

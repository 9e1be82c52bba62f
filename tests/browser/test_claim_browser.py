"""An enterprise licensed before the portal (issue 15): applicant2 (李娜, real-name verified) finds it in the
register loaded from market supervision, claims it, and files with its departments — at 375 px, in Chinese and
English. A stranger's claim is refused and shows on the enterprise's page."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from departments.models import Department, Filing
from portal.models import User
from portal.sandbox_idp import DEMO_PEOPLE
from registration.demo_register import demo_register_rows
from registration.models import Application
from tests.browser.conftest import clerk_decides, log_in, shot
from tests.browser.wizard import fill_section
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample
from tests.workflow import make_clerks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_applicant2_claims_her_enterprise_and_files_with_its_departments(page, browser, seeded, language, tmp_path):
    Department.objects.update(adapter_kind="clerk_queue")
    clerks = make_clerks()
    rows = list(demo_register_rows(count=3))
    path = tmp_path / "register.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    call_command("import_register", str(path), quiet=True)
    uscc = rows[0]["uscc"]
    name, number = DEMO_PEOPLE["li-na"]
    User.objects.create_user(username="applicant2", password=PASSWORD, role="applicant", full_name=name,
                             verified_name=name, verified_id_number=number, identity_subject="sbx-li-na")  # fmt: skip
    stranger = User.objects.create_user(username="stranger", password=PASSWORD, role="applicant", full_name="王强")

    page.set_viewport_size({"width": 375, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    # A stranger tries first, typing the legal representative's number.
    log_in(page, stranger.username, PASSWORD)
    page.goto(page.base + "/start/")
    page.check("input[name=kind][value=existing_company]")
    page.fill("#uscc", uscc.lower())
    page.fill("#id_number", "110101199003070019")
    page.click("#begin")
    page.locator("#err-id_number p").wait_for()
    shot(page, f"claim-refused-{language}")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])

    log_in(page, "applicant2", PASSWORD)
    page.goto(page.base + "/start/")
    page.check("input[name=kind][value=existing_company]")
    assert number[-4:] in page.locator("#acting-as").inner_text()
    page.fill("#uscc", uscc)
    shot(page, f"claim-start-{language}")
    page.click("#begin")
    data = {**rows[0], **{k: v for k, v in sample("electronics_trader").items() if k not in rows[0]}}
    while "/form/" in page.url:
        fill_section(page, data)
        page.click("#next")
        page.wait_for_load_state("networkidle")
    assert "/review/" in page.url
    assert page.locator("#review-errors").count() == 0, page.locator(".field-errors").all_inner_texts()
    shot(page, f"claim-review-{language}")
    page.click("#submit-application")
    page.locator("#application-state").wait_for()
    application = Application.objects.get(applicant__username="applicant2", kind="existing_company")
    assert application.enterprise.uscc == uscc and "AIC" not in application.routed
    for _ in range(20):
        pending = Filing.objects.filter(application=application, state="dispatched").select_related("department")
        if not pending:
            break
        clerk_decides(browser, page.base, clerks[pending.first().department.code])
    application.refresh_from_db()
    assert application.state == "completed"
    page.goto(page.base + f"/enterprises/{uscc}/")
    assert "王强" in page.locator("#claims-refused").inner_text()
    shot(page, f"claim-enterprise-{language}")

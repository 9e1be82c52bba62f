"""The service hall guides, in Chromium (issue 16): problems listed and linked, steps marked, the name checked as
typed, live error marks, counters, answers kept through sign-in, and every irreversible action asked first.
Chinese and English; phone width where a founder is likely on a phone."""

import re

import pytest

from departments.models import Filing
from registration.models import Application
from registration.services import application_create
from tests.browser.conftest import critical_violations, log_in, shot
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample
from tests.workflow import Api, all_by_clerk_queue, filing, make_clerks, submitted_trader

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["zh-hans", "en"]


def _language(page, language: str, width: int = 375) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])


def _draft_with_problems(applicant) -> Application:
    data = sample("electronics_trader")
    data["postcode"] = "52307"
    data["legal_rep"] = {**data["legal_rep"], "id_number": "441900199005151232"}
    return application_create(applicant=applicant, kind="new_company", data=data)


@pytest.mark.parametrize("language", LANGUAGES)
def test_review_lists_the_problems_and_each_link_leads_to_its_field(page, seeded, applicant, language):
    draft = _draft_with_problems(applicant)
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)

    page.goto(f"{page.base}/applications/{draft.pk}/review/")

    links = page.locator("#review-errors .problem-list a")
    assert links.count() == 2
    assert page.locator(".steps li.has-problems").count() == 2
    assert critical_violations(page) == []
    shot(page, f"guidance-review-problems-{language}", full_page=False)
    links.first.click()
    page.wait_for_url(lambda url: "/form/" in url)
    assert page.locator(".steps li.current.has-problems").count() == 1
    assert page.locator(".field.has-error").count() >= 1
    shot(page, f"guidance-step-marked-{language}", full_page=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_name_is_checked_while_typing_and_errors_mark_the_field_at_once(
    page, seeded, applicant, outsider, language
):
    taken = application_create(applicant=outsider, kind="new_company", data=sample("electronics_trader"))
    assert Api(outsider).post(f"/applications/{taken.pk}/submit").status_code == 200
    draft = application_create(applicant=applicant, kind="new_company", data={"entity_type": "llc_natural_controlled"})
    _language(page, language, width=1280)
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/applications/{draft.pk}/form/entity/")

    page.fill("#f-name_zh-input", sample("electronics_trader")["name_zh"])
    page.locator("#name-check p.bad").wait_for()
    refused = page.locator("#name-check").inner_text()
    shot(page, f"guidance-name-taken-{language}", full_page=False)
    page.fill("#f-name_zh-input", "东莞市青松木业贸易有限公司")
    page.locator("#name-check p.ok").wait_for()

    assert ("正在办理" in refused) if language == "zh-hans" else ("being processed" in refused)
    shot(page, f"guidance-name-free-{language}", full_page=False)
    page.goto(f"{page.base}/applications/{draft.pk}/form/address/")
    page.fill("#f-postcode-input", "5230")
    page.locator("#f-phone-input").focus()  # leaving the field saves it
    page.locator("#f-postcode.has-error").wait_for()
    assert page.locator("#f-postcode-input").get_attribute("aria-invalid") == "true"
    page.locator(".steps li.current.has-problems").wait_for()
    page.fill("#f-postcode-input", "523071")
    page.locator("#f-phone-input").focus()
    page.locator("#f-postcode:not(.has-error)").wait_for()
    assert critical_violations(page) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_long_text_counts_its_characters(page, seeded, applicant, language):
    draft = application_create(applicant=applicant, kind="new_company", data={})
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/applications/{draft.pk}/form/entity/")

    page.fill("#f-business_scope-input", "批发" * 1001)

    counter = page.locator("#count-business_scope")
    assert counter.locator("span").inner_text() == "2002"
    assert "over" in counter.get_attribute("class")
    assert len(page.input_value("#f-business_scope-input")) == 2002  # nothing cut
    shot(page, f"guidance-counter-{language}", full_page=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_start_answers_survive_signing_in(page, seeded, applicant, language):
    _language(page, language)
    page.goto(page.base + "/start/")
    page.check("input[name=import_export][value=true]")
    page.fill("#industry", "正餐服务")

    page.click("#login-to-begin")
    page.wait_for_url(lambda url: "/accounts/login/" in url)
    page.fill("#id_username", applicant.username)
    page.fill("#id_password", PASSWORD)
    page.click("main form:has(#id_password) button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/start/"))

    assert page.input_value("#industry") == "正餐服务"
    assert page.is_checked("input[name=import_export][value=true]")
    assert page.locator(".message").count() == 1
    shot(page, f"guidance-start-kept-{language}")
    page.click("#begin")
    page.wait_for_url(lambda url: "/form/" in url)
    assert Application.objects.get(applicant=applicant).data["industry_code"] == "6210"


@pytest.mark.parametrize("language", LANGUAGES)
def test_withdrawing_and_deleting_ask_first(page, seeded, applicant, language):
    submitted = submitted_trader(Api(applicant))
    draft = application_create(applicant=applicant, kind="new_company", data={})
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)

    page.goto(f"{page.base}/applications/{submitted}/")
    page.click("#withdraw")
    page.locator("#consequences").wait_for()
    assert critical_violations(page) == []
    shot(page, f"guidance-withdraw-confirm-{language}")
    page.click("#cancel")
    page.wait_for_url(f"{page.base}/applications/{submitted}/")
    assert Application.objects.get(pk=submitted).state == "submitted"
    page.click("#withdraw")
    page.click("#confirm")
    page.locator(".message.success").wait_for()
    assert Application.objects.get(pk=submitted).state == "withdrawn"

    page.goto(f"{page.base}/applications/{draft.pk}/")
    page.click("#delete-draft")
    shot(page, f"guidance-delete-confirm-{language}")
    page.click("#confirm")
    page.wait_for_url(f"{page.base}/applications/")
    assert not Application.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_clerk_reads_what_approving_does_before_it_is_recorded(page, seeded, applicant, language):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    aic = filing(application_id, "AIC")
    _language(page, language, width=1280)
    log_in(page, clerks["AIC"].username, PASSWORD)

    page.goto(f"{page.base}/workbench/filings/{aic.pk}/")
    page.click("#approve")
    page.locator("#consequences").wait_for()
    assert Filing.objects.get(pk=aic.pk).state != "approved"
    assert critical_violations(page) == []
    shot(page, f"guidance-approve-confirm-{language}", full_page=False)
    page.click("#confirm")
    page.locator(".message.success").wait_for()

    assert Filing.objects.get(pk=aic.pk).state == "approved"


@pytest.mark.parametrize("language", LANGUAGES)
def test_form_conveniences_on_a_phone(page, seeded, applicant, language):
    data = sample("electronics_trader")
    draft = application_create(
        applicant=applicant, kind="new_company", data={"legal_rep": data["legal_rep"], "investors": data["investors"]}
    )
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)

    page.goto(f"{page.base}/applications/{draft.pk}/form/people/")
    assert page.locator("nav.steps").bounding_box()["height"] < 80  # one row of numbers, not half the screen
    shot(page, f"guidance-steps-phone-{language}", full_page=False)
    page.click("#f-finance_officer .copy-person")
    page.wait_for_url(lambda url: url.endswith("#f-finance_officer"))
    assert page.input_value("#f-finance_officer-id_number-input") == data["legal_rep"]["id_number"]
    shot(page, f"guidance-copied-person-{language}", full_page=False)

    page.goto(f"{page.base}/applications/{draft.pk}/form/investors/")
    assert page.locator("#f-investors fieldset.entry").count() == 2
    page.fill("#f-investors-1-nationality-filter", "德国" if language == "zh-hans" else "germ")
    page.wait_for_function("() => document.querySelector('#f-investors-1-nationality-input').value === 'DEU'")
    shot(page, f"guidance-country-filter-{language}", full_page=False)
    page.locator("#f-investors .remove-entry").first.click()
    page.wait_for_url(lambda url: url.endswith("#f-investors"))
    assert page.locator("#f-investors fieldset.entry").count() == 1
    assert critical_violations(page) == []
    draft.refresh_from_db()
    assert [i["name"] for i in draft.data["investors"]] == [data["investors"][1]["name"]]
    assert draft.data["investors"][0]["nationality"] == "DEU"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_printed_progress_page_shows_the_content_without_controls(page, seeded, applicant, language):
    application_id = submitted_trader(Api(applicant))
    _language(page, language, width=1280)
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/applications/{application_id}/")
    assert page.locator("#withdraw").is_visible()

    page.emulate_media(media="print")

    assert not page.locator("#withdraw").is_visible()
    assert not page.locator("nav.site-nav").is_visible()
    assert page.locator(".progress-table").is_visible() and page.locator("#overall").is_visible()
    shot(page, f"guidance-print-{language}")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_failed_background_save_is_said_not_swallowed(page, seeded, applicant, language):
    draft = application_create(applicant=applicant, kind="new_company", data={})
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/applications/{draft.pk}/form/address/")
    assert not page.locator("#request-failed").is_visible()

    page.route("**/form/address/", lambda route: route.fulfill(status=500, body="")
               if route.request.method == "POST" else route.continue_())  # fmt: skip
    page.fill("#f-postcode-input", "523071")
    page.locator("#f-phone-input").focus()

    page.locator("#request-failed").wait_for()
    assert critical_violations(page) == []
    shot(page, f"guidance-request-failed-{language}", full_page=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_answer_no_longer_needed_is_shown_as_such_and_does_not_block(page, seeded, applicant, language):
    draft = application_create(applicant=applicant, kind="new_company", data=sample("restaurant_hotel"))
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/applications/{draft.pk}/form/entity/")
    page.fill("#f-industry_code-input", "5179")
    page.fill("#f-business_scope-input", "电子产品批发")
    page.click("#next")
    page.wait_for_url(lambda url: "/form/address/" in url)

    page.goto(f"{page.base}/applications/{draft.pk}/review/")
    page.locator("#not-needed").wait_for()
    assert critical_violations(page) == []
    shot(page, f"guidance-not-needed-{language}")
    assert page.locator("#not-needed dt").count() >= 1
    assert page.locator("#review-errors").count() == 0
    page.click("#submit-application")
    page.locator("#application-state").wait_for()
    draft.refresh_from_db()
    assert draft.state == "submitted" and "venue_kind" in draft.set_aside


@pytest.mark.parametrize("language", LANGUAGES)
def test_progress_on_a_phone_says_what_each_department_waits_for(page, seeded, applicant, language):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    assert Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve").status_code == 200
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)

    page.goto(f"{page.base}/applications/{application_id}/")

    customs = page.locator("tr[data-department=CUSTOMS]").inner_text()
    assert ("商务局" in customs) if language == "zh-hans" else ("Commerce Bureau" in customs)
    assert ("13 个部门中已有 1 个办结" if language == "zh-hans" else "1 of 13 departments") in page.locator(
        "#overall"
    ).inner_text()
    timeline = page.locator("ol.timeline").inner_text()
    assert not re.search(r"\b(filing|application)\.[a-z_]+", timeline)  # sentences, never event codes
    assert critical_violations(page) == []
    shot(page, f"guidance-progress-phone-{language}")
    page.locator("tr[data-department=CUSTOMS]").scroll_into_view_if_needed()
    shot(page, f"guidance-progress-phone-customs-{language}", full_page=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_inbox_reads_in_the_readers_language(page, seeded, applicant, language):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/reject", {"reason": "字号近似"})
    _language(page, language)
    log_in(page, applicant.username, PASSWORD)

    page.goto(f"{page.base}/inbox/")

    note = page.locator(".inbox li").first.inner_text()
    assert ("不予登记" in note) if language == "zh-hans" else ("Registration refused" in note)
    assert "字号近似" in note
    shot(page, f"guidance-inbox-{language}", full_page=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_clerk_sees_what_a_correction_changed(page, seeded, applicant, language):
    all_by_clerk_queue()
    clerks = make_clerks()
    api = Api(applicant)
    application_id = submitted_trader(api)
    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")
    ntax = filing(application_id, "NTAX")
    Api(clerks["NTAX"]).post(
        f"/filings/{ntax.pk}/request-correction", {"items": ["accounting_standard"], "reason": "会计制度不对"}
    )
    api.patch(f"/applications/{application_id}", {"data": {"accounting_standard": "enterprise"}})
    assert api.post(f"/applications/{application_id}/submit").status_code == 200
    _language(page, language, width=1280)
    log_in(page, clerks["NTAX"].username, PASSWORD)

    page.goto(f"{page.base}/workbench/filings/{ntax.pk}/")

    page.locator("#round-note").wait_for()
    changed = page.locator(".payload-table tr.changed")
    assert changed.count() == 1 and changed.locator(".was").count() == 1
    assert critical_violations(page) == []
    shot(page, f"guidance-clerk-round-{language}", full_page=False)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_verification_page_shows_the_licence_facts_but_no_id_number(page, seeded, applicant, language):
    from registration.documents import licence_issue
    from tests.workflow import completed_trader

    all_by_clerk_queue()
    enterprise = completed_trader(Api(applicant), make_clerks())
    number = licence_issue(enterprise).number
    _language(page, language)

    page.goto(f"{page.base}/verify/{number}/")

    facts = page.locator("#register-facts").inner_text()
    assert enterprise.data["legal_rep"]["name"] in facts and "213" in facts
    assert enterprise.data["legal_rep"]["id_number"] not in page.content()
    assert critical_violations(page) == []
    shot(page, f"guidance-verify-facts-{language}")


def test_enter_in_a_field_saves_and_goes_to_the_next_step_touching_nobody_else(page, seeded, applicant):
    data = sample("electronics_trader")
    draft = application_create(
        applicant=applicant, kind="new_company",
        data={"legal_rep": data["legal_rep"], "finance_officer": data["finance_officer"]},
    )  # fmt: skip
    _language(page, "zh-hans")
    log_in(page, applicant.username, PASSWORD)
    page.goto(f"{page.base}/applications/{draft.pk}/form/people/")

    page.locator("#f-legal_rep-name-input").press("Enter")

    page.wait_for_url(lambda url: "/form/investors/" in url)
    draft.refresh_from_db()
    assert draft.data["finance_officer"] == data["finance_officer"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_sealed_pdf_is_checked_on_the_public_page_and_a_tampered_one_is_caught(page, seeded, applicant, tmp_path,
                                                                                 language):  # fmt: skip
    from registration.documents import licence_pdf
    from tests.workflow import completed_trader

    all_by_clerk_queue()
    enterprise = completed_trader(Api(applicant), make_clerks())
    document, pdf = licence_pdf(enterprise)
    genuine, tampered = tmp_path / "licence.pdf", tmp_path / "tampered.pdf"
    genuine.write_bytes(pdf)
    at = pdf.index(b"/Contents") - 200
    tampered.write_bytes(pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :])
    _language(page, language)

    page.goto(f"{page.base}/verify/{document.number}/")
    page.click("#check-a-pdf")
    page.set_input_files("#pdf", str(genuine))
    page.click("#check-pdf")
    verdict = page.locator("#seal-verdict .verdict")
    assert "ok" in verdict.get_attribute("class") and document.number in page.locator("#seal-verdict").inner_text()
    assert critical_violations(page) == []
    shot(page, f"seal-genuine-{language}")
    page.set_input_files("#pdf", str(tampered))
    page.click("#check-pdf")

    assert "bad" in page.locator("#seal-verdict .verdict").get_attribute("class")
    assert ("已被改动" if language == "zh-hans" else "Changed") in page.locator("#seal-verdict").inner_text()
    shot(page, f"seal-tampered-{language}")

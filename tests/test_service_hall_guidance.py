"""The service hall guides (issue 16): problems shown where they can be fixed, the name checked as typed, limits
shown before they bite, nothing typed dropped, irreversible actions asked first."""

import pytest
from django.http import HttpRequest
from django.utils import translation

from departments.models import Filing
from portal.models import Notification
from registration.models import Application
from registration.names import names_similar, trade_name_part
from registration.services import application_create
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample
from tests.workflow import Api, all_by_clerk_queue, filing, make_clerks, submitted_trader

pytestmark = pytest.mark.django_db


def _draft(applicant, data=None) -> Application:
    draft = application_create(applicant=applicant, kind="new_company", data=data or sample("electronics_trader"))
    draft.refresh_from_db()
    return draft


def test_review_lists_every_problem_with_a_link_to_its_field_and_marks_the_steps(client, seeded, applicant):
    data = sample("electronics_trader")
    data["postcode"] = "52307"
    data["legal_rep"] = {**data["legal_rep"], "id_number": "441900199005151232"}  # wrong check digit
    del data["email"]
    draft = _draft(applicant, data)
    client.force_login(applicant)

    page = client.get(f"/applications/{draft.pk}/review/")

    html = page.content.decode()
    listed = {p.path: p for p in page.context["problem_list"]}
    assert {"postcode", "legal_rep.id_number"} <= set(listed)
    person = listed["legal_rep.id_number"]
    assert person.label == "法定代表人 · 证件号码"
    assert f'href="/applications/{draft.pk}/form/{person.section}/#f-legal_rep-id_number"' in html
    marked = {s.key: s.problems for s in page.context["steps"]}
    assert marked[person.section] >= 1 and marked[listed["postcode"].section] >= 1
    assert sum(marked.values()) == len({p.path for p in page.context["problem_list"]})
    assert "项问题" in html or "个问题" in html


def test_a_submit_refused_for_a_taken_name_marks_the_name(client, seeded, applicant, outsider):
    first = _draft(outsider)
    assert Api(outsider).post(f"/applications/{first.pk}/submit").status_code == 200
    second = _draft(applicant)
    client.force_login(applicant)

    page = client.post(f"/applications/{second.pk}/review/")

    assert page.status_code == 400
    assert page.context["problems"]["name_zh"] == ["另一份使用此名称的申请正在办理中。"] or any(
        "名称" in m for m in page.context["problems"]["name_zh"]
    )
    assert [p.path for p in page.context["problem_list"]] == ["name_zh"]
    (marked,) = page.context["problem_list"]
    assert f'href="/applications/{second.pk}/form/{marked.section}/#f-name_zh"' in page.content.decode()
    second.refresh_from_db()
    assert second.state == "draft"


def test_the_name_is_checked_as_it_is_typed(client, seeded, applicant, outsider, trader):
    draft = _draft(applicant, {"entity_type": "llc_natural_controlled"})
    client.force_login(applicant)
    url = f"/applications/{draft.pk}/name-check/"

    free = client.get(url, {"name_zh": "东莞市青松木业贸易有限公司"})
    taken = client.get(url, {"name_zh": trader.name_zh})
    malformed = client.get(url, {"name_zh": "深圳青松有限公司"})

    assert free.status_code == 200 and free.context["reasons"] == [] and "可以使用" in free.content.decode()
    assert "已有企业以此名称登记。" in taken.context["reasons"]
    assert any("东莞市" in r for r in malformed.context["reasons"])
    assert client.get(url, {"name_zh": ""}).content.decode().strip() == ""
    client.force_login(outsider)
    assert client.get(url, {"name_zh": "东莞市青松木业贸易有限公司"}).status_code == 404


def test_similar_registered_names_share_the_trade_name(seeded, trader):
    assert trade_name_part("东莞市华信电子贸易有限公司") == "华信电子贸易"
    similar = names_similar("东莞市华信五金贸易有限公司")
    assert similar == [trader.name_zh]
    assert names_similar("东莞市青松木业贸易有限公司") == []
    assert names_similar(trader.name_zh) == []  # the name itself is not "similar"


def test_long_text_shows_a_counter_and_is_never_cut(client, seeded, applicant):
    long_scope = "电子产品批发；" * 300  # 2,100 characters, over the 2,000 limit
    draft = _draft(applicant, {"business_scope": long_scope})
    client.force_login(applicant)

    page = client.get(f"/applications/{draft.pk}/form/entity/")
    html = page.content.decode()

    assert 'id="count-business_scope"' in html and 'data-max="2000"' in html
    assert f"<span>{len(long_scope)}</span>" in html
    assert 'maxlength="2000"' not in html  # a pasted text is never cut without a word
    draft.refresh_from_db()
    assert draft.data["business_scope"] == long_scope


def test_an_industry_typed_as_words_is_taken_when_one_class_matches(client, seeded, applicant):
    client.force_login(applicant)

    response = client.post("/start/", {"kind": "new_company", "import_export": "false", "industry_code": "正餐服务"})

    assert response.status_code == 302
    assert Application.objects.get(applicant=applicant).data["industry_code"] == "6210"


def test_an_industry_matching_several_classes_is_refused_with_the_choices(client, seeded, applicant):
    client.force_login(applicant)

    response = client.post("/start/", {"kind": "new_company", "import_export": "false", "industry_code": "批发"})

    assert response.status_code == 400
    (message,) = response.context["errors"]["industry_code"]
    assert "批发" in message and "5179" in message or "51" in message
    assert not Application.objects.exists()
    unknown = client.get("/start/preview/", {"industry_code": "量子魔法"})
    assert "量子魔法" in unknown.content.decode()


def test_the_start_answers_survive_signing_in(client, seeded, applicant):
    answers = {"kind": "new_company", "import_export": "true", "industry_code": "5179"}

    response = client.post("/start/", answers)

    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/start/"
    client.login(request=HttpRequest(), username=applicant.username, password=PASSWORD)
    page = client.get("/start/")
    assert page.context["values"]["industry_code"] == "5179" and page.context["values"]["import_export"] == "true"
    assert len(page.context["preview"]["departments"]) == 13
    assert "登录期间" in page.content.decode()
    assert client.get("/start/").context["values"].get("industry_code") is None  # kept once, not forever


def test_withdraw_asks_first_and_says_what_will_happen(client, seeded, applicant):
    application_id = submitted_trader(Api(applicant))
    client.force_login(applicant)

    question = client.get(f"/applications/{application_id}/withdraw/")

    assert question.status_code == 200
    assert any("名称" in c for c in question.context["consequences"])
    assert Application.objects.get(pk=application_id).state == "submitted"
    client.post(f"/applications/{application_id}/withdraw/")
    assert Application.objects.get(pk=application_id).state == "withdrawn"


def test_a_draft_can_be_deleted_after_asking(client, seeded, applicant):
    draft = _draft(applicant)
    client.force_login(applicant)

    assert client.get(f"/applications/{draft.pk}/delete/").status_code == 200
    assert Application.objects.filter(pk=draft.pk).exists()
    response = client.post(f"/applications/{draft.pk}/delete/")

    assert response.status_code == 302 and response["Location"] == "/applications/"
    assert not Application.objects.filter(pk=draft.pk).exists()


def test_a_submitted_application_cannot_be_deleted(client, seeded, applicant):
    application_id = submitted_trader(Api(applicant))
    client.force_login(applicant)

    response = client.post(f"/applications/{application_id}/delete/")

    assert response.status_code == 302
    assert Application.objects.get(pk=application_id).state == "submitted"


def test_a_clerk_confirms_an_approval_after_reading_what_it_does(client, seeded, applicant):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    aic = filing(application_id, "AIC")
    client.force_login(clerks["AIC"])

    question = client.post(f"/workbench/filings/{aic.pk}/", {"action": "approve", "reference_no": "AIC-7"})

    assert question.status_code == 200
    assert any("营业执照" in c for c in question.context["consequences"])
    assert Filing.objects.get(pk=aic.pk).state == "dispatched"
    client.post(f"/workbench/filings/{aic.pk}/", {"action": "approve", "reference_no": "AIC-7", "confirmed": "1"})
    assert Filing.objects.get(pk=aic.pk).state == "approved"


def test_a_rejection_is_confirmed_and_a_missing_reason_is_asked_for_first(client, seeded, applicant):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    aic = filing(application_id, "AIC")
    client.force_login(clerks["AIC"])

    assert client.post(f"/workbench/filings/{aic.pk}/", {"action": "reject", "reason": ""}).status_code == 400
    question = client.post(f"/workbench/filings/{aic.pk}/", {"action": "reject", "reason": "名称近似"})
    assert any("不颁发营业执照" in c or "营业执照" in c for c in question.context["consequences"])
    assert Filing.objects.get(pk=aic.pk).state == "dispatched"
    client.post(f"/workbench/filings/{aic.pk}/", {"action": "reject", "reason": "名称近似", "confirmed": "1"})
    assert Filing.objects.get(pk=aic.pk).state == "rejected"


def test_an_answer_that_no_longer_applies_is_kept_not_sent_and_not_blocking(client, seeded, applicant):
    data = sample("restaurant_hotel")
    draft = _draft(applicant, data)
    assert "venue_kind" in draft.data
    client.force_login(applicant)
    # The founder changes the industry to wholesale: nothing about the venue is asked any more.
    client.post(
        f"/applications/{draft.pk}/form/entity/",
        {"industry_code": "5179", "business_scope": "电子产品批发"},
        HTTP_HX_REQUEST="true",
    )

    review = client.get(f"/applications/{draft.pk}/review/")
    shown = {row["key"] for row in review.context["not_needed"]}
    assert "venue_kind" in shown and "venue_kind" not in review.context["problems"]
    assert "不再需要" in review.content.decode()
    response = Api(applicant).post(f"/applications/{draft.pk}/submit")

    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert "venue_kind" not in draft.data and draft.set_aside["venue_kind"] == data["venue_kind"]
    assert all("venue_kind" not in f.payload for f in Filing.objects.filter(application=draft))


def test_an_item_of_no_form_at_all_is_still_refused(client, seeded, applicant):
    draft = _draft(applicant, {**sample("electronics_trader"), "favourite_colour": "red"})

    response = Api(applicant).post(f"/applications/{draft.pk}/submit")

    assert response.status_code == 400 and "favourite_colour" in response.json()["errors"]


def test_the_api_deletes_a_draft_and_refuses_a_submitted_application(seeded, applicant):
    api = Api(applicant)
    draft = _draft(applicant)

    assert api.client.delete(f"/api/v1/applications/{draft.pk}").status_code == 204
    assert not Application.objects.filter(pk=draft.pk).exists()
    application_id = submitted_trader(api)
    assert api.client.delete(f"/api/v1/applications/{application_id}").status_code == 409
    assert api.get(f"/applications/{application_id}").json()["not_needed"] == []


def test_progress_says_where_each_department_stands_and_what_comes_next(
    client, seeded, applicant, django_capture_on_commit_callbacks
):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    with django_capture_on_commit_callbacks(execute=True):
        Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")
    client.force_login(applicant)

    page = client.get(f"/applications/{application_id}/")

    rows = {r["filing"].department.code: r for r in page.context["rows"]}
    assert page.context["overall"] == {"done": 1, "total": 13, "percent": 8}
    assert rows["CUSTOMS"]["filing"].state == "waiting" and rows["CUSTOMS"]["waits_for"] == ["商务局"]
    assert "商务局" in rows["CUSTOMS"]["explanation"]
    assert rows["CUSTOMS"]["limit"] == "3 天"
    dispatched = [r for r in rows.values() if r["filing"].state == "dispatched"]
    assert dispatched and all(r["due_at"] is not None and not r["late"] for r in dispatched)
    html = page.content.decode()
    assert "预计" in html and "3 天" in html
    texts = [e["text"] for e in page.context["timeline"]]
    assert "营业执照已核发。" in texts or any("通过" in t for t in texts)
    assert all("filing." not in t and "application." not in t for t in texts)
    assert "filing.dispatched" not in html


def test_a_correction_names_the_items_by_label_in_progress_and_timeline(client, seeded, applicant):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    aic = filing(application_id, "AIC")
    Api(clerks["AIC"]).post(f"/filings/{aic.pk}/request-correction", {"items": ["name_zh"], "reason": "字号近似"})
    client.force_login(applicant)

    page = client.get(f"/applications/{application_id}/")

    row = next(r for r in page.context["rows"] if r["filing"].department.code == "AIC")
    assert row["correction_labels"] == ["企业名称"]
    assert any("企业名称" in e["text"] and "字号近似" in e["text"] for e in page.context["timeline"])
    assert "(name_zh)" not in page.content.decode()


def test_a_notification_is_read_in_the_readers_language(client, seeded, applicant):
    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    with translation.override("zh-hans"):  # the clerk works in Chinese
        Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/reject", {"reason": "名称近似"})
    client.force_login(applicant)

    english = client.get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/inbox/").content.decode()

    assert "Registration refused" in english and "Market supervision refused the registration: 名称近似" in english
    assert "不予登记" in chinese and "Registration refused" not in chinese
    stored = Notification.objects.get(user=applicant, texts__title__msgid="Registration refused")
    assert stored.texts["body"]["params"] == {"reason": "名称近似"}


def test_a_department_name_in_a_notification_follows_the_reader(seeded):
    from portal.texts import Text, bilingual

    text = Text("%(department)s refused its filing", department=bilingual("海关", "Customs"))
    with translation.override("en"):
        assert text.render() == "Customs refused its filing"
    with translation.override("zh-hans"):
        assert text.render().startswith("海关")


def test_the_legal_representative_is_copied_into_a_person_and_an_investor(client, seeded, applicant):
    data = sample("electronics_trader")
    legal_rep = data["legal_rep"]
    draft = _draft(applicant, {"legal_rep": legal_rep, "investors": [{"kind": "natural", "subscribed_amount": "1"}]})
    client.force_login(applicant)

    client.post(f"/applications/{draft.pk}/form/people/", {"go": "copy:finance_officer"})
    response = client.post(f"/applications/{draft.pk}/form/investors/", {"go": "copy:investors.0"})

    draft.refresh_from_db()
    assert response.status_code == 302 and response["Location"].endswith("/form/investors/#f-investors")
    copied = ("name", "id_type", "id_number", "mobile", "email")
    assert draft.data["finance_officer"] == {k: legal_rep[k] for k in copied}
    investor = draft.data["investors"][0]
    assert (investor["name"], investor["id_number"], investor["subscribed_amount"]) == (
        legal_rep["name"],
        legal_rep["id_number"],
        "1",
    )


def test_a_list_entry_can_be_removed(client, seeded, applicant):
    investors = sample("electronics_trader")["investors"]
    draft = _draft(applicant, {"investors": investors})
    client.force_login(applicant)

    client.post(f"/applications/{draft.pk}/form/investors/", {"go": "remove:investors.0"})

    draft.refresh_from_db()
    assert draft.data["investors"] == investors[1:]
    assert client.post(f"/applications/{draft.pk}/form/investors/", {"go": "remove:legal_rep.0"}).status_code == 302
    assert client.post(f"/applications/{draft.pk}/form/investors/", {"go": "remove:investors.9"}).status_code == 302
    draft.refresh_from_db()
    assert draft.data["investors"] == investors[1:]


def test_nationality_is_chosen_from_the_countries_and_regions_in_the_readers_language(client, seeded, applicant):
    draft = _draft(applicant, {"investors": [{"kind": "natural", "nationality": "DEU"}]})
    client.force_login(applicant)

    chinese = client.get(f"/applications/{draft.pk}/form/investors/").content.decode()
    english = client.get(f"/applications/{draft.pk}/form/investors/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert '<option value="DEU" selected>德国 (DEU)</option>' in chinese
    assert '<option value="DEU" selected>Germany (DEU)</option>' in english
    assert 'data-filter-for="f-investors-0-nationality-input"' in chinese
    assert chinese.index('value="CHN"') < chinese.index('value="AFG"')


def test_a_filing_sent_again_after_corrections_shows_what_changed_since_the_previous_round(
    client, seeded, applicant, django_capture_on_commit_callbacks
):
    all_by_clerk_queue()
    clerks = make_clerks()
    api = Api(applicant)
    application_id = submitted_trader(api)
    with django_capture_on_commit_callbacks(execute=True):
        Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")
    ntax = filing(application_id, "NTAX")
    Api(clerks["NTAX"]).post(
        f"/filings/{ntax.pk}/request-correction", {"items": ["accounting_standard"], "reason": "会计制度不对"}
    )
    api.patch(f"/applications/{application_id}", {"data": {"accounting_standard": "enterprise"}})
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/applications/{application_id}/submit").status_code == 200
    client.force_login(clerks["NTAX"])

    page = client.get(f"/workbench/filings/{ntax.pk}/")

    html = page.content.decode()
    assert 'id="round-note"' in html
    changed = [r for r in page.context["rows"] if r.get("changed")] + [
        f for r in page.context["rows"] for f in r.get("fields", []) if f.get("changed")
    ]
    assert len(changed) == 1 and "<code>accounting_standard</code>" not in html


def test_an_exact_industry_name_is_taken_even_when_longer_names_contain_it(client, seeded, applicant):
    client.force_login(applicant)

    response = client.post("/start/", {"kind": "new_company", "import_export": "false", "industry_code": "其他农业"})

    assert response.status_code == 302
    assert Application.objects.get(applicant=applicant).data["industry_code"] == "0190"


def test_kept_start_answers_never_hold_an_id_number_and_expire(client, seeded, applicant):
    answers = {"kind": "existing_company", "uscc": "91441900MA4UJ8K20E", "id_number": "441900199005151231"}
    client.post("/start/", answers)
    assert "id_number" not in client.session["registration.start_answers"]
    session = client.session
    session["registration.start_answers"] = {**session["registration.start_answers"], "at": 0}
    session.save()
    client.login(request=HttpRequest(), username=applicant.username, password=PASSWORD)

    page = client.get("/start/")

    assert page.context["values"].get("uscc") is None  # left too long ago: not shown to whoever signs in


def test_enter_in_a_field_goes_next_and_list_buttons_are_bounded(client, seeded, applicant):
    investors = sample("electronics_trader")["investors"]
    draft = _draft(applicant, {"investors": investors})
    client.force_login(applicant)

    page = client.get(f"/applications/{draft.pk}/form/people/").content.decode()
    client.post(f"/applications/{draft.pk}/form/investors/", {"go": "copy:investors.50000000"})

    assert page.index('class="default-submit"') < page.index("copy-person")
    draft.refresh_from_db()
    assert draft.data["investors"] == investors


def test_an_answer_set_aside_comes_back_when_a_correction_asks_for_it_again(seeded, applicant):
    from registration.selectors import answers_needed_again, answers_not_needed, application_form

    data = sample("electronics_trader")
    del data["postcode"]
    draft = _draft(applicant, data)
    draft.set_aside = {"venue_kind": "hotel", "postcode": "523071"}  # set aside at an earlier submit
    _routed, form = application_form(draft)

    assert answers_needed_again(draft, form) == {"postcode": "523071"}  # the form asks for it again
    assert answers_not_needed(draft, form) == {"venue_kind": "hotel"}
    draft.data["postcode"] = "523072"  # typed anew: the new answer wins
    assert answers_needed_again(draft, form) == {}


def test_a_decision_made_after_the_withdrawal_changes_nothing(seeded, applicant):
    from registration.models import Enterprise

    all_by_clerk_queue()
    clerks = make_clerks()
    application_id = submitted_trader(Api(applicant))
    assert Api(applicant).post(f"/applications/{application_id}/withdraw").status_code == 200

    Api(clerks["AIC"]).post(f"/filings/{filing(application_id, 'AIC').pk}/approve")

    assert Application.objects.get(pk=application_id).state == "withdrawn"
    assert not Enterprise.objects.exists()

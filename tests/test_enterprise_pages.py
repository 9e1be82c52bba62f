"""The enterprise's pages in the service hall: record, todos, change form, printed copies; the workbench's view of
changes and copy requests."""

import pytest
from django.test import Client

from departments.models import Filing
from registration.models import Application, Todo
from tests.workflow import RESTAURANT_SCOPE, Api

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world, trader):
    api, clerks = world
    return api.client, clerks, trader


def change_form(client, enterprise, **changes):
    """The change page's form as the browser would post it: every field as shown, some of them edited."""
    page = client.get(f"/enterprises/{enterprise.uscc}/change/")
    assert page.status_code == 200
    from registration.enterprise_views import register_items
    from registration.wizard import field_view

    post = {}

    def flatten(view):
        if view.children:
            for child in view.children:
                flatten(child)
        elif view.entries:
            for entry in view.entries:
                for child in entry:
                    flatten(child)
        elif view.widget == "checkboxes":
            post[view.path] = view.value or []
            post[f"{view.path}-present"] = "1"
        elif view.value is not None:
            post[view.path] = {True: "true", False: "false"}.get(view.value, view.value)

    for item in register_items():
        flatten(field_view(item, enterprise.data.get(item.key), {}))
    post.update(changes)
    return client.post(f"/enterprises/{enterprise.uscc}/change/", post)


def test_the_change_page_files_only_what_differs_and_aic_reviews_it(setup):
    client, clerks, enterprise = setup
    response = change_form(client, enterprise, business_scope=RESTAURANT_SCOPE)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = Application.objects.get(kind="change")
    assert change.data == {"business_scope": RESTAURANT_SCOPE} and change.state == "submitted"
    page = client.get(response["Location"]).content.decode()
    assert "酒店住宿" in page and "change-table" in page

    review = Filing.objects.get(application=change)
    aic = Client()
    aic.force_login(clerks["AIC"])
    workbench = aic.get(f"/workbench/filings/{review.pk}/").content.decode()
    assert "review-table" in workbench and "酒店住宿" in workbench and "request-correction" not in workbench
    assert "change_review" in aic.get("/workbench/?state=dispatched&kind=change_review").content.decode()
    notices = aic.get("/workbench/").content.decode()
    assert 'id="notices"' in notices and "kind=change_review" in notices
    question = aic.post(f"/workbench/filings/{review.pk}/", {"action": "approve"})
    assert any("登记簿" in c for c in question.context["consequences"])
    decided = aic.post(f"/workbench/filings/{review.pk}/", {"action": "approve", "confirmed": "1"}, follow=True)
    said = [str(m) for m in decided.context["messages"]]
    assert any("变更已登记" in m for m in said) and not any("营业执照已核发" in m for m in said)

    home = client.get("/").content.decode()
    assert enterprise.name_zh in home and 'data-department="HEALTH"' in home
    health = Client()
    health.force_login(clerks["HEALTH"])
    assert "kind-new_obligation" not in health.get("/workbench/?state=dispatched").content.decode()  # waits for items


def test_a_change_page_with_an_error_keeps_what_was_typed(setup):
    client, _clerks, enterprise = setup
    response = change_form(client, enterprise, postcode="12", business_scope=RESTAURANT_SCOPE)
    assert response.status_code == 400
    page = response.content.decode()
    assert "has-error" in page and RESTAURANT_SCOPE in page
    assert not Application.objects.filter(kind="change").exists()


def test_nothing_changed_is_said_plainly(setup):
    client, _clerks, enterprise = setup
    response = change_form(client, enterprise)
    assert response.status_code == 400
    assert not Application.objects.filter(kind="change").exists()


def test_details_given_once_on_the_enterprise_page_send_every_filing_that_needed_them(setup):
    client, clerks, enterprise = setup
    change_form(client, enterprise, business_scope=RESTAURANT_SCOPE)
    review = Filing.objects.get(application__kind="change")
    Api(clerks["AIC"]).post(f"/filings/{review.pk}/approve")
    page = client.get(f"/enterprises/{enterprise.uscc}/").content.decode()
    assert Todo.objects.get(department__code="FIRE").title in page
    assert page.count('name="venue_kind"') == 1  # FIRE and HEALTH both need it: asked once

    bad = client.post(f"/enterprises/{enterprise.uscc}/details/", {"venue_kind": "moon"})
    assert bad.status_code == 400
    assert not Filing.objects.filter(kind="new_obligation").exclude(state="waiting").exists()
    good = client.post(
        f"/enterprises/{enterprise.uscc}/details/",
        {
            "venue_kind": "hotel",
            "premises_nature": "leased",
            "pollution_processes": ["injection_molding"],
            "pollution_processes-present": "1",
        },
    )
    assert good.status_code == 302
    states = dict(Filing.objects.filter(kind="new_obligation").values_list("department__code", "state"))
    assert states == {"HEALTH": "dispatched", "FIRE": "dispatched", "EPB": "dispatched"}
    assert not any(Todo.objects.values_list("needed_items", flat=True))


def test_copy_request_from_the_enterprise_page(setup):
    client, _clerks, enterprise = setup
    bad = client.post(f"/enterprises/{enterprise.uscc}/archive-copies/", {"document": "licence", "delivery": "post"})
    assert bad.status_code == 400 and "has-error" in bad.content.decode()
    good = client.post(
        f"/enterprises/{enterprise.uscc}/archive-copies/",
        {"document": "receipt", "department": "AIC", "copies": "1", "delivery": "collect"},
    )
    assert good.status_code == 302
    request = Application.objects.get(kind="archive_copy")
    page = client.get(good["Location"]).content.decode()
    assert request.filings.get().payload["document_number"] in page


def test_enterprise_pages_are_the_owners_only(setup, outsider, auditor):
    _client, clerks, enterprise = setup
    for user, status in ((outsider, 404), (clerks["AIC"], 403), (auditor, 403)):
        other = Client()
        other.force_login(user)
        assert other.get(f"/enterprises/{enterprise.uscc}/").status_code == status
        assert other.get(f"/enterprises/{enterprise.uscc}/change/").status_code == status
        response = other.post(f"/enterprises/{enterprise.uscc}/archive-copies/", {"document": "licence"})
        assert response.status_code == status
    assert Client().get(f"/enterprises/{enterprise.uscc}/").status_code == 302  # to the login page


def test_an_update_filing_shows_the_clerk_what_changed(setup):
    client, clerks, enterprise = setup
    change_form(client, enterprise, phone="0769-22998877")
    update = Filing.objects.get(application__kind="change", department__code="NTAX")
    ntax = Client()
    ntax.force_login(clerks["NTAX"])
    page = ntax.get(f"/workbench/filings/{update.pk}/").content.decode()
    assert 'class="changed"' in page and "22998877" in page and "22112345" in page  # new and old number
    assert page.count('class="changed"') <= 3


def test_a_registrations_page_leads_the_owner_to_the_company_page(setup):
    client, _clerks, enterprise = setup
    registration = Application.objects.get(enterprise=enterprise, kind="new_company")
    page = client.get(f"/applications/{registration.pk}/").content.decode()
    assert f"/enterprises/{enterprise.uscc}/" in page

"""Change registrations in the situations a single change on a fully approved enterprise does not show: filings
still on their way, successive changes, refusals, names, forms not published, and who sees what."""

import pytest

from departments.models import Filing
from registration.models import Application, Todo
from registration.names import name_check
from tests.forms_fixtures import sample
from tests.workflow import (
    HOTEL_ITEMS,
    NEW_ADDRESS,
    RESTAURANT_SCOPE,
    Api,
    approve_everything,
    by_kind,
    change,
    completed_trader,
    submitted_trader,
)

pytestmark = pytest.mark.django_db


def approve(clerks, application_id, code, reference=""):
    f = Filing.objects.get(application_id=application_id, department__code=code)
    response = Api(clerks[code]).post(f"/filings/{f.pk}/approve", {"reference_no": reference})
    assert response.status_code == 200, response.json()


def review_approved(api, clerks, enterprise, data) -> int:
    application_id = change(api, enterprise, data).json()["id"]
    approve(clerks, application_id, "AIC")
    return application_id


@pytest.fixture
def licensed_only(world):
    """A trader with its licence; the other departments have not decided, PBOC, CUSTOMS and SAFE still wait."""
    api, clerks = world
    application_id = submitted_trader(api)
    approve(clerks, application_id, "AIC")
    return Application.objects.get(pk=application_id)


def test_filings_still_waiting_are_released_later_with_the_changed_data(world, licensed_only):
    api, clerks = world
    enterprise = licensed_only.enterprise
    change_id = review_approved(api, clerks, enterprise, {"reg_address": NEW_ADDRESS})
    updated = by_kind(change_id)["update"]
    assert {"NTAX", "PSB", "COMMERCE"} <= updated  # dispatched, not decided: they get the update
    assert not updated & {"PBOC", "CUSTOMS", "SAFE"}  # still waiting: built later from current data
    approve(clerks, licensed_only.pk, "PSB")
    approve(clerks, licensed_only.pk, "COMMERCE", "04418937")
    for code in ("PBOC", "CUSTOMS"):
        f = Filing.objects.get(application=licensed_only, department__code=code)
        assert f.state == "dispatched" and NEW_ADDRESS in str(f.payload)


def test_successive_changes_carry_the_registrations_reference_numbers_and_finish(world):
    api, clerks = world
    application_id = submitted_trader(api)
    approve(clerks, application_id, "AIC")
    approve(clerks, application_id, "PSB")
    approve(clerks, application_id, "COMMERCE", "04418937")
    approve_everything(clerks, application_id)
    enterprise = Application.objects.get(pk=application_id).enterprise

    first = change(api, enterprise, {"phone": "0769-22998877"}).json()["id"]
    approve(clerks, first, "COMMERCE", "UPD-COM-1")  # CUSTOMS leaves its update undecided
    second = change(api, enterprise, {"phone": "0769-22112299"}).json()["id"]
    customs = Filing.objects.get(application_id=second, department__code="CUSTOMS")
    assert customs.references == {"COMMERCE": "04418937"}  # the registration's number, not an update's
    assert customs.state == "dispatched"
    approve_everything(clerks, first)
    approve_everything(clerks, second)
    assert Application.objects.get(pk=second).state == "completed"


def test_a_change_no_department_holds_is_complete_at_once(world):
    api, clerks = world
    enterprise = completed_trader(api, clerks)
    response = change(api, enterprise, {"venue_kind": "other"})
    assert response.status_code == 201 and response.json()["state"] == "completed"


def test_a_refused_update_still_lets_the_change_finish(world):
    api, clerks = world
    enterprise = completed_trader(api, clerks)
    change_id = change(api, enterprise, {"phone": "0769-22998877"}).json()["id"]
    refused = Filing.objects.filter(application_id=change_id).first()
    Api(clerks[refused.department.code]).post(f"/filings/{refused.pk}/reject", {"reason": "号码无法接通"})
    approve_everything(clerks, change_id)
    assert Application.objects.get(pk=change_id).state == "completed"


def test_a_refused_new_obligation_closes_its_todo_and_is_not_repeated(world):
    api, clerks = world
    enterprise = completed_trader(api, clerks)
    review_approved(api, clerks, enterprise, {"business_scope": RESTAURANT_SCOPE})
    api.post(f"/enterprises/{enterprise.uscc}/todos/{Todo.objects.get(department__code='HEALTH').pk}", {
        "data": {k: HOTEL_ITEMS[k] for k in Todo.objects.get(department__code="HEALTH").needed_items}})  # fmt: skip
    health = Todo.objects.get(department__code="HEALTH")
    Api(clerks["HEALTH"]).post(f"/filings/{health.filing_id}/reject", {"reason": "场所不符合卫生要求"})
    health.refresh_from_db()
    assert health.status == "refused"
    later = change(api, enterprise, {"phone": "0769-22998877"}).json()["id"]
    assert "new_obligation" not in by_kind(later)
    assert Todo.objects.filter(department__code="HEALTH").count() == 1


def test_a_phone_change_creates_no_obligations_for_departments_routed_before(world):
    """An enterprise registered before the portal (no filings) does not get every department's filing on a
    trivial change: only what the change itself makes necessary."""
    from registration.models import Enterprise
    from registration.selectors import register_data

    api, _clerks = world
    data = register_data(sample("electronics_trader"))
    enterprise = Enterprise.objects.create(
        uscc="91441900MA4UJ8K20E", name_zh=data["name_zh"], name_key="x", entity_type=data["entity_type"],
        established_on="2024-05-06", data=data, owner=api.user,
    )  # fmt: skip
    response = change(api, enterprise, {"phone": "0769-22998877"})
    assert response.status_code == 201, response.json()
    assert Filing.objects.filter(application_id=response.json()["id"]).count() == 0


def test_a_new_name_under_review_is_reserved_and_freed_when_refused(world):
    api, clerks = world
    enterprise = completed_trader(api, clerks)
    new_name = "东莞市华信智能科技有限公司"
    change_id = change(api, enterprise, {"name_zh": new_name}).json()["id"]
    assert name_check(name_zh=new_name)  # taken while AIC reviews it
    f = Filing.objects.get(application_id=change_id)
    Api(clerks["AIC"]).post(f"/filings/{f.pk}/reject", {"reason": "名称近似"})
    assert name_check(name_zh=new_name) == []


def test_a_newly_required_department_without_a_published_form_waits(world, monkeypatch):
    import departments.filings
    import registration.changes

    api, clerks = world
    enterprise = completed_trader(api, clerks)
    real = registration.changes.forms_current

    def without_health():
        return {code: form for code, form in real().items() if code != "HEALTH"}

    monkeypatch.setattr(registration.changes, "forms_current", without_health)
    monkeypatch.setattr(departments.filings, "forms_current", without_health)
    change_id = review_approved(api, clerks, enterprise, {"business_scope": RESTAURANT_SCOPE})
    assert Application.objects.get(pk=change_id).state == "in_progress"
    assert Filing.objects.get(application_id=change_id, department__code="HEALTH").state == "waiting"


def test_other_clerks_cannot_read_a_change_review(world, licensed_only):
    api, clerks = world
    change_id = change(api, licensed_only.enterprise, {"reg_address": NEW_ADDRESS}).json()["id"]
    review = Filing.objects.get(application_id=change_id)
    ntax = Api(clerks["NTAX"])
    assert ntax.get(f"/filings/{review.pk}").status_code == 404
    assert review.pk not in [f["id"] for f in ntax.get("/filings").json()]
    assert (
        ntax.get(f"/filings/{Filing.objects.get(application=licensed_only, department__code='AIC').pk}").status_code
        == 200
    )

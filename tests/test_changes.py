"""Change registration and proactive service (issue 7): the record changes once, the departments that hold the
changed items get update filings, newly required departments get new filings and the enterprise todos."""

import pytest

from departments.models import Filing, RoutingRule
from departments.services import routing_rule_revise
from forms_engine.compose import items_needed
from forms_engine.selectors import forms_current
from portal.calendar import beijing_date
from portal.models import Notification, Role, User
from registration.models import Application, Enterprise, EnterpriseChange, Todo
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample
from tests.workflow import (
    HOTEL_ITEMS,
    NEW_ADDRESS,
    RESTAURANT_SCOPE,
    Api,
    by_kind,
    change,
)

pytestmark = pytest.mark.django_db


def test_scope_and_address_change_reaches_the_departments_concerned_and_creates_todos(world, trader):
    api, clerks = world
    held = set(Filing.objects.filter(application__enterprise=trader).values_list("department__code", flat=True))
    response = change(api, trader, {"business_scope": RESTAURANT_SCOPE, "op_address": NEW_ADDRESS})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["state"]) == ("change", "submitted")
    trader.refresh_from_db()
    assert trader.data.get("op_address") != NEW_ADDRESS  # nothing changes before AIC approves

    review = Filing.objects.get(application_id=body["id"], department__code="AIC")
    assert (review.kind, review.state) == ("change_review", "dispatched")
    assert review.payload["after"]["op_address"] == NEW_ADDRESS
    assert review.payload["before"]["op_address"] is None  # the trader had no separate premises
    assert Api(clerks["AIC"]).post(f"/filings/{review.pk}/approve").status_code == 200

    trader.refresh_from_db()
    assert trader.data["op_address"] == NEW_ADDRESS and trader.data["business_scope"] == RESTAURANT_SCOPE
    log = EnterpriseChange.objects.filter(enterprise=trader, application_id=body["id"]).get()
    assert log.before == {"business_scope": sample("electronics_trader")["business_scope"], "op_address": None}
    assert log.after == {"business_scope": RESTAURANT_SCOPE, "op_address": NEW_ADDRESS}

    forms = forms_current()
    uses_changed = {c for c in held - {"AIC"} if items_needed([forms[c].spec]) & {"business_scope", "op_address"}}
    kinds = by_kind(body["id"])
    assert kinds["new_obligation"] == {"HEALTH", "FIRE", "EPB"}
    assert kinds["update"] == uses_changed
    # PSB's seal filing reads neither the scope nor the premises address: it hears nothing.
    assert "PSB" in held and "PSB" not in uses_changed and uses_changed
    for code in uses_changed:
        update = Filing.objects.get(application_id=body["id"], department__code=code)
        before = Filing.objects.exclude(application_id=body["id"]).get(
            application__enterprise=trader, department=update.department
        )
        assert update.state == "dispatched" and update.payload != before.payload
        assert NEW_ADDRESS in str(update.payload) or "酒店住宿" in str(update.payload)

    todos = Api(trader.owner).get(f"/enterprises/{trader.uscc}/todos").json()
    assert sorted(t["department"] for t in todos) == ["EPB", "FIRE", "HEALTH"]
    for todo in todos:
        rule = RoutingRule.objects.get(department__code=todo["department"], is_active=True, trigger="scope")
        assert todo["status"] == "open" and todo["title"] == rule.todo_text
        assert todo["rule_version"] == rule.version and todo["due_date"]
        assert todo["needed_items"]  # the trader never gave the venue and premises items these forms need
    assert Notification.objects.filter(user=trader.owner, title__contains="3").exists()


def test_todo_items_release_the_new_filing_and_approval_closes_the_todo(world, trader):
    api, clerks = world
    application_id = change(api, trader, {"business_scope": RESTAURANT_SCOPE}).json()["id"]
    review = Filing.objects.get(application_id=application_id, department__code="AIC")
    Api(clerks["AIC"]).post(f"/filings/{review.pk}/approve")
    health = Todo.objects.get(application_id=application_id, department__code="HEALTH")
    assert health.filing.state == "waiting"

    wrong = api.post(f"/enterprises/{trader.uscc}/todos/{health.pk}", {"data": {"venue_kind": ["spaceport"]}})
    assert wrong.status_code == 400 and "venue_kind" in wrong.json()["errors"]
    needed = {k: HOTEL_ITEMS[k] for k in health.needed_items}
    response = api.post(f"/enterprises/{trader.uscc}/todos/{health.pk}", {"data": needed})
    assert response.status_code == 200, response.json()
    assert response.json()["needed_items"] == []
    health.filing.refresh_from_db()
    assert health.filing.state == "dispatched"
    assert Api(clerks["HEALTH"]).post(f"/filings/{health.filing.pk}/approve").status_code == 200
    health.refresh_from_db()
    assert health.status == "done" and health.done_at is not None


def test_a_change_that_adds_nothing_routable_produces_no_new_filings(world, trader):
    api, clerks = world
    response = change(
        api, trader, {"business_scope": sample("electronics_trader")["business_scope"] + "；电子产品维修"}
    )
    application_id = response.json()["id"]
    Api(clerks["AIC"]).post(f"/filings/{Filing.objects.get(application_id=application_id).pk}/approve")
    kinds = by_kind(application_id)
    assert "new_obligation" not in kinds
    assert not Todo.objects.filter(enterprise=trader).exists()
    # STATS reads only the first three activities of the scope: its form comes out the same, so it hears nothing.
    assert "STATS" not in kinds["update"] and "NTAX" in kinds["update"]


def test_items_aic_does_not_review_apply_at_once_to_the_departments_using_them(world, trader):
    api, _clerks = world
    response = change(api, trader, {"phone": "0769-22998877"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "in_progress"
    trader.refresh_from_db()
    assert trader.data["phone"] == "0769-22998877"
    forms = forms_current()
    kinds = by_kind(body["id"])
    assert set(kinds) == {"update"}
    held = set(Filing.objects.filter(application__enterprise=trader).values_list("department__code", flat=True))
    assert kinds["update"] == {c for c in held if "phone" in items_needed([forms[c].spec])}


def test_a_registered_address_change_updates_every_department_holding_it(world, trader):
    api, clerks = world
    application_id = change(api, trader, {"reg_address": NEW_ADDRESS}).json()["id"]
    Api(clerks["AIC"]).post(f"/filings/{Filing.objects.get(application_id=application_id).pk}/approve")
    forms = forms_current()
    held = set(Filing.objects.filter(application__enterprise=trader).values_list("department__code", flat=True))
    expected = {c for c in held - {"AIC"} if "reg_address" in items_needed([forms[c].spec])}
    assert by_kind(application_id)["update"] == expected
    assert "new_obligation" not in by_kind(application_id)


def test_a_rejected_change_leaves_the_record_untouched(world, trader):
    api, clerks = world
    before = dict(trader.data)
    application_id = change(api, trader, {"reg_address": NEW_ADDRESS}).json()["id"]
    review = Filing.objects.get(application_id=application_id)
    response = Api(clerks["AIC"]).post(f"/filings/{review.pk}/reject", {"reason": "地址与产权证明不符"})
    assert response.status_code == 200
    trader.refresh_from_db()
    assert trader.data == before
    assert Application.objects.get(pk=application_id).state == "rejected"
    assert set(by_kind(application_id)) == {"change_review"}
    assert not EnterpriseChange.objects.filter(application_id=application_id).exists()


def test_a_change_review_cannot_be_sent_back_for_correction(world, trader):
    api, clerks = world
    application_id = change(api, trader, {"reg_address": NEW_ADDRESS}).json()["id"]
    review = Filing.objects.get(application_id=application_id)
    response = Api(clerks["AIC"]).post(
        f"/filings/{review.pk}/request-correction", {"items": ["reg_address"], "reason": "x"}
    )
    assert response.status_code == 400
    review.refresh_from_db()
    assert review.state == "dispatched"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"entity_type": "sole_proprietorship"}, "entity_type"),
        ({"uscc": "91441900MA4UJ5W13N"}, "uscc"),
        ({"favourite_colour": "red"}, "favourite_colour"),
        ({"postcode": "12"}, "postcode"),
        ({"phone": sample("electronics_trader")["phone"]}, "data"),
        ({"reg_capital": "9000000.00"}, "investors"),  # investors' shares no longer add up
    ],
)
def test_bad_changes_are_refused_with_nothing_written(world, trader, data, key):
    api, _clerks = world
    before = (Application.objects.count(), Filing.objects.count(), dict(trader.data))
    response = change(api, trader, data)
    assert response.status_code == 400, response.json()
    assert key in response.json()["errors"]
    trader.refresh_from_db()
    assert (Application.objects.count(), Filing.objects.count(), trader.data) == before


def test_only_one_change_at_a_time_is_with_aic(world, trader):
    api, _clerks = world
    assert change(api, trader, {"reg_address": NEW_ADDRESS}).status_code == 201
    response = change(api, trader, {"business_scope": RESTAURANT_SCOPE})
    assert response.status_code == 409


def test_who_may_file_a_change(world, trader, outsider, clerk):
    legal_rep_id = sample("electronics_trader")["legal_rep"]["id_number"]
    assert change(Api(outsider), trader, {"phone": "0769-22998877"}).status_code == 404
    assert change(Api(clerk), trader, {"phone": "0769-22998877"}).status_code == 403
    assert Api(outsider).get(f"/enterprises/{trader.uscc}/todos").status_code == 404
    anonymous = Api(outsider)
    anonymous.client.logout()
    assert change(anonymous, trader, {"phone": "0769-22998877"}).status_code in (401, 403)
    rep = User.objects.create_user(username="t_rep", password=PASSWORD, role=Role.APPLICANT)
    response = change(Api(rep), trader, {"phone": "0769-22998877"}, id_number=legal_rep_id)
    assert response.status_code == 201, response.json()


def test_a_rule_an_admin_adds_applies_to_the_next_change_and_its_version_is_recorded(world, trader):
    api, clerks = world
    rule = RoutingRule.objects.create(
        department=RoutingRule.objects.filter(department__code="HEALTH").first().department,
        trigger="scope",
        scope_pattern="母婴护理",
        todo_text="办理母婴护理场所卫生备案。",
        due_days=10,
    )
    rule = routing_rule_revise(rule=rule, todo_text="办理母婴护理场所卫生许可。")
    scope = sample("electronics_trader")["business_scope"] + "；母婴护理服务"
    application_id = change(api, trader, {"business_scope": scope}).json()["id"]
    Api(clerks["AIC"]).post(f"/filings/{Filing.objects.get(application_id=application_id).pk}/approve")
    todo = Todo.objects.get(enterprise=trader)
    assert (todo.department.code, todo.rule_id, todo.rule_version) == ("HEALTH", rule.pk, 2)
    assert todo.title == "办理母婴护理场所卫生许可。"
    assert (todo.due_date - beijing_date(todo.created_at)).days == 10  # both Beijing dates, at any hour


def test_enterprise_record_keeps_department_items_from_its_registration(trader):
    from registration.selectors import enterprise_current_data

    data = enterprise_current_data(Enterprise.objects.get(pk=trader.pk))
    assert data["bank_account"] == sample("electronics_trader")["bank_account"]
    assert data["name_zh"] == trader.name_zh


def test_verification_reports_the_registrations_not_the_updates_or_copy_requests(world, trader):
    from registration.verification import verification_facts

    api, clerks = world
    before = {r["department"]: r["reference_no"] for r in verification_facts(trader)["registrations"]}
    application_id = change(api, trader, {"business_scope": RESTAURANT_SCOPE}).json()["id"]
    Api(clerks["AIC"]).post(f"/filings/{Filing.objects.get(application_id=application_id).pk}/approve")
    for f in Filing.objects.filter(application_id=application_id, kind="update", state="dispatched"):
        Api(clerks[f.department.code]).post(f"/filings/{f.pk}/approve", {"reference_no": "UPDATE-1"})
    api.post(f"/enterprises/{trader.uscc}/archive-copies", {"document": "licence", "department": "STATS"})
    after = verification_facts(Enterprise.objects.get(pk=trader.pk))["registrations"]
    assert {r["department"]: r["reference_no"] for r in after if r["department"] in before} == before
    assert len(after) == len({r["department"] for r in after})  # one entry per department
    assert {r["department"]: r["state"] for r in after if r["department"] not in before} == {
        "HEALTH": "waiting",
        "FIRE": "waiting",
        "EPB": "waiting",
    }


def test_a_rule_added_in_the_admin_applies_to_the_next_change(world, trader, admin_user, client):
    api, clerks = world
    client.force_login(admin_user)
    department = RoutingRule.objects.filter(department__code="HEALTH").first().department
    response = client.post(
        "/admin/departments/routingrule/add/",
        {
            "department": department.pk,
            "trigger": "scope",
            "industry_codes": "",
            "scope_pattern": "养老服务",
            "todo_text": "办理养老机构卫生备案。",
            "todo_text_en": "File the care home's hygiene record.",
            "due_days": "7",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    scope = sample("electronics_trader")["business_scope"] + "；养老服务"
    application_id = change(api, trader, {"business_scope": scope}).json()["id"]
    Api(clerks["AIC"]).post(f"/filings/{Filing.objects.get(application_id=application_id).pk}/approve")
    todo = Todo.objects.get(enterprise=trader)
    assert (todo.department.code, todo.title, todo.rule_version, todo.reason) == (
        "HEALTH",
        "办理养老机构卫生备案。",
        1,
        "养老服务",
    )


def test_the_owner_is_told_in_the_inbox_and_by_email(world, trader, django_capture_on_commit_callbacks, mailoutbox):
    api, clerks = world
    User.objects.filter(pk=trader.owner_id).update(email="chen@example.cn")
    application_id = change(api, trader, {"business_scope": RESTAURANT_SCOPE}).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        Api(clerks["AIC"]).post(f"/filings/{Filing.objects.get(application_id=application_id).pk}/approve")
    note = Notification.objects.filter(user=trader.owner, url=f"/enterprises/{trader.uscc}/").get()
    fire = Todo.objects.get(department__code="FIRE")
    assert fire.title in note.body and fire.due_date.isoformat() in note.body
    assert [m.to for m in mailoutbox] == [["chen@example.cn"]] and fire.title in mailoutbox[0].body

"""Every change made in the Django admin reaches the audit chain: adds, changes (the fields that changed, before and
after), deletes, custom actions and the password form, with secrets redacted and the chain intact afterwards."""

import json

import pytest
from django.contrib import admin

from departments.models import Department, RoutingRule
from forms_engine.models import DepartmentForm, FieldMapping, Town
from forms_engine.services import form_draft_open
from portal.admin_audit import REDACTED, AuditedAdmin
from portal.audit import audit_chain_verify
from portal.models import AuditEvent, User
from registration.models import Enterprise, Institution
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"portal", "registration", "departments", "forms_engine", "reporting"}


def form_data(page) -> dict:
    """The change form's values as the page shows them, inline formsets included: what a browser would post back
    unchanged."""
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue  # an unchecked box is not posted
            if value is True:
                value = "on"
            data[form.add_prefix(name)] = [str(v) for v in value] if isinstance(value, (list, tuple)) else value
            if form.fields[name].show_hidden_initial:  # fields with a callable default carry their initial value
                data[form.add_initial_prefix(name)] = data[form.add_prefix(name)]
    return data


def events(action: str, model: str, pk) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type=model, object_id=str(pk)))


def test_a_department_edited_in_the_admin_is_audited_with_the_fields_that_changed(client, admin_user, seeded):
    department = Department.objects.get(code="NTAX")
    url = f"/admin/departments/department/{department.pk}/change/"
    client.force_login(admin_user)
    data = form_data(client.get(url))

    response = client.post(url, {**data, "sla_hours": department.sla_hours + 24})

    assert response.status_code == 302, response.content.decode()[:3000]
    [event] = events("admin.change", "departments.department", department.pk)
    assert event.actor == admin_user
    assert (event.before, event.after) == (
        {"sla_hours": department.sla_hours},
        {"sla_hours": department.sla_hours + 24},
    )
    assert event.message  # Django's change message, as the admin's history shows it
    assert audit_chain_verify() is None


def test_saving_a_department_unchanged_records_nothing(client, admin_user, seeded):
    department = Department.objects.get(code="NTAX")
    url = f"/admin/departments/department/{department.pk}/change/"
    client.force_login(admin_user)

    assert client.post(url, form_data(client.get(url))).status_code == 302

    assert events("admin.change", "departments.department", department.pk) == []


def test_a_routing_rule_revised_in_the_admin_is_audited_on_its_new_version(client, admin_user, seeded):
    rule = RoutingRule.objects.filter(is_active=True).first()
    url = f"/admin/departments/routingrule/{rule.pk}/change/"
    client.force_login(admin_user)

    response = client.post(url, {**form_data(client.get(url)), "due_days": (rule.due_days or 0) + 5})

    assert response.status_code == 302, response.content.decode()[:3000]
    successor = RoutingRule.objects.get(department=rule.department, trigger=rule.trigger, is_active=True)
    [event] = events("admin.change", "departments.routingrule", successor.pk)
    assert event.before["id"] == rule.pk and event.after["id"] == successor.pk
    assert (event.before["due_days"], event.after["due_days"]) == (rule.due_days, (rule.due_days or 0) + 5)
    assert audit_chain_verify() is None


def test_an_inline_row_changed_in_the_admin_is_told_in_the_message(client, admin_user, seeded):
    draft = form_draft_open(form=DepartmentForm.objects.get(department_code="NTAX"), user=admin_user)
    mapping = draft.mappings.order_by("position").first()
    url = f"/admin/forms_engine/formversion/{draft.pk}/change/"
    client.force_login(admin_user)
    data = form_data(client.get(url))
    prefix = next(k.removesuffix("-id") for k, v in data.items() if k.endswith("-id") and str(v) == str(mapping.pk))

    response = client.post(url, {**data, f"{prefix}-name": "改过的字段"})

    assert response.status_code == 302, response.content.decode()[:3000]
    assert FieldMapping.objects.get(pk=mapping.pk).name == "改过的字段"
    [event] = events("admin.change", "forms_engine.formversion", draft.pk)
    assert (event.before, event.after) == ({}, {})  # the version's own fields are unchanged
    assert "改过的字段" in event.message  # the inline row, named as Django's history names it
    assert audit_chain_verify() is None


def test_adding_and_deleting_selected_in_the_admin_are_audited(client, admin_user, seeded):
    client.force_login(admin_user)
    response = client.post(
        "/admin/forms_engine/town/add/",
        {"code": "441900999", "name_zh": "测试镇", "name_en": "Test Town", "kind": "town"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    town = Town.objects.get(code="441900999")
    [added] = events("admin.add", "forms_engine.town", town.pk)
    assert added.actor == admin_user and added.before is None
    assert added.after == {
        "id": town.pk,
        "code": "441900999",
        "name_zh": "测试镇",
        "name_en": "Test Town",
        "kind": "town",
    }

    response = client.post(
        "/admin/forms_engine/town/",
        {"action": "delete_selected", "_selected_action": [str(town.pk)], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Town.objects.filter(pk=town.pk).exists()
    [deleted] = events("admin.delete", "forms_engine.town", town.pk)
    assert deleted.actor == admin_user and deleted.after is None
    assert deleted.before["code"] == "441900999"
    assert audit_chain_verify() is None


def test_deleting_on_the_delete_page_is_audited(client, admin_user, seeded):
    town = Town.objects.create(code="441900998", name_zh="另一镇", name_en="Other Town", kind="town")
    client.force_login(admin_user)

    response = client.post(f"/admin/forms_engine/town/{town.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    [deleted] = events("admin.delete", "forms_engine.town", town.pk)
    assert deleted.before["name_en"] == "Other Town"


def test_an_institution_added_and_revoked_in_the_admin_is_audited_without_its_key(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/registration/institution/add/",
        {"name": "东莞银行", "kind": "bank", "scopes": '["verify"]', "purpose_required": "on"},
        follow=True,
    )
    assert response.status_code == 200
    institution = Institution.objects.get(name="东莞银行")
    [added] = events("admin.add", "registration.institution", institution.pk)
    assert added.after["key_hash"] == REDACTED
    assert institution.key_hash not in json.dumps(added.after)
    shown_key = next(str(m) for m in response.context["messages"] if institution.key_prefix in str(m))
    assert shown_key.split()[-1] not in json.dumps([added.after, added.message])

    response = client.post(
        "/admin/registration/institution/",
        {"action": "revoke", "_selected_action": [str(institution.pk)]},
    )

    assert response.status_code == 302
    institution.refresh_from_db()
    [revoked] = events("admin.revoke", "registration.institution", institution.pk)
    assert revoked.actor == admin_user
    assert revoked.before == {"revoked_at": None} and revoked.after["revoked_at"] is not None
    assert audit_chain_verify() is None


def test_a_password_changed_in_the_admin_is_audited_redacted(client, admin_user, applicant):
    old_hash = applicant.password
    client.force_login(admin_user)

    response = client.post(
        f"/admin/portal/user/{applicant.pk}/password/",
        {
            "usable_password": "true",
            "password1": "Another-long-passphrase-42",
            "password2": "Another-long-passphrase-42",
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    applicant.refresh_from_db()
    assert applicant.password != old_hash
    [event] = events("admin.change", "portal.user", applicant.pk)
    assert event.actor == admin_user
    assert (event.before, event.after) == ({"password": REDACTED}, {"password": REDACTED})
    written = json.dumps([event.before, event.after, event.message])
    assert old_hash not in written and applicant.password not in written
    assert audit_chain_verify() is None


def test_a_user_added_in_the_admin_is_audited_without_the_password(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        "/admin/portal/user/add/",
        {
            "username": "new_auditor", "usable_password": "true", "password1": "Another-long-passphrase-42",
            "password2": "Another-long-passphrase-42", "role": "auditor", "full_name": "审计员",
        },
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="new_auditor")
    [event] = events("admin.add", "portal.user", user.pk)
    assert event.after["password"] == REDACTED and event.after["role"] == "auditor"
    assert user.password not in json.dumps(event.after)


def test_an_enterprise_cannot_be_changed_in_the_admin(client, admin_user, seeded):
    enterprise = EnterpriseFactory()
    client.force_login(admin_user)

    response = client.post(
        f"/admin/registration/enterprise/{enterprise.pk}/change/", {"uscc": enterprise.uscc, "name_zh": "改名有限公司"}
    )

    assert response.status_code == 403
    assert Enterprise.objects.get(pk=enterprise.pk).name_zh == enterprise.name_zh
    assert client.post(f"/admin/registration/enterprise/{enterprise.pk}/delete/", {"post": "yes"}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_every_admin_is_audited():
    """A new admin cannot forget: the portal's own admins name the mixin first; contrib's and third-party apps'
    admins get it when portal/admin.py wraps them."""
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, AuditedAdmin), model._meta.label
        if model._meta.app_label in PROJECT_APPS:
            assert type(model_admin).__bases__[0] is AuditedAdmin, model._meta.label
            assert type(model_admin).__module__ != "portal.admin_audit", model._meta.label


def test_events_written_together_chain_in_their_order_and_read_back_as_written(applicant):
    # PostgreSQL writes a stream's events and moves its head in one statement; SQLite as Django writes them.
    from portal.audit import audit_record_many
    from portal.models import AuditChainHead

    written = audit_record_many([
        {"action": "application.submitted", "obj_type": "application", "obj_id": 7, "application_id": 7,
         "actor": applicant, "after": {"state": "submitted", "名称": "东莞市华信电子贸易有限公司"}},
        {"action": "filing.released", "obj_type": "filing", "obj_id": 70, "application_id": 7, "actor_label": "AIC",
         "before": None, "after": {"state": "queued", "items": [1, 2.5, None, True]}},
        {"action": "filing.released", "obj_type": "filing", "obj_id": 71, "application_id": 7, "message": "第二"},
        {"action": "user.signed_in", "obj_type": "user", "obj_id": applicant.pk, "actor": applicant},
    ])  # fmt: skip

    assert all(e.pk for e in written)
    stream = list(AuditEvent.objects.filter(stream="application:7").order_by("id"))
    assert [e.pk for e in stream] == [e.pk for e in written[:3]]
    assert [e.prev_hash for e in stream[1:]] == [e.hash for e in stream[:-1]]
    assert AuditChainHead.objects.get(stream="application:7").last_hash == stream[-1].hash
    assert stream[0].after == {"state": "submitted", "名称": "东莞市华信电子贸易有限公司"}
    assert stream[0].actor == applicant
    assert stream[1].before is None and stream[1].after == {"state": "queued", "items": [1, 2.5, None, True]}
    assert stream[1].actor_label == "AIC" and stream[2].message == "第二"
    assert AuditEvent.objects.filter(before__isnull=True, pk=stream[1].pk).exists()  # SQL NULL, not JSON null
    assert audit_chain_verify() is None

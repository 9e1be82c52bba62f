"""Who may use the Django admin: admins change, auditors only read, clerks and applicants are kept out."""

import pytest

pytestmark = pytest.mark.django_db

USERS = "/admin/portal/user/"
DEPARTMENTS = "/admin/departments/department/"


def test_admin_can_change(client, admin_user, seeded):
    client.force_login(admin_user)

    assert client.get(USERS).status_code == 200
    assert client.get(DEPARTMENTS + "add/").status_code == 200


def test_auditor_reads_everything(client, auditor, seeded):
    client.force_login(auditor)

    assert client.get(USERS).status_code == 200
    assert client.get(DEPARTMENTS).status_code == 200
    assert client.get("/admin/departments/routingrule/").status_code == 200


def test_auditor_changes_nothing(client, auditor, seeded):
    client.force_login(auditor)

    assert client.get(USERS + "add/").status_code == 403
    assert client.get(DEPARTMENTS + "add/").status_code == 403
    response = client.post(USERS + f"{auditor.pk}/change/", {"username": "renamed"})
    assert response.status_code == 403
    auditor.refresh_from_db()
    assert auditor.username == "auditor_test"


@pytest.mark.parametrize("persona", ["applicant", "clerk"])
def test_applicants_and_clerks_are_kept_out(client, persona, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(USERS)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_is_sent_to_login(client):
    assert client.get(USERS).status_code == 302

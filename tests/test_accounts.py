"""Sign-up, log-in, log-out, password change, API tokens and the role rules."""

import pytest
from django.db import IntegrityError
from django.urls import reverse

from departments.models import Department
from portal.models import Role, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "wang_fang",
    "full_name": "王芳",
    "mobile": "13712345678",
    "password1": "Dongguan-2016!",
    "password2": "Dongguan-2016!",
}


def test_signup_creates_an_applicant_and_logs_in(client):
    response = client.post(reverse("signup"), SIGNUP)

    assert response.status_code == 302
    user = User.objects.get(username="wang_fang")
    assert (user.role, user.full_name, user.mobile, user.department) == (Role.APPLICANT, "王芳", "13712345678", None)
    assert client.get(reverse("home")).context["user"] == user


def test_signup_with_bad_mobile_shows_error_and_keeps_what_was_typed(client):
    response = client.post(reverse("signup"), {**SIGNUP, "mobile": "12345"})

    assert response.status_code == 400
    assert "mobile" in response.context["form"].errors
    assert "王芳" in response.content.decode()
    assert not User.objects.filter(username="wang_fang").exists()


def test_signup_errors_are_in_chinese_by_default_and_english_on_request(client):
    zh = client.post(reverse("signup"), {**SIGNUP, "mobile": "12345"}).content.decode()
    client.cookies["django_language"] = "en"
    en = client.post(reverse("signup"), {**SIGNUP, "mobile": "12345"}).content.decode()

    assert "请输入以 13–19 开头的 11 位手机号码" in zh
    assert "Enter an 11-digit mainland mobile number" in en


def test_signup_refuses_a_taken_username_and_mismatched_passwords(client, applicant):
    response = client.post(
        reverse("signup"), {**SIGNUP, "username": applicant.username, "password2": "something-else-1"}
    )

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"username", "password2"}


def test_nobody_can_sign_up_as_clerk_or_admin(client):
    client.post(reverse("signup"), {**SIGNUP, "role": "admin", "is_staff": "on", "is_superuser": "on"})

    user = User.objects.get(username="wang_fang")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.APPLICANT, False, False)


def test_login_and_logout(client, applicant):
    response = client.post(reverse("login"), {"username": applicant.username, "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_with_wrong_password_is_refused(client, applicant):
    response = client.post(reverse("login"), {"username": applicant.username, "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_password_change(client, applicant):
    client.force_login(applicant)

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "New-Secret-2026", "new_password2": "New-Secret-2026"},
    )

    assert response.status_code == 302
    applicant.refresh_from_db()
    assert applicant.check_password("New-Secret-2026")


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_api_token_for_valid_credentials_authenticates_later_calls(client, applicant):
    response = client.post(
        "/api/v1/auth/token", {"username": applicant.username, "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) == 40
    assert client.post(
        "/api/v1/auth/token", {"username": applicant.username, "password": PASSWORD}, content_type="application/json"
    ).json() == {"token": token}


def test_api_token_for_wrong_password_is_400_with_errors(client, applicant):
    response = client.post(
        "/api/v1/auth/token", {"username": applicant.username, "password": "nope"}, content_type="application/json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"]
    assert body["errors"]["non_field_errors"]


def test_api_token_with_missing_fields_lists_every_field(client):
    response = client.post("/api/v1/auth/token", {}, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "password"}


def test_api_token_with_malformed_json_is_400_not_500(client):
    response = client.post("/api/v1/auth/token", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_clerk_must_belong_to_a_department(seeded):
    with pytest.raises(IntegrityError):
        User.objects.create_user(username="lost_clerk", password=PASSWORD, role=Role.CLERK)


def test_only_clerks_belong_to_a_department(seeded):
    with pytest.raises(IntegrityError):
        User.objects.create_user(
            username="odd", password=PASSWORD, role=Role.APPLICANT, department=Department.objects.get(code="SI")
        )

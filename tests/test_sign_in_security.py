"""Who may sign in and how often (issue 14, OWASP ASVS V2): brute-force lockout per account and address, the
staff second factor and idle expiry, and real-name sign-in through the sandbox identity provider with the legal
representative rule on the verified ID number."""

from __future__ import annotations

import json
import time
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.management.commands.totp_code import current_code
from portal.middleware import LAST_SEEN_KEY
from portal.models import AuditEvent, Notification, User
from portal.sandbox_idp import DEMO_PEOPLE
from tests.conftest import PASSWORD, force_login_password_only
from tests.oidc_sandbox import provider_through, real_name_sign_in
from tests.workflow import Api

CHEN = DEMO_PEOPLE["chen-zhiming"]  # the electronics trader's legal representative
LI = DEMO_PEOPLE["li-xiuying"]  # acts for no company


def _token(username: str, password: str, address: str = "10.0.0.1", **extra):
    body = json.dumps({"username": username, "password": password, **extra})
    return Client(REMOTE_ADDR=address).post("/api/v1/auth/token", body, content_type="application/json")


# --- Brute force ------------------------------------------------------------------------------------------------


def test_the_eleventh_wrong_password_is_refused_without_checking_it_and_the_owner_is_told(applicant, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _token(applicant.username, "wrong").status_code == 400
    assert _token(applicant.username, "wrong").status_code == 429  # the tenth: checked, wrong, and now paused
    with mock.patch.object(ModelBackend, "authenticate", autospec=True) as checked:
        locked = _token(applicant.username, PASSWORD)
    assert locked.status_code == 429
    assert not checked.called  # the right password was not even looked at
    assert "15" in locked.json()["detail"] and int(locked["Retry-After"]) == 15 * 60
    notice = Notification.objects.get(user=applicant)  # one notice, however often the locked-out client tries
    assert "10.0.0.1" in notice.body


def test_a_lockout_holds_only_for_that_address_and_lifts_after_the_cool_off(clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _token(clerk.username, "guess", address="203.0.113.9")  # a stranger elsewhere
    assert _token(clerk.username, PASSWORD, address="203.0.113.9").status_code == 429
    # The clerk at their own desk is not locked out by the stranger (and is only asked for the second factor).
    own = _token(clerk.username, PASSWORD, address="10.1.1.1")
    assert own.status_code == 400 and "otp" in own.json()["errors"]
    with time_machine.travel(time.time() + 16 * 60):
        assert _token(clerk.username, PASSWORD, address="203.0.113.9").json()["errors"].keys() == {"otp"}


def test_the_sign_in_page_and_the_admin_pause_too_with_a_translated_message(applicant, admin_user, settings):
    browser = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert browser.post(reverse("login"), {"username": applicant.username, "password": "x"}).status_code == 200
    browser.post(reverse("login"), {"username": applicant.username, "password": "x"})
    page = browser.post(reverse("login"), {"username": applicant.username, "password": PASSWORD})
    assert page.status_code == 429
    assert "登录已暂停" in page.content.decode()
    admin = Client(REMOTE_ADDR="10.0.0.3", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        admin.post("/admin/login/", {"username": admin_user.username, "password": "x"})
    locked = admin.post("/admin/login/", {"username": admin_user.username, "password": PASSWORD})
    assert locked.status_code == 429 and "Signing in is paused" in locked.content.decode()


# --- Second factor and idle expiry --------------------------------------------------------------------------------


def test_a_staff_session_without_the_second_factor_is_refused(clerk, admin_user):
    for user, url in ((clerk, "/workbench/"), (admin_user, "/admin/"), (admin_user, "/dashboard/")):
        client = Client()
        force_login_password_only(client, user)
        page = client.get(url)
        assert page.status_code == 302 and page["Location"].startswith("/accounts/second-factor/")
    api = Client()
    force_login_password_only(api, clerk)
    assert api.get("/api/v1/filings").status_code == 403


def test_applicants_need_no_second_factor(applicant):
    client = Client()
    force_login_password_only(client, applicant)
    assert client.get("/inbox/").status_code == 200


def test_a_clerk_enrols_an_authenticator_gets_recovery_codes_and_uses_one_once(clerk):
    client = Client()
    client.post(reverse("login"), {"username": clerk.username, "password": PASSWORD})
    page = client.get("/accounts/second-factor/?next=/workbench/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=clerk, confirmed=False)
    wrong = "000000" if current_code(device) != "000000" else "111111"
    assert client.post("/accounts/second-factor/", {"code": wrong, "next": "/workbench/"}).status_code == 400
    # django-otp slows down guessing: right after a wrong code even the right one waits a moment.
    throttled = client.post("/accounts/second-factor/", {"code": current_code(device), "next": "/workbench/"})
    assert throttled.status_code == 400 and "wait" in throttled.content.decode().lower() or "稍候" in (
        throttled.content.decode()
    )
    with time_machine.travel(time.time() + 3, tick=False):
        done = client.post("/accounts/second-factor/", {"code": current_code(device), "next": "/workbench/"})
    assert done.status_code == 200
    codes = list(StaticToken.objects.filter(device__user=clerk).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    assert client.get("/workbench/").status_code == 200
    assert AuditEvent.objects.filter(action="account.second_factor_enrolled", object_id=str(clerk.pk)).exists()

    # A lost phone: a recovery code signs in once.
    for attempt, expected in ((1, 302), (2, 400)):
        again = Client()
        again.post(reverse("login"), {"username": clerk.username, "password": PASSWORD})
        answer = again.post("/accounts/second-factor/", {"code": codes[0], "next": "/workbench/"})
        assert answer.status_code == expected, attempt


def test_staff_tokens_need_the_second_factor(clerk):
    device = TOTPDevice.objects.create(user=clerk, name="authenticator", confirmed=True)
    refused = _token(clerk.username, PASSWORD)
    assert refused.status_code == 400 and "otp" in refused.json()["errors"]
    wrong = "123456" if current_code(device) != "123456" else "654321"
    assert _token(clerk.username, PASSWORD, otp=wrong).status_code == 400
    with time_machine.travel(time.time() + 3, tick=False):  # past django-otp's pause after a wrong code
        granted = _token(clerk.username, PASSWORD, otp=current_code(device))
    assert granted.status_code == 200 and granted.json()["token"]


def test_an_idle_staff_session_ends(clerk, settings):
    client = Client()
    client.force_login(clerk)
    assert client.get("/workbench/").status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - settings.STAFF_IDLE_SECONDS - 5
    session.save()
    page = client.get("/workbench/")
    assert page.status_code == 302 and page["Location"].startswith(reverse("login"))
    assert client.get("/api/v1/filings").status_code in (401, 403)  # signed out: no session any more


def test_an_active_staff_session_stays(clerk, settings):
    client = Client()
    client.force_login(clerk)
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - settings.STAFF_IDLE_SECONDS + 30
    session.save()
    assert client.get("/workbench/").status_code == 200


# --- Real-name sign-in ------------------------------------------------------------------------------------------


@pytest.fixture
def provider(monkeypatch, db):
    provider_through(monkeypatch)


def test_real_name_sign_in_creates_an_account_with_the_verified_identity(provider):
    client = Client()
    answer = real_name_sign_in(client, "chen-zhiming", next_url="/inbox/")
    assert answer.status_code == 302 and answer["Location"] == "/inbox/"
    user = User.objects.get(verified_id_number=CHEN[1])
    assert (user.verified_name, user.full_name, user.is_applicant, user.has_usable_password()) == (
        CHEN[0], CHEN[0], True, False
    )
    inbox = client.get("/inbox/")
    assert inbox.status_code == 200
    assert reverse("password_change").encode() not in inbox.content  # no password to change
    assert AuditEvent.objects.filter(action="account.identity_created", object_id=str(user.pk)).exists()
    # The same person again: the same account.
    real_name_sign_in(Client(), "chen-zhiming")
    assert User.objects.filter(verified_id_number=CHEN[1]).count() == 1


def test_real_name_sign_in_links_a_password_account(provider, applicant):
    client = Client()
    client.force_login(applicant)
    real_name_sign_in(client, "li-xiuying")
    applicant.refresh_from_db()
    assert (applicant.verified_name, applicant.verified_id_number) == LI
    assert AuditEvent.objects.filter(action="account.identity_linked", object_id=str(applicant.pk)).exists()


def test_an_identity_belongs_to_one_account(provider, applicant, outsider):
    first = Client()
    first.force_login(applicant)
    real_name_sign_in(first, "li-xiuying")
    # Signed in as another account, the same person is signed in to the account their identity belongs to.
    second = Client()
    second.force_login(outsider)
    real_name_sign_in(second, "li-xiuying")
    outsider.refresh_from_db()
    assert outsider.verified_id_number == ""
    assert int(second.session["_auth_user_id"]) == applicant.pk
    # Another provider subject with an ID number already verified is refused, with the reason on the page.
    User.objects.filter(pk=applicant.pk).update(identity_subject="an-earlier-subject")
    third = Client()
    third.force_login(outsider)
    answer = real_name_sign_in(third, "li-xiuying")
    assert "failed" in answer["Location"]
    shown = third.get(answer["Location"], follow=True).content.decode()
    assert "已有另一个账号以此身份证号码完成实名认证" in shown
    outsider.refresh_from_db()
    assert outsider.verified_id_number == ""


def test_staff_cannot_sign_in_by_real_name(provider, clerk):
    client = Client()
    client.force_login(clerk)
    real_name_sign_in(client, "li-xiuying")
    clerk.refresh_from_db()
    assert clerk.verified_id_number == ""


def test_the_provider_refuses_a_reused_code_a_wrong_verifier_and_a_foreign_redirect(db, settings):
    client = Client()
    start = client.get("/oidc/authenticate/")
    from urllib.parse import parse_qs, urlsplit

    params = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    foreign = client.get("/sandbox/idp/authorize", {**params, "redirect_uri": "https://evil.example/oidc/callback/"})
    assert foreign.status_code == 400
    back = client.post("/sandbox/idp/authorize", {**params, "person": "li-xiuying"})
    code = parse_qs(urlsplit(back["Location"]).query)["code"][0]
    exchange = {
        "grant_type": "authorization_code", "code": code, "redirect_uri": params["redirect_uri"],
        "client_id": settings.OIDC_RP_CLIENT_ID, "client_secret": settings.OIDC_RP_CLIENT_SECRET,
        "code_verifier": "not-the-verifier",
    }  # fmt: skip
    assert Client().post("/sandbox/idp/token", exchange).json()["error"] == "invalid_grant"
    assert Client().post("/sandbox/idp/token", {**exchange, "client_secret": "guess"}).status_code == 401


# --- Acting for an enterprise with the verified ID -----------------------------------------------------------------


def _verified(person: str) -> User:
    name, number = DEMO_PEOPLE[person]
    return User.objects.create_user(
        username=f"rn-{person}", role="applicant", full_name=name, verified_name=name, verified_id_number=number,
        identity_subject=f"sub-{person}",
    )  # fmt: skip


def test_a_verified_account_acts_only_for_the_person_it_holds(trader):
    stranger = Api(_verified("li-xiuying"))
    typed = stranger.post("/applications", {"kind": "existing_company", "uscc": trader.uscc, "id_number": CHEN[1]})
    assert typed.status_code == 400
    assert "id_number" in typed.json()["errors"] and LI[1][-4:] in typed.json()["errors"]["id_number"][0]
    assert stranger.get(f"/enterprises/{trader.uscc}/todos").status_code == 404

    legal_rep = Api(_verified("chen-zhiming"))
    created = legal_rep.post("/applications", {"kind": "existing_company", "uscc": trader.uscc})
    assert created.status_code == 201, created.json()
    assert legal_rep.get(f"/enterprises/{trader.uscc}/todos").status_code == 200


def test_without_typed_ids_an_unverified_account_must_sign_in_by_real_name(trader, outsider, settings):
    settings.TYPED_ID_ACCEPTED = False
    api = Api(outsider)
    api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    answer = api.post("/applications", {"kind": "existing_company", "uscc": trader.uscc, "id_number": CHEN[1]})
    assert answer.status_code == 400
    assert "Sign in with your real-name identity" in answer.json()["errors"]["id_number"][0]


def test_password_sign_up_can_be_turned_off(client, settings):
    assert client.get(reverse("signup")).status_code == 200
    settings.PASSWORD_SIGNUP = False
    assert client.get(reverse("signup")).status_code == 404
    assert reverse("signup").encode() not in client.get(reverse("login")).content


def test_without_a_provider_real_name_sign_in_is_not_offered(client, settings):
    settings.REAL_NAME_SIGNIN = False
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert b"/oidc/authenticate/" not in client.get(reverse("login")).content


def test_an_admin_resets_a_lost_second_factor_and_it_is_audited(admin_user, clerk):
    TOTPDevice.objects.create(user=clerk, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(admin_user)
    answer = client.post(
        "/admin/portal/user/", {"action": "second_factor_reset_selected", "_selected_action": [clerk.pk]}
    )
    assert answer.status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    assert AuditEvent.objects.filter(action="account.second_factor_reset", object_id=str(clerk.pk)).exists()
    # The clerk enrols again at the next sign-in.
    again = Client()
    again.post(reverse("login"), {"username": clerk.username, "password": PASSWORD})
    assert b"<svg" in again.get("/accounts/second-factor/").content

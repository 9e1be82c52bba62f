"""Every kind of answer carries the response headers of ASVS V14.4 (a Content-Security-Policy without 'unsafe-inline'
or 'unsafe-eval', nosniff, referrer and opener policies, no framing, a Permissions-Policy), and answers to a signed-in
user are not kept by caches (ASVS V8.2.1). `check --deploy` is covered by tests/test_settings.py."""

import json
import re
import textwrap

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import database_url_for_tests, force_login_password_only
from tests.test_settings import REAL_SECRET, run

pytestmark = pytest.mark.django_db

DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy as {directive: [sources]}."""
    directives = [part.split() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def assert_security_headers(response, page: bool = True) -> None:
    """The headers every answer carries; `page`: an HTML page from the portal's templates, whose scripts carry the
    request's nonce."""
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"][0] == "'self'"
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    if page:
        assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in response["Permissions-Policy"]


def assert_not_cached(response) -> None:
    assert "no-store" in response["Cache-Control"]


def nonce_of(response) -> str:
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


@pytest.mark.parametrize(
    ("path", "status", "page"),
    [
        ("/", 200, True),
        ("/accounts/login/", 200, True),
        ("/start/", 200, True),
        ("/no-such-page/", 404, False),  # Django's plain 404 page: no scripts, so no nonce
        ("/verify/YWTL202611280000001/", 404, True),  # the public verification page of an unknown document
        ("/admin/login/", 200, False),  # Django's admin templates load their scripts without a nonce
        ("/api/v1/departments", 200, False),
        ("/api/v1/no-such-thing", 404, False),
        ("/healthz", 200, False),
    ],
)
def test_public_answers_carry_the_headers(client, seeded, path, status, page):
    response = client.get(path)

    assert response.status_code == status
    assert_security_headers(response, page=page)


def test_an_api_answer_is_json_with_a_charset_or_utf8_by_definition(client, seeded):
    response = client.get("/api/v1/departments")

    assert response["Content-Type"] == "application/json"  # JSON is UTF-8 by definition (RFC 8259)
    assert_security_headers(response, page=False)


def test_an_html_page_names_its_charset(client):
    assert client.get("/")["Content-Type"] == "text/html; charset=utf-8"


def test_a_request_refused_at_the_door_carries_the_headers(client):
    response = client.get("/verify/YWT%00/")

    assert response.status_code == 400
    assert_security_headers(response, page=False)


@pytest.mark.parametrize("path", ["/inbox/", "/applications/", "/"])
def test_an_applicants_pages_carry_the_headers_and_are_not_cached(client, applicant, path):
    client.force_login(applicant)

    response = client.get(path)

    assert response.status_code == 200
    assert_security_headers(response)
    assert_not_cached(response)
    assert "private" in response["Cache-Control"]


def test_a_clerks_workbench_carries_the_headers_and_is_not_cached(client, clerk):
    client.force_login(clerk)

    response = client.get("/workbench/")

    assert response.status_code == 200
    assert_security_headers(response)
    assert_not_cached(response)


@pytest.mark.parametrize(("path", "page"), [("/admin/", False), ("/dashboard/", True), ("/manage/forms/", True)])
def test_an_administrators_pages_carry_the_headers_and_are_not_cached(client, admin_user, seeded, path, page):
    client.force_login(admin_user)

    response = client.get(path)

    assert response.status_code == 200
    assert_security_headers(response, page=page)
    assert_not_cached(response)


def test_the_staff_second_factor_redirect_carries_the_headers(client, clerk):
    force_login_password_only(client, clerk)

    response = client.get("/workbench/")

    assert response.status_code == 302 and "/accounts/second-factor/" in response["Location"]
    assert_security_headers(response, page=False)
    assert_not_cached(response)


def test_api_answers_to_a_token_are_not_cached(client, applicant):
    token = Token.objects.create(user=applicant)

    response = client.get("/api/v1/applications", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert_security_headers(response, page=False)
    assert_not_cached(response)


def test_anonymous_pages_are_left_to_the_caches(client):
    assert not client.get("/").has_header("Cache-Control")


def test_an_answer_that_says_how_to_cache_keeps_it(client, applicant):
    client.force_login(applicant)

    response = client.get("/healthz")

    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"  # never_cache's


def test_the_nonce_is_new_for_every_request_and_given_to_the_pages_scripts(client):
    first, second = client.get("/"), client.get("/")

    assert nonce_of(first) != nonce_of(second)
    assert len(nonce_of(first)) >= 22  # 16 random bytes, base64
    for response in (first, second):
        scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
        assert scripts, "the page loads htmx"
        assert all(f'nonce="{nonce_of(response)}"' in tag for tag in scripts)
        assert all("src=" in tag for tag in scripts), "no inline scripts"


def test_htmx_is_told_to_inject_no_style_and_evaluate_no_code(client):
    html = client.get("/").content.decode()

    config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html).group(1))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False


def test_documents_carry_the_headers_and_are_not_cached(licensed_trader):
    api, _clerks, application_id = licensed_trader
    response = api.client.get(f"/applications/{application_id}/documents/receipt.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert_security_headers(response, page=False)
    assert_not_cached(response)


def test_production_answers_carry_hsts_and_host_prefixed_cookies(tmp_path):
    """The production settings, in a process of their own, answering the sign-in page over HTTPS (behind the
    proxy): HSTS, the same headers, and cookies a browser accepts only from this host over HTTPS."""
    code = textwrap.dedent(
        """
        import json

        import django
        from django.test.utils import override_settings

        django.setup()
        from django.conf import settings as s
        from django.test import Client

        # Production serves collected, hashed static files; no collectstatic ran here.
        static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        override_settings(STORAGES={**s.STORAGES, "staticfiles": static}).enable()
        r = Client().get("/accounts/login/", HTTP_HOST="portal.example.gov.cn", HTTP_X_FORWARDED_PROTO="https")
        cookies = {k: {"secure": bool(m["secure"]), "path": m["path"], "domain": m["domain"]}
                   for k, m in r.cookies.items()}
        session = [s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_PATH, s.SESSION_COOKIE_DOMAIN]
        print(json.dumps({"status": r.status_code, "headers": dict(r.headers), "cookies": cookies, "session": session}))
        """
    )
    result = run(
        code,
        PORTAL_VAR_DIR=str(tmp_path),
        DJANGO_ENV="production",
        SECRET_KEY=REAL_SECRET,
        ALLOWED_HOSTS="portal.example.gov.cn",
        DATABASE_URL=database_url_for_tests(),
    )

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["status"] == 200
    headers = shown["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    # `__Host-` cookies: Secure, Path=/ and no Domain, or browsers refuse them.
    assert shown["cookies"] == {"__Host-csrftoken": {"secure": True, "path": "/", "domain": ""}}
    assert shown["session"] == ["__Host-sessionid", True, "/", None]


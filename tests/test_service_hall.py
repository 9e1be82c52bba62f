"""The service hall shell: home page in Chinese by default, English on request, reference data API."""

import pytest

pytestmark = pytest.mark.django_db


def test_home_is_in_chinese_by_default_and_lists_sixteen_departments(client, seeded):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-CN">' in html
    assert "一次填报" in html or "一表" in html
    assert len(response.context["departments"]) == 16
    assert "国家税务局" in html
    assert "对外贸易经营者备案登记" in html


def test_language_switch_to_english_sticks(client, seeded):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Register your company with every department in one go" in html
    assert "State Taxation Bureau" in html


def test_browser_language_is_honoured(client, seeded):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="en">' in html


def test_home_shows_who_is_logged_in(client, clerk):
    client.force_login(clerk)

    html = client.get("/").content.decode()

    assert "clerk_ntax_test" in html
    assert "国家税务局" in html


def test_departments_api_is_the_public_reference_list(client, seeded):
    response = client.get("/api/v1/departments")

    assert response.status_code == 200
    items = response.json()
    assert [d["code"] for d in items][:3] == ["AIC", "NTAX", "LTAX"]
    assert len(items) == 16
    assert set(items[0]) >= {"code", "name", "name_en", "routed_when"}
    safe = next(d for d in items if d["code"] == "SAFE")
    assert set(safe["prerequisites"]) == {"COMMERCE", "CUSTOMS"}


def test_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    assert "/api/v1/departments" in (paths or text)
    assert "/api/v1/auth/token" in (paths or text)


def test_unknown_page_is_404_not_500(client):
    assert client.get("/no-such-page/").status_code == 404

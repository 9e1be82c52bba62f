"""The portal's own error pages (issue 16): 400, 403, 404 and 500 in the reader's language, with a way back; the
API keeps answering its JSON shape."""

from __future__ import annotations

from django.test import Client, RequestFactory
from django.utils import translation

from portal.views import server_error


def test_an_unknown_page_is_a_translated_404_with_a_way_back(client):
    zh = client.get("/no-such-page/")
    assert zh.status_code == 404 and "找不到页面" in zh.content.decode() and 'href="/"' in zh.content.decode()
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get("/no-such-page/")
    assert en.status_code == 404 and "Page not found" in en.content.decode()


def test_a_page_of_another_role_is_a_translated_403_naming_the_account(client, applicant):
    client.force_login(applicant)
    page = client.get("/dashboard/")
    assert page.status_code == 403
    assert "此页面不属于您的账号" in page.content.decode() and applicant.full_name in page.content.decode()


def test_the_api_keeps_its_json_errors(client):
    answer = client.get("/api/v1/no-such-endpoint")
    assert answer.status_code == 404 and answer["Content-Type"] == "application/json" and "detail" in answer.json()


def test_a_server_error_is_a_page_that_needs_no_database():
    # No database fixture: pytest-django refuses any query, as a database that is down would.
    request = RequestFactory().get("/applications/1/")
    with translation.override("en"):
        page = server_error(request)
    assert page.status_code == 500 and "The portal could not answer" in page.content.decode()
    with translation.override("zh-hans"):
        assert "平台暂时无法响应" in server_error(request).content.decode()

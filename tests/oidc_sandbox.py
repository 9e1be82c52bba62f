"""Real-name sign-in through the sandbox identity provider with Django's test client: the portal's server-side
calls to the provider (token, JWKS, user info) are answered by the same test client, as the running portal's
calls reach the provider mounted in it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from django.test import Client


class _Answer:
    def __init__(self, response):
        self.status_code = response.status_code
        self.content = response.content
        self.text = response.content.decode()
        self.headers = dict(response.items())

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self):
        if self.status_code >= 400:
            import requests

            raise requests.HTTPError(f"{self.status_code}: {self.text}", response=self)


def provider_through(monkeypatch, client_factory=Client) -> None:
    """Route mozilla-django-oidc's `requests` calls to the sandbox provider through a test client."""
    import mozilla_django_oidc.auth as oidc_auth

    def post(url, data=None, auth=None, **kwargs):
        extra = {}
        if auth is not None:
            import base64

            extra["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        return _Answer(client_factory().post(urlsplit(url).path, data or {}, **extra))

    def get(url, headers=None, **kwargs):
        extra = {"HTTP_AUTHORIZATION": headers["Authorization"]} if headers and "Authorization" in headers else {}
        return _Answer(client_factory().get(urlsplit(url).path, **extra))

    monkeypatch.setattr(oidc_auth.requests, "post", post)
    monkeypatch.setattr(oidc_auth.requests, "get", get)


def real_name_sign_in(client: Client, person: str, next_url: str = "/"):
    """The browser's round trip: the portal sends it to the provider, the person agrees, the provider sends it
    back with a code, the portal signs it in. Returns the callback's response."""
    start = client.get("/oidc/authenticate/", {"next": next_url})
    assert start.status_code == 302, start
    authorize = urlsplit(start["Location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    page = client.get(authorize.path, params)
    assert page.status_code == 200, page.content[:500]
    back = client.post(authorize.path, {**params, "person": person})
    assert back.status_code == 302, back.content[:500]
    callback = urlsplit(back["Location"])
    return client.get(callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()})

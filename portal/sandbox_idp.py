"""A simulated provincial identity platform (统一身份认证平台沙箱): an OpenID Connect provider for the demo and
tests, mounted under /sandbox/idp/ when no real provider is configured (`OIDC_SANDBOX`; never in production).

It speaks the authorization-code flow with PKCE (S256) that `portal.oidc` uses: `authorize` (a page where a demo
person confirms signing in), `token` (client secret, single-use code of two minutes, an RS256 ID token),
`userinfo` (name and resident ID number) and `jwks`. The people it vouches for are the demo people below, who
are the legal representatives and liaisons of the shipped sample companies, applicant2's identity (李娜, who
represents an enterprise of the demo register) and one stranger to them all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from functools import cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, generate_private_key
from django.conf import settings
from django.core import signing
from django.core.cache import cache as django_cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from forms_engine.identity import gb11643_check_character


def _resident_id(first17: str) -> str:
    return first17 + gb11643_check_character(first17)


# key → (name, resident ID number). 陈志明 and 黄伟强 are the legal representative and liaison of the demo
# electronics trader (forms_engine/data/sample_applications.json); 李秀英 acts for no demo company.
DEMO_PEOPLE: dict[str, tuple[str, str]] = {
    "chen-zhiming": ("陈志明", "441900199005151231"),
    "huang-weiqiang": ("黄伟强", "441900198812310070"),
    "li-xiuying": ("李秀英", _resident_id("44190019850308002")),
    # applicant2's verified identity: the legal representative of the first enterprise of the demo register
    # (registration/demo_register.py), licensed before the portal.
    "li-na": ("李娜", "441900198704160028"),
}
CODE_SECONDS = 120
ACCESS_SECONDS = 600


def _enabled() -> None:
    if not settings.OIDC_SANDBOX:
        raise Http404


def _issuer(request: HttpRequest) -> str:
    return request.build_absolute_uri("/sandbox/idp")


def subject(person: str) -> str:
    """A stable, opaque subject identifier per demo person (as a real platform gives)."""
    return "sbx-" + hashlib.sha256(DEMO_PEOPLE[person][1].encode()).hexdigest()[:20]


@cache
def _key() -> RSAPrivateKey:
    """The provider's signing key, kept under var/ (made on first use)."""
    path = Path(settings.VAR_DIR) / "sandbox-idp-rsa.pem"
    if not path.exists():
        key = generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, RSAPrivateKey):
        raise ValueError(f"{path} holds no RSA key; delete it to have a new one made")
    return loaded


def _kid() -> str:
    der = _key().public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def _error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _redirect_uri_allowed(request: HttpRequest, redirect_uri: str) -> bool:
    """The portal's own callback on this host: the provider sends codes nowhere else."""
    parts = urlsplit(redirect_uri)
    return parts.netloc == request.get_host() and parts.path == "/oidc/callback/"


@never_cache
def authorize(request: HttpRequest) -> HttpResponse:
    """The sign-in page of the platform: a demo person picks themself and agrees to share name and ID number."""
    _enabled()
    params = request.POST if request.method == "POST" else request.GET
    client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
    if client_id != settings.OIDC_RP_CLIENT_ID or not _redirect_uri_allowed(request, redirect_uri):
        return render(request, "sandbox/idp_error.html", status=400)
    if params.get("response_type") != "code" or params.get("code_challenge_method", "S256") != "S256":
        refused = {"error": "unsupported_response_type", "state": params.get("state", "")}
        return HttpResponseRedirect(f"{redirect_uri}?{urlencode(refused)}")
    keep = {k: params.get(k, "") for k in ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
                                           "code_challenge", "code_challenge_method")}  # fmt: skip
    person = params.get("person", "")
    if request.method == "POST" and person in DEMO_PEOPLE:
        code = signing.dumps(
            {"p": person, "n": keep["nonce"], "c": client_id, "r": redirect_uri, "x": keep["code_challenge"]},
            salt="sandbox-idp-code",
        )
        return HttpResponseRedirect(f"{redirect_uri}?{urlencode({'code': code, 'state': keep['state']})}")
    people = [{"key": k, "name": n, "id_masked": f"{i[:6]}********{i[-4:]}"} for k, (n, i) in DEMO_PEOPLE.items()]
    return render(
        request,
        "sandbox/idp_authorize.html",
        {"people": people, "params": keep, "error": request.method == "POST"},
        status=400 if request.method == "POST" else 200,
    )


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    """Exchange a code for tokens (RFC 6749 4.1.3), the client authenticated by its secret (post or basic)."""
    _enabled()
    client_id, secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    basic = request.headers.get("Authorization", "")
    if basic.startswith("Basic "):
        client_id, _sep, secret = base64.b64decode(basic[6:]).decode().partition(":")
    if client_id != settings.OIDC_RP_CLIENT_ID or not hmac.compare_digest(secret, settings.OIDC_RP_CLIENT_SECRET):
        return _error("invalid_client", "unknown client or wrong secret", status=401)
    if request.POST.get("grant_type") != "authorization_code":
        return _error("unsupported_grant_type", "only authorization_code")
    raw = request.POST.get("code", "")
    try:
        code = signing.loads(raw, salt="sandbox-idp-code", max_age=CODE_SECONDS)
    except signing.BadSignature:
        return _error("invalid_grant", "unknown or expired code")
    # Single use: the first exchange wins (RFC 6749 4.1.2).
    if not django_cache.add("sandbox-idp-code:" + hashlib.sha256(raw.encode()).hexdigest(), 1, CODE_SECONDS * 2):
        return _error("invalid_grant", "code already used")
    if code["c"] != client_id or code["r"] != request.POST.get("redirect_uri"):
        return _error("invalid_grant", "code issued to another client or redirect URI")
    if code["x"] and _s256(request.POST.get("code_verifier", "")) != code["x"]:
        return _error("invalid_grant", "PKCE verifier does not match")
    person, now = code["p"], int(time.time())
    claims = {
        "iss": _issuer(request), "sub": subject(person), "aud": client_id, "iat": now, "exp": now + 300,
        "auth_time": now, "nonce": code["n"], "name": DEMO_PEOPLE[person][0],
    }  # fmt: skip
    id_token = jwt.encode(claims, _key(), algorithm="RS256", headers={"kid": _kid()})
    access = signing.dumps({"p": person}, salt="sandbox-idp-access")
    return JsonResponse(
        {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_SECONDS, "id_token": id_token},
        headers={"Cache-Control": "no-store"},
    )


@require_GET
def userinfo(request: HttpRequest) -> JsonResponse:
    """The person the access token is for: subject, name and resident ID number (OpenID Connect Core 5.3)."""
    _enabled()
    header = request.headers.get("Authorization", "")
    try:
        person = signing.loads(header.removeprefix("Bearer "), salt="sandbox-idp-access", max_age=ACCESS_SECONDS)["p"]
    except (signing.BadSignature, KeyError, TypeError):
        return _error("invalid_token", "unknown or expired access token", status=401)
    name, number = DEMO_PEOPLE[person]
    return JsonResponse({"sub": subject(person), "name": name, settings.OIDC_ID_NUMBER_CLAIM: number})


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    _enabled()
    key = jwt.algorithms.RSAAlgorithm.to_jwk(_key().public_key(), as_dict=True)
    return JsonResponse({"keys": [{**key, "kid": _kid(), "use": "sig", "alg": "RS256"}]})


@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    """`.well-known/openid-configuration`, for tools that read it (the portal is configured with the endpoints)."""
    _enabled()
    base = _issuer(request)
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "profile", "id_number"],
            "claims_supported": ["sub", "name", settings.OIDC_ID_NUMBER_CLAIM],
        }  # fmt: skip
    )

"""Real-name sign-in (统一身份认证) as an OpenID Connect relying party, with mozilla-django-oidc: the
authorization-code flow with PKCE and a nonce, the ID token's RS256 signature checked against the provider's
JWKS, and here also its issuer, audience and expiry, and the user-info `sub` against the ID token's.

The provider vouches for a person's name and resident ID number (claim `OIDC_ID_NUMBER_CLAIM`). The account:
- already linked to this provider subject → signed in, its verified name and ID refreshed;
- otherwise, an applicant signed in with a password and not yet verified → linked (verifying the account);
- otherwise → a new applicant account, with no password.
A verified ID number belongs to one account only. Staff never sign in this way.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from forms_engine.canonical import compact, person_name
from forms_engine.identity import id_number_problem
from portal.audit import audit_record
from portal.models import Role, User

logger = logging.getLogger(__name__)


class IdentityRefused(SuspiciousOperation):
    """The provider's answer cannot be used for this sign-in; the message is for the person signing in (put on the
    page here, as mozilla-django-oidc swallows the exception and sends them to the sign-in page)."""

    def __init__(self, request, message: str):
        super().__init__(message)
        if request is not None:
            messages.error(request, message)


class RealNameBackend(OIDCAuthenticationBackend):
    issuer = ""

    def authenticate(self, request, **kwargs):
        self.issuer = settings.OIDC_OP_ISSUER
        if request is None or "code" not in request.GET or not settings.REAL_NAME_SIGNIN:
            return None  # not the provider's way back: a password sign-in, for the other backends
        if settings.OIDC_SANDBOX:
            # The sandbox provider is mounted in this very server: call it at the address this request came to.
            base = request.build_absolute_uri("/sandbox/idp")
            self.OIDC_OP_TOKEN_ENDPOINT = f"{base}/token"
            self.OIDC_OP_USER_ENDPOINT = f"{base}/userinfo"
            self.OIDC_OP_JWKS_ENDPOINT = f"{base}/jwks"
            self.issuer = base
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        claims = super()._verify_jws(payload, key)
        # mozilla-django-oidc checks the signature, the algorithm and the expiry; an ID token is also only for us
        # and only from our provider (OpenID Connect Core 3.1.3.7).
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("ID token audience is not this portal")
        if self.issuer and claims.get("iss") != self.issuer:
            raise SuspiciousOperation("ID token issuer is not the configured provider")
        if "exp" not in claims:
            raise SuspiciousOperation("ID token without expiry")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        info = super().get_userinfo(access_token, id_token, payload)
        if info.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("user info is about another subject than the ID token")
        return info

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("sub") and person_name(claims.get("name") or "") and self._id_number(claims))

    def _id_number(self, claims: dict[str, Any]) -> str:
        number = compact(claims.get(settings.OIDC_ID_NUMBER_CLAIM) or "")
        if not number or id_number_problem(number, "resident_id"):
            logger.warning("identity provider vouched for no valid resident ID number (subject %s)", claims.get("sub"))
            return ""
        return number

    def filter_users_by_claims(self, claims: dict[str, Any]):
        linked = User.objects.filter(identity_subject=str(claims["sub"]))
        if linked.exists():
            return list(linked)
        current = getattr(self.request, "user", None)
        if isinstance(current, User) and current.is_authenticated:
            if not current.is_applicant:
                raise IdentityRefused(self.request, _("Staff accounts cannot sign in with real-name identity."))
            if current.identity_subject:
                raise IdentityRefused(self.request, _("This account is already verified as another person."))
            return [current]
        return []

    def create_user(self, claims: dict[str, Any]) -> User:
        username = "rn-" + hashlib.sha256(str(claims["sub"]).encode()).hexdigest()[:12]
        user = User(username=username, role=Role.APPLICANT)
        user.set_unusable_password()
        return self.update_user(user, claims, created=True)

    def update_user(self, user: User, claims: dict[str, Any], created: bool = False) -> User:
        name, number = person_name(claims["name"]), self._id_number(claims)
        first = not user.identity_subject
        user.identity_subject = str(claims["sub"])
        user.verified_name, user.verified_id_number = name, number
        user.identity_verified_at = timezone.now()
        if created or not user.full_name:
            user.full_name = name
        try:
            with transaction.atomic():
                user.save()
                if first:
                    audit_record(
                        action="account.identity_linked" if not created else "account.identity_created",
                        obj_type="user",
                        obj_id=user.pk,
                        actor=user,
                        # Only the last four digits: the audit trail is read by more people than the register.
                        after={"verified_name": name, "id_number_tail": number[-4:]},
                    )
        except IntegrityError:
            raise IdentityRefused(
                self.request,
                _("Another account is already verified with this ID number. Sign in with real-name identity alone."),
            ) from None
        return user

from django.conf import settings
from django.http import HttpRequest


def sign_in(request: HttpRequest) -> dict:
    """Which ways of signing in the pages offer (settings `PASSWORD_SIGNUP`, real-name sign-in)."""
    return {"password_signup": settings.PASSWORD_SIGNUP, "real_name_signin": settings.REAL_NAME_SIGNIN}

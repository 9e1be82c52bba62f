"""Writes to accounts: sign-up, the auditors' group, and messages in a user's inbox."""

from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification, Role, User
from .texts import Text, render_stored

AUDITORS_GROUP = "auditors"


def user_signup(*, username: str, password: str, full_name: str, mobile: str, email: str = "") -> User:
    """Create an applicant account (the only role anyone can give themselves)."""
    return User.objects.create_user(
        username=username, password=password, full_name=full_name, mobile=mobile, email=email, role=Role.APPLICANT
    )


def auditors_group_ensure() -> Group:
    """Auditors read everything and change nothing: the group carries every view permission and no other."""
    group, _ = Group.objects.get_or_create(name=AUDITORS_GROUP)
    group.permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return group


def notify(*, user: User, title: str | Text, body: str | Text | list[Text] = "", url: str = "") -> None:
    """Put a message in the user's inbox and e-mail it (after commit, so a rolled-back change sends nothing).
    A `Text` title or body is stored as message and parameters and shown in the reader's language."""
    texts: dict = {}
    if isinstance(title, Text):
        texts["title"] = title.to_json()
    if isinstance(body, Text):
        texts["body"] = body.to_json()
    elif isinstance(body, list):
        texts["body"] = [part.to_json() for part in body]
    title, body = render_stored(texts.get("title", title)), render_stored(texts.get("body", body))
    Notification.objects.create(user=user, title=title, body=body, url=url, texts=texts)
    if user.email:
        transaction.on_commit(
            lambda: send_mail(title, f"{body}\n\n{url}".strip(), None, [user.email], fail_silently=True)
        )

"""Writes to accounts: sign-up, the auditors' group, and messages in a user's inbox."""

from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mail
from django.db import transaction

from .models import Notification, Role, User

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


def notify(*, user: User, title: str, body: str = "", url: str = "") -> None:
    """Put a message in the user's inbox and e-mail it (after commit, so a rolled-back change sends nothing)."""
    Notification.objects.create(user=user, title=title, body=body, url=url)
    if user.email:
        transaction.on_commit(
            lambda: send_mail(title, f"{body}\n\n{url}".strip(), None, [user.email], fail_silently=True)
        )

"""The demo users of docs/CONTRACT.md (`seed_demo`): an admin, two applicants, an auditor and one clerk per
department."""

from django.db import transaction
from django.utils import timezone

from departments.models import Department
from forms_engine.samples import sample_application

from . import sandbox_idp
from .models import Role, User
from .services import auditors_group_ensure

DEMO_PEOPLE = {
    "admin": ("系统管理员", "13800000000"),
    "applicant": ("张伟", "13800138000"),
    "applicant2": ("李娜", "13900139000"),
    "auditor": ("审计员 王芳", "13700137000"),
}


def _demo_user(username: str, password: str, **fields) -> User:
    user, _ = User.objects.update_or_create(username=username, defaults=fields)
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def demo_users_ensure(*, password: str) -> list[str]:
    """The users named in docs/CONTRACT.md, all with `password`. Safe to run again (passwords are reset to it)."""
    names = []

    def person(username: str) -> dict:
        full_name, mobile = DEMO_PEOPLE[username]
        return {"full_name": full_name, "mobile": mobile}

    _demo_user("admin", password, role=Role.ADMIN, is_staff=True, is_superuser=True, department=None, **person("admin"))
    names.append("admin")
    for username in ("applicant", "applicant2"):
        _demo_user(username, password, role=Role.APPLICANT, is_staff=False, department=None, **person(username))
        names.append(username)
    # applicant2 has signed in through the identity platform before: her account holds her verified identity, so
    # she can claim the enterprise of the demo register she represents (real-name sign-in lands on this account).
    name, number = sandbox_idp.DEMO_PEOPLE["li-na"]
    User.objects.filter(username="applicant2").update(
        verified_name=name, verified_id_number=number, identity_subject=sandbox_idp.subject("li-na"),
        identity_verified_at=timezone.now(),
    )  # fmt: skip
    auditor = _demo_user(
        "auditor",
        password,
        role=Role.AUDITOR,
        is_staff=True,
        is_superuser=False,
        department=None,
        **person("auditor"),
    )
    auditor.groups.add(auditors_group_ensure())
    names.append("auditor")
    for department in Department.objects.order_by("sort_order"):
        username = f"clerk_{department.code.lower()}"
        _demo_user(
            username,
            password,
            role=Role.CLERK,
            department=department,
            is_staff=False,
            full_name=f"{department.name} 办事员",
            mobile="",
        )
        names.append(username)
    return names


def demo_signers() -> list[tuple[str, str]]:
    """(name, ID number) of everyone who signs in the demo: the sample companies' legal representatives and
    natural-person investors, then the sandbox identity provider's people; 陈志明 first (he tries the refusals)."""
    people: dict[str, str] = {}
    for name in ("electronics_trader", "restaurant_hotel"):
        data = sample_application(name)
        for person in [data.get("legal_rep") or {}, *(data.get("investors") or [])]:
            if person.get("id_number") and person.get("kind", "natural") == "natural":
                people.setdefault(person["id_number"], person["name"])
    for name, id_number in sandbox_idp.DEMO_PEOPLE.values():
        people.setdefault(id_number, name)
    return [(name, id_number) for id_number, name in people.items()]

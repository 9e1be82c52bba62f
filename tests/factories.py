"""factory_boy factories for rows a test needs in a given state without walking the workflow to get there; traits
name the states (`ApplicationFactory(submitted=True)`, `FilingFactory(failed=True)`). Tests that are about the
workflow itself walk it through the API instead (tests/workflow.py)."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from departments.models import Department, Filing, FilingKind, FilingState
from portal.models import Role, User
from registration.identifiers import uscc_generate
from registration.models import Application, ApplicationState, Enterprise, NameReservation
from registration.names import name_key
from registration.selectors import register_data
from tests.conftest import PASSWORD
from tests.forms_fixtures import sample

TRADE_NAMES = "华信星河宏达鸿福恒通永盛嘉业富源"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))
    full_name = factory.Sequence(lambda n: f"申请人{n}")
    role = Role.APPLICANT

    class Params:
        clerk = factory.Trait(role=Role.CLERK, department=factory.LazyFunction(lambda: Department.objects.first()))
        auditor = factory.Trait(role=Role.AUDITOR, is_staff=True)
        admin = factory.Trait(role=Role.ADMIN, is_staff=True, is_superuser=True)


def _name(n: int) -> str:
    return f"东莞市{TRADE_NAMES[n % 12]}{TRADE_NAMES[(n // 12) % 12]}电子贸易有限公司"


class EnterpriseFactory(factory.django.DjangoModelFactory):
    """A licensed enterprise in the register, holding its name (as the licence would have reserved it)."""

    class Meta:
        model = Enterprise
        skip_postgeneration_save = True  # the reservation is a row of its own

    uscc = factory.LazyFunction(uscc_generate)
    name_zh = factory.Sequence(_name)
    name_key = factory.LazyAttribute(lambda e: name_key(e.name_zh))
    entity_type = "llc_natural_controlled"
    established_on = factory.LazyFunction(lambda: timezone.localdate())
    data = factory.LazyAttribute(lambda e: {**register_data(sample("electronics_trader")), "name_zh": e.name_zh})
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def reservation(enterprise, create, extracted, **kwargs):
        if create:
            NameReservation.objects.create(name_key=enterprise.name_key, name_zh=enterprise.name_zh,
                                           enterprise=enterprise)  # fmt: skip


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application of the electronics trader's data; traits for where it stands."""

    class Meta:
        model = Application

    kind = Application.Kind.NEW_COMPANY
    applicant = factory.SubFactory(UserFactory)
    data = factory.LazyFunction(lambda: sample("electronics_trader"))
    state = ApplicationState.DRAFT

    class Params:
        submitted = factory.Trait(state=ApplicationState.SUBMITTED, submitted_at=factory.LazyFunction(timezone.now))
        licensed = factory.Trait(
            state=ApplicationState.IN_PROGRESS,
            submitted_at=factory.LazyFunction(timezone.now),
            licensed_at=factory.LazyFunction(timezone.now),
            enterprise=factory.SubFactory(EnterpriseFactory, owner=factory.SelfAttribute("..applicant")),
        )


class FilingFactory(factory.django.DjangoModelFactory):
    """One department's filing of an application; traits for its state."""

    class Meta:
        model = Filing

    application = factory.SubFactory(ApplicationFactory, licensed=True)
    department = factory.LazyFunction(lambda: Department.objects.get(code="NTAX"))
    kind = FilingKind.REGISTRATION
    state = FilingState.WAITING

    class Params:
        dispatched = factory.Trait(
            state=FilingState.DISPATCHED, round=1, payload={}, dispatched_at=factory.LazyFunction(timezone.now)
        )
        failed = factory.Trait(state=FilingState.FAILED, round=1, payload={}, attempts=6, last_error="HTTP 503")

"""The seams between apps: departments reaches registration only through the port registration plugs in at
start-up (departments/ports.py); the import contracts themselves run in `make test` (lint-imports)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from departments import ports
from registration.decisions import RegistrationDecisions


def test_registration_is_plugged_in_at_start_up():
    assert isinstance(ports.registration_port(), RegistrationDecisions)


def test_without_the_port_departments_fails_loudly(monkeypatch):
    monkeypatch.setattr(ports, "_plugged", [])

    with pytest.raises(ImproperlyConfigured, match="registration port"):
        ports.registration_port()


def test_a_decision_without_the_port_fails_loudly_and_changes_nothing(licensed_trader, monkeypatch):
    from departments.models import Filing
    from tests.workflow import Api, filing

    _api, clerks, application_id = licensed_trader
    ntax = filing(application_id, "NTAX")
    monkeypatch.setattr(ports, "_plugged", [])

    with pytest.raises(ImproperlyConfigured):
        Api(clerks["NTAX"]).post(f"/filings/{ntax.pk}/approve")

    assert Filing.objects.get(pk=ntax.pk).state == "dispatched"

"""Every (state, transition) pair of the application and filing machines: allowed ones land in the target state,
refused ones raise and leave the state alone."""

import pytest
from django_fsm import TransitionNotAllowed

from departments.models import Filing, FilingState
from registration.models import Application, ApplicationState

A = ApplicationState
F = FilingState

APPLICATION_TRANSITIONS = {
    "submit_for_licence": ({A.DRAFT, A.CORRECTION_REQUESTED}, A.SUBMITTED),
    "submit_to_departments": ({A.DRAFT, A.CORRECTION_REQUESTED}, A.IN_PROGRESS),
    "issue_licence": ({A.SUBMITTED}, A.IN_PROGRESS),
    "approve_change": ({A.SUBMITTED}, A.IN_PROGRESS),
    "refuse_copy": ({A.IN_PROGRESS}, A.REJECTED),
    "reject": ({A.SUBMITTED}, A.REJECTED),
    "request_correction": ({A.SUBMITTED, A.IN_PROGRESS}, A.CORRECTION_REQUESTED),
    "complete": ({A.IN_PROGRESS}, A.COMPLETED),
    "withdraw": ({A.DRAFT, A.SUBMITTED, A.CORRECTION_REQUESTED}, A.WITHDRAWN),
}
FILING_TRANSITIONS = {
    "release": ({F.WAITING}, F.QUEUED),
    "dispatch": ({F.QUEUED, F.FAILED}, F.DISPATCHED),
    "fail": ({F.QUEUED}, F.FAILED),
    "redispatch": ({F.FAILED}, F.QUEUED),
    "approve": ({F.DISPATCHED}, F.APPROVED),
    "reject": ({F.DISPATCHED, F.QUEUED}, F.REJECTED),
    "request_correction": ({F.DISPATCHED}, F.CORRECTION_REQUESTED),
    "resend": (
        {F.CORRECTION_REQUESTED, F.DISPATCHED, F.APPROVED, F.REJECTED, F.FAILED, F.QUEUED},
        F.QUEUED,
    ),
}


MACHINES = {
    "application": (lambda state: Application(kind="new_company", state=state), APPLICATION_TRANSITIONS, A.values),
    "filing": (lambda state: Filing(state=state), FILING_TRANSITIONS, F.values),
}
CASES = [
    (machine, name, state)
    for machine, (_make, transitions, states) in MACHINES.items()
    for name in transitions
    for state in states
]


@pytest.mark.parametrize(("machine", "name", "state"), CASES)
def test_transition(machine, name, state):
    make, transitions, _states = MACHINES[machine]
    obj = make(state)
    sources, target = transitions[name]

    if state in sources:
        getattr(obj, name)()
        assert obj.state == target
    else:
        with pytest.raises(TransitionNotAllowed):
            getattr(obj, name)()
        assert obj.state == state


def test_withdraw_after_the_licence_is_refused():
    import datetime as dt

    application = Application(kind="new_company", state=A.CORRECTION_REQUESTED, licensed_at=dt.datetime(2026, 1, 1))

    with pytest.raises(TransitionNotAllowed):
        application.withdraw()


def test_existing_company_can_be_withdrawn_only_as_draft():
    assert Application(kind="existing_company", state=A.DRAFT).nothing_registered_yet()
    assert not Application(kind="existing_company", state=A.CORRECTION_REQUESTED).nothing_registered_yet()


@pytest.mark.django_db
def test_state_field_cannot_be_assigned_directly(seeded, applicant):
    application = Application.objects.create(kind="new_company", applicant=applicant)

    with pytest.raises(AttributeError):
        application.state = A.COMPLETED

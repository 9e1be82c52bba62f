"""Every (state, transition) pair of the application and filing machines: allowed ones land in the target state,
refused ones raise and leave the state alone."""

import datetime as dt

import pytest
from django_fsm import TransitionNotAllowed

from departments.models import Department, Filing, FilingState
from registration.models import Application, ApplicationState, Enterprise

A = ApplicationState
F = FilingState

APPLICATION_TRANSITIONS = {
    "submit_for_licence": ({A.DRAFT, A.CORRECTION_REQUESTED}, A.SUBMITTED),
    "submit_to_departments": ({A.DRAFT, A.CORRECTION_REQUESTED}, A.IN_PROGRESS),
    "issue_licence": ({A.SUBMITTED}, A.IN_PROGRESS),
    "approve_change": ({A.SUBMITTED}, A.IN_PROGRESS),
    "refuse_copy": ({A.IN_PROGRESS}, A.REJECTED),
    "reject": ({A.SUBMITTED}, A.REJECTED),
    "request_correction": ({A.SUBMITTED, A.IN_PROGRESS, A.CORRECTION_REQUESTED}, A.CORRECTION_REQUESTED),
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


# What a transition is given: the bookkeeping it records (a payload pinned, the enterprise licensed).
PINNED = {"form_version_id": None, "payload": {"纳税人名称": "东莞市华信"}, "payload_hash": "h", "references": {}}
ARGUMENTS = {
    ("application", "issue_licence"): {"enterprise": Enterprise(uscc="91441900MA4UJ8K20E")},
    ("filing", "release"): PINNED,
    ("filing", "resend"): PINNED,
}
MACHINES = {
    "application": (lambda state: Application(kind="new_company", state=state), APPLICATION_TRANSITIONS, A.values),
    "filing": (
        lambda state: Filing(state=state, department=Department(code="NTAX", sla_hours=24), round=1),
        FILING_TRANSITIONS,
        F.values,
    ),
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

    arguments = ARGUMENTS.get((machine, name), {})

    if state in sources:
        getattr(obj, name)(**arguments)
        assert obj.state == target
    else:
        with pytest.raises(TransitionNotAllowed):
            getattr(obj, name)(**arguments)
        assert obj.state == state


def test_the_transitions_record_their_own_bookkeeping():
    filing = Filing(state=F.WAITING, department=Department(code="NTAX", sla_hours=24))

    filing.release(**PINNED)
    assert (filing.round, filing.payload, filing.released_at is not None) == (1, PINNED["payload"], True)
    filing.dispatch()
    assert filing.due_at - filing.dispatched_at == dt.timedelta(hours=24) and filing.next_attempt_at is None
    filing.request_correction(items=["accounting_standard", "accounting_standard"], reason="会计制度不符")
    assert (filing.correction_items, filing.message) == (["accounting_standard"], "会计制度不符")
    filing.resend(**PINNED)
    assert (filing.round, filing.correction_items, filing.decided_at, filing.attempts) == (2, [], None, 0)
    filing.dispatch()
    filing.approve(reference_no="NTAX-1")
    assert (filing.reference_no, filing.decided_at is not None, filing.is_overdue) == ("NTAX-1", True, False)

    application = Application(kind="new_company", state=A.DRAFT, name_key="东莞市华信电子贸易有限公司")
    application.submit_for_licence()
    assert application.submitted_at is not None and application.can_withdraw is not False
    application.request_correction(items=["name_zh"], reason="AIC: 字号近似")
    application.request_correction(items=["reg_address"], reason="AIC: 住所不详")
    assert application.editable_items == ["name_zh", "reg_address"] and application.correction_reason.count("AIC") == 2
    application.withdraw()
    assert application.name_key == "" and application.is_final


def test_withdraw_after_the_licence_is_refused():
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


@pytest.mark.django_db(transaction=True)
def test_refreshing_one_row_while_another_refresh_is_under_way_works_and_keeps_the_protection(
    applicant, monkeypatch, django_assert_num_queries
):
    """Found by bench/cost with gunicorn's threads: django-fsm-2 lifts the state field's protection on the field,
    shared by every instance, during a refresh, and puts it back after. A refresh that started while it was lifted
    (so did not lift it itself) and set the state after it was put back failed with "Direct state modification is
    not allowed". That interleaving of two threads is replayed here, step by step."""
    import threading

    from django.db import connections, models

    row = Application.objects.create(kind="new_company", applicant=applicant, data={})
    first, second = Application.objects.get(pk=row.pk), Application.objects.get(pk=row.pk)
    Application.objects.filter(pk=row.pk).update(state=ApplicationState.SUBMITTED)
    refresh = models.Model.refresh_from_db
    first_done, outcome = threading.Event(), {}

    def second_thread():
        try:
            second.refresh_from_db()
            outcome["state"] = second.state
        except Exception as exc:  # noqa: BLE001 — reported to the test
            outcome["error"] = exc
        finally:
            connections.close_all()

    other = threading.Thread(target=second_thread)

    def interleaved(self, *args, **kwargs):
        if self is first:
            other.start()  # the second refresh starts while the first is under way...
        elif self is second:
            first_done.wait(timeout=10)  # ...and reads its row only once the first has finished
        return refresh(self, *args, **kwargs)

    monkeypatch.setattr(models.Model, "refresh_from_db", interleaved)
    first.refresh_from_db()
    first_done.set()
    other.join(timeout=30)

    assert outcome == {"state": ApplicationState.SUBMITTED}
    assert first.state == ApplicationState.SUBMITTED
    with pytest.raises(AttributeError):
        first.state = ApplicationState.COMPLETED  # the state still changes only by a transition
    monkeypatch.undo()
    with django_assert_num_queries(1):
        first.refresh_from_db(fields=["data"])  # the state is read with them (ConcurrentTransitionMixin needs it)
    assert first.state == ApplicationState.SUBMITTED
    with django_assert_num_queries(1):  # the state is read with the other fields, not after them
        first.refresh_from_db()
    Application.objects.filter(pk=row.pk).update(state=ApplicationState.IN_PROGRESS)
    second.refresh_from_db()
    second.complete()
    second.save()  # ConcurrentTransitionMixin's check passes: the refresh took the row's current state
    assert Application.objects.get(pk=row.pk).state == ApplicationState.COMPLETED

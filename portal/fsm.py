"""State machines shared by the apps (django-fsm-2)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django_fsm import ConcurrentTransitionMixin


class StateMachineModel(ConcurrentTransitionMixin):
    """ConcurrentTransitionMixin (a save refuses a state changed by someone else since the row was read) with a
    `refresh_from_db` that is safe under threads. django-fsm-2's own lifts the protection of the state field on the
    field, which every instance of the model shares, and puts it back afterwards: with two threads refreshing at
    once (gunicorn's threads, Celery's thread pool) one puts it back while the other is still writing, and the
    other fails with "Direct state modification is not allowed". Here only this instance's held value is set
    aside, so the descriptor takes the fresh one, and the protection of every other instance stays as it is."""

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        protected = self._get_protected_fsm_fields()
        held = {name: self.__dict__.pop(name) for name in protected if name in self.__dict__}
        try:
            models.Model.refresh_from_db(self, *args, **kwargs)
        finally:
            for name, value in held.items():
                self.__dict__.setdefault(name, value)  # not refreshed (other fields asked for, or the row is gone)
        self._update_initial_state()

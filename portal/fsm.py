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

    def refresh_from_db(self, using: Any = None, fields: Any = None, from_queryset: Any = None) -> None:
        if fields is None:
            # Every loaded field in one query, as Django does for an instance with deferred fields; the state
            # among them, so that it is read together with the rest (never a second, later read).
            deferred = self.get_deferred_fields()
            fields = [f.attname for f in self._meta.concrete_fields if f.attname not in deferred]
        protected = self._get_protected_fsm_fields()
        # The state is always read with what was asked for: ConcurrentTransitionMixin reads it as each instance is
        # made, so leaving it out would only read it in a second query.
        fields = [*fields, *(name for name in protected if name not in fields)]
        held = {name: self.__dict__.pop(name) for name in protected if name in self.__dict__}
        try:
            models.Model.refresh_from_db(self, using=using, fields=fields, from_queryset=from_queryset)
        finally:
            for name, value in held.items():
                self.__dict__.setdefault(name, value)  # the row is gone: the instance keeps what it held
        self._update_initial_state()  # the state read is the one a save must still find

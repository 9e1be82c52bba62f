"""The one seam through which `departments` reaches the registration domain above it.

Departments deliver filings and record decisions; what a decision means for an application (a licence, a
correction, completion, a change applied) is registration's business. Registration plugs an implementation of
`RegistrationPort` in at start-up (`registration.apps.RegistrationConfig.ready`), so this app imports nothing
from it. Using the port before anything is plugged in fails loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from django.db.models.fields.related_descriptors import RelatedManager

    from portal.models import User

    from .models import Filing


class FilingOwner(Protocol):
    """What departments sees of an application (registration.models.Application): its id and its filings."""

    @property
    def pk(self) -> Any: ...

    @property
    def filings(self) -> RelatedManager[Filing]: ...


@dataclass(frozen=True)
class PrintedCopy:
    """A document a department prints for an archive-copy request: its number and the PDF."""

    number: str
    pdf: bytes


class RegistrationPort(Protocol):
    def application_lock(self, application_id: int) -> None:
        """Lock the application row (SELECT … FOR UPDATE) inside the caller's transaction. Every state change
        takes the application first, then its filings, so a clerk, a callback and a worker are serialised."""

    def after_decision(self, *, filing: Filing, actor: User | None) -> None:
        """What the department's recorded decision means for the application (same transaction, application
        locked): the licence, a correction request, released prerequisites, completion, a change applied."""

    def printed_copy(self, *, filing: Filing) -> PrintedCopy | None:
        """The document an archive-copy filing asks the department to print, or None if there is none."""


_plugged: list[RegistrationPort] = []


def registration_port_plug(port: RegistrationPort) -> None:
    """Plug registration's implementation in (once, at start-up; plugging again replaces it)."""
    _plugged[:] = [port]


def registration_port() -> RegistrationPort:
    if not _plugged:
        raise ImproperlyConfigured(
            "departments needs the registration port: registration.apps.RegistrationConfig.ready() plugs it in; "
            "is 'registration' in INSTALLED_APPS?"
        )
    return _plugged[0]

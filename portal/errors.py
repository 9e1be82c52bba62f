"""The one domain exception family: services raise these, the API and pages turn them into the same answers."""

from typing import Any


class PortalError(Exception):
    """A request the portal refuses for a reason the user can fix (HTTP 400)."""

    status_code = 400

    def __init__(self, detail: Any, errors: dict[str, list[str]] | None = None):
        super().__init__(str(detail))
        self.detail = detail
        self.errors = errors or {}


class StateConflict(PortalError):
    """A transition that the object's current state does not allow (HTTP 409)."""

    status_code = 409

    def __init__(self, detail: Any, state: str):
        super().__init__(detail)
        self.state = state

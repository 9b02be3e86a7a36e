"""The platform's own changes (a domain app's changes are in its own actions.py)."""

from __future__ import annotations

from typing import Any

from waypoint.core import audit


class Refused(Exception):
    """A change a rule does not allow; ``str()`` is the translated message for the person asking.
    Each app's refusals derive from it (an encounter that is closed, a channel the rules forbid)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def record_quick_exit(user: Any) -> None:
    """Quick exit was used: one audit row, before the session is ended."""
    audit.record(audit.Event.QUICK_EXIT, org_id=user.org_id, actor_id=user.id)

"""The platform's own changes (a domain app's changes are in its own actions.py)."""

from __future__ import annotations

from typing import Any

from waypoint.core import audit


def record_quick_exit(user: Any) -> None:
    """Quick exit was used: one audit row, before the session is ended."""
    audit.record(audit.Event.QUICK_EXIT, org_id=user.org_id, actor_id=user.id)

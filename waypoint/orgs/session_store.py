"""Database sessions that remember their owner, so "sign out everywhere" and deactivation can end
every session at once and a user can list their own sessions.  Session data holds ids and
timestamps only, never personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import transaction


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from waypoint.orgs.models import StaffSession

        return StaffSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance: Any = super().create_model_instance(data)
        instance.staff_id = data.get("_auth_user_id")
        now = datetime.now(UTC)
        auth_at = data.get("wp_auth_at")
        instance.created_at = datetime.fromtimestamp(auth_at, UTC) if auth_at else now
        instance.last_seen_at = now
        instance.device = str(data.get("wp_device", ""))[:60]
        return instance

    def delete(self, session_key: str | None = None) -> None:
        """Ending a session is a write like any other: inside a transaction, so it waits its turn in
        SQLite's writer queue instead of writing in autocommit."""
        with transaction.atomic():
            super().delete(session_key)

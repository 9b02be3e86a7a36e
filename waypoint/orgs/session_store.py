"""Database sessions that remember their owner, so "sign out everywhere" and deactivation can end
every session at once and a user can list their own sessions.  Session data holds ids and
timestamps only, never personal data.

Dead rows are removed by ``manage.py clear_sessions`` (daily, from cron or a systemd timer; Django's
``clearsessions`` does the same through ``clear_expired``): rows past their expiry date, and rows of
signed-in sessions past the idle or absolute limit, which the middleware would refuse anyway."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import transaction
from django.db.models import Q

CLOCK_GRACE = timedelta(seconds=60)  # app servers' clocks may differ a little


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

    @classmethod
    def remove_dead(cls, now: datetime | None = None) -> int:
        """Delete every session row nobody can use any more and return how many.  Defends against
        session data (ids, timestamps, pending messages) lingering for ever in the database and its
        backups.  A row is dead when its expiry date has passed, or when it is signed in and its last
        write is older than the idle limit (every request of a live session rewrites it at least every
        30 seconds) or its sign-in older than the absolute limit.  Idempotent."""
        now = now or datetime.now(UTC)
        idle_before = now - timedelta(seconds=settings.SESSION_IDLE_SECONDS) - CLOCK_GRACE
        signed_in_before = now - timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS) - CLOCK_GRACE
        dead = Q(expire_date__lt=now) | Q(staff_id__isnull=False) & (
            Q(last_seen_at__lt=idle_before) | Q(created_at__lt=signed_in_before)
        )
        with transaction.atomic():
            removed, _per_model = cls.get_model_class().objects.filter(dead).delete()
        return int(removed)

    @classmethod
    def clear_expired(cls) -> None:
        cls.remove_dead()

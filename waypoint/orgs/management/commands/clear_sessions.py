"""Remove dead session rows (expired, or signed in but past the idle or absolute limit), and sign-in
counts that no longer change anything.  Run it daily from cron or a systemd timer (README,
"Operations"); running it twice removes nothing more.  Prints only counts: no session keys, no user
ids."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waypoint.orgs import actions
from waypoint.orgs.session_store import SessionStore


class Command(BaseCommand):
    help = "Delete expired and no longer usable session rows; print how many were removed."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = SessionStore.remove_dead()
        self.stdout.write(f"Removed {removed} expired session(s).")
        forgotten = actions.forget_stale_throttles()
        self.stdout.write(f"Removed {forgotten} stale sign-in count(s).")

"""Remove dead session rows (expired, or signed in but past the idle or absolute limit).  Run it
daily from cron or a systemd timer (README, "Operations"); running it twice removes nothing more.
Prints only a count: no session keys, no user ids."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waypoint.orgs.session_store import SessionStore


class Command(BaseCommand):
    help = "Delete expired and no longer usable session rows; print how many were removed."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = SessionStore.remove_dead()
        self.stdout.write(f"Removed {removed} expired session(s).")

"""Flag follow-ups past their due date and contact rules due for confirmation with the person (last
confirmed more than 30 days ago).  For cron or a systemd timer, e.g. hourly; no extra server."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waypoint.contact import actions


class Command(BaseCommand):
    help = "Mark overdue follow-ups and contact rules due for re-confirmation."

    def handle(self, *args: Any, **options: Any) -> None:
        result = actions.mark_due()
        self.stdout.write(f"flags changed: {result['changed']} in {result['organisations']} organisation(s)")

"""Flag follow-ups past their due date and contact rules due for confirmation with the person (last
confirmed more than 30 days ago), and releases of information past their expiry.  For cron or a
systemd timer, e.g. hourly; no extra server."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from waypoint.contact import actions
from waypoint.referrals.actions.expiry import mark_expired


class Command(BaseCommand):
    help = "Mark overdue follow-ups, contact rules due for re-confirmation and expired releases."

    def handle(self, *args: Any, **options: Any) -> None:
        result = actions.mark_due()
        self.stdout.write(f"flags changed: {result['changed']} in {result['organisations']} organisation(s)")
        expired = mark_expired()
        self.stdout.write(f"releases expired: {expired}")

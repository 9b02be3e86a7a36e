"""Print the current authenticator code of a demo user (development only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from waypoint.orgs.auth import totp_code
from waypoint.orgs.models import Staff


class Command(BaseCommand):
    help = "Print the current six-digit code for a demo user (refused in production)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Refused in production settings.")
        staff = Staff.objects.filter(username=Staff.normalize_login(options["username"])).first()
        if staff is None or not staff.totp_secret:
            raise CommandError("No such user with an authenticator key.")
        self.stdout.write(totp_code(staff.totp_secret))

"""Create an organisation and its first admin, printing a one-time activation link.

This is how production starts: there are no default accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from waypoint.core import audit
from waypoint.orgs.models import Invitation, Organisation, Staff


class Command(BaseCommand):
    help = "Create an organisation with one org admin and print the admin's activation link."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", required=True, help="sign-in name of the first admin")
        parser.add_argument("--admin-name", required=True, help="display name of the first admin")
        parser.add_argument("--base-url", required=True, help="e.g. https://waypoint.example.org")

    def handle(self, *args: Any, **options: Any) -> None:
        username = Staff.normalize_login(options["admin"])
        if Staff.objects.filter(username=username).exists():
            raise CommandError("That sign-in name is taken.")
        with transaction.atomic():
            org = Organisation.objects.create(name=options["name"])
            admin = Staff.objects.create_user(username, org=org, display_name=options["admin_name"], is_org_admin=True)
            _invitation, token = Invitation.issue(admin, None)
            audit.record(audit.Event.STAFF_INVITED, org_id=org.id, object_type="staff", object_id=admin.id)
        self.stdout.write(f"{options['base_url'].rstrip('/')}/activate/{token}/")

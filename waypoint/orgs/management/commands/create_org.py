"""Create an organisation and its first admin, printing a one-time activation link.

This is how production starts: there are no default accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from waypoint.orgs import actions
from waypoint.orgs.models import activation_link


class Command(BaseCommand):
    help = "Create an organisation with one org admin and print the admin's activation link."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin", required=True, help="sign-in name of the first admin")
        parser.add_argument("--admin-name", required=True, help="display name of the first admin")
        parser.add_argument("--base-url", required=True, help="e.g. https://waypoint.example.org")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            _org, _admin, token = actions.create_org(options["name"], options["admin"], options["admin_name"])
        except actions.Refused as refused:
            raise CommandError(refused.message) from refused
        # The token goes after "#": browsers never send the fragment, so it reaches no access log.
        base = options["base_url"].rstrip("/")
        self.stdout.write(activation_link(f"{base}/activate/", token))
        # stdout stays the link alone (scripts read it); the note for the person running this goes to stderr.
        self.stderr.write(
            f"After signing in, the admin's home page ({base}/) starts with the set-up list: emergency contacts, "
            "the separation protocol, the see-alone policy, sites, staff and their orientation, the neutral exit "
            "page, minors and jurisdiction, and retention. Until the emergency contacts are filled in, providers "
            "see 911 and the national hotline."
        )

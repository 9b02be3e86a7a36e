"""Load the demo organisations, one user per role in each, and a few people; print the logins.

Refused in production.  Running it again changes nothing and prints the same logins."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from waypoint.core import audit
from waypoint.orgs.auth import new_totp_secret
from waypoint.orgs.models import Organisation, Role, Site, Staff
from waypoint.people.events import PersonEvent
from waypoint.people.models import Person
from waypoint.plans.events import PlanEvent
from waypoint.plans.service import save_section, start_plan
from waypoint.referrals.models import ServiceRecord, ServiceStatus

ORGS = [
    ("a", "Riverside Health (demo)", ["Riverside Clinic", "Eastside Shelter"]),
    ("b", "Harbor Helpline (demo)", ["Harbor Call Centre"]),
]
PEOPLE = {
    "a": [("María Núñez", "", 34, "es"), ("Lan Nguyen", "Lanny", 16, "vi"), ("", "Rosa", 27, "es")],
    "b": [("Ana Costa", "", 41, "pt"), ("Sam Reyes", "", 19, "en")],
}


def demo_password(username: str) -> str:
    return f"{username}{settings.DEMO_PASSWORD_SUFFIX}"


class Command(BaseCommand):
    help = "Load demo data (development only) and print the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", help="Also write the logins as JSON to this file (for tests and benchmarks).")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("Demo data is refused in production settings.")
        with transaction.atomic():
            logins = [self._org(key, name, sites) for key, name, sites in ORGS]
        rows = [row for org_rows in logins for row in org_rows]
        self.stdout.write("\nDemo logins (demo mode only). Password and authenticator key per user:\n")
        for row in rows:
            self.stdout.write(
                f"  {row['org']:<26} {row['role']:<11} {row['username']:<14} "
                f"{row['password']:<34} TOTP {row['totp_secret']}"
            )
        self.stdout.write(
            "\nAdd the TOTP key to an authenticator app, or get a code with:\n"
            "  .venv/bin/python manage.py demo_code USERNAME\n"
        )
        if options.get("json"):
            with open(options["json"], "w", encoding="utf-8") as handle:
                json.dump(rows, handle, indent=2)

    def _org(self, key: str, name: str, sites: list[str]) -> list[dict[str, str]]:
        org, created = Organisation.objects.get_or_create(name=name)
        for site in sites:
            Site.objects.get_or_create(org=org, name=site)
        rows = []
        staff_by_role = {}
        for role in Role:
            username = f"{role.value.replace('_', '')}.{key}"
            staff = Staff.objects.filter(username=username).first()
            if staff is None:
                staff = Staff.objects.create_user(
                    username,
                    org=org,
                    password=demo_password(username),
                    display_name=f"{role.value.replace('_', ' ').title()} {key.upper()}",
                    **{f"is_{role.value}": True},
                )
                staff.totp_secret = new_totp_secret()
                staff.totp_confirmed_at = timezone.now()
                staff.save()
            staff_by_role[role] = staff
            rows.append(
                {
                    "org": name,
                    "org_key": key,
                    "role": role.value,
                    "username": username,
                    "password": demo_password(username),
                    "totp_secret": staff.totp_secret,
                    "id": str(staff.id),
                    "org_id": str(org.id),
                }
            )
        if created:
            provider = staff_by_role[Role.PROVIDER]
            for number, (person_name, alias, age, language) in enumerate(PEOPLE[key]):
                person = Person.objects.create(
                    org=org,
                    name=person_name,
                    alias=alias,
                    estimated_age=age,
                    preferred_language=language,
                    created_by_id=provider.id,
                    notes="Demo record.",
                )
                person.assigned_staff.add(provider)
                audit.record(
                    PersonEvent.CREATED,
                    org_id=org.id,
                    actor_id=provider.id,
                    object_type="person",
                    object_id=person.id,
                )
                if number == 0:
                    self._plan(person, provider)
        return rows

    def _plan(self, person: Person, provider: Staff) -> None:
        """A started safety plan, with a service in the ledger, for the first demo person."""
        ServiceRecord.objects.create(
            org_id=person.org_id, person=person, provider="Community Legal Aid", service="Immigration advice",
            status=ServiceStatus.ONGOING, started_on=timezone.localdate(), created_by_id=provider.id,
        )  # fmt: skip
        plan, _created = start_plan(person, provider)
        step = {"text": "Keep the charger in my bag", "idea": "person", "status": "to_do", "due_on": ""}
        with transaction.atomic():
            save_section(plan.pk, "domain:communication", {"current": [step], "future": []}, plan.version, provider)
        audit.record(PlanEvent.STARTED, org_id=person.org_id, actor_id=provider.id, object_type="safetyplan",
                     object_id=plan.id)  # fmt: skip

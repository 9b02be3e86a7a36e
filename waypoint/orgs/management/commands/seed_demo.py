"""Load the demo organisations, one user per role in each, and a few people; print the logins.

Refused in production.  Running it again changes nothing and prints the same logins.  Everything
goes through the same forms and actions as the pages (each change audited as a user's would be)."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from waypoint.contact import actions as contact_actions
from waypoint.contact.models import ConfirmedHow
from waypoint.orgs import actions as org_actions
from waypoint.orgs.models import Role, Staff
from waypoint.orgs.orientation import oriented
from waypoint.people import actions as people_actions
from waypoint.people.forms import PersonForm
from waypoint.people.models import InterviewerGender, Person
from waypoint.plans import actions as plan_actions
from waypoint.referrals import actions as service_actions
from waypoint.referrals.actions import directory as directory_actions
from waypoint.referrals.forms import ServiceForm
from waypoint.referrals.forms.directory import DirectoryEntryForm
from waypoint.referrals.models import ServiceStatus

ORGS = [
    ("a", "Riverside Health (demo)", ["Riverside Clinic", "Eastside Shelter"]),
    ("b", "Harbor Helpline (demo)", ["Harbor Call Centre"]),
]
# The directory's demo listings (each organisation gets them all): (days since last verified, fields).
# The last one was verified over 12 months ago, so the "not verified" flag shows.
DIRECTORY = [
    (20, {"name": "Servicios Legales Comunitarios", "services": ["legal", "immigration"], "populations": ["adults"],
          "languages": "English, Spanish", "hours": "Mon-Fri 9:00-17:00", "warm_transfer": "on",
          "phone": "555-0142", "email": "intake@servicios-legales.example", "website": "servicios-legales.example",
          "how_to_reach": "Ask for the intake line; interpreters for other languages by appointment."}),
    (45, {"name": "Northside Medical Clinic", "services": ["medical"], "populations": ["adults", "minors"],
          "languages": "English", "hours": "Mon-Sat 8:00-20:00", "phone": "555-0163",
          "address": "40 Northside Avenue"}),
    (90, {"name": "Safe Haven Women's Shelter", "services": ["shelter", "case_management"],
          "populations": ["women", "sex", "labour"], "languages": "English, Spanish", "hours": "24/7",
          "warm_transfer": "on", "phone": "555-0177",
          "how_to_reach": "Call first; the address is given on the phone."}),
    (400, {"name": "Workers' Rights Centre", "services": ["labour", "legal"], "populations": ["labour", "men", "women"],
           "languages": "English, Tagalog", "hours": "Tue and Thu 10:00-16:00", "phone": "555-0188"}),
]  # fmt: skip
# Every demo account has read the staff orientation except this one, so the banner (and the refusal
# to run a separation before it is read) can be seen.
NOT_ORIENTED = "provider.b"
PEOPLE = {
    "a": [("María Núñez", "", 34, "es"), ("Lan Nguyen", "Lanny", 16, "vi"), ("", "Rosa", 27, "es")],
    "b": [("Ana Costa", "", 41, "pt"), ("Sam Reyes", "", 19, "en")],
}


def demo_password(username: str) -> str:
    return f"{username}{settings.DEMO_PASSWORD_SUFFIX}"


def _valid(form: Any) -> Any:
    if not form.is_valid():
        raise CommandError(f"Demo data no longer fits its form: {form.errors.as_json()}")
    return form


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
            f"\nEvery demo user has read the staff orientation except {NOT_ORIENTED}: it shows the orientation "
            "banner and cannot run a separation until it confirms the orientation.\n"
        )
        self.stdout.write(
            "\nAdd the TOTP key to an authenticator app, or get a code with:\n"
            "  .venv/bin/python manage.py demo_code USERNAME\n"
        )
        if options.get("json"):
            with open(options["json"], "w", encoding="utf-8") as handle:
                json.dump(rows, handle, indent=2)

    def _org(self, key: str, name: str, sites: list[str]) -> list[dict[str, str]]:
        org, created = org_actions.ensure_demo_org(name, sites)
        rows = []
        staff_by_role = {}
        for role in Role:
            username = f"{role.value.replace('_', '')}.{key}"
            display = f"{role.value.replace('_', ' ').title()} {key.upper()}"
            staff = org_actions.ensure_demo_staff(org, username, demo_password(username), display, role.value)
            staff_by_role[role] = staff
            if username != NOT_ORIENTED and not oriented(staff):
                org_actions.confirm_orientation(staff)
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
            self._directory(staff_by_role[Role.ORG_ADMIN])
            provider = staff_by_role[Role.PROVIDER]
            for number, (person_name, alias, age, language) in enumerate(PEOPLE[key]):
                person = self._person(provider, person_name, alias, age, language)
                if number == 0:
                    self._plan(person, provider)
        return rows

    def _directory(self, admin: Staff) -> None:
        today = timezone.localdate()
        for days, fields in DIRECTORY:
            verified = (today - datetime.timedelta(days=days)).isoformat()
            data = {**fields, "last_verified_on": verified, "form_token": uuid.uuid4()}
            directory_actions.add_entry(admin, _valid(DirectoryEntryForm(data)))

    def _person(self, provider: Staff, name: str, alias: str, age: int, language: str) -> Person:
        data = {
            "name": name, "alias": alias, "estimated_age": age, "preferred_language": language,
            "interviewer_gender": InterviewerGender.NOT_ASKED, "notes": "Demo record.", "assigned_staff": [provider.id],
            "form_token": uuid.uuid4(),
        }  # fmt: skip
        person, _created = people_actions.create_person(provider, _valid(PersonForm(data, org_id=provider.org_id)))
        return person

    def _plan(self, person: Person, provider: Staff) -> None:
        """A started safety plan, with a service in the ledger, contact rules (text only, a cover)
        and a follow-up due today, for the first demo person."""
        service = {
            "provider": "Community Legal Aid", "service": "Immigration advice", "status": ServiceStatus.ONGOING,
            "started_on": timezone.localdate(), "form_token": uuid.uuid4(),
        }  # fmt: skip
        service_actions.add_service(provider, person, _valid(ServiceForm(service)))
        rules = {
            "safe_to_contact": "yes", "best_way": "text", "text": "allowed", "text_number": "555 010 0199",
            "call": "not_allowed", "voicemail": "not_allowed", "identify_as": "Lucía",
            "someone_answers": "say_cover", "cover_name": "Lucía, a friend from the pharmacy",
            "best_times": "Weekdays after 6 pm",
        }  # fmt: skip
        contact_actions.record_rules(provider, person, rules, how=ConfirmedHow.IN_PERSON)
        contact_actions.add_task(provider, person, due_on=timezone.localdate(), channel="text")
        plan, _created = plan_actions.start_plan(provider, person)
        step = {"text": "Keep the charger in my bag", "idea": "person", "status": "to_do", "due_on": ""}
        plan_actions.save_section(
            provider, plan, "domain:communication", {"current": [step], "future": []}, plan.version
        )

"""Personas: two organisations (A and B), each with one staff member per role and one person.

``sign_in(client, staff)`` gives a client a fully signed-in session (password and second factor
done), as the real login view would."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from waypoint.contact.models import FollowUpTask
from waypoint.encounters.models import Encounter, Mode, SeparationRequest
from waypoint.orgs.auth import new_totp_secret
from waypoint.orgs.models import Organisation, OrientationConfirmation, Role, Site, Staff
from waypoint.people.models import Person
from waypoint.plans.actions import create_plan as start_plan
from waypoint.printing.models import SignTranslation
from waypoint.referrals.models import (
    DirectoryEntry,
    Disclosure,
    DisclosureKind,
    Referral,
    Release,
    ReleaseItem,
    ServiceKind,
    ServiceRecord,
    SharingMode,
    SignedHow,
)
from waypoint.referrals.sharing import expires_at_end_of

PASSWORD = "correct horse battery staple 42"


@dataclass
class OrgWorld:
    org: Organisation
    site: Site
    staff: dict[Role, Staff]
    person: Person
    encounter: Encounter
    separation_request: SeparationRequest
    plan: Any = None
    service: Any = None
    task: Any = None
    entry: Any = None  # a directory listing of the organisation
    release: Any = None  # a valid release to that listing, for contact details and services
    referral: Any = None  # a draft referral to that listing under the release
    disclosure: Any = None
    sign_language: Any = None  # a language the organisation added to its signs

    def __getattr__(self, name: str) -> Staff:
        return self.staff[Role(name)]


def make_staff(org: Organisation, username: str, *roles: Role, password: str = PASSWORD, **extra: Any) -> Staff:
    from django.utils import timezone

    staff = Staff.objects.create_user(
        username, org=org, password=password, display_name=username.title(), **{f"is_{r.value}": True for r in roles}
    )
    staff.totp_secret = new_totp_secret()
    staff.totp_confirmed_at = timezone.now()
    for key, value in extra.items():
        setattr(staff, key, value)
    staff.save()
    # Oriented (issue 13): staff not oriented see a banner and cannot run a separation; the tests
    # of that make their own unoriented staff.
    OrientationConfirmation.objects.create(staff=staff, confirmed_at=timezone.now())
    return staff


def make_org(key: str) -> OrgWorld:
    org = Organisation.objects.create(name=f"Org {key.upper()}")
    site = Site.objects.create(org=org, name=f"Site {key.upper()}")
    staff = {role: make_staff(org, f"{role.value}.{key}", role) for role in Role}
    person = Person.objects.create(
        org=org,
        name=f"Canary Name {key.upper()}",
        notes=f"Canary note {key.upper()}",
        estimated_age=30,
        created_by_id=staff[Role.PROVIDER].id,
    )
    person.assigned_staff.add(staff[Role.PROVIDER])
    encounter = Encounter.objects.create(org=org, person=person, mode=Mode.IN_PERSON, lead=staff[Role.PROVIDER])
    request = SeparationRequest.objects.create(org=org, phrase="form_b", created_by_id=staff[Role.FRONT_DESK].id)
    plan, _created = start_plan(person, staff[Role.PROVIDER], encounter)
    service = ServiceRecord.objects.create(
        org=org,
        person=person,
        provider=f"Canary Clinic {key.upper()}",
        service="Counselling",
        created_by_id=plan.created_by_id,
    )
    task = FollowUpTask.objects.create(
        org=org, person=person, plan_id=plan.id, what=f"Canary task {key.upper()}", due_on=timezone.localdate()
    )
    sign_language = SignTranslation.objects.create(
        org=org, code="sw", name="Kiswahili", heading=f"Canary sign heading {key.upper()}"
    )
    return OrgWorld(
        org=org, site=site, staff=staff, person=person, encounter=encounter, separation_request=request,
        plan=plan, service=service, task=task, sign_language=sign_language,
        **_referral_objects(org, person, staff[Role.PROVIDER], key),
    )  # fmt: skip


def _referral_objects(org: Organisation, person: Person, provider: Staff, key: str) -> dict[str, Any]:
    today = timezone.localdate()
    entry = DirectoryEntry.objects.create(
        org=org, name=f"Canary Legal Aid {key.upper()}", services=[ServiceKind.LEGAL], populations=["adults"],
        languages=["English", "Spanish"], phone="555-0100", last_verified_on=today, verified_by_id=provider.id,
    )  # fmt: skip
    release = Release.objects.create(
        org=org, person=person, entry=entry, items=[ReleaseItem.CONTACT, ReleaseItem.SERVICES],
        purpose=f"Canary purpose {key.upper()}", benefits_risks="Discussed", consenting_party="person",
        signed_how=SignedHow.TYPED, signed_name=person.name, signed_on=today,
        expires_at=expires_at_end_of(today + timezone.timedelta(days=30)), recorded_by_id=provider.id,
    )  # fmt: skip
    referral = Referral.objects.create(
        org=org, person=person, entry=entry, need=ServiceKind.LEGAL, reason=f"Canary reason {key.upper()}",
        sharing=SharingMode.RELEASE, release=release, items=[ReleaseItem.CONTACT], created_by_id=provider.id,
    )  # fmt: skip
    disclosure = Disclosure.objects.create(
        org=org, person=person, kind=DisclosureKind.COURT_ORDER, what="Attendance dates",
        to_whom=f"Canary Court {key.upper()}", legal_basis="Order 123", disclosed_on=today, tell_person=False,
        not_telling_reason="Would endanger", created_by_id=provider.id,
    )  # fmt: skip
    return {"entry": entry, "release": release, "referral": referral, "disclosure": disclosure}


@pytest.fixture(autouse=True, scope="session")
def _record_key_file(tmp_path_factory: Any) -> None:
    """The record-key file of the test run (``waypoint.core.record_keys``): a temporary one, never
    the data directory's, so tests that destroy keys leave nothing behind."""
    from django.conf import settings

    settings.RECORD_KEY_FILE = str(tmp_path_factory.mktemp("record-keys") / "record-keys.json")


@pytest.fixture
def world_a(db: Any) -> OrgWorld:
    return make_org("a")


@pytest.fixture
def world_b(db: Any) -> OrgWorld:
    return make_org("b")


def sign_in(client: Client, staff: Staff, language: str | None = None) -> Client:
    client.force_login(staff, backend="waypoint.orgs.backends.StaffBackend")
    session = client.session
    now = time.time()
    session["wp_auth_at"] = now
    session["wp_last_seen"] = now
    session["wp_step_up_at"] = now
    if language:
        session["wp_language"] = language
    session.save()
    return client


@pytest.fixture
def as_provider(client: Client, world_a: OrgWorld) -> Client:
    return sign_in(client, world_a.provider)

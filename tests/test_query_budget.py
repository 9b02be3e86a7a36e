"""Queries per page: each main page has a declared budget, and its count must not grow with the rows
it shows (an N+1 query shows up as a count that grows when the page lists more rows).

Each page is requested once to warm it (the chain head, caches), then counted with
``CaptureQueriesContext``; for the growth check more rows of everything the page lists are made,
the page is warmed again and the count must be the same.  A budget is today's count: lower it when
a page gets cheaper, never raise it to make a test pass without saying why."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import conftest
from tests.conftest import OrgWorld, make_staff, sign_in
from waypoint.contact.actions import record_rules
from waypoint.contact.models import ContactAttempt, ContactRules, FollowUpTask
from waypoint.core import audit
from waypoint.encounters.models import Amendment, ComfortEvent, ComfortKind, Encounter, Mode, SeparationRequest
from waypoint.orgs.models import Role, Staff
from waypoint.people.events import PersonEvent
from waypoint.people.models import Person
from waypoint.referrals.models import (
    DirectoryEntry,
    Disclosure,
    DisclosureKind,
    Referral,
    ReferralChange,
    Release,
    ReleaseItem,
    ServiceKind,
    ServiceRecord,
    Share,
    SharingMode,
)

MORE = 4  # rows of each kind added before counting again
_names = itertools.count(1)


# --- Making more of what the pages list --------------------------------------------------------


def more_staff(world: OrgWorld, role: Role = Role.PROVIDER) -> Staff:
    return make_staff(world.org, f"extra{next(_names)}.{role.value}", role)


def allow_calls(world: OrgWorld, person: Person) -> None:
    """Contact rules allowing calls (the home page's and task pages' tiles read them)."""
    record_rules(world.provider, person, {"safe_to_contact": "yes", "call": "allowed"}, how="in_person")


def more_people(world: OrgWorld) -> list[Person]:
    """Records assigned to the provider, each with an open encounter it leads, a plan due for
    review, contact rules, an open task due today and a service; and waiting front-desk requests."""
    people = []
    for n in range(MORE):
        person = Person.objects.create(
            org=world.org, name=f"Extra Person {next(_names)}", estimated_age=30, created_by_id=world.provider.id
        )
        person.assigned_staff.add(world.provider)
        encounter = Encounter.objects.create(org=world.org, person=person, mode=Mode.IN_PERSON, lead=world.provider)
        plan, _created = conftest.start_plan(person, world.provider, encounter)
        type(plan).objects.filter(pk=plan.pk).update(review_on=timezone.localdate())
        allow_calls(world, person)
        FollowUpTask.objects.create(
            org=world.org, person=person, plan_id=plan.id, what=f"Task {n}", channel="call",
            due_on=timezone.localdate(), assigned_to=world.provider, created_by_id=world.provider.id,
        )  # fmt: skip
        more_services(world, person, 1)
        SeparationRequest.objects.create(org=world.org, phrase="form_b", created_by_id=world.front_desk.id)
        people.append(person)
    return people


def more_services(world: OrgWorld, person: Person | None = None, count: int = MORE) -> None:
    """Services in the person's ledger, each added by another staff member."""
    for n in range(count):
        ServiceRecord.objects.create(
            org=world.org, person=person or world.person, provider=f"Clinic {n}", service=f"Service {n}",
            created_by_id=more_staff(world).id,
        )  # fmt: skip


def more_tasks(world: OrgWorld) -> None:
    for n in range(MORE):
        FollowUpTask.objects.create(
            org=world.org, person=world.person, plan_id=world.plan.id, what=f"More {n}", channel="call",
            due_on=timezone.localdate() + datetime.timedelta(days=n), assigned_to=more_staff(world),
            created_by_id=more_staff(world).id,
        )  # fmt: skip


def more_attempts(world: OrgWorld) -> None:
    """Attempts on the world's task, each logged by another staff member."""
    for n in range(MORE):
        ContactAttempt.objects.create(
            org=world.org, person=world.person, task=world.task, channel="call", outcome="no_answer",
            note=f"Attempt {n}", by=more_staff(world),
        )  # fmt: skip


def more_encounters(world: OrgWorld) -> None:
    for _n in range(MORE):
        lead = more_staff(world)
        Encounter.objects.create(org=world.org, person=world.person, mode=Mode.PHONE, lead=lead)


def more_viewers(world: OrgWorld) -> None:
    """Reads of the record by other staff members ("who viewed this record")."""
    for _n in range(MORE):
        audit.record_by(more_staff(world), PersonEvent.VIEWED, world.person)


def more_entries(world: OrgWorld) -> list[DirectoryEntry]:
    editor = more_staff(world, Role.SUPERVISOR)
    return [
        DirectoryEntry.objects.create(
            org=world.org,
            name=f"Listing {DirectoryEntry.objects.count()}",
            services=["legal", "medical"],
            languages=["English", "Spanish"],
            populations=["adults"],
            verified_by_id=editor.id,
            last_verified_on=timezone.localdate(),
        )
        for _n in range(MORE)
    ]


def more_referrals(world: OrgWorld) -> None:
    """More listings, and for each a release, a referral under it with two status changes by another
    staff member each, a share and a disclosure: the record's referrals part with rows everywhere."""
    for entry in more_entries(world):
        staff = more_staff(world)
        release = Release.objects.create(
            org=world.org, person=world.person, entry=entry, items=[ReleaseItem.CONTACT], purpose="p",
            benefits_risks="b", consenting_party="person", signed_how="typed", signed_name="n",
            signed_on=world.release.signed_on, expires_at=world.release.expires_at, recorded_by_id=staff.id,
        )  # fmt: skip
        referral = Referral.objects.create(
            org=world.org, person=world.person, entry=entry, need=ServiceKind.LEGAL, sharing=SharingMode.RELEASE,
            release=release, items=[ReleaseItem.CONTACT], created_by_id=staff.id, status="sent",
        )  # fmt: skip
        for status in ("draft", "sent"):
            ReferralChange.objects.create(referral=referral, status=status, by_id=more_staff(world).id)
        Share.objects.create(
            org=world.org, person=world.person, referral=referral, release=release, entry=entry, mode="release",
            items=[ReleaseItem.CONTACT], by_id=staff.id,
        )  # fmt: skip
        Share.objects.create(
            org=world.org, person=world.person, referral=world.referral, release=world.release,
            entry=world.entry, mode="release", items=[ReleaseItem.CONTACT], by_id=more_staff(world).id,
        )  # fmt: skip
        ReferralChange.objects.create(referral=world.referral, status="draft", by_id=more_staff(world).id)
        Disclosure.objects.create(
            org=world.org, person=world.person, kind=DisclosureKind.SUBPOENA, what="w", to_whom="t",
            legal_basis="l", disclosed_on=timezone.localdate(), created_by_id=staff.id,
        )  # fmt: skip


def grow_referrals(world: OrgWorld) -> None:
    more_referrals(world)
    more_services(world)


def grow_share(world: OrgWorld) -> None:
    """The share page previews the referral's items: contact details and the services ledger."""
    Referral.objects.filter(pk=world.referral.pk).update(items=[ReleaseItem.CONTACT, ReleaseItem.SERVICES])
    more_services(world)


def grow_record(world: OrgWorld) -> None:
    more_referrals(world)
    more_encounters(world)
    more_services(world)
    more_tasks(world)
    more_attempts(world)
    more_viewers(world)
    for _n in range(MORE):
        world.person.assigned_staff.add(more_staff(world))


def grow_plan(world: OrgWorld) -> None:
    """More tasks and services; the person's rules (which the permissions and device items show) hold
    a safe word, so the page also decides whether this reader may see it."""
    if not ContactRules.objects.filter(person=world.person).exists():
        allow_calls(world, world.person)
        record_rules(world.provider, world.person, {"safe_word": "blue"}, how="in_person")
    more_tasks(world)
    more_services(world)


def grow_contact(world: OrgWorld) -> None:
    """The before-you-call panel and a follow-up page list open tasks and attempts (the task's own
    and the person's), each by another staff member; the rules allow calls."""
    if not ContactRules.objects.filter(person=world.person).exists():
        allow_calls(world, world.person)
    more_tasks(world)
    more_attempts(world)


def grow_encounter(world: OrgWorld) -> None:
    for n in range(MORE):
        by = more_staff(world).id
        ComfortEvent.objects.create(encounter=world.encounter, kind=list(ComfortKind)[n % len(ComfortKind)], by_id=by)
        Amendment.objects.create(encounter=world.encounter, text=f"Correction {n}", by_id=by)


def grow_audit_log(world: OrgWorld) -> None:
    """Rows by different staff about different records and their encounters."""
    for person in more_people(world):
        encounter = Encounter.objects.filter(person=person).first()
        audit.record_by(more_staff(world), PersonEvent.VIEWED, person)
        audit.record_by(more_staff(world), PersonEvent.VIEWED, encounter, object_type="encounter")


# --- The pages -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    budget: int
    path: Callable[[OrgWorld], str]
    grow: Callable[[OrgWorld], Any]
    reader: Role = Role.PROVIDER
    grows: str = ""  # why the count grows with rows today (file:line of the N+1): the check is xfail
    lists: bool = True  # False: the page lists nothing, so only its count is compared after growing

    def param(self) -> Any:
        marks = [pytest.mark.xfail(strict=True, reason=self.grows)] if self.grows else []
        return pytest.param(self, id=self.name, marks=marks)


# Issue 10 (structured contact rules) raised five budgets by the queries of its new sections, each
# one query whatever the rows: home +1 (the follow-ups panel reads the listed people's rules in one
# query besides the tasks), person_detail +3 (the contact section's open tasks and recent attempts,
# and the attempt ids among the record's objects), plan_detail +2 (the rules, for the items that
# show them, and whether the reader may hold their safe words, asked once per request:
# waypoint/contact/access.py may_hold_secrets), timeline +1 (contact attempts), audit_log +1 (which
# record an attempt belongs to).  The home page's follow-ups list writes its read row when it has rows
# (what each person's rules allow is record data): home +5, the audit append like every read page's.
# Issue 12 (referrals, releases, disclosures), one query each whatever the rows: home +1 (releases
# about to expire of the reader's assigned people), person_detail +4 (the record's referrals,
# releases and disclosures, and their ids among the record's objects), timeline +5 (referrals, their
# changes, releases, shares, disclosures), audit_log +1 (which record those ids belong to), services
# +1 (the directory listings the ledger may name).
PAGES = [
    Page("home", 13 + 1, lambda w: "/", more_people),
    Page("people_list", 9, lambda w: "/people/", more_people),
    Page("person_detail", 20 + 4, lambda w: f"/people/{w.person.id}/", grow_record),
    Page("plan_detail", 20, lambda w: f"/plans/{w.plan.id}/", grow_plan),
    Page("encounter_detail", 17, lambda w: f"/encounters/{w.encounter.id}/", grow_encounter),
    # Issue 11: an encounter's several timeline lines read the privacy steps, the urgent answers and
    # the plans started and the follow-ups set from the encounters, one query each whatever the
    # rows: timeline +4.
    Page("timeline", 13 + 4 + 5, lambda w: f"/people/{w.person.id}/timeline/", grow_record),
    Page("audit_log", 16 + 1, lambda w: "/oversight/audit/", grow_audit_log, reader=Role.AUDITOR),
    Page("services", 10 + 1, lambda w: f"/people/{w.person.id}/services/", more_services),
    Page("contact_person", 14, lambda w: f"/people/{w.person.id}/contact/", grow_contact),
    Page("contact_task", 15, lambda w: f"/follow-ups/{w.task.id}/", grow_contact),
    # Issue 10 review (gap 16), measured: the rules page 10 (session, staff, person, whether the
    # reader may hold the safe words, the rules, and the read row's five) lists nothing, so more
    # tasks, attempts and staff must leave its count alone; the new follow-up 11 (session, staff,
    # person, the rules, the staff it may go to in one query, whether the reader may hold the words,
    # and the read row's five) lists more staff as more are made.
    Page("contact_rules", 10, lambda w: f"/people/{w.person.id}/contact/rules/", grow_contact, lists=False),
    Page("contact_task_new", 11, lambda w: f"/people/{w.person.id}/follow-ups/new/", grow_contact),
    # Issue 11: the poll of waiting front-desk requests (static/requests.js) and the supervisor's home
    # with the team panel (waypoint/oversight/team.py: five aggregate queries whatever the rows).
    Page("requests_waiting", 3, lambda w: "/encounters/separation/requests/waiting/", more_people),
    Page("home_supervisor", 13 + 5, lambda w: "/", more_people, reader=Role.SUPERVISOR),
    # Issue 12: the directory and the record's referrals, releases, shares and disclosures.
    Page("directory", 4, lambda w: "/directory/", more_entries),
    Page("referrals_person", 13, lambda w: f"/people/{w.person.id}/referrals/", grow_referrals),
    Page("referral_new", 12, lambda w: f"/people/{w.person.id}/referrals/new/", grow_referrals),
    Page("referral", 13, lambda w: f"/people/{w.person.id}/referrals/{w.referral.id}/", grow_referrals),
    Page("release", 12, lambda w: f"/people/{w.person.id}/releases/{w.release.id}/", grow_referrals),
    Page("share", 12, lambda w: f"/people/{w.person.id}/referrals/{w.referral.id}/share/", grow_share),
]


def queries(client: Client, path: str) -> tuple[int, int]:
    """The page's query count, and its length (to check that more rows were shown)."""
    client.get(path)  # warm: anything made on first use is not the page's cost
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    return len(captured.captured_queries), len(response.content)


@pytest.mark.parametrize("page", [pytest.param(p, id=p.name) for p in PAGES])
def test_page_stays_within_its_query_budget(client: Client, world_a: OrgWorld, page: Page) -> None:
    page.grow(world_a)  # a page with rows in every list (an empty list may skip its queries)
    sign_in(client, world_a.staff[page.reader])
    count, _length = queries(client, page.path(world_a))
    assert count <= page.budget, f"{page.name}: {count} queries, budget {page.budget}"


@pytest.mark.parametrize("page", [p.param() for p in PAGES])
def test_page_query_count_does_not_grow_with_its_rows(client: Client, world_a: OrgWorld, page: Page) -> None:
    page.grow(world_a)
    sign_in(client, world_a.staff[page.reader])
    before, shorter = queries(client, page.path(world_a))
    page.grow(world_a)
    after, longer = queries(client, page.path(world_a))
    if page.lists:
        assert longer > shorter, f"{page.name} shows no more rows than before: the check checks nothing"
    else:
        assert longer == shorter, f"{page.name} was said to list nothing, yet it grew"
    assert after == before, f"{page.name}: {before} queries, then {after} with more rows"

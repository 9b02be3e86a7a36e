"""Issue 13, the set-up list: an organisation administrator's home starts with what the organisation
must do before providers rely on Waypoint, each item with why and a link, done items with who and
when (one query for every item marked by an audit event), to do first, folded to one line once done.
A new organisation from ``create_org`` shows every item to do, and its providers never see a
placeholder contact."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import OrgWorld, make_staff, sign_in
from waypoint.core import audit
from waypoint.core.registry import setup_items
from waypoint.core.setup import SetupStep
from waypoint.encounters.models import Encounter, Mode
from waypoint.encounters.separation import SeparationProtocol
from waypoint.orgs.models import Organisation, OrientationConfirmation, Role, Site, Staff
from waypoint.people.models import Person

ITEMS = [
    "Emergency contacts",
    "Separation protocol reviewed",
    "See-alone policy",
    "Sites",
    "Staff invited and oriented",
    "Neutral exit page",
    "Minors and jurisdiction",
    "Retention",
]
EVENTS = {
    "See-alone policy": "org.see_alone_saved",
    "Neutral exit page": "org.discretion_saved",
    "Minors and jurisdiction": "org.jurisdiction_saved",
    "Retention": "retention.policy_saved",
}
PROTOCOL = {
    "who_separates": "The charge nurse", "discreet_reasons": "Weighing", "refusal_steps": "Call security",
    "security_contact": "Desk 5555", "local_police": "555-0101", "tribal_police": "", "federal_contact": "",
    "emergency_steps": "Call 911", "adult_consent_script": "Consent", "cps_contact": "CPS 555-0102",
    "check_in_minutes": "10", "version": "1",
}  # fmt: skip


def setup_rows(page: str) -> list[tuple[str, bool, str]]:
    """(label, done, the item's text) of each set-up item on the page, in order."""
    section = page.split('id="setup"')[1].split("</section>")[0]
    rows = []
    for item in section.split("<li ")[1:]:
        done = 'data-setup-done="1"' in item
        text = re.sub(r"<[^>]+>", " ", item)
        label = next(name for name in sorted(ITEMS, key=len, reverse=True) if name in text)
        rows.append((label, done, " ".join(text.split())))
    return rows


def home(staff: Staff) -> str:
    return sign_in(Client(), staff).get("/").content.decode()


def orient(*staff: Staff) -> None:
    for member in staff:
        OrientationConfirmation.objects.create(staff=member, confirmed_at=timezone.now())


def finish_setup(world: OrgWorld) -> None:
    sign_in(Client(), world.org_admin).post("/encounters/separation/protocol/", PROTOCOL)
    for code in EVENTS.values():
        audit.record_by(world.org_admin, code, world.org)
    orient(*Staff.objects.filter(org=world.org, is_active=True))


@pytest.fixture
def new_org(db: Any) -> tuple[Organisation, Staff]:
    """An organisation made the way production starts: ``create_org``, then its admin signs in."""
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_org", "--name", "New Clinic", "--admin", "first.admin", "--admin-name", "First Admin",
        "--base-url", "https://w.example", stdout=out, stderr=err,
    )  # fmt: skip
    assert out.getvalue().strip().startswith("https://w.example/activate/#")
    assert "set-up list" in err.getvalue() and "https://w.example/" in err.getvalue()
    admin = Staff.objects.get(username="first.admin")
    admin.set_password("correct horse battery staple 42")
    admin.totp_confirmed_at = timezone.now()
    admin.save()
    return admin.org, admin


@pytest.fixture
def world_a(world_a: OrgWorld) -> OrgWorld:
    """The shared world with nobody oriented, whatever ``make_staff`` does: each test orients whom it needs."""
    OrientationConfirmation.objects.filter(staff__org=world_a.org).delete()
    return world_a


@pytest.fixture
def world_b(world_b: OrgWorld) -> OrgWorld:
    OrientationConfirmation.objects.filter(staff__org=world_b.org).delete()
    return world_b


# --- A new organisation -----------------------------------------------------------------------------


def test_a_new_organisation_shows_every_item_to_do(new_org: tuple[Organisation, Staff]) -> None:
    _org, admin = new_org
    page = home(admin)
    rows = setup_rows(page)
    assert [label for label, _done, _text in rows] == ITEMS
    assert not any(done for _label, done, _text in rows)
    assert "8 things to set up before providers rely on Waypoint." in page
    assert page.index('id="setup"') < page.index('id="admin-h"')  # it heads the page
    for _label, _done, text in rows:
        assert "To do" in text and len(text) > 40  # each says why


def test_each_item_links_to_its_page(new_org: tuple[Organisation, Staff]) -> None:
    _org, admin = new_org
    section = home(admin).split('id="setup"')[1].split("</section>")[0]
    links = re.findall(r'<a href="([^"]+)">', section)
    assert "/encounters/separation/protocol/" in links and "/settings/" in links
    assert "/settings/orientation/" in links
    for link in links:
        assert sign_in(Client(), admin).get(link).status_code == 200


def test_providers_of_a_new_organisation_never_see_a_placeholder_contact(new_org: tuple[Organisation, Staff]) -> None:
    org, _admin = new_org
    site = Site.objects.create(org=org, name="Main")
    provider = make_staff(org, "p.new", Role.PROVIDER)
    OrientationConfirmation.objects.filter(staff=provider).delete()  # not oriented yet, whatever make_staff does
    person = Person.objects.create(org=org, name="Someone New", estimated_age=30, created_by_id=provider.id)
    person.assigned_staff.add(provider)
    encounter = Encounter.objects.create(org=org, person=person, mode=Mode.IN_PERSON, lead=provider, site=site)
    client = sign_in(Client(), provider)

    def contact_lines(page: str) -> list[str]:
        assert "(add" not in page
        contacts = page.split('class="plain-list big-steps emergency-contacts"')[1].split("</ul>")[0]
        return [re.sub(r"<[^>]+>", "", line).strip() for line in contacts.split("<li>")[1:]]

    pages = [client.get(path).content.decode() for path in (f"/encounters/{encounter.id}/danger/", "/orientation/")]
    pages.append(client.get(f"/encounters/{encounter.id}/separation/").content.decode())  # not oriented yet
    orient(provider)
    refused = {"separator": "Me", "outcome": "refused"}
    pages.append(client.post(f"/encounters/{encounter.id}/separation/", refused).content.decode())  # escalation
    for page in pages:
        lines = contact_lines(page)
        assert lines == ["Emergency: 911", "National Human Trafficking Hotline: 1-888-373-7888 (text 233733)"]


# --- Done items ---------------------------------------------------------------------------------------


def test_saving_the_protocol_marks_contacts_and_review_done_with_who_and_when(world_a: OrgWorld) -> None:
    admin = sign_in(Client(), world_a.org_admin)
    assert admin.post("/encounters/separation/protocol/", PROTOCOL).status_code == 302
    rows = {label: (done, text) for label, done, text in setup_rows(admin.get("/").content.decode())}
    for label in ("Emergency contacts", "Separation protocol reviewed"):
        done, text = rows[label]
        assert done and f"Done by {world_a.org_admin.display_name}" in text


def test_a_saved_protocol_without_contacts_is_reviewed_but_contacts_are_to_do(world_a: OrgWorld) -> None:
    admin = sign_in(Client(), world_a.org_admin)
    data = {**PROTOCOL, "security_contact": "(add the number)", "local_police": "(add the number)"}
    admin.post("/encounters/separation/protocol/", data)
    protocol = SeparationProtocol.objects.get(org=world_a.org)
    if protocol.reviewed_at is None:  # the form refused placeholders: nothing saved, both still to do
        expected = {"Emergency contacts": False, "Separation protocol reviewed": False}
    else:
        expected = {"Emergency contacts": False, "Separation protocol reviewed": True}
    rows = {label: done for label, done, _text in setup_rows(admin.get("/").content.decode())}
    assert {label: rows[label] for label in expected} == expected


@pytest.mark.parametrize("label", sorted(EVENTS))
def test_items_marked_by_an_event_show_the_latest_row(world_a: OrgWorld, world_b: OrgWorld, label: str) -> None:
    code = EVENTS[label]
    audit.record_by(world_b.org_admin, code, world_b.org)  # another organisation's save counts for nobody here
    rows = {name: done for name, done, _text in setup_rows(home(world_a.org_admin))}
    assert rows[label] is False
    other_admin = make_staff(world_a.org, "second.admin", Role.ORG_ADMIN)
    audit.record_by(other_admin, code, world_a.org)
    audit.record_by(world_a.org_admin, code, world_a.org)  # the latest: who and when are this one's
    rows_text = {name: (done, text) for name, done, text in setup_rows(home(world_a.org_admin))}
    done, text = rows_text[label]
    assert done and f"Done by {world_a.org_admin.display_name}" in text and "second.admin" not in text.casefold()


def test_sites_are_done_with_one_site(world_a: OrgWorld, new_org: tuple[Organisation, Staff]) -> None:
    assert {n: d for n, d, _t in setup_rows(home(world_a.org_admin))}["Sites"] is True
    org, admin = new_org
    assert {n: d for n, d, _t in setup_rows(home(admin))}["Sites"] is False
    Site.objects.create(org=org, name="First")
    assert {n: d for n, d, _t in setup_rows(home(admin))}["Sites"] is True


def test_staff_are_done_when_a_provider_is_active_and_everyone_oriented(world_a: OrgWorld) -> None:
    def staff_done() -> bool:
        return {n: d for n, d, _t in setup_rows(home(world_a.org_admin))}["Staff invited and oriented"]

    assert staff_done() is False
    orient(*Staff.objects.filter(org=world_a.org).exclude(pk=world_a.auditor.pk))
    assert staff_done() is False  # the auditor has not read it
    orient(world_a.auditor)
    assert staff_done() is True
    make_staff(world_a.org, "gone.a", Role.FRONT_DESK, is_active=False)  # not active: not counted
    assert staff_done() is True
    Staff.objects.filter(pk=world_a.provider.pk).update(is_active=False)
    Staff.objects.filter(pk=world_a.supervisor.pk).update(is_provider=False)
    assert staff_done() is False  # no active provider


def test_to_do_comes_first_and_all_done_folds_to_one_line(world_a: OrgWorld) -> None:
    audit.record_by(world_a.org_admin, EVENTS["Retention"], world_a.org)
    rows = setup_rows(home(world_a.org_admin))
    firsts = [done for _label, done, _text in rows]
    assert firsts == sorted(firsts)  # still to do first
    assert rows[-1][0] in ("Retention", "Sites")
    finish_setup(world_a)
    page = home(world_a.org_admin)
    assert 'id="setup-complete"' in page and "Set-up complete" in page and ">To do<" not in page
    assert page.index('id="admin-h"') < page.index('id="setup-complete"')  # no longer at the head
    assert len(setup_rows(page)) == len(ITEMS)  # still reachable, folded


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ORG_ADMIN])
def test_only_admins_see_the_list(world_a: OrgWorld, role: Role) -> None:
    page = home(world_a.staff[role])
    assert 'id="setup"' not in page and "Set-up complete" not in page


def test_the_list_names_nobody_of_another_organisation(world_a: OrgWorld, world_b: OrgWorld) -> None:
    for code in EVENTS.values():
        audit.record_by(world_b.org_admin, code, world_a.org)  # a row wrongly in B's chain about A names nobody
    page = home(world_a.org_admin)
    assert world_b.org_admin.display_name not in page


def test_the_lists_queries_do_not_grow_with_rows(world_a: OrgWorld) -> None:
    audit.record_by(world_a.org_admin, EVENTS["Retention"], world_a.org)  # rows to count from the start
    client = sign_in(Client(), world_a.org_admin)

    def count() -> int:
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured.captured_queries)

    before = count()
    for n in range(4):
        admin = make_staff(world_a.org, f"more.admin{n}", Role.ORG_ADMIN)
        for code in EVENTS.values():
            audit.record_by(admin, code, world_a.org)
        make_staff(world_a.org, f"more.provider{n}", Role.PROVIDER)
    after = count()
    assert after == before
    with CaptureQueriesContext(connection) as captured:
        client.get("/")
    audit_queries = [q for q in captured.captured_queries if "core_auditevent" in q["sql"] and "SELECT" in q["sql"]]
    assert len(audit_queries) <= 2  # every event-marked item in one query (and the latest rows' details)


def test_every_item_is_registered_with_why_and_page() -> None:
    registered = sorted(setup_items, key=lambda item: item.order)
    assert [str(item.label) for item in registered] == ITEMS
    for item in registered:
        assert isinstance(item, SetupStep) and len(str(item.why)) > 30 and ":" in item.url_name
        assert "trafficking" not in str(item.why).lower()

"""The directory through its pages (issue 12, item 1): the list with search and filters, the built-in
hotline (first, marked, never changed), who may read and who may change, adding, editing (with the
conflict), verifying, archiving, the 12-month flag, and bad input.  The CSV export and import are in
test_issue12_directory_csv.py."""

from __future__ import annotations

import datetime
import re
import uuid
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role
from waypoint.referrals.models import HOTLINE_ID, DirectoryEntry

EDITORS = [Role.SUPERVISOR, Role.ORG_ADMIN]
READERS = [Role.PROVIDER, *EDITORS]
OTHERS = [Role.AUDITOR, Role.FRONT_DESK]


def url(name: str, entry: Any = None) -> str:
    return reverse(f"referrals:{name}", kwargs={"entry_id": getattr(entry, "id", entry)} if entry else None)


def listing_data(**changes: Any) -> dict[str, Any]:
    data = {
        "name": "Servicios Legales Comunitarios", "services": ["legal", "immigration"], "populations": ["adults"],
        "languages": " English ,Spanish,, ", "hours": "Mon to Fri 9-5", "warm_transfer": "on",
        "phone": "+1 (555) 010-0100", "email": "info@example.org", "website": "servicios.example.org",
        "address": "12 Main St", "how_to_reach": "Ask for the intake desk",
        "last_verified_on": timezone.localdate().isoformat(), "form_token": str(uuid.uuid4()),
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def add(world: OrgWorld, **fields: Any) -> DirectoryEntry:
    base: dict[str, Any] = {"org": world.org, "name": "Listing", "services": [], "populations": [], "languages": []}
    return DirectoryEntry.objects.create(**{**base, **fields})


def events(code: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=code).order_by("seq"))


def text(response: Any) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def names_listed(response: Any) -> list[str]:
    body = response.content.decode()
    pattern = r'<article class="domain-panel directory-listing".*?<h\d class="listing-name">(?:<a [^>]*>)?([^<]+)'
    return [unescape(n) for n in re.findall(pattern, body, re.S)]


# --- The list ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS, ids=[r.value for r in READERS])
def test_readers_see_the_hotline_first_and_their_own_listings_only(
    world_a: OrgWorld, world_b: OrgWorld, role: Role
) -> None:
    add(world_a, name="Aardvark Shelter")
    response = sign_in(Client(), world_a.staff[role]).get(url("directory"))
    assert response.status_code == 200
    names = names_listed(response)
    assert names[0] == "National Human Trafficking Hotline"
    assert set(names[1:]) == {"Aardvark Shelter", world_a.entry.name}
    assert world_b.entry.name not in text(response)
    assert "Built in: always listed, cannot be changed" in text(response)
    assert 'data-builtin="yes"' in response.content.decode()
    edit_links = re.findall(r'href="(/directory/[^"]+/edit/)"', response.content.decode())
    if role in EDITORS:
        assert url("directory_edit", world_a.entry) in edit_links and f"/directory/{HOTLINE_ID}/edit/" not in edit_links
        assert url("directory_export") in response.content.decode()
    else:
        assert edit_links == [] and url("directory_new") not in response.content.decode()


@pytest.mark.parametrize("role", OTHERS, ids=[r.value for r in OTHERS])
def test_other_roles_get_404_everywhere(world_a: OrgWorld, role: Role) -> None:
    client = sign_in(Client(), world_a.staff[role])
    for name in ("directory", "directory_new", "directory_export", "directory_import"):
        assert client.get(url(name)).status_code == 404
    for name in ("directory_entry", "directory_edit"):
        assert client.get(url(name, world_a.entry)).status_code == 404


def test_search_and_filters(world_a: OrgWorld) -> None:
    add(world_a, name="Clínica del Valle", services=["medical"], populations=["adults"], languages=["English"],
        hours="Saturdays only", how_to_reach="Walk in by the side door")  # fmt: skip
    add(world_a, name="Casa Segura", services=["shelter"], populations=["women", "sex", "labour"],
        languages=["Español", "Mam"])  # fmt: skip
    client = sign_in(Client(), world_a.provider)

    def found(**query: str) -> set[str]:
        response = client.get(url("directory"), query)
        assert response.status_code == 200
        names = names_listed(response)
        assert names[0] == "National Human Trafficking Hotline"  # always first, whatever the filter
        return set(names[1:])

    legal = world_a.entry.name
    assert found() == {legal, "Clínica del Valle", "Casa Segura"}
    assert found(q="clinica") == {"Clínica del Valle"}
    assert found(q="SATURDAYS") == {"Clínica del Valle"}
    assert found(q="side door") == {"Clínica del Valle"}
    assert found(q="mam") == {"Casa Segura"}
    assert found(need="legal") == {legal}
    assert found(need="shelter", population="women") == {"Casa Segura"}
    assert found(population="adults") == {legal, "Clínica del Valle"}
    for spanish in ("spanish", "Spanish", "español", "ESPAÑOL", "espanol"):
        assert found(language=spanish) == {legal, "Casa Segura"}, spanish
    assert found(language="inglés") == {legal, "Clínica del Valle"}
    assert found(language="es") == set()  # not a substring match: "es" is not "Chinese" or "Español"
    assert found(need="legal", language="español", population="adults") == {legal}
    assert found(q="nothing like this") == set()


def test_a_bad_filter_is_400_with_the_form_again(world_a: OrgWorld) -> None:
    response = sign_in(Client(), world_a.provider).get(url("directory"), {"need": "witchcraft"})
    assert response.status_code == 400 and "error-summary" in response.content.decode()


def test_listing_shows_what_it_offers_and_who_verified_it(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    body = text(client.get(url("directory_entry", world_a.entry)))
    for shown in ("Legal help", "Adults", "English, Spanish", "555-0100", "Provider.A"):
        assert shown in body, shown
    hotline = text(client.get(url("directory_entry", HOTLINE_ID)))
    assert (
        "1-888-373-7888" in hotline and "233733" in hotline and 'href="https://humantraffickinghotline.org"' in hotline
    )


def test_stale_flag_after_twelve_months(world_a: OrgWorld) -> None:
    today = timezone.localdate()
    old = add(world_a, name="Old Listing", last_verified_on=today - datetime.timedelta(days=366))
    recent = add(world_a, name="Recent Listing", last_verified_on=today - datetime.timedelta(days=365))
    never = add(world_a, name="Never Listing")
    client = sign_in(Client(), world_a.provider)
    flag = "Not verified in the last 12 months"
    assert flag in text(client.get(url("directory_entry", old)))
    assert flag in text(client.get(url("directory_entry", never)))
    assert flag not in text(client.get(url("directory_entry", recent)))
    assert flag not in text(client.get(url("directory_entry", HOTLINE_ID)))
    assert text(client.get(url("directory"))).count(flag) == 2


# --- Who may change what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", READERS, ids=[r.value for r in READERS])
def test_hotline_cannot_be_changed_by_anyone(world_a: OrgWorld, role: Role) -> None:
    client = sign_in(Client(), world_a.staff[role])
    before = DirectoryEntry.objects.get(pk=HOTLINE_ID).version
    assert client.get(url("directory_entry", HOTLINE_ID)).status_code == 200
    assert client.get(url("directory_edit", HOTLINE_ID)).status_code == 404
    assert client.post(url("directory_edit", HOTLINE_ID), listing_data(version=before)).status_code == 404
    assert client.post(url("directory_verify", HOTLINE_ID)).status_code == 404
    assert client.post(url("directory_archive", HOTLINE_ID)).status_code == 404
    hotline = DirectoryEntry.objects.get(pk=HOTLINE_ID)
    assert hotline.version == before and not hotline.archived and hotline.last_verified_on is None
    assert not AuditEvent.objects.filter(event__startswith="directory.").exists()


@pytest.mark.parametrize("role", READERS, ids=[r.value for r in READERS])
def test_another_organisations_listing_is_404_in_every_view(world_a: OrgWorld, world_b: OrgWorld, role: Role) -> None:
    client = sign_in(Client(), world_a.staff[role])
    theirs = world_b.entry
    assert client.get(url("directory_entry", theirs)).status_code == 404
    assert client.get(url("directory_edit", theirs)).status_code == 404
    assert client.post(url("directory_edit", theirs), listing_data(version=1)).status_code == 404
    assert client.post(url("directory_verify", theirs)).status_code == 404
    assert client.post(url("directory_archive", theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.version == 1 and not theirs.archived and theirs.name == "Canary Legal Aid B"
    assert AuditEvent.objects.filter(event="access.denied", actor_id=world_a.staff[role].id).exists()


def test_providers_read_but_cannot_change(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    assert client.get(url("directory_entry", world_a.entry)).status_code == 200
    assert client.get(url("directory_new")).status_code == 404
    assert client.post(url("directory_new"), listing_data()).status_code == 404
    assert client.get(url("directory_edit", world_a.entry)).status_code == 404
    assert client.post(url("directory_verify", world_a.entry)).status_code == 404
    assert client.post(url("directory_archive", world_a.entry)).status_code == 404
    assert DirectoryEntry.objects.filter(org=world_a.org).count() == 1
    assert not AuditEvent.objects.filter(event__startswith="directory.").exists()


# --- Adding, editing, verifying, archiving --------------------------------------------------------


@pytest.mark.parametrize("role", EDITORS, ids=[r.value for r in EDITORS])
def test_editor_adds_a_listing(world_a: OrgWorld, role: Role) -> None:
    editor = world_a.staff[role]
    client = sign_in(Client(), editor)
    assert client.get(url("directory_new")).status_code == 200
    data = listing_data(last_verified_on=(timezone.localdate() - datetime.timedelta(days=3)).isoformat())
    response = client.post(url("directory_new"), data)
    entry = DirectoryEntry.objects.get(name="Servicios Legales Comunitarios")
    assert response.status_code == 302 and response["Location"] == url("directory_entry", entry)
    assert entry.org_id == world_a.org.id and not entry.builtin and entry.created_by_id == editor.id
    assert entry.languages == ["English", "Spanish"]
    assert entry.services == ["legal", "immigration"] and entry.populations == ["adults"] and entry.warm_transfer
    assert entry.website == "servicios.example.org" and entry.verified_by_id == editor.id
    [row] = events("directory.added")
    assert (row.object_id, row.actor_id, row.org_id) == (entry.id, editor.id, world_a.org.id)
    assert client.post(url("directory_new"), data).status_code == 302  # the same form again: nothing more
    assert DirectoryEntry.objects.filter(name="Servicios Legales Comunitarios").count() == 1


def test_edit_credits_a_new_verified_day_and_shows_a_conflict(world_a: OrgWorld) -> None:
    entry = world_a.entry
    client = sign_in(Client(), world_a.supervisor)
    assert client.get(url("directory_edit", entry)).status_code == 200
    same_day = entry.last_verified_on.isoformat()
    response = client.post(
        url("directory_edit", entry), listing_data(name="Renamed", version=1, last_verified_on=same_day)
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.name == "Renamed" and entry.version == 2 and entry.verified_by_id == world_a.provider.id
    earlier = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()
    assert (
        client.post(url("directory_edit", entry), listing_data(version=2, last_verified_on=earlier)).status_code == 302
    )
    entry.refresh_from_db()
    assert entry.verified_by_id == world_a.supervisor.id and entry.version == 3
    stale = client.post(url("directory_edit", entry), listing_data(name="Lost update", version=2))
    assert stale.status_code == 409
    assert "Someone else saved this listing while you were editing" in text(stale) and "Lost update" in text(stale)
    entry.refresh_from_db()
    assert entry.name != "Lost update" and entry.version == 3
    assert [r.object_id for r in events("directory.updated")] == [entry.id, entry.id]


def test_verify_today(world_a: OrgWorld) -> None:
    entry = add(world_a, name="Old", last_verified_on=datetime.date(2020, 1, 1), verified_by_id=world_a.provider.id)
    response = sign_in(Client(), world_a.org_admin).post(url("directory_verify", entry))
    assert response.status_code == 302 and response["Location"] == url("directory_entry", entry)
    entry.refresh_from_db()
    assert entry.last_verified_on == timezone.localdate() and entry.verified_by_id == world_a.org_admin.id
    assert [(r.object_id, r.actor_id) for r in events("directory.verified")] == [(entry.id, world_a.org_admin.id)]
    assert sign_in(Client(), world_a.supervisor).get(url("directory_verify", entry)).status_code == 405


def test_archive_hides_the_listing_and_edit_can_restore_it(world_a: OrgWorld) -> None:
    entry = world_a.entry
    editor = sign_in(Client(), world_a.supervisor)
    assert editor.post(url("directory_archive", entry)).status_code == 302
    entry.refresh_from_db()
    assert entry.archived and [r.object_id for r in events("directory.archived")] == [entry.id]
    page = editor.get(url("directory"))
    assert entry.name not in names_listed(page)
    archived = re.search(r'id="archived-listings">(.*?)</ul>', page.content.decode(), re.S)
    assert archived and url("directory_edit", entry) in archived.group(1)
    provider_page = sign_in(Client(), world_a.provider).get(url("directory"))
    assert entry.name not in provider_page.content.decode()
    form = editor.get(url("directory_edit", entry))
    assert 'name="restore"' in form.content.decode()
    editor.post(url("directory_edit", entry), listing_data(name=entry.name, version=entry.version, restore="on"))
    entry.refresh_from_db()
    assert not entry.archived and entry.name in names_listed(editor.get(url("directory")))


# --- Bad input -----------------------------------------------------------------------------------

BAD = {
    "empty name": ({"name": ""}, "name"),
    "bad email": ({"email": "not-an-email"}, "email"),
    "future verified day": ({"last_verified_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
                            "last_verified_on"),
    "verified before 2000": ({"last_verified_on": "1999-12-31"}, "last_verified_on"),
    "10,000-byte name": ({"name": "x" * 10_000}, "name"),
    "10,000-byte hours": ({"hours": "y" * 10_000}, "hours"),
    "21 languages": ({"languages": ", ".join(f"Lang{n}" for n in range(21))}, "languages"),
    "a 61-character language": ({"languages": "z" * 61}, "languages"),
    "a script website": ({"website": "javascript:alert(1)"}, "website"),
    "an unknown service": ({"services": ["magic"]}, "services"),
    "a hidden character": ({"name": "Clinic\u202e"}, "name"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_400_and_writes_nothing(world_a: OrgWorld, case: str) -> None:
    changes, field = BAD[case]
    client = sign_in(Client(), world_a.org_admin)
    typed = listing_data(hours="Typed hours stay", **changes) if field != "hours" else listing_data(**changes)
    for target, data in (
        (url("directory_new"), typed),
        (url("directory_edit", world_a.entry), {**typed, "version": 1}),
    ):
        response = client.post(target, data)
        assert response.status_code == 400, (case, target)
        assert f'id="id_{field}_error"' in response.content.decode(), (case, target)
        if field != "hours":
            assert 'value="Typed hours stay"' in response.content.decode()
    assert DirectoryEntry.objects.filter(org=world_a.org).count() == 1
    world_a.entry.refresh_from_db()
    assert world_a.entry.version == 1 and world_a.entry.name == "Canary Legal Aid A"
    assert not AuditEvent.objects.filter(event__startswith="directory.").exists()

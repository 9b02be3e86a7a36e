"""Issue 13, item 7: discretion settings.  Where quick exit goes (https only), the name in the
browser tab (neutral by default: never the product's name unless the organisation chose it; the
organisation's choice on every signed-in page) and the steps for someone in danger on a call (the
organisation's when set, else Waypoint's in the reader's language; in person, the separation
protocol's).  The page is the org admin's only, and bad input changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import OrgWorld, sign_in
from tests.test_issue11_call import ready_call
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters.separation import DEFAULT_PROTOCOL, PHONE_EMERGENCY_STEPS, SeparationProtocol
from waypoint.orgs.actions import DISCRETION_SAVED, save_discretion
from waypoint.orgs.discretion import default_phone_steps, phone_emergency_steps, tab_title
from waypoint.orgs.forms import DiscretionForm
from waypoint.orgs.models import DEFAULT_EXIT_URL, Organisation, Role

URL = "/settings/discretion/"
OWN_STEPS = "Stay on the line with them\n\n  Page the duty manager on 4411  \n"


def valid(**changes: Any) -> dict[str, Any]:
    data = {"exit_url": "https://weather.example/today", "tab_title": "Appointments", "phone_emergency_steps": ""}
    data.update(changes)
    return data


def org_values(org: Organisation) -> dict[str, Any]:
    org.refresh_from_db()
    names = ["exit_url", "tab_title", "phone_emergency_steps", "minor_age", "mandated_report_agency", "name"]
    return {name: getattr(org, name) for name in names}


def main_of(response: Any) -> str:
    return str(response.content.decode().split("<main", 1)[1].split("</main>", 1)[0])


def title_of(response: Any) -> str:
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert found is not None
    return found.group(1)


# --- The settings page ------------------------------------------------------------------------


def test_the_admin_sees_and_saves_the_discretion_settings(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    page = client.get(URL)
    assert page.status_code == 200
    body = main_of(page)
    for name in valid():
        assert f'name="{name}"' in body
    assert str(PHONE_EMERGENCY_STEPS[0]) in body  # Waypoint's steps, shown as the default
    assert 'href="/encounters/separation/protocol/"' in body  # the in-person steps' one place
    b_before = org_values(world_b.org)
    response = client.post(URL, valid(phone_emergency_steps=OWN_STEPS))
    assert response.status_code == 302 and response["Location"] == URL
    saved = org_values(world_a.org)
    assert saved["exit_url"] == "https://weather.example/today" and saved["tab_title"] == "Appointments"
    assert saved["phone_emergency_steps"] == "Stay on the line with them\nPage the duty manager on 4411"
    rows = AuditEvent.objects.filter(event=DISCRETION_SAVED)
    assert [(r.org_id, r.actor_id, r.object_id) for r in rows] == [
        (world_a.org.id, world_a.org_admin.id, world_a.org.id)
    ]
    assert str(audit.label(DISCRETION_SAVED)) == "Discretion settings saved"
    assert org_values(world_b.org) == b_before
    assert f'data-exit-url="{saved["exit_url"]}"' in client.get("/").content.decode()


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.SUPERVISOR, Role.AUDITOR, Role.FRONT_DESK])
def test_other_roles_get_404_and_change_nothing(client: Client, world_a: OrgWorld, role: Role) -> None:
    sign_in(client, world_a.staff[role])
    before = org_values(world_a.org)
    assert client.get(URL).status_code == 404
    assert client.post(URL, valid()).status_code == 404
    assert org_values(world_a.org) == before


def test_signed_out_goes_to_sign_in(client: Client, world_a: OrgWorld) -> None:
    before = org_values(world_a.org)
    for response in (client.get(URL), client.post(URL, valid())):
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert org_values(world_a.org) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"exit_url": "http://weather.example/"}, "exit_url", "starts with https://"),
        ({"exit_url": "javascript:alert(1)"}, "exit_url", "starts with https://"),
        ({"exit_url": "JavaScript:alert(document.cookie)//https://x"}, "exit_url", "starts with https://"),
        ({"exit_url": "data:text/html,hi"}, "exit_url", "starts with https://"),
        ({"exit_url": ""}, "exit_url", "This field is required."),
        ({"tab_title": "Notes\x00"}, "tab_title", "invisible or control characters"),
        ({"tab_title": "Notes\u202e"}, "tab_title", "invisible or control characters"),
        ({"tab_title": "N" * 200}, "tab_title", "at most 60"),
        ({"phone_emergency_steps": "Step\x07"}, "phone_emergency_steps", "invisible or control characters"),
        ({"phone_emergency_steps": "s" * 4001}, "phone_emergency_steps", "at most 4000"),
    ],
)
def test_bad_input_is_refused_next_to_the_field(
    client: Client, world_a: OrgWorld, changes: dict[str, str], field: str, message: str
) -> None:
    sign_in(client, world_a.org_admin)
    before = org_values(world_a.org)
    response = client.post(URL, valid(**changes))
    assert response.status_code == 200
    body = main_of(response)
    assert message in body and f'href="#id_{field}"' in body
    if field != "tab_title":
        assert 'value="Appointments"' in body  # what was typed elsewhere is kept
    assert org_values(world_a.org) == before
    assert not AuditEvent.objects.filter(event=DISCRETION_SAVED).exists()


def test_the_tab_name_may_be_left_empty_and_spaces_are_tidied(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    assert client.post(URL, valid(tab_title="  Front   desk  ")).status_code == 302
    assert org_values(world_a.org)["tab_title"] == "Front desk"
    assert client.post(URL, valid(tab_title="")).status_code == 302
    assert org_values(world_a.org)["tab_title"] == ""


def test_the_save_writes_only_its_own_columns(world_a: OrgWorld) -> None:
    """A page loaded before another admin changed the jurisdiction does not undo it."""
    stale = Organisation.objects.get(pk=world_a.org.pk)
    Organisation.objects.filter(pk=world_a.org.pk).update(minor_age=16, mandated_report_agency="State line")
    form = DiscretionForm(valid(), instance=stale)
    assert form.is_valid(), form.errors
    save_discretion(world_a.org_admin, form)
    saved = org_values(world_a.org)
    assert saved["minor_age"] == 16 and saved["mandated_report_agency"] == "State line"
    assert saved["tab_title"] == "Appointments"


def test_the_settings_page_keeps_the_name_and_sites(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    body = main_of(client.get("/settings/"))
    assert 'name="org-name"' in body and 'name="site-name"' in body and 'name="org-exit_url"' not in body
    assert f'href="{URL}"' in body
    assert client.post("/settings/", {"org-name": "Org A renamed"}).status_code == 302
    assert org_values(world_a.org)["name"] == "Org A renamed"
    assert AuditEvent.objects.filter(event=audit.Event.ORG_SETTINGS_CHANGED, object_id=world_a.org.id).count() == 1
    bad = client.post("/settings/", {"org-name": ""})
    assert bad.status_code == 200 and 'href="#id_org-name"' in bad.content.decode()


# --- The browser tab ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_signed_in_page_shows_the_organisations_tab_name(client: Client, world_a: OrgWorld, role: Role) -> None:
    Organisation.objects.filter(pk=world_a.org.pk).update(tab_title="Appointments")
    sign_in(client, world_a.staff[role])
    assert title_of(client.get("/")) == "Appointments"
    assert 'data-tab-title="Appointments"' in client.get("/account/").content.decode()
    assert title_of(client.get("/account/")) == "Appointments"


def test_the_default_tab_name_is_neutral(as_provider: Client, world_a: OrgWorld) -> None:
    for path in ("/", f"/people/{world_a.person.id}/", f"/encounters/{world_a.encounter.id}/", "/people/"):
        title = title_of(as_provider.get(path))
        assert title == "Notes", path
        assert "Waypoint" not in title and world_a.person.name not in title and world_a.person.reference not in title


def test_the_default_is_in_the_readers_language(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider, language="es")
    assert title_of(client.get("/")) == "Notas"


def test_signed_out_pages_use_the_neutral_default(client: Client, world_a: OrgWorld) -> None:
    Organisation.objects.filter(pk=world_a.org.pk).update(tab_title="Appointments")
    assert title_of(client.get("/login/")) == "Notes"


def test_another_organisations_tab_name_is_not_used(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    Organisation.objects.filter(pk=world_a.org.pk).update(tab_title="Appointments")
    sign_in(client, world_b.provider)
    assert title_of(client.get("/")) == "Notes"


def test_the_tab_name_is_escaped(client: Client, world_a: OrgWorld) -> None:
    Organisation.objects.filter(pk=world_a.org.pk).update(tab_title="</title><script>x</script>")
    sign_in(client, world_a.provider)
    body = client.get("/").content.decode()
    assert "<script>x</script>" not in body and "&lt;/title&gt;&lt;script&gt;" in body


def test_tab_title_helper() -> None:
    assert tab_title(None) == "Notes"
    assert tab_title(Organisation(name="A", tab_title="  ")) == "Notes"
    assert tab_title(Organisation(name="A", tab_title="Room bookings")) == "Room bookings"


# --- The steps for a call --------------------------------------------------------------------------


def test_a_call_shows_waypoints_steps_until_the_organisation_writes_its_own(client: Client, world_a: OrgWorld) -> None:
    SeparationProtocol.objects.create(
        org=world_a.org, **{**DEFAULT_PROTOCOL, "security_contact": "Desk 555-0100", "local_police": "PD 555-0111"}
    )
    sign_in(client, world_a.provider)
    call = ready_call(client, world_a)
    page = main_of(client.get(f"/encounters/{call.id}/danger/"))
    assert 'data-steps="call"' in page and all(step in page for step in default_phone_steps())
    Organisation.objects.filter(pk=world_a.org.pk).update(phone_emergency_steps=OWN_STEPS)
    page = main_of(client.get(f"/encounters/{call.id}/danger/"))
    assert "Page the duty manager on 4411" in page and str(PHONE_EMERGENCY_STEPS[0]) not in page
    assert page.count("<li>") >= 2 and "PD 555-0111" in page
    # In person, the separation protocol's steps: the phone steps are not used there.
    room = main_of(client.get(f"/encounters/{world_a.encounter.id}/danger/"))
    assert 'data-steps="in_person"' in room and "Page the duty manager" not in room and "Call security." in room


def test_the_default_steps_are_in_the_readers_language(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider, language="es")
    call = ready_call(client, world_a)
    page = main_of(client.get(f"/encounters/{call.id}/danger/"))
    from django.utils import translation

    with translation.override("es"):
        spanish = default_phone_steps()
    assert spanish[0] in page


def test_phone_steps_helper() -> None:
    assert phone_emergency_steps(Organisation(name="A")) == default_phone_steps()
    assert phone_emergency_steps(Organisation(name="A", phone_emergency_steps=" \n one \n\n two ")) == ["one", "two"]


def test_the_default_exit_page_is_kept_until_changed(world_a: OrgWorld) -> None:
    assert Organisation.objects.get(pk=world_a.org.pk).exit_url == DEFAULT_EXIT_URL

"""Issue 13, item 5: minors and jurisdiction.  The organisation's minor age decides the minor branch
everywhere (the record, the encounter's child protective services step, a release's signer); the
mandated-report agency lives on the organisation (moved from the separation protocol, with a
migration both ways); a short panel says the rules wherever a minor's record is handled; the
settings page is the org admin's only, and bad input changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, sign_in
from tests.test_issue9_encryption import ROOT, _scratch_database
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import Encounter, Mode, Step
from waypoint.encounters.separation import DEFAULT_PROTOCOL, SeparationProtocol
from waypoint.orgs.actions import JURISDICTION_SAVED
from waypoint.orgs.forms import JurisdictionForm
from waypoint.orgs.jurisdiction import is_minor_at, panel, real_text
from waypoint.orgs.models import MinorConsent, Organisation, Role
from waypoint.people.models import Person
from waypoint.referrals.forms.releases import consenting_party_for
from waypoint.referrals.models import ConsentingParty

URL = "/settings/jurisdiction/"
MISSING = "Your organisation has not filled in the mandated-report agency yet; ask your supervisor."


def valid(**changes: Any) -> dict[str, Any]:
    data = {
        "minor_age": "16",
        "mandated_report_agency": "County Children's Services",
        "mandated_report_contact": "555-0142, or the online form at county.example",
        "minor_may_consent_alone": "True",
        "minor_release_consent": MinorConsent.BOTH.value,
        "release_max_days": "60",
    }
    data.update(changes)
    return data


def org_values(org: Organisation) -> dict[str, Any]:
    org.refresh_from_db()
    names = [
        "minor_age",
        "mandated_report_agency",
        "mandated_report_contact",
        "minor_may_consent_alone",
        "minor_release_consent",
        "release_max_days",
        "exit_url",
        "tab_title",
        "name",
    ]
    return {name: getattr(org, name) for name in names}


def main_of(response: Any) -> str:
    return str(response.content.decode().split("<main", 1)[1].split("</main>", 1)[0])


# --- The settings page ------------------------------------------------------------------------


def test_the_admin_sees_and_saves_the_jurisdiction(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    page = client.get(URL)
    assert page.status_code == 200
    body = main_of(page)
    for name in valid():
        assert f'name="{name}"' in body
    assert MISSING in body  # the preview of the panel says plainly that the agency is missing
    assert AuditEvent.objects.filter(event=JURISDICTION_SAVED).count() == 0  # a settings page: no read row
    b_before = org_values(world_b.org)
    response = client.post(URL, valid())
    assert response.status_code == 302 and response["Location"] == URL
    saved = org_values(world_a.org)
    assert saved["minor_age"] == 16 and saved["minor_may_consent_alone"] is True
    assert saved["mandated_report_agency"] == "County Children's Services"
    assert saved["mandated_report_contact"] == "555-0142, or the online form at county.example"
    assert saved["minor_release_consent"] == MinorConsent.BOTH and saved["release_max_days"] == 60
    rows = AuditEvent.objects.filter(event=JURISDICTION_SAVED)
    assert [(r.org_id, r.actor_id, r.object_id) for r in rows] == [
        (world_a.org.id, world_a.org_admin.id, world_a.org.id)
    ]
    assert org_values(world_b.org) == b_before  # only the admin's own organisation
    shown = main_of(client.get(URL))
    assert "Under 16 counts as a minor here." in shown and "555-0142" in shown and MISSING not in shown


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


@pytest.mark.parametrize("age", ["0", "-1", "99", "11", "22", "sixteen", "16.5", "", "1e1"])
def test_a_bad_minor_age_is_refused_next_to_the_field(client: Client, world_a: OrgWorld, age: str) -> None:
    sign_in(client, world_a.org_admin)
    before = org_values(world_a.org)
    response = client.post(URL, valid(minor_age=age, mandated_report_agency="Agency kept as typed"))
    assert response.status_code == 200
    body = main_of(response)
    assert "Give the age as a whole number from 12 to 21." in body
    assert 'href="#id_minor_age"' in body  # the error summary links to the field
    assert "Agency kept as typed" in body  # what was typed is kept
    assert org_values(world_a.org) == before
    assert not AuditEvent.objects.filter(event=JURISDICTION_SAVED).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mandated_report_agency": "(add the agency)"}, "Write the real name or number"),
        ({"mandated_report_contact": "(add the number)"}, "Write the real name or number"),
        ({"mandated_report_agency": "", "mandated_report_contact": "555-0142"}, "Name the agency this contact"),
        ({"mandated_report_agency": "Agency\x00"}, "invisible or control characters"),
        ({"mandated_report_agency": "A" * 301}, "at most 300"),
        ({"minor_may_consent_alone": ""}, "Choose yes or no."),
        ({"minor_may_consent_alone": "maybe"}, "Select a valid choice"),
        ({"minor_release_consent": "anyone"}, "Select a valid choice"),
        ({"release_max_days": "0"}, "greater than or equal to 1"),
        ({"release_max_days": "366"}, "less than or equal to 365"),
    ],
)
def test_other_bad_input_is_refused(client: Client, world_a: OrgWorld, changes: dict[str, str], message: str) -> None:
    sign_in(client, world_a.org_admin)
    before = org_values(world_a.org)
    response = client.post(URL, valid(**changes))
    assert response.status_code == 200 and message in response.content.decode()
    assert org_values(world_a.org) == before


def test_the_agency_may_be_left_empty(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    response = client.post(URL, valid(mandated_report_agency="", mandated_report_contact="", minor_age="18"))
    assert response.status_code == 302
    assert panel(world_a.org).agency_missing


def test_the_save_writes_only_its_own_columns(world_a: OrgWorld) -> None:
    """A page loaded before another admin changed the discretion settings does not undo them."""
    from waypoint.orgs.actions import save_jurisdiction

    stale = Organisation.objects.get(pk=world_a.org.pk)
    Organisation.objects.filter(pk=world_a.org.pk).update(tab_title="Appointments", exit_url="https://news.example/")
    form = JurisdictionForm(valid(), instance=stale)
    assert form.is_valid(), form.errors
    save_jurisdiction(world_a.org_admin, form)
    saved = org_values(world_a.org)
    assert saved["tab_title"] == "Appointments" and saved["exit_url"] == "https://news.example/"
    assert saved["minor_age"] == 16


def test_the_settings_page_links_to_the_jurisdiction(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    body = main_of(client.get("/settings/"))
    assert f'href="{URL}"' in body and 'href="/settings/discretion/"' in body
    assert 'name="org-minor_release_consent"' not in body and 'name="org-exit_url"' not in body


# --- The minor age decides the minor branch -------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(age=st.integers(min_value=0, max_value=130), minor_age=st.integers(min_value=12, max_value=21))
def test_is_minor_iff_the_age_is_under_the_organisations_minor_age(age: int, minor_age: int) -> None:
    org = Organisation(name="Org P", minor_age=minor_age)
    loaded = Person(org=org, estimated_age=age)  # the organisation loaded with the record
    assert loaded.is_minor is (age < minor_age)
    assert is_minor_at(age, minor_age) is (age < minor_age)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(age=st.integers(min_value=0, max_value=40), minor_age=st.integers(min_value=12, max_value=21))
def test_is_minor_reads_the_organisation_when_it_is_not_loaded(age: int, minor_age: int) -> None:
    org = Organisation.objects.create(name="Org Q", minor_age=minor_age)
    person = Person.objects.create(org=org, estimated_age=age)
    fresh = Person.objects.get(pk=person.pk)  # the organisation not loaded
    assert fresh.is_minor is (age < minor_age)
    assert Person(estimated_age=None, org=org).is_minor is None


@pytest.mark.parametrize(("age", "queries"), [(0, 0), (11, 0), (21, 0), (30, 0), (12, 1), (17, 1), (20, 1)])
def test_no_query_when_the_age_alone_decides(world_a: OrgWorld, age: int, queries: int) -> None:
    """12 to 21 is the range of minor ages: outside it the age decides without the organisation."""
    person = Person.objects.get(pk=world_a.person.pk)
    person.estimated_age = age
    with CaptureQueriesContext(connection) as captured:
        assert person.is_minor is (age < 18)
    assert len(captured.captured_queries) == queries


@pytest.mark.parametrize(("minor_age", "minor"), [(16, False), (18, True), (21, True)])
def test_an_encounter_follows_the_organisations_minor_age(world_a: OrgWorld, minor_age: int, minor: bool) -> None:
    Organisation.objects.filter(pk=world_a.org.pk).update(minor_age=minor_age)
    world_a.person.estimated_age = 17
    world_a.person.save()
    client = sign_in(Client(), world_a.provider)
    response = client.post(
        f"/people/{world_a.person.id}/encounters/new/", {"mode": Mode.IN_PERSON, "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 302
    encounter = Encounter.objects.get(pk=response["Location"].split("/")[2])
    assert encounter.is_minor is minor
    assert (Step.MINOR in encounter.steps()) is minor and (Step.CONSENT in encounter.steps()) is not minor


# --- The panel wherever a minor's record is handled ------------------------------------------------


def make_minor(world: OrgWorld, age: int = 15, **org: Any) -> None:
    world.person.estimated_age = age
    world.person.save()
    Organisation.objects.filter(pk=world.org.pk).update(**org)


def test_the_person_page_shows_the_panel_for_a_minor_only(as_provider: Client, world_a: OrgWorld) -> None:
    adult = main_of(as_provider.get(f"/people/{world_a.person.id}/"))
    assert 'id="jurisdiction-panel"' not in adult
    make_minor(world_a, 15, minor_age=16)
    body = main_of(as_provider.get(f"/people/{world_a.person.id}/"))
    assert 'id="jurisdiction-panel"' in body and "Yes, under 16" in body
    assert "Under 16 counts as a minor here." in body and MISSING in body
    Organisation.objects.filter(pk=world_a.org.pk).update(
        mandated_report_agency="State Child Line", mandated_report_contact="1-800-555-0199"
    )
    body = main_of(as_provider.get(f"/people/{world_a.person.id}/"))
    assert "Mandated reports go to State Child Line: 1-800-555-0199." in body and MISSING not in body


def test_a_placeholder_is_never_shown_as_the_agency(as_provider: Client, world_a: OrgWorld) -> None:
    make_minor(world_a, mandated_report_agency="(add the agency)", mandated_report_contact="(add the number)")
    body = main_of(as_provider.get(f"/people/{world_a.person.id}/"))
    assert "(add the" not in body and MISSING in body
    assert real_text(" (Add the number) ") == "" and real_text(" CPS ") == "CPS"


def test_an_agency_without_a_contact_says_so(as_provider: Client, world_a: OrgWorld) -> None:
    make_minor(world_a, mandated_report_agency="State Child Line")
    body = main_of(as_provider.get(f"/people/{world_a.person.id}/"))
    assert "Mandated reports go to State Child Line. How to reach them is not filled in yet" in body


def test_the_child_protection_step_shows_the_panel(as_provider: Client, world_a: OrgWorld) -> None:
    make_minor(world_a, mandated_report_agency="State Child Line", mandated_report_contact="1-800-555-0199")
    encounter = Encounter.objects.create(
        org=world_a.org, person=world_a.person, mode=Mode.IN_PERSON, lead=world_a.provider, is_minor=True
    )
    before = AuditEvent.objects.count()
    response = as_provider.get(f"/encounters/{encounter.id}/child-protection/")
    assert response.status_code == 200
    body = main_of(response)
    assert 'id="jurisdiction-panel"' in body and "State Child Line: 1-800-555-0199" in body
    assert 'name="agency"' in body  # the step's form is still there
    assert AuditEvent.objects.count() == before + 1  # one read row, as before
    bad = as_provider.post(f"/encounters/{encounter.id}/child-protection/", {})
    assert bad.status_code == 400 and 'id="jurisdiction-panel"' in main_of(bad)


def test_the_release_form_shows_the_panel_for_a_minor_only(as_provider: Client, world_a: OrgWorld) -> None:
    url = f"/people/{world_a.person.id}/releases/new/"
    assert 'id="jurisdiction-panel"' not in main_of(as_provider.get(url))
    make_minor(world_a)
    assert 'id="jurisdiction-panel"' in main_of(as_provider.get(url))


def test_other_organisations_do_not_see_the_panel(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    make_minor(world_a, mandated_report_agency="Canary Agency A")
    sign_in(client, world_b.provider)
    response = client.get(f"/people/{world_a.person.id}/")
    assert response.status_code == 404 and "Canary Agency A" not in response.content.decode()


CONSENT_ALONE = {
    True: "A young person may agree to services on their own here.",
    False: "A young person may not agree to services on their own here",
}
SIGNS = {
    MinorConsent.GUARDIAN: "A release of information for a young person is signed by a parent or legal guardian here.",
    MinorConsent.YOUNG_PERSON: "A young person signs their own release of information here.",
    MinorConsent.BOTH: "signed by the young person and a parent or legal guardian together here.",
}
PARTY = {
    MinorConsent.GUARDIAN: ConsentingParty.GUARDIAN,
    MinorConsent.YOUNG_PERSON: ConsentingParty.PERSON,
    MinorConsent.BOTH: ConsentingParty.BOTH,
}


@pytest.mark.parametrize("alone", [True, False])
@pytest.mark.parametrize("rule", list(MinorConsent))
def test_each_combination_of_the_rules(as_provider: Client, world_a: OrgWorld, alone: bool, rule: str) -> None:
    """Services: whether a young person may agree alone (shown); releases: who signs (shown, and the
    rule the release form applies), independently of each other."""
    make_minor(world_a, minor_may_consent_alone=alone, minor_release_consent=rule)
    body = main_of(as_provider.get(f"/people/{world_a.person.id}/"))
    assert CONSENT_ALONE[alone] in body and CONSENT_ALONE[not alone] not in body
    assert SIGNS[MinorConsent(rule)] in body
    assert "Someone who may be harming them can never sign." in body
    org = Organisation.objects.get(pk=world_a.org.pk)
    person = Person.objects.get(pk=world_a.person.pk)
    assert consenting_party_for(person, org) == PARTY[MinorConsent(rule)]
    release_form = main_of(as_provider.get(f"/people/{world_a.person.id}/releases/new/"))
    assert ('name="guardian_name"' in release_form) is (rule != MinorConsent.YOUNG_PERSON)
    assert CONSENT_ALONE[alone] in release_form


@pytest.mark.parametrize("minor_age", [16, 18])
def test_a_release_follows_the_organisations_minor_age(as_provider: Client, world_a: OrgWorld, minor_age: int) -> None:
    """Seventeen: an adult's release where the minor age is 16, a guardian's where it is 18."""
    make_minor(world_a, 17, minor_age=minor_age, minor_release_consent=MinorConsent.GUARDIAN)
    org = Organisation.objects.get(pk=world_a.org.pk)
    person = Person.objects.get(pk=world_a.person.pk)
    expected = ConsentingParty.PERSON if minor_age == 16 else ConsentingParty.GUARDIAN
    assert consenting_party_for(person, org) == expected
    body = main_of(as_provider.get(f"/people/{world_a.person.id}/releases/new/"))
    assert ('name="guardian_name"' in body) is (minor_age == 18)


# --- The mandated-report contact moved from the protocol -----------------------------------------


def test_the_protocol_no_longer_asks_for_the_child_protection_contact(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    body = client.get("/encounters/separation/protocol/").content.decode()
    assert 'name="cps_contact"' not in body and 'name="emergency_steps"' in body
    assert "cps_contact" not in DEFAULT_PROTOCOL
    assert "cps_contact" not in {field.name for field in SeparationProtocol._meta.fields}


BEFORE = [
    ("encounters", "0008_safe_to_talk_step_and_call_back_comfort_choices"),
    ("orgs", "0007_organisation_mandated_report_agency_and_more"),
]
SCRIPT = """
import django, json
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
call_command("migrate", verbosity=0)
executor = MigrationExecutor(connection)
leaves = executor.loader.graph.leaf_nodes()
executor.migrate(BEFORE)
old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
Org, Protocol = old.get_model("orgs", "Organisation"), old.get_model("encounters", "SeparationProtocol")
texts = {"who_separates": "x", "discreet_reasons": "x", "refusal_steps": "x", "security_contact": "x",
         "local_police": "x", "emergency_steps": "x", "adult_consent_script": "x"}
typed = Org.objects.create(name="Typed")
Protocol.objects.create(org=typed, cps_contact="  County CPS 555-0122 ", **texts)
placeholder = Org.objects.create(name="Placeholder")
Protocol.objects.create(org=placeholder, cps_contact="(add the number)", **texts)
kept = Org.objects.create(name="Kept", mandated_report_agency="State line", mandated_report_contact="555-0100")
Protocol.objects.create(org=kept, cps_contact="Old 555-0999", **texts)
empty = Org.objects.create(name="Empty")
Protocol.objects.create(org=empty, cps_contact="", **texts)
Org.objects.create(name="No protocol")

def orgs(model):
    return {o.name: [o.mandated_report_agency, o.mandated_report_contact] for o in model.objects.all()}

executor = MigrationExecutor(connection)
executor.loader.build_graph()
executor.migrate(leaves)
from waypoint.orgs.models import Organisation
print("FORWARD " + json.dumps(orgs(Organisation)))
executor = MigrationExecutor(connection)
executor.loader.build_graph()
executor.migrate(BEFORE)
back = MigrationExecutor(connection).loader.project_state(BEFORE).apps
rows = back.get_model("encounters", "SeparationProtocol").objects.select_related("org")
print("BACK " + json.dumps({p.org.name: p.cps_contact for p in rows}))
executor = MigrationExecutor(connection)
executor.loader.build_graph()
executor.migrate(leaves)
"""


@pytest.mark.slow
@pytest.mark.django_db
def test_the_contact_moves_to_the_organisation_and_back(tmp_path: Path) -> None:
    for url in _scratch_database(tmp_path):
        env = {**os.environ, "WAYPOINT_ENV": "test", "WAYPOINT_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
        env["DJANGO_SETTINGS_MODULE"] = "waypoint.settings"
        code = f"BEFORE = {BEFORE!r}\n" + SCRIPT
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in result.stdout.splitlines() if " " in line}
        assert "FORWARD" in lines and "BACK" in lines, result.stdout + result.stderr[-4000:]
        forward = json.loads(lines["FORWARD"])
        assert forward["Typed"] == ["Child protective services", "County CPS 555-0122"]
        assert forward["Placeholder"] == ["", ""]  # a placeholder is never copied as a contact
        assert forward["Kept"] == ["State line", "555-0100"]  # the organisation's own is kept
        assert forward["Empty"] == ["", ""] and forward["No protocol"] == ["", ""]
        back = json.loads(lines["BACK"])
        assert back == {"Typed": "County CPS 555-0122", "Placeholder": "", "Kept": "555-0100", "Empty": ""}

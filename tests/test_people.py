"""People records: create, read (audited once), edit with conflicts, search, timeline, bad input."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.core.models import AuditEvent
from waypoint.people.models import Person


def person_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Rosa Delgado",
        "alias": "",
        "date_of_birth": "",
        "estimated_age": "",
        "preferred_language": "es",
        "pronouns": "she/her",
        "interviewer_gender": "female",
        "interpreter_language": "",
        "their_words": "the boss = the man who keeps her passport\nthe house = where she sleeps",
        "notes": "Met at the clinic.",
        "form_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_create_person_assigns_creator_and_audits(as_provider: Client, world_a: OrgWorld) -> None:
    response = as_provider.post("/people/new/", person_data(date_of_birth="2001-05-04"))
    person = Person.objects.get(name_index__isnull=False, created_by_id=world_a.provider.id, preferred_language="es")
    assert response["Location"] == f"/people/{person.id}/"
    assert person.name == "Rosa Delgado" and person.is_minor is False
    assert list(person.assigned_staff.all()) == [world_a.provider]
    assert person.glossary[0] == ("the boss", "the man who keeps her passport")
    assert AuditEvent.objects.filter(event="person.created", object_id=person.id).count() == 1


def test_double_submit_creates_one_record(as_provider: Client) -> None:
    data = person_data()
    first = as_provider.post("/people/new/", data)
    second = as_provider.post("/people/new/", data)
    assert first["Location"] == second["Location"]
    assert Person.objects.filter(preferred_language="es").count() == 1


def test_every_read_writes_exactly_one_audit_row(as_provider: Client, world_a: OrgWorld) -> None:
    for path, event in [
        (f"/people/{world_a.person.id}/", "person.viewed"),
        (f"/people/{world_a.person.id}/edit/", "person.viewed"),
        (f"/people/{world_a.person.id}/timeline/", "person.timeline_viewed"),
    ]:
        before = AuditEvent.objects.count()
        assert as_provider.get(path).status_code == 200
        rows = AuditEvent.objects.order_by("seq")[before:]
        assert [(r.event, r.object_id, r.actor_id) for r in rows] == [(event, world_a.person.id, world_a.provider.id)]


def test_person_page_shows_who_viewed(as_provider: Client, world_a: OrgWorld) -> None:
    sign_in(Client(), world_a.supervisor).get(f"/people/{world_a.person.id}/")
    page = as_provider.get(f"/people/{world_a.person.id}/").content.decode()
    assert "Supervisor.A" in page and "Record viewed" in page


def test_title_and_lists_show_no_name(as_provider: Client, world_a: OrgWorld) -> None:
    page = as_provider.get("/people/").content.decode()
    assert world_a.person.reference in page and "Canary Name" not in page
    detail = as_provider.get(f"/people/{world_a.person.id}/").content.decode()
    assert "<title>Notes</title>" in detail


def test_minor_status_is_derived(as_provider: Client) -> None:
    sixteen = timezone.localdate().replace(year=timezone.localdate().year - 16) - datetime.timedelta(days=1)
    as_provider.post("/people/new/", person_data(date_of_birth=sixteen.isoformat()))
    person = Person.objects.get(preferred_language="es")
    assert person.is_minor is True and person.age == 16
    assert Person(estimated_age=None).is_minor is None
    assert Person(estimated_age=17).is_minor is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2024-02-30", "valid date"),
        ("date_of_birth", "2999-01-01", "future"),
        ("date_of_birth", "1850-01-01", "years ago"),
        ("estimated_age", "130", "less than or equal"),
        ("estimated_age", "-1", "greater than or equal"),
        ("name", "x" * 201, "at most 200"),
        ("name", "Ro\u202esa", "invisible"),
        ("name", "Ro\u200bsa", "invisible"),
        ("name", "Ro\x00sa", "Null characters"),
        ("name", "Ro\x07sa", "invisible"),
        ("name", "Ro\ufffdsa", "could not be read"),
        ("notes", "y" * 20001, "at most 20000"),
        ("preferred_language", "klingon", "valid choice"),
        ("interviewer_gender", "robot", "valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_message(as_provider: Client, field: str, value: str, message: str) -> None:
    response = as_provider.post("/people/new/", person_data(**{field: value}))
    assert response.status_code == 400  # issue 11: bad input on the create page is a 400, as on edit
    assert message in response.content.decode()
    assert not Person.objects.filter(preferred_language="es").exists()


def test_date_of_birth_and_estimated_age_not_both(as_provider: Client) -> None:
    response = as_provider.post("/people/new/", person_data(date_of_birth="2000-01-01", estimated_age="25"))
    assert "not both" in response.content.decode()


def test_multiline_fields_keep_newlines_and_tabs(as_provider: Client) -> None:
    as_provider.post("/people/new/", person_data(notes="line one\r\n\tline two"))
    assert Person.objects.get(preferred_language="es").notes == "line one\r\n\tline two"


def test_injection_strings_are_stored_literally_and_escaped(as_provider: Client) -> None:
    payload = "<script>alert(1)</script>'; DROP TABLE people_person; -- {{ 7*7 }} {% now 'Y' %}"
    as_provider.post("/people/new/", person_data(name=payload[:200], notes=payload))
    person = Person.objects.get(preferred_language="es")
    assert person.notes == payload
    page = as_provider.get(f"/people/{person.id}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "{{ 7*7 }}" in page


def test_edit_saves_and_bumps_version(as_provider: Client, world_a: OrgWorld) -> None:
    person = world_a.person
    response = as_provider.post(f"/people/{person.id}/edit/", person_data(version=person.version, notes="Updated note"))
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.notes == "Updated note" and person.version == 2
    assert AuditEvent.objects.filter(event="person.updated", object_id=person.id).count() == 1


def test_stale_edit_shows_conflict_and_keeps_both(world_a: OrgWorld) -> None:
    person = world_a.person
    first = sign_in(Client(), world_a.provider)
    second = sign_in(Client(), world_a.supervisor)
    version = person.version
    assert first.post(f"/people/{person.id}/edit/", person_data(version=version, notes="First text")).status_code == 302
    response = second.post(f"/people/{person.id}/edit/", person_data(version=version, notes="Second text"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "First text" in body and "Second text" in body
    person.refresh_from_db()
    assert person.notes == "First text"
    assert f'name="version" value="{person.version}"' in body
    retry = second.post(f"/people/{person.id}/edit/", person_data(version=person.version, notes="Second text"))
    assert retry.status_code == 302
    person.refresh_from_db()
    assert person.notes == "Second text"


def test_invalid_edit_changes_nothing(as_provider: Client, world_a: OrgWorld) -> None:
    person = world_a.person
    response = as_provider.post(
        f"/people/{person.id}/edit/", person_data(version=person.version, notes="ok", date_of_birth="2999-01-01")
    )
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.notes == "Canary note A" and person.version == 1


def test_search_by_name_and_code_within_the_org(world_a: OrgWorld, world_b: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    by_name = client.post("/people/search/", {"wp_find": "  canary   name a "})
    assert list(by_name.context["rows"]) == [world_a.person]
    code = world_a.person.reference.replace("-", "").lower()
    assert list(client.post("/people/search/", {"wp_find": code}).context["rows"]) == [world_a.person]
    assert list(client.post("/people/search/", {"wp_find": "Canary Name B"}).context["rows"]) == []
    assert list(client.post("/people/search/", {"wp_find": world_b.person.reference}).context["rows"]) == []
    assert AuditEvent.objects.filter(event="people.searched").count() == 4


def test_search_is_post_only(as_provider: Client) -> None:
    assert as_provider.get("/people/search/?wp_find=Canary").status_code == 405


def test_assigned_staff_limited_to_own_org(world_a: OrgWorld, world_b: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    response = client.post("/people/new/", person_data(assigned_staff=[str(world_b.provider.id)]))
    assert response.status_code == 400 and "valid choice" in response.content.decode()


def test_timeline_lists_creation_and_changes(as_provider: Client, world_a: OrgWorld) -> None:
    as_provider.post(f"/people/{world_a.person.id}/edit/", person_data(version=1))
    page = as_provider.get(f"/people/{world_a.person.id}/timeline/").content.decode()
    assert "Record changed" in page

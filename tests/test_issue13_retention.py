"""Issue 13, retention: the settings page (periods, bad input, who may see it), closing and reopening
a record, legal holds (other organisations 404), the purge preview, and a property test: for random
periods and record ages, the purge plan selects exactly what is past its period and never a held
record."""

from __future__ import annotations

import datetime
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, make_staff, sign_in
from waypoint.core import record_keys
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import Encounter
from waypoint.orgs.models import Role
from waypoint.people.models import Person
from waypoint.people.parts import parts as record_parts
from waypoint.retention import actions, selection
from waypoint.retention.events import RetentionEvent
from waypoint.retention.forms import RetentionForm
from waypoint.retention.models import MIN_AUDIT_DAYS, LegalHold, RetentionPolicy

pytestmark = pytest.mark.django_db
SETTINGS = reverse("retention:settings")
PREVIEW = reverse("retention:preview")
VALID = {"narrative_days": "400", "safety_answers_days": "90", "closed_record_days": "730", "audit_days": "2555"}


def events(org_id: uuid.UUID, code: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(org_id=org_id, event=code))


def age(obj: Model, **stamps: datetime.datetime | None) -> None:
    """Back-date a row's time stamps (the fixture's clock), without its save() moving them."""
    type(obj)._default_manager.filter(pk=obj.pk).update(**stamps)


# --- Settings page --------------------------------------------------------------------------------


def test_admin_saves_the_periods(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    page = client.get(SETTINGS)
    assert page.status_code == 200
    body = page.content.decode()
    for sentence in ("emptied", "deleted", "removed whole", "at least 365 days"):
        assert sentence in body  # each period says what it removes
    response = client.post(SETTINGS, VALID)
    assert response.status_code == 302
    policy = RetentionPolicy.objects.get(org=world_a.org)
    assert (policy.narrative_days, policy.safety_answers_days) == (400, 90)
    assert (policy.closed_record_days, policy.audit_days) == (730, 2555)
    assert policy.updated_by_id == world_a.org_admin.id
    [row] = events(world_a.org.id, RetentionEvent.POLICY_SAVED)
    assert row.actor_id == world_a.org_admin.id and row.object_id is None


def test_empty_periods_keep_until_the_organisation_decides(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    client.post(SETTINGS, VALID)
    assert client.post(SETTINGS, dict.fromkeys(VALID, "")).status_code == 302
    policy = RetentionPolicy.objects.get(org=world_a.org)
    assert [policy.narrative_days, policy.closed_record_days, policy.audit_days] == [None, None, None]
    assert selection.plan(world_a.org.id, timezone.now() + datetime.timedelta(days=99999)).records == 0


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("narrative_days", "0", "1 or more"),
        ("safety_answers_days", "-5", "1 or more"),
        ("closed_record_days", "12abc", "whole number"),
        ("closed_record_days", "1.5", "whole number"),
        ("narrative_days", "99999999999999999999", "at most 36500"),
        ("audit_days", "364", "365 or more"),
        ("audit_days", "\u202e30", "whole number"),
    ],
)
def test_bad_periods_are_refused_next_to_the_field(
    client: Client, world_a: OrgWorld, field: str, value: str, message: str
) -> None:
    sign_in(client, world_a.org_admin)
    client.post(SETTINGS, VALID)
    response = client.post(SETTINGS, {**VALID, field: value})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and f'href="#id_{field}"' in body  # the summary links to the field
    assert f'value="{VALID["narrative_days"]}"' in body or field == "narrative_days"  # the rest is kept
    policy = RetentionPolicy.objects.get(org=world_a.org)
    assert getattr(policy, field) == int(VALID[field])  # nothing saved
    assert len(events(world_a.org.id, RetentionEvent.POLICY_SAVED)) == 1


def test_the_database_refuses_a_zero_period_too(world_a: OrgWorld) -> None:
    form = RetentionForm({**VALID, "narrative_days": "0"})
    assert not form.is_valid()
    form = RetentionForm(VALID)
    assert form.is_valid()
    form.cleaned_data["narrative_days"] = 0  # a caller skipping the form's checks
    with pytest.raises(Exception):  # noqa: B017  (ValidationError from full_clean)
        actions.save_policy(world_a.org_admin, form)
    assert not RetentionPolicy.objects.filter(org=world_a.org).exists()


def test_the_audit_minimum_is_the_one_the_texts_name() -> None:
    assert MIN_AUDIT_DAYS == 365


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.SUPERVISOR, Role.AUDITOR, Role.FRONT_DESK])
def test_settings_and_preview_are_404_for_everyone_but_the_admin(client: Client, world_a: OrgWorld, role: Role) -> None:
    sign_in(client, world_a.staff[role])
    assert client.get(SETTINGS).status_code == 404
    assert client.post(SETTINGS, VALID).status_code == 404
    assert client.get(PREVIEW).status_code == 404
    assert not RetentionPolicy.objects.exists()


def test_anonymous_goes_to_sign_in(client: Client, world_a: OrgWorld) -> None:
    for response in (
        client.get(SETTINGS),
        client.get(PREVIEW),
        *(client.post(reverse(f"retention:{name}", args=[world_a.person.id])) for name in ("close", "hold_set")),
    ):
        assert response.status_code == 302 and "/login/" in response["Location"]
    world_a.person.refresh_from_db()
    assert world_a.person.closed_at is None and not LegalHold.objects.exists()


def test_each_admin_sees_and_saves_only_their_organisation(
    client: Client, world_a: OrgWorld, world_b: OrgWorld
) -> None:
    actions.set_hold(world_b.supervisor, world_b.person)
    sign_in(client, world_a.org_admin)
    client.post(SETTINGS, VALID)
    assert not RetentionPolicy.objects.filter(org=world_b.org).exists()
    body = client.get(SETTINGS).content.decode()
    assert world_b.person.reference not in body and "No record is under a legal hold" in body


# --- Closing and reopening ------------------------------------------------------------------------


def test_assigned_provider_closes_and_reopens(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    person = world_a.person
    page = client.get(reverse("retention:record", args=[person.id])).content.decode()
    assert "Close this record" in page and "Set a legal hold" not in page
    assert client.post(reverse("retention:close", args=[person.id])).status_code == 302
    person.refresh_from_db()
    assert person.closed_at is not None and person.closed_by_id == world_a.provider.id and person.version == 2
    page = client.get(reverse("retention:record", args=[person.id])).content.decode()
    assert "Reopen this record" in page and "Closed on" in page
    client.post(reverse("retention:close", args=[person.id]))  # closing twice changes nothing
    assert len(events(world_a.org.id, RetentionEvent.RECORD_CLOSED)) == 1
    assert client.post(reverse("retention:reopen", args=[person.id])).status_code == 302
    person.refresh_from_db()
    assert person.closed_at is None and person.closed_by_id is None
    [row] = events(world_a.org.id, RetentionEvent.RECORD_REOPENED)
    assert row.object_id == person.id and row.actor_id == world_a.provider.id


def test_the_record_page_says_when_a_closed_record_goes(client: Client, world_a: OrgWorld) -> None:
    RetentionPolicy.objects.create(org=world_a.org, closed_record_days=30)
    actions.close_record(world_a.supervisor, world_a.person)
    sign_in(client, world_a.supervisor)
    page = client.get(reverse("retention:record", args=[world_a.person.id])).content.decode()
    assert "with everything recorded in it" in page


def test_an_unassigned_provider_may_not_close(client: Client, world_a: OrgWorld) -> None:
    other = make_staff(world_a.org, "provider.other", Role.PROVIDER)
    sign_in(client, other)
    page = client.get(reverse("retention:record", args=[world_a.person.id])).content.decode()
    assert "Close this record" not in page
    assert client.post(reverse("retention:close", args=[world_a.person.id])).status_code == 404
    world_a.person.refresh_from_db()
    assert world_a.person.closed_at is None


def test_the_record_page_links_to_the_keeping_page_with_one_read_row(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    record = client.get(reverse("people:detail", args=[world_a.person.id])).content.decode()
    keeping_url = reverse("retention:record", args=[world_a.person.id])
    assert f'href="{keeping_url}"' in record and "Close this record" not in record  # the buttons are on that page
    before = AuditEvent.objects.filter(event=RetentionEvent.KEEPING_VIEWED).count()
    assert client.get(keeping_url).status_code == 200
    [row] = AuditEvent.objects.filter(event=RetentionEvent.KEEPING_VIEWED)[: before + 1][:1]
    assert row.object_id == world_a.person.id and row.actor_id == world_a.provider.id
    assert AuditEvent.objects.filter(event=RetentionEvent.KEEPING_VIEWED).count() == before + 1
    for role in (Role.AUDITOR, Role.FRONT_DESK, Role.ORG_ADMIN):
        sign_in(client, world_a.staff[role])
        assert client.get(keeping_url).status_code == 404


def test_a_supervisor_closes_any_record_of_their_organisation(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.supervisor)
    assert client.post(reverse("retention:close", args=[world_a.person.id])).status_code == 302
    world_a.person.refresh_from_db()
    assert world_a.person.closed_at is not None


@pytest.mark.parametrize("name", ["close", "reopen", "hold_set", "hold_lift"])
def test_other_organisations_records_are_404(client: Client, world_a: OrgWorld, world_b: OrgWorld, name: str) -> None:
    sign_in(client, world_a.supervisor)
    before = (Person.objects.get(pk=world_b.person.id).closed_at, LegalHold.objects.count())
    assert client.post(reverse(f"retention:{name}", args=[world_b.person.id])).status_code == 404
    assert client.post(reverse(f"retention:{name}", args=[uuid.uuid4()])).status_code == 404
    assert (Person.objects.get(pk=world_b.person.id).closed_at, LegalHold.objects.count()) == before
    assert not AuditEvent.objects.filter(event__startswith="record.").exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.FRONT_DESK, Role.ORG_ADMIN])
def test_roles_without_the_record_get_404(client: Client, world_a: OrgWorld, role: Role) -> None:
    sign_in(client, world_a.staff[role])
    for name in ("close", "reopen", "hold_set", "hold_lift"):
        assert client.post(reverse(f"retention:{name}", args=[world_a.person.id])).status_code == 404
    assert client.get(reverse("retention:close", args=[world_a.person.id])).status_code in (404, 405)
    assert not LegalHold.objects.exists()


def test_get_changes_nothing(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.supervisor)
    assert client.get(reverse("retention:close", args=[world_a.person.id])).status_code == 405
    world_a.person.refresh_from_db()
    assert world_a.person.closed_at is None


# --- Legal holds ----------------------------------------------------------------------------------


def test_supervisor_sets_and_lifts_a_hold(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.supervisor)
    person = world_a.person
    assert "Set a legal hold" in client.get(reverse("retention:record", args=[person.id])).content.decode()
    assert client.post(reverse("retention:hold_set", args=[person.id])).status_code == 302
    hold = LegalHold.objects.get(person=person)
    assert hold.active and hold.set_by_id == world_a.supervisor.id
    client.post(reverse("retention:hold_set", args=[person.id]))  # one active hold per record
    assert LegalHold.objects.filter(person=person).count() == 1
    assert len(events(world_a.org.id, RetentionEvent.HOLD_SET)) == 1
    sign_in(client, world_a.org_admin)
    assert person.reference in client.get(SETTINGS).content.decode()  # the admin's list of holds
    sign_in(client, world_a.supervisor)
    assert client.post(reverse("retention:hold_lift", args=[person.id])).status_code == 302
    hold.refresh_from_db()
    assert not hold.active and hold.lifted_by_id == world_a.supervisor.id
    assert client.post(reverse("retention:hold_lift", args=[person.id])).status_code == 302  # nothing to lift
    assert len(events(world_a.org.id, RetentionEvent.HOLD_LIFTED)) == 1
    client.post(reverse("retention:hold_set", args=[person.id]))  # a new hold after a lifted one
    assert LegalHold.objects.filter(person=person, lifted_at__isnull=True).count() == 1


def test_a_provider_may_not_set_a_hold(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    assert client.post(reverse("retention:hold_set", args=[world_a.person.id])).status_code == 404
    assert not LegalHold.objects.exists()


def test_closing_a_purged_record_is_404(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.supervisor)
    person_id = world_a.person.id
    _close_everything(world_a)
    RetentionPolicy.objects.create(org=world_a.org, closed_record_days=1)
    actions.close_record(world_a.supervisor, world_a.person)
    assert actions.purge_record(world_a.org.id, person_id, timezone.now() + datetime.timedelta(days=2)) is not None
    assert not Person.objects.filter(pk=person_id).exists()
    for name in ("close", "reopen", "hold_set", "hold_lift"):
        assert client.post(reverse(f"retention:{name}", args=[person_id])).status_code == 404
    with pytest.raises(actions.RecordGone):  # an action called on a record loaded before the purge
        actions.close_record(world_a.supervisor, world_a.person)


# --- Preview --------------------------------------------------------------------------------------


def _close_everything(world: OrgWorld) -> None:
    Encounter.objects.filter(person=world.person).update(closed_at=timezone.now() - datetime.timedelta(days=1))


def age_record(person_id: uuid.UUID, when: datetime.datetime) -> None:
    """Back-date every time stamp the parts declare for the record (the world's rows are new)."""
    for part in record_parts():
        for label, person_path, stamp in part.activity:
            rows = selection.model(label)._default_manager.filter(**{person_path: person_id})
            rows.filter(**{f"{stamp}__isnull": False}).update(**{stamp: when})


def test_preview_lists_codes_and_counts_only(client: Client, world_a: OrgWorld) -> None:
    RetentionPolicy.objects.create(org=world_a.org, narrative_days=30, closed_record_days=30)
    long_ago = timezone.now() - datetime.timedelta(days=60)
    Encounter.objects.filter(person=world_a.person).update(closed_at=long_ago)
    age_record(world_a.person.id, long_ago)
    age(world_a.person, closed_at=long_ago)
    other = Person.objects.create(org=world_a.org, name="Canary Kept Person", notes="Canary kept note")
    age(other, updated_at=long_ago)
    held = Person.objects.create(org=world_a.org, name="Canary Held Person", notes="Canary held note")
    age(held, updated_at=long_ago, closed_at=long_ago)
    actions.set_hold(world_a.supervisor, held)
    age(LegalHold.objects.get(person=held), set_at=long_ago)
    sign_in(client, world_a.org_admin)
    response = client.get(PREVIEW)
    body = response.content.decode()
    assert response.status_code == 200
    assert world_a.person.reference in body and other.reference in body and held.reference in body
    assert "Canary" not in body  # no names, no notes
    plan = selection.plan(world_a.org.id, timezone.now())
    assert plan.whole == [world_a.person.id] and plan.held == [held.id] and other.id in plan.narrative
    assert not AuditEvent.objects.filter(event__startswith="record.").exclude(event=RetentionEvent.HOLD_SET).exists()


def test_preview_warns_about_records_without_a_key_that_no_purge_destroyed(client: Client, world_a: OrgWorld) -> None:
    """Finding 3: after a restore without the record-key file, the preview lists the keyless records
    (reference codes) as kept, with what to check, and counts none of them as removed."""
    RetentionPolicy.objects.create(org=world_a.org, closed_record_days=30)
    long_ago = timezone.now() - datetime.timedelta(days=60)
    lost = Person.objects.create(org=world_a.org, name="Canary Lost Key", notes="Canary lost note")
    age(lost, updated_at=long_ago, closed_at=long_ago)
    apps.get_model("core", "RecordKey").objects.filter(pk=lost.id).delete()
    record_keys.forget_all()
    sign_in(client, world_a.org_admin)
    body = client.get(PREVIEW).content.decode()
    assert 'id="keyless-records"' in body and "WAYPOINT_RECORD_KEY_FILE" in body and lost.reference in body
    assert "Nothing of it is removed" in body and "Canary" not in body
    plan = selection.plan(world_a.org.id, timezone.now())
    assert plan.unexplained == [lost.id] and lost.id not in plan.whole and plan.orphans == []


def test_settings_page_says_safety_plans_are_kept_with_the_record(client: Client, world_a: OrgWorld) -> None:
    """Finding 11: the notes period does not touch safety plans or their versions; the page says so."""
    sign_in(client, world_a.org_admin)
    body = client.get(SETTINGS).content.decode()
    assert "Safety plans are not notes" in body and "kept with the record" in body


# --- Property: the plan selects exactly what is past its period, never a held record ---------------

DAYS = st.one_of(st.none(), st.integers(min_value=1, max_value=400))
AGE = st.integers(min_value=0, max_value=500)
RECORD = st.fixed_dictionaries(
    {"closed": st.one_of(st.none(), AGE), "noted": AGE, "held": st.booleans(), "open_encounter": st.booleans()}
)


@pytest.fixture
def parts_of_a(world_a: OrgWorld) -> dict[str, Any]:
    """The world as a plain dict (Hypothesis probes its arguments with attribute names)."""
    return {
        "org": world_a.org,
        "supervisor": world_a.supervisor,
        "provider": world_a.provider,
        "person": world_a.person,
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(narrative=DAYS, closed_days=DAYS, records=st.lists(RECORD, min_size=1, max_size=5))
def test_plan_selects_exactly_what_is_past_retention(
    parts_of_a: dict[str, Any], narrative: int | None, closed_days: int | None, records: list[dict[str, Any]]
) -> None:
    world_a = SimpleNamespace(**parts_of_a)
    now = timezone.now() + datetime.timedelta(days=1000)  # the world's own rows are recent: keep them out
    LegalHold.objects.all().delete()
    Encounter.objects.filter(org=world_a.org).exclude(person=world_a.person).delete()
    Person.objects.filter(org=world_a.org).exclude(pk=world_a.person.id).delete()
    RetentionPolicy.objects.update_or_create(
        org=world_a.org, defaults={"narrative_days": narrative, "closed_record_days": closed_days}
    )
    Encounter.objects.filter(person=world_a.person).update(closed_at=None)  # in use: never selected
    made = []
    for spec in records:
        person = Person.objects.create(org=world_a.org, name="Canary", notes="Canary note")
        closed_at = None if spec["closed"] is None else now - datetime.timedelta(days=spec["closed"], seconds=1)
        age(person, updated_at=now - datetime.timedelta(days=spec["noted"], seconds=1), closed_at=closed_at)
        if spec["held"]:
            hold = LegalHold.objects.create(org=world_a.org, person=person, set_by_id=world_a.supervisor.id, set_at=now)
            age(hold, set_at=now - datetime.timedelta(days=600))
        if spec["open_encounter"]:
            encounter = Encounter.objects.create(org=world_a.org, person=person, lead=world_a.provider, mode="phone")
            age(encounter, started_at=now - datetime.timedelta(days=600))
        made.append((person.id, spec))
    plan = selection.plan(world_a.org.id, now)
    for person_id, spec in made:
        changed_this_hour = spec["noted"] == 0  # one second before the frozen clock: in use
        skip = spec["held"] or spec["open_encounter"] or changed_this_hour
        whole = closed_days is not None and spec["closed"] is not None and spec["closed"] >= closed_days
        notes = narrative is not None and spec["noted"] >= narrative
        assert (person_id in plan.whole) == (whole and not skip)
        assert (person_id in plan.narrative) == (notes and not whole and not skip)
        assert person_id not in plan.answers
        if spec["held"] and (whole or notes):
            assert person_id in plan.held and person_id not in plan.in_use
        if skip:
            assert person_id not in plan.whole and person_id not in plan.narrative
    assert world_a.person.id not in plan.whole and world_a.person.id not in plan.narrative
    for person_id in [*plan.whole, *plan.narrative]:
        assert not LegalHold.objects.filter(person_id=person_id, lifted_at__isnull=True).exists()
    # The purge does what the plan says, and a held record keeps everything.
    outcome = actions.purge_org(world_a.org.id, now)
    assert outcome.purged == plan.whole and set(outcome.narrative) == set(plan.narrative)
    for person_id, spec in made:
        kept = Person.objects.filter(pk=person_id).first()
        assert (kept is None) == (person_id in plan.whole)
        if spec["held"]:
            assert kept is not None and kept.notes == "Canary note"

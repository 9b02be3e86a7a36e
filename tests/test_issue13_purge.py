"""Issue 13, the purge: what belongs to a record (a walk of the model graph), the purge with a frozen
clock (exactly what is past retention goes, held and in-use records are skipped and listed, a second
run changes nothing), orphans, a purge racing an edit, the command's output, and the done-when drill
on a live SQLite server: no canary of a purged record in the database file, its WAL or a new backup,
and a backup taken before the purge cannot decrypt it any more while a kept record still decrypts."""

from __future__ import annotations

import contextlib
import datetime
import io
import secrets
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.content.models import ContentSet
from waypoint.content.source import PHONE
from waypoint.core import record_keys
from waypoint.core.models import AuditEvent, AuditHead
from waypoint.encounters.models import Encounter, SafetyAnswer, StepState
from waypoint.people.models import Person
from waypoint.people.parts import parts as record_parts
from waypoint.plans.models import PlanVersion
from waypoint.referrals.models import HOTLINE_ID, DirectoryEntry
from waypoint.retention import actions, selection
from waypoint.retention.events import RetentionEvent
from waypoint.retention.models import LegalHold, RetentionPolicy

AUDIT_TABLES = {"core_auditevent", "core_audithead"}


# --- What belongs to a record ---------------------------------------------------------------------


def _points_to(model: type[models.Model], targets: set[type[models.Model]]) -> bool:
    return any(
        (field.many_to_one or field.one_to_one) and field.concrete and field.related_model in targets
        for field in model._meta.get_fields()
    )


def test_every_table_pointing_to_a_person_is_declared() -> None:
    """Person, and every table with a foreign key to a table in the set, until nothing is added."""
    person_model = apps.get_model("people", "Person")
    about: set[type[models.Model]] = {person_model}
    while True:
        more = {m for m in apps.get_models(include_auto_created=True) if m not in about and _points_to(m, about)}
        if not more:
            break
        about |= more
    declared = {apps.get_model(label) for part in record_parts() for label, _path in part.purge_models}
    # A many-to-many table of a declared model goes with its rows (Django deletes it with them).
    missing = {
        m._meta.label
        for m in about - declared
        if not (m._meta.auto_created and any(f.related_model in declared for f in m._meta.fields))
    }
    assert missing == set(), f"tables pointing to a person that no part declares: {sorted(missing)}"
    assert not {"core.AuditEvent", "core.AuditHead", "referrals.DirectoryEntry"} & {m._meta.label for m in declared}


def test_declared_lookups_reach_the_person() -> None:
    for part in record_parts():
        for label, path in part.purge_models:
            str(selection.model(label)._default_manager.filter(**{path: uuid.uuid4()}).query)
        for label, path, fields, age in part.narrative:
            model = selection.model(label)
            str(model._default_manager.filter(**{path: uuid.uuid4(), f"{age}__lt": timezone.now()}).query)
            for name in fields:
                assert "Encrypted" in type(model._meta.get_field(name)).__name__, (label, name)
        for label, path, age in (*part.answers, *part.activity):
            str(
                selection.model(label)
                ._default_manager.filter(**{path: uuid.uuid4(), f"{age}__lt": timezone.now()})
                .query
            )


# --- The purge with a frozen clock -----------------------------------------------------------------

# A real purge never runs ahead of the clock: the fixture's rows are made in the past instead (every
# time stamp a part declares is back-dated), and the frozen moment is just before the test runs.
NOW = timezone.now() - datetime.timedelta(minutes=1)


def days_ago(days: float) -> datetime.datetime:
    return NOW - datetime.timedelta(days=days)


def age_record(person_id: uuid.UUID, when: datetime.datetime) -> None:
    """Back-date every time stamp the parts declare for the record."""
    for part in record_parts():
        for label, person_path, stamp in part.activity:
            rows = selection.model(label)._default_manager.filter(**{person_path: person_id})
            rows.filter(**{f"{stamp}__isnull": False}).update(**{stamp: when})


def rows_of_tables() -> dict[str, list[tuple[Any, ...]]]:
    """Every table's raw rows (ciphertext as stored), audit tables aside."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in AUDIT_TABLES:
                continue
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  (table names from the schema)
            tables[table] = sorted(map(repr, cursor.fetchall()))  # type: ignore[arg-type]
    return tables


def new_person(world: OrgWorld, tag: str, **extra: Any) -> Person:
    person = Person.objects.create(
        org=world.org, name=f"Canary {tag}", notes=f"Canary note {tag}", their_words=f"w{tag} = word", **extra
    )
    return person


def answer(encounter: Encounter, provider_id: uuid.UUID, key: str) -> SafetyAnswer:
    content = ContentSet.current(encounter.org_id, PHONE)
    return SafetyAnswer.objects.create(
        encounter=encounter, content_set=content, question_key=key, answer="yes", note=f"Canary answer note {key}",
        consented=True, by_id=provider_id,
    )  # fmt: skip


@pytest.fixture
def fixture(world_a: OrgWorld, world_b: OrgWorld) -> dict[str, Any]:
    """Records past and within each period of organisation A, one held, one in use; B untouched."""
    RetentionPolicy.objects.create(org=world_a.org, narrative_days=30, safety_answers_days=20, closed_record_days=60)
    RetentionPolicy.objects.create(org=world_b.org, narrative_days=1, safety_answers_days=1, closed_record_days=1)
    world = world_a
    # The world's own record, with every kind of row (encounter, plan, services, referral, release,
    # disclosure, task): closed 61 days ago, so it goes whole.
    answer(world.encounter, world.provider.id, "safe_to_talk")
    StepState.objects.create(
        encounter=world.encounter, step="gate", status="done", reason="Canary step reason", by_id=world.provider.id
    )
    Encounter.objects.filter(pk=world.encounter.pk).update(closed_at=days_ago(70))
    age_record(world.person.id, days_ago(70))
    Person.objects.filter(pk=world.person.pk).update(closed_at=days_ago(61))
    # Closed 59 days ago: kept whole; its notes (59 days) are past the 30-day narrative period.
    recent_close = new_person(world, "recent")
    age_record(recent_close.id, days_ago(59))
    Person.objects.filter(pk=recent_close.pk).update(closed_at=days_ago(59))
    # Open, notes 10 days old: nothing goes.
    fresh = new_person(world, "fresh")
    age_record(fresh.id, days_ago(10))
    # Open, an encounter 25 days ago: its safety-check answers (past 20 days) go, its notes (within 30) stay.
    answered = new_person(world, "answered")
    encounter = Encounter.objects.create(org=world.org, person=answered, mode="phone", lead=world.provider)
    answer(encounter, world.provider.id, "safe_to_talk")
    answer(encounter, world.provider.id, "safe_at_home")
    Encounter.objects.filter(pk=encounter.pk).update(closed_at=days_ago(25))
    age_record(answered.id, days_ago(25))
    # Closed 100 days ago but under a legal hold: skipped and listed.
    held = new_person(world, "held")
    actions.set_hold(world.supervisor, held)
    age_record(held.id, days_ago(100))
    Person.objects.filter(pk=held.pk).update(closed_at=days_ago(100))
    # Closed 100 days ago with an encounter still open: in use, skipped and listed.
    busy = new_person(world, "busy")
    Encounter.objects.create(org=world.org, person=busy, mode="phone", lead=world.provider)
    age_record(busy.id, days_ago(100))
    Person.objects.filter(pk=busy.pk).update(closed_at=days_ago(100))
    # Closed 100 days ago but edited 10 minutes ago (frozen clock): in use.
    edited = new_person(world, "edited")
    age_record(edited.id, days_ago(100))
    Person.objects.filter(pk=edited.pk).update(closed_at=days_ago(100), updated_at=NOW - datetime.timedelta(minutes=10))
    return {
        "world": world, "gone": world.person, "recent": recent_close, "fresh": fresh, "answered": answered,
        "held": held, "busy": busy, "edited": edited, "b": world_b,
    }  # fmt: skip


@pytest.mark.django_db
def test_purge_removes_exactly_what_is_past_retention(fixture: dict[str, Any]) -> None:
    world, gone, recent, answered = fixture["world"], fixture["gone"], fixture["recent"], fixture["answered"]
    b = fixture["b"]
    hotline = DirectoryEntry.objects.get(pk=HOTLINE_ID)
    entry_id = world.entry.id
    b_tables = {t: rows for t, rows in rows_of_tables().items()}
    plan = selection.plan(world.org.id, NOW)
    assert plan.whole == [gone.id] and plan.orphans == []
    assert plan.narrative == dict(sorted({recent.id: 2}.items()))  # notes and their words
    assert plan.answers == {answered.id: 2}
    assert plan.held == [fixture["held"].id]
    assert plan.in_use == sorted([fixture["busy"].id, fixture["edited"].id])
    assert record_keys.missing([gone.id]) == set()

    [outcome] = actions.purge(now=NOW, org_id=world.org.id).outcomes
    assert outcome.purged == [gone.id] and outcome.skipped == []
    assert outcome.narrative == {recent.id: 2} and outcome.answers == {answered.id: 2}
    # The whole record: every declared row, and its key.
    for part in record_parts():
        for label, path in part.purge_models:
            assert not selection.model(label)._default_manager.filter(**{path: gone.id}).exists(), label
    assert record_keys.missing([gone.id]) == {gone.id}
    [purged_row] = AuditEvent.objects.filter(event=RetentionEvent.PURGED)
    assert purged_row.object_id == gone.id and purged_row.actor_id is None and purged_row.count > 10
    # Shared rows stay: the directory (the hotline and the organisation's own listing).
    assert DirectoryEntry.objects.filter(pk__in=[hotline.pk, entry_id]).count() == 2
    # Narrative only: the notes are empty, the rest of the record is there and readable.
    recent.refresh_from_db()
    assert (recent.notes, recent.their_words, recent.name) == ("", "", "Canary recent")
    assert recent.closed_at is not None
    [row] = AuditEvent.objects.filter(event=RetentionEvent.NARRATIVE_PURGED)
    assert (row.object_id, row.count) == (recent.id, 2)
    # Safety-check answers gone, the encounter and notes kept.
    assert not SafetyAnswer.objects.filter(encounter__person=answered).exists()
    assert Encounter.objects.filter(person=answered).exists()
    answered.refresh_from_db()
    assert answered.notes == "Canary note answered"
    [row] = AuditEvent.objects.filter(event=RetentionEvent.ANSWERS_PURGED)
    assert (row.object_id, row.count) == (answered.id, 2)
    # Kept: the fresh, held and in-use records untouched.
    for key in ("fresh", "held", "busy", "edited"):
        person = Person.objects.get(pk=fixture[key].id)
        assert person.notes == f"Canary note {key}", key
    # Organisation B was not touched (its own policy would purge its record at once).
    assert Person.objects.filter(pk=b.person.id).exists()
    after = rows_of_tables()
    for table in ("people_person", "encounters_encounter"):
        assert [r for r in b_tables[table] if b.person.id.hex in r] == [r for r in after[table] if b.person.id.hex in r]
    [summary] = AuditEvent.objects.filter(event=RetentionEvent.PURGE_RUN, org_id=world.org.id)
    assert summary.count == 3

    # A second run at the same moment changes nothing, and writes only its summary.
    audit_before = AuditEvent.objects.count()
    [again] = actions.purge(now=NOW, org_id=world.org.id).outcomes
    assert (again.purged, again.narrative, again.answers, again.skipped) == ([], {}, {}, [])
    assert rows_of_tables() == after
    new_rows = list(AuditEvent.objects.order_by("id")[audit_before:].values_list("event", "count"))
    assert new_rows == [(RetentionEvent.PURGE_RUN, 0)]


@pytest.mark.django_db
def test_narrative_purge_clears_every_declared_text_and_nothing_else(world_a: OrgWorld) -> None:
    RetentionPolicy.objects.create(org=world_a.org, narrative_days=5)
    person = world_a.person
    Encounter.objects.filter(pk=world_a.encounter.pk).update(gate_reason="Canary gate reason", closed_at=days_ago(9))
    age_record(person.id, days_ago(9))
    Encounter.objects.filter(pk=world_a.encounter.pk).update(started_at=days_ago(9))
    type(world_a.referral).objects.filter(pk=world_a.referral.pk).update(created_at=days_ago(9))
    plan_texts = [
        world_a.plan.content_json,
        *PlanVersion.objects.filter(plan=world_a.plan).values_list("content_json", flat=True),
    ]
    assert PlanVersion.objects.filter(plan=world_a.plan, saved_at__lt=days_ago(5)).exists()  # old enough
    [outcome] = actions.purge(now=NOW, org_id=world_a.org.id).outcomes
    # notes, the encounter's reason, the task, the referral's reason, the disclosure's reason
    assert outcome.narrative == {person.id: 5} and outcome.purged == []
    # The safety plan is not notes (the settings page says so): the plan and its versions stay whole.
    world_a.plan.refresh_from_db()
    assert [
        world_a.plan.content_json,
        *PlanVersion.objects.filter(plan=world_a.plan).values_list("content_json", flat=True),
    ] == plan_texts
    for part in record_parts():
        for label, path, fields, _age in part.narrative:
            for row in selection.model(label)._default_manager.filter(**{path: person.id}):
                assert all(getattr(row, name) == "" for name in fields), label
    person.refresh_from_db()
    world_a.disclosure.refresh_from_db()
    world_a.service.refresh_from_db()
    assert person.name == "Canary Name A" and world_a.disclosure.to_whom == "Canary Court A"  # the rest stays
    assert world_a.service.provider == "Canary Clinic A"
    [again] = actions.purge(now=NOW, org_id=world_a.org.id).outcomes
    assert again.narrative == {}


@pytest.mark.django_db
def test_a_lifted_hold_lets_the_record_go(fixture: dict[str, Any]) -> None:
    world, held = fixture["world"], fixture["held"]
    actions.lift_hold(world.supervisor, held)
    LegalHold.objects.filter(person=held).update(lifted_at=days_ago(2))
    # Lifting it just now wrote a row naming the record (in use for an hour): plan two hours on.
    outcome = actions.purge_org(world.org.id, timezone.now() + datetime.timedelta(hours=2))
    assert held.id in outcome.purged
    assert not LegalHold.objects.filter(person_id=held.id).exists()


@pytest.mark.django_db
def test_dry_run_writes_nothing_but_its_audit_row(fixture: dict[str, Any]) -> None:
    world = fixture["world"]
    before, audit_before = rows_of_tables(), AuditEvent.objects.count()
    out = io.StringIO()
    call_command("purge", "--dry-run", "--org", str(world.org.id), "--now", NOW.isoformat(), stdout=out)
    assert rows_of_tables() == before
    assert list(AuditEvent.objects.order_by("id")[audit_before:].values_list("event", "count")) == [
        (RetentionEvent.DRY_RUN, 3)
    ]
    text = out.getvalue()
    assert fixture["gone"].reference in text and str(fixture["gone"].id) in text
    assert fixture["held"].reference in text and "skipped (legal hold): 1" in text
    assert "skipped (in use): 2" in text and "whole records would remove: 1" in text
    assert "Canary" not in text  # codes and ids, never names or notes


@pytest.mark.django_db
def test_the_command_purges_and_reports(fixture: dict[str, Any]) -> None:
    """The command at the real clock (no --now): the fixture's records were made in the past."""
    out = io.StringIO()
    call_command("purge", stdout=out)
    text = out.getvalue()
    assert "whole records removed: 1" in text and fixture["gone"].reference in text and "Canary" not in text
    assert "records without a key that no purge destroyed: 0" in text and "WARNING" not in text
    assert not Person.objects.filter(pk=fixture["gone"].id).exists()
    # Organisation B's periods are one day, but its record has an open encounter: in use, kept.
    assert Person.objects.filter(pk=fixture["b"].person.id).exists()


@pytest.mark.django_db
def test_bad_command_arguments(fixture: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="ISO"):
        call_command("purge", "--now", "yesterday")
    with pytest.raises(CommandError, match="UUID"):
        call_command("purge", "--org", "not-an-id")


@pytest.mark.django_db
def test_orphans_are_removed_the_same_way(fixture: dict[str, Any]) -> None:
    world, fresh = fixture["world"], fixture["fresh"]
    with transaction.atomic():
        record_keys.destroy([fresh.id])  # as after restoring a backup older than a purge
    plan = selection.plan(world.org.id, NOW)
    assert plan.orphans == [fresh.id] and plan.unexplained == []
    [outcome] = actions.purge(now=NOW, org_id=world.org.id).outcomes
    assert fresh.id in outcome.purged
    assert not Person.objects.filter(pk=fresh.id).exists()


@pytest.mark.django_db
def test_orphans_keep_a_legal_hold_but_not_the_in_use_window(fixture: dict[str, Any]) -> None:
    """A record a purge destroyed, back from an older backup with an encounter left open: nobody can
    read or write it, so it goes even though it looks in use; under a legal hold it stays."""
    world, busy, held = fixture["world"], fixture["busy"], fixture["held"]
    with transaction.atomic():
        record_keys.destroy([busy.id, held.id])
    plan = selection.plan(world.org.id, NOW)
    assert plan.orphans == [busy.id] and plan.held == [held.id] and busy.id not in plan.in_use
    [outcome] = actions.purge(now=NOW, org_id=world.org.id).outcomes
    assert busy.id in outcome.purged and held.id not in outcome.purged
    assert not Person.objects.filter(pk=busy.id).exists() and Person.objects.filter(pk=held.id).exists()


def _lose_keys(*people: Person) -> None:
    """As after a restore without the record-key file: the keys are gone, yet no purge destroyed them."""
    RecordKey = apps.get_model("core", "RecordKey")
    RecordKey.objects.filter(pk__in=[p.id for p in people]).delete()
    record_keys.forget_all()


@pytest.mark.django_db
def test_records_without_a_key_that_no_purge_destroyed_are_never_removed(fixture: dict[str, Any]) -> None:
    """Finding 3: a restore with a missing or misplaced record-key file leaves records without keys;
    the purge lists them with a warning and removes nothing of them, not even past every period."""
    world, gone, recent = fixture["world"], fixture["gone"], fixture["recent"]
    _lose_keys(gone, recent)  # gone is past the closed-record period, recent past the notes period
    plan = selection.plan(world.org.id, NOW)
    assert plan.unexplained == sorted([gone.id, recent.id])
    assert plan.orphans == [] and plan.whole == [] and recent.id not in plan.narrative
    tables = rows_of_tables()
    dry = io.StringIO()
    call_command("purge", "--dry-run", "--org", str(world.org.id), "--now", NOW.isoformat(), stdout=dry)
    out, err = io.StringIO(), io.StringIO()
    call_command("purge", "--org", str(world.org.id), "--now", NOW.isoformat(), stdout=out, stderr=err)
    warning = (
        "records without a key that no purge destroyed: 2 — check WAYPOINT_RECORD_KEY_FILE; nothing of them was removed"
    )
    for text in (dry.getvalue(), out.getvalue(), err.getvalue()):
        assert warning in text
    for text in (dry.getvalue(), out.getvalue()):
        assert gone.reference in text and recent.reference in text and "Canary" not in text
    assert "whole records removed: 0" in out.getvalue()
    for table in ("people_person", "people_persontoken", "encounters_encounter", "plans_safetyplan"):
        assert [r for r in rows_of_tables()[table] if gone.id.hex in r or recent.id.hex in r] == [
            r for r in tables[table] if gone.id.hex in r or recent.id.hex in r
        ], table
    assert not AuditEvent.objects.filter(event=RetentionEvent.PURGED).exists()
    # Called directly (a plan made before the keys went), the per-record actions leave them too.
    assert actions.purge_record(world.org.id, gone.id, NOW) is None
    assert actions.purge_record(world.org.id, gone.id, NOW, orphan=True) is None  # no purge destroyed it
    assert actions.purge_record_parts(world.org.id, recent.id, NOW) is None
    assert Person.objects.filter(pk__in=[gone.id, recent.id]).count() == 2


# --- A real run never runs ahead of the clock (finding 5) ----------------------------------------


@pytest.mark.django_db
def test_a_real_run_refuses_a_moment_later_than_the_clock(fixture: dict[str, Any]) -> None:
    world, recent = fixture["world"], fixture["recent"]
    later = timezone.now() + datetime.timedelta(days=3)
    before, audit_before = rows_of_tables(), AuditEvent.objects.count()
    with pytest.raises(CommandError, match="later than the clock"):
        call_command("purge", "--now", later.isoformat())
    with pytest.raises(actions.FutureMoment):
        actions.purge(now=later, org_id=world.org.id)
    assert rows_of_tables() == before and AuditEvent.objects.count() == audit_before
    # A dry run may look ahead: 3 days on, recent (closed 59 days ago) is past the 60-day period too.
    out = io.StringIO()
    call_command("purge", "--dry-run", "--org", str(world.org.id), "--now", later.isoformat(), stdout=out)
    # (and edited, changed ten minutes before NOW, is no longer in use then)
    assert "whole records would remove: 3" in out.getvalue() and recent.reference in out.getvalue()
    assert rows_of_tables() == before


# --- Compacting the SQLite file (finding 7) ------------------------------------------------------


class _FileConnection:
    """Just enough of Django's connection for ``actions.compact``, on a raw SQLite file."""

    vendor = "sqlite"
    in_atomic_block = False

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    @contextlib.contextmanager
    def cursor(self) -> Iterator[sqlite3.Cursor]:
        cursor = self.raw.cursor()
        try:
            yield cursor
        finally:
            cursor.close()


def test_compact_retries_a_busy_checkpoint_and_says_when_it_could_not_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "busy.sqlite3"
    writer = sqlite3.connect(db, timeout=0, isolation_level=None)
    reader = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("CREATE TABLE t (x TEXT)")
        writer.execute("INSERT INTO t VALUES ('old')")
        reader.execute("BEGIN")
        reader.execute("SELECT * FROM t").fetchall()  # holds a snapshot: the log cannot be emptied
        writer.execute("DELETE FROM t")
        pauses: list[float] = []
        monkeypatch.setattr(actions.time, "sleep", pauses.append)
        monkeypatch.setattr(actions, "connection", _FileConnection(writer))
        result = actions.compact()
        assert result is not None and not result.complete and result.busy == 1
        assert len(pauses) == 2 * (actions.CHECKPOINT_ATTEMPTS - 1)  # retried, each checkpoint
        assert writer.execute("PRAGMA journal_size_limit").fetchone()[0] == 0
        reader.execute("COMMIT")
        result = actions.compact()
        assert result is not None and result.complete
        assert Path(f"{db}-wal").stat().st_size == 0
    finally:
        reader.close()
        writer.close()


@pytest.mark.django_db
def test_the_command_warns_when_the_log_could_not_be_emptied(
    fixture: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "compact", lambda: actions.Compaction(busy=1, log=12, checkpointed=3))
    out, err = io.StringIO(), io.StringIO()
    call_command("purge", stdout=out, stderr=err)
    for text in (out.getvalue(), err.getvalue()):
        assert "WARNING: the write-ahead log could not be emptied (busy: 1, frames: 12, copied: 3)" in text
    monkeypatch.setattr(actions, "compact", lambda: actions.Compaction(busy=0, log=0, checkpointed=0))
    out = io.StringIO()
    call_command("purge", stdout=out)
    assert "write-ahead log emptied" in out.getvalue() and "WARNING" not in out.getvalue()


@pytest.mark.django_db
def test_an_edit_between_plan_and_purge_keeps_the_record(fixture: dict[str, Any]) -> None:
    """The purge re-checks each record under its row lock: changed since it was listed → left whole."""
    world, gone = fixture["world"], fixture["gone"]
    plan = selection.plan(world.org.id, NOW)
    assert gone.id in plan.whole
    Person.objects.filter(pk=gone.pk).update(updated_at=NOW - datetime.timedelta(minutes=1))  # an edit lands
    assert actions.purge_record(world.org.id, gone.id, NOW) is None
    assert Person.objects.filter(pk=gone.id).exists() and record_keys.missing([gone.id]) == set()
    Person.objects.filter(pk=gone.pk).update(closed_at=None, updated_at=days_ago(70))  # reopened instead
    assert actions.purge_record(world.org.id, gone.id, NOW) is None
    assert Person.objects.filter(pk=gone.id).exists()


@pytest.mark.django_db
def test_an_edit_after_the_purge_is_a_clean_404(client: Client, fixture: dict[str, Any]) -> None:
    world, gone = fixture["world"], fixture["gone"]
    sign_in(client, world.provider)
    edit_url = reverse("people:edit", args=[gone.id])
    # The edit form was opened more than an hour before the purge (opening it names the record in a
    # read row, which keeps it in use for an hour); the save arrives after the purge.
    assert Person.objects.filter(pk=gone.id).exists()
    actions.purge(now=NOW, org_id=world.org.id)
    response = client.post(edit_url, {"name": "Canary late edit", "version": "1", "interviewer_gender": "none"})
    assert response.status_code == 404
    assert client.get(reverse("people:detail", args=[gone.id])).status_code == 404
    assert not Person.objects.filter(pk=gone.id).exists()


@pytest.mark.django_db
def test_audit_rows_past_their_period_are_trimmed(world_a: OrgWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows written 400 days ago (the clock set back while writing them) go at the real clock; a later
    moment alone trims nothing more (audit rows age by the real clock at most)."""
    RetentionPolicy.objects.create(org=world_a.org, audit_days=365)
    long_ago = timezone.now() - datetime.timedelta(days=400)
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: long_ago)
        actions.close_record(world_a.supervisor, world_a.person)  # rows in A's chain, 400 days old
        actions.reopen_record(world_a.supervisor, world_a.person)
    rows = AuditEvent.objects.filter(org_id=world_a.org.id).count()
    assert rows >= 2 and selection.plan(world_a.org.id, timezone.now()).audit_rows == rows
    [outcome] = actions.purge(org_id=world_a.org.id).outcomes
    assert outcome.audit_trimmed == rows and not outcome.audit_refused
    left = set(AuditEvent.objects.filter(org_id=world_a.org.id).values_list("event", flat=True))
    assert left == {"audit.trimmed", RetentionEvent.PURGE_RUN}
    assert AuditHead.objects.filter(org_id=world_a.org.id).exists()
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()
    [again] = actions.purge(org_id=world_a.org.id).outcomes
    assert again.audit_trimmed == 0
    assert selection.plan(world_a.org.id, timezone.now() + datetime.timedelta(days=400)).audit_rows == 0


# --- Done when: the live drill on a SQLite file --------------------------------------------------


def _scan(path: Path, needles: dict[str, str]) -> list[str]:
    data = path.read_bytes() if path.exists() else b""
    return [label for label, needle in needles.items() if needle.encode() in data]


def _rows_with(db: Path, needle: str, skip: set[str]) -> list[str]:
    """Tables (other than ``skip``) with a row whose text holds ``needle``."""
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return [n for n in names if n not in skip and needle in repr(conn.execute(f'SELECT * FROM "{n}"').fetchall())]  # noqa: S608
    finally:
        conn.close()


def _column(db: Path, sql: str, *params: str) -> Any:
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


DECRYPT = """
import sys
from waypoint.core import crypto
try:
    print("PLAIN:" + crypto.decrypt(sys.argv[-2], sys.argv[-1]))
except crypto.DecryptionError:
    print("REFUSED")
"""


def _decrypt_in_server(server: Any, token: str, context: str, tmp_path: Path) -> str:
    script = tmp_path / "decrypt.py"
    script.write_text(DECRYPT.replace("sys.argv[-2]", repr(token)).replace("sys.argv[-1]", repr(context)))
    out = server.manage("shell", "--no-imports", "-c", script.read_text()).stdout
    return out.strip().splitlines()[-1]


REAL_RUN = """
import datetime
from waypoint.orgs.models import Organisation
from waypoint.retention import actions
from waypoint.retention.management.commands.purge import Command
moment = datetime.datetime.fromisoformat(MOMENT)
orgs = Organisation.objects.order_by("created_at", "id").values_list("id", flat=True)
run = actions.finish(actions.Run(outcomes=[actions.purge_org(org_id, moment) for org_id in orgs]))
command = Command()
for outcome in run.outcomes:
    command._report(outcome, False)
command._finish(run)
"""


def _real_run_as_of(server: Any, moment: str) -> str:
    """``manage.py purge`` as of ``moment`` (later than the clock, which the command refuses): each
    organisation purged, then the end of the run (record-key file pruned, file compacted), reported
    as the command reports it."""
    return str(server.manage("shell", "--no-imports", "-c", REAL_RUN.replace("MOMENT", repr(moment))).stdout)


@pytest.mark.slow
@pytest.mark.own_server
def test_done_when_purged_records_leave_nothing_readable(tmp_path: Path) -> None:
    from tests.harness import make_server
    from tests.webclient import WebClient

    server = make_server()
    server.start()
    keeper: sqlite3.Connection | None = None
    try:
        tag = secrets.token_hex(6)
        canaries = {
            "name": f"Canarygone{tag} Núñez",
            "notes": f"Canarygonenote{tag} met at the depot",
            "their_words": f"canarygoneword{tag} = the boss",
            "service": f"Canarygoneservice{tag}",
        }
        kept_name = f"Canarykept{tag} Smith"
        # Hold a connection open so SQLite keeps the WAL file, as a running server does.
        keeper = sqlite3.connect(server.db_path)
        keeper.execute("SELECT count(*) FROM people_person").fetchone()
        provider = WebClient(server.url)
        provider.login("provider.a", server.logins["provider.a"]["password"], server.code_for("provider.a"))

        def make(name: str, notes: str, words: str) -> str:
            data = {"name": name, "notes": notes, "their_words": words, "preferred_language": "en"}
            data |= {"interviewer_gender": "none", "date_of_birth": "1990-04-03", "form_token": str(uuid.uuid4())}
            status, _body, headers = provider.post("/people/new/", data)
            assert status == 302
            return headers["Location"].rstrip("/").split("/")[-1]

        gone = make(canaries["name"], canaries["notes"], canaries["their_words"])
        kept = make(kept_name, f"Canarykeptnote{tag}", "")
        held = make(f"Canaryheld{tag}", f"Canaryheldnote{tag}", "")
        service = {"provider": "Clinic", "service": canaries["service"], "status": "ongoing"}
        assert provider.post(f"/people/{gone}/services/", service)[0] == 302
        # A supervisor closes two records and holds one; the admin sets the periods.
        supervisor = WebClient(server.url)
        supervisor.login("supervisor.a", server.logins["supervisor.a"]["password"], server.code_for("supervisor.a"))
        for person in (gone, held):
            assert supervisor.post(f"/people/{person}/close/", {})[0] == 302
        assert supervisor.post(f"/people/{held}/hold/", {})[0] == 302
        admin = WebClient(server.url)
        admin.login("orgadmin.a", server.logins["orgadmin.a"]["password"], server.code_for("orgadmin.a"))
        periods = {"closed_record_days": "30", "narrative_days": "60", "safety_answers_days": "", "audit_days": ""}
        assert admin.post("/settings/retention/", periods)[0] == 302
        status, preview, _h = admin.get("/settings/retention/preview/")
        assert status == 200 and kept_name not in preview

        gone_hex, kept_hex = uuid.UUID(gone).hex, uuid.UUID(kept).hex
        select = "SELECT {} FROM people_person WHERE id = ?"
        sealed = {
            "name ciphertext": _column(server.db_path, select.format("name"), gone_hex),
            "notes ciphertext": _column(server.db_path, select.format("notes"), gone_hex),
            "service ciphertext": _column(
                server.db_path, "SELECT service FROM referrals_servicerecord WHERE person_id = ?", gone_hex
            ),
        }
        assert all(str(value).startswith("wr1:") for value in sealed.values()), sealed
        kept_sealed = _column(server.db_path, select.format("name"), kept_hex)
        old_backup = tmp_path / "before-purge.sqlite3"
        server.manage("backup", str(old_backup))
        assert _column(old_backup, select.format("name"), gone_hex) == sealed["name ciphertext"]

        moment = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=31)).isoformat()
        dry = server.manage("purge", "--dry-run", "--now", moment).stdout
        # The command refuses a real run ahead of the clock, and the set-up's own read rows (append
        # only) keep these records in use for an hour: the drill runs the same real run (the
        # command's steps and report) as of a month on, through the actions.
        refused = server.manage("purge", "--now", moment, check=False)
        assert refused.returncode != 0 and "later than the clock" in refused.stderr
        assert _column(server.db_path, "SELECT count(*) FROM people_person WHERE id = ?", gone_hex) == 1
        first = _real_run_as_of(server, moment)
        assert "write-ahead log emptied" in first and "WARNING" not in first
        gone_code = _column(old_backup, "SELECT reference FROM people_person WHERE id = ?", gone_hex)
        held_code = _column(old_backup, "SELECT reference FROM people_person WHERE id = ?", uuid.UUID(held).hex)
        for text in (dry, first):
            assert gone_code in text and held_code in text and "skipped (legal hold): 1" in text
            assert "Canary" not in text
        assert "whole records removed: 1" in first and "whole records would remove: 1" in dry
        assert _column(server.db_path, "SELECT count(*) FROM people_person WHERE id = ?", gone_hex) == 0
        assert _column(server.db_path, "SELECT count(*) FROM core_recordkey WHERE id = ?", gone_hex) == 0

        # Nothing of the purged record in the file, its WAL or a new backup: not the text, not its
        # ciphertext, and its id only in the audit trail ("record.purged" names it).
        # Reading the file's bytes from this process drops this process's SQLite locks on it (POSIX
        # locks are per process): close our own connection first so it cannot read a stale snapshot.
        keeper.close()
        keeper = None
        new_backup = tmp_path / "after-purge.sqlite3"
        server.manage("backup", str(new_backup))
        needles = {**canaries, **sealed}
        wal = Path(f"{server.db_path}-wal")
        hits = {str(p): _scan(p, needles) for p in (server.db_path, wal, new_backup)}
        wal_size = wal.stat().st_size if wal.exists() else 0
        found = sum(len(h) for h in hits.values())
        print(f"canary scan after purge: {found} hits in {len(hits)} files (WAL {wal_size} bytes)")
        assert hits == {str(server.db_path): [], str(wal): [], str(new_backup): []}
        for db in (server.db_path, new_backup):
            assert _rows_with(db, gone_hex, {"core_auditevent"}) == []
        assert _rows_with(server.db_path, gone_hex, set()) == ["core_auditevent"]
        # The backup taken before the purge still holds the ciphertext, but it cannot be opened any
        # more, while a kept record of that same backup still can.
        assert _decrypt_in_server(server, sealed["name ciphertext"], "people_person.name", tmp_path) == "REFUSED"
        assert _decrypt_in_server(server, sealed["notes ciphertext"], "people_person.notes", tmp_path) == "REFUSED"
        old_kept = _column(old_backup, select.format("name"), kept_hex)
        assert old_kept == kept_sealed
        assert _decrypt_in_server(server, old_kept, "people_person.name", tmp_path) == f"PLAIN:{kept_name}"

        # A second run at the same moment changes nothing.
        def tables() -> dict[str, Any]:
            conn = sqlite3.connect(server.db_path)
            try:
                names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                skip = {"core_auditevent", "core_audithead", "sqlite_sequence", "orgs_staffsession"}
                return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names if n not in skip}  # noqa: S608
            finally:
                conn.close()

        before_second = tables()
        second = _real_run_as_of(server, moment)
        assert "whole records removed: 0" in second and "records with notes emptied: 0" in second
        assert tables() == before_second
        assert "intact" in server.manage("verify_audit").stdout
    finally:
        if keeper is not None:
            keeper.close()
        server.stop()


def test_purge_command_exists_for_cron() -> None:
    """The command is what the operations docs schedule; `--help` works without a database."""
    result = subprocess.run(
        [".venv/bin/python", "manage.py", "purge", "--help"],
        capture_output=True, text=True, check=False, env={"WAYPOINT_ENV": "test", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0 and "--dry-run" in result.stdout and "--now" in result.stdout


@pytest.mark.django_db
def test_a_record_opened_within_the_hour_is_in_use(client: Client, world_a: OrgWorld) -> None:
    """A purge while the record is being edited: its edit form was opened minutes ago, so the purge
    leaves it and lists it; an hour later it goes."""
    RetentionPolicy.objects.create(org=world_a.org, closed_record_days=60)
    person = new_person(world_a, "opened")
    person.assigned_staff.add(world_a.provider)
    long_ago = timezone.now() - datetime.timedelta(days=100)
    age_record(person.id, long_ago)
    Person.objects.filter(pk=person.pk).update(closed_at=long_ago)
    sign_in(client, world_a.provider)
    assert client.get(reverse("people:edit", args=[person.id])).status_code == 200
    soon = timezone.now() + datetime.timedelta(minutes=10)
    plan = selection.plan(world_a.org.id, soon)
    assert person.id in plan.in_use and person.id not in plan.whole
    assert actions.purge_record(world_a.org.id, person.id, soon) is None
    later = timezone.now() + datetime.timedelta(hours=2)
    assert person.id in selection.plan(world_a.org.id, later).whole

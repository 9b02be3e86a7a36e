"""Per-record keys (issue 13, item 6): a person's data is sealed under their own key; destroying the key
shreds every copy of it (database, WAL, old backups), while every other record stays readable, also
after an old backup is restored."""

from __future__ import annotations

import base64
import contextlib
import json
import sqlite3
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld
from tests.harness import LiveServer, make_server
from waypoint.core import crypto, record_keys
from waypoint.core.fields import encrypted_fields
from waypoint.core.models import RecordKey
from waypoint.people.models import Person


def _raw(table: str, column: str, pk: uuid.UUID) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk.hex])  # noqa: S608
        row = cursor.fetchone()
        if row is None:  # PostgreSQL stores UUIDs natively
            cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
            row = cursor.fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def key_dir(tmp_path: Path) -> Iterator[Path]:
    """A key file and record-key file of this test's own (rotation and backups write them)."""
    key_file = tmp_path / "keys.json"
    crypto.write_key_file(key_file, crypto.key_ring())
    with override_settings(ENCRYPTION_KEY_FILE=str(key_file), ENCRYPTION_KEYS_JSON="", RECORD_KEY_FILE=""):
        crypto.reset_key_ring_cache()
        try:
            yield tmp_path
        finally:
            crypto.reset_key_ring_cache()


# --- Sealing -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_persons_values_are_sealed_under_their_own_key_and_round_trip(world_a: OrgWorld) -> None:
    person = world_a.person
    name = _raw("people_person", "name", person.pk)
    assert name.startswith(f"wr1:{person.pk.hex}:") and "Canary" not in name
    key = RecordKey.objects.get(pk=person.pk)
    assert key.org_id == world_a.org.id and key.wrapped.startswith("wp1:")
    record_keys.forget_all()
    again = Person.objects.get(pk=person.pk)
    assert (again.name, again.notes) == ("Canary Name A", "Canary note A")
    # Rows under the person (encounter, its steps) use the person's key, not one of their own.
    gate = _raw("encounters_encounter", "gate", world_a.encounter.pk)
    assert gate.startswith(f"wr1:{person.pk.hex}:")
    assert RecordKey.objects.filter(pk=world_a.encounter.pk).count() == 0


@pytest.mark.django_db
def test_a_value_moved_to_another_column_or_record_id_fails(world_a: OrgWorld, world_b: OrgWorld) -> None:
    token = _raw("people_person", "name", world_a.person.pk)
    assert crypto.decrypt(token, "people_person.name") == "Canary Name A"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, "people_person.notes")
    # The same ciphertext claimed for another record: another key and other associated data.
    moved = token.replace(world_a.person.pk.hex, world_b.person.pk.hex)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(moved, "people_person.name")
    # Even with the right key, the record id is part of the associated data.
    key = record_keys.key_for_reading(world_a.person.pk)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_for_record(moved, "people_person.name", key)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"wr1:{'z' * 32}:AAAA", "people_person.name")


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=200), flip=st.integers(min_value=0, max_value=10_000))
def test_any_altered_byte_of_a_record_sealed_value_fails(text: str, flip: int) -> None:
    record_id, key = uuid.uuid4(), bytes(range(32))
    token = crypto.encrypt_for_record(text, "people_person.notes", record_id, key)
    assert crypto.decrypt_for_record(token, "people_person.notes", key) == text
    prefix, body = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[flip % len(raw)] ^= 1 + flip % 255
    altered = f"{prefix}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_for_record(altered, "people_person.notes", key)


@pytest.mark.django_db
def test_a_destroyed_key_fails_closed_and_the_others_still_open(
    world_a: OrgWorld, world_b: OrgWorld, key_dir: Path
) -> None:
    gone, kept = world_a.person.pk, world_b.person.pk
    with transaction.atomic():
        assert record_keys.destroy([gone, gone]) == 1
    record_keys.forget_all()
    with pytest.raises(crypto.DecryptionError):
        Person.objects.get(pk=gone)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(_raw("encounters_encounter", "gate", world_a.encounter.pk), "encounters_encounter.gate")
    assert Person.objects.get(pk=kept).name == "Canary Name B"
    assert record_keys.missing([gone, kept]) == {gone}
    assert record_keys.orphan_record_ids() == [gone]
    assert record_keys.destroy([gone]) == 0  # idempotent


@pytest.mark.django_db
def test_destroy_forgets_the_key_at_once_in_this_process(world_a: OrgWorld, key_dir: Path) -> None:
    """A warm cache must not keep opening a record whose key was destroyed."""
    assert Person.objects.get(pk=world_a.person.pk).name == "Canary Name A"  # the key is cached now
    with transaction.atomic():
        record_keys.destroy([world_a.person.pk])
    with pytest.raises(crypto.DecryptionError):
        Person.objects.get(pk=world_a.person.pk)


@pytest.mark.django_db
def test_decrypting_costs_one_query_per_organisation_not_per_value(world_a: OrgWorld) -> None:
    for n in range(6):
        Person.objects.create(org=world_a.org, name=f"Person {n}", notes=f"Note {n}")
    record_keys.forget_all()
    with CaptureQueriesContext(connection) as cold:
        people = list(Person.objects.filter(org=world_a.org))
    assert len(people) == 7 and {p.name for p in people} >= {"Canary Name A", "Person 5"}
    assert len(cold.captured_queries) == 2  # the people, and every key of their organisation
    with CaptureQueriesContext(connection) as warm:
        list(Person.objects.filter(org=world_a.org))
    assert len(warm.captured_queries) == 1


@pytest.mark.django_db
def test_a_key_made_in_a_rolled_back_transaction_is_never_used(world_a: OrgWorld) -> None:
    fixed = uuid.uuid4()
    with pytest.raises(RuntimeError), transaction.atomic():
        Person.objects.create(id=fixed, org=world_a.org, name="First try")
        assert RecordKey.objects.filter(pk=fixed).exists()
        raise RuntimeError("rolled back")
    assert not RecordKey.objects.filter(pk=fixed).exists()
    Person.objects.create(id=fixed, org=world_a.org, name="Second try")
    assert RecordKey.objects.filter(pk=fixed).exists()  # made again, not the rolled-back one reused
    record_keys.forget_all()
    assert Person.objects.get(pk=fixed).name == "Second try"


@pytest.mark.django_db
def test_a_key_destroyed_elsewhere_is_never_used_to_seal(world_a: OrgWorld, key_dir: Path) -> None:
    """The writer checks the table once per transaction: a key deleted by another process (the purge)
    since this process cached it is not used to seal new values, and no new key is made either (the
    record stays keyless, so the purge of orphans still finds it, and nothing is sealed half-readable)."""
    record_keys.forget_all()
    person = Person.objects.get(pk=world_a.person.pk)  # its key is in this process's cache now
    encounter = world_a.encounter
    with transaction.atomic():
        record_keys.destroy([person.pk])  # as another process's purge would
    record_keys.forget_all()
    person._state.adding = False
    with pytest.raises(crypto.DecryptionError, match="purged"), transaction.atomic():
        person.notes = "Written after the purge"
        person.save(update_fields=["notes"])
    with pytest.raises(crypto.DecryptionError, match="purged"), transaction.atomic():
        encounter.save()  # a row under the record: no key for it either
    assert not RecordKey.objects.filter(pk=person.pk).exists()
    assert record_keys.orphan_record_ids() == [person.pk]
    with pytest.raises(crypto.DecryptionError):  # what was sealed under the destroyed key stays shredded
        crypto.decrypt(_raw("people_person", "name", person.pk), "people_person.name")


@pytest.mark.django_db
def test_a_new_person_gets_a_key_even_with_every_sealed_value_empty(world_a: OrgWorld) -> None:
    person = Person(org=world_a.org, name="")
    person.save()
    assert RecordKey.objects.filter(pk=person.pk, org_id=world_a.org.id).exists()
    person.notes = "Added later"
    person.save(update_fields=["notes"])
    assert _raw("people_person", "notes", person.pk).startswith(f"wr1:{person.pk.hex}:")


@pytest.mark.django_db
def test_update_and_bulk_paths(world_a: OrgWorld) -> None:
    """QuerySet.update has no instance: it seals with the key ring (still readable; reseal moves it)."""
    Person.objects.filter(pk=world_a.person.pk).update(notes="Updated in bulk")
    assert _raw("people_person", "notes", world_a.person.pk).startswith("wp1:")
    assert Person.objects.get(pk=world_a.person.pk).notes == "Updated in bulk"
    made = Person.objects.bulk_create([Person(org=world_a.org, name="Bulk one")])
    assert _raw("people_person", "name", made[0].pk).startswith(f"wr1:{made[0].pk.hex}:")
    assert record_keys.reseal(connection) == 1
    assert _raw("people_person", "notes", world_a.person.pk).startswith("wr1:")
    assert record_keys.reseal(connection) == 0  # idempotent
    record_keys.forget_all()
    assert Person.objects.get(pk=world_a.person.pk).notes == "Updated in bulk"


@pytest.mark.django_db
def test_every_keyed_model_names_a_path_to_a_person(world_a: OrgWorld) -> None:
    keyed = {m._meta.label for m in record_keys.keyed_models()}
    expected = {
        "people.Person", "encounters.Encounter", "encounters.StepState", "encounters.SafetyAnswer",
        "encounters.ComfortEvent", "encounters.DomainAssessment", "encounters.EmergencyNeed",
        "encounters.ChildProtectionReport", "encounters.Amendment", "contact.ContactRules",
        "contact.FollowUpTask", "contact.ContactAttempt", "plans.SafetyPlan", "plans.PlanVersion",
        "referrals.ServiceRecord", "referrals.Release", "referrals.Referral", "referrals.ReferralChange",
        "referrals.Share", "referrals.Disclosure",
    }  # fmt: skip
    assert expected <= keyed
    people = set(Person.objects.values_list("pk", flat=True))
    quote, checked = connection.ops.quote_name, 0
    for model in record_keys.keyed_models():
        # The SQL path (used by reseal) and the attribute path (used by save) name the same person.
        joins, column = record_keys._record_id_sql(model, quote)
        pk = quote(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT t0.{pk}, {column} FROM {quote(model._meta.db_table)} t0 {joins}")  # noqa: S608
            by_sql = {str(p): uuid.UUID(str(r)) for p, r in cursor.fetchall()}
        for instance in model._default_manager.all():
            record_id = record_keys.record_id_of(instance)
            stored_pk = str(model._meta.pk.get_db_prep_value(instance.pk, connection))
            assert record_id in people and by_sql[stored_pk] == record_id
            checked += 1
    assert checked >= 9  # the fixture world's rows: person, encounter, plan, service, task, release, ...


@pytest.mark.django_db
def test_rotate_keys_rewraps_record_keys_and_leaves_record_sealed_values(world_a: OrgWorld, key_dir: Path) -> None:
    def sealed_values() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        with connection.cursor() as cursor:
            for model in record_keys.keyed_models():
                for field in encrypted_fields(model):
                    table = model._meta.db_table
                    cursor.execute(f'SELECT "{field.column}" FROM "{table}" ORDER BY 1')  # noqa: S608
                    found[f"{table}.{field.column}"] = [v for (v,) in cursor.fetchall()]
        return found

    record_keys.write_file_from_table()
    before = sealed_values()
    assert any(v for values in before.values() for v in values)
    old = crypto.key_ring().active
    call_command("rotate_keys")
    new = crypto.key_ring().active
    assert sealed_values() == before  # wr1 values are left exactly as they were
    assert {crypto.key_id_of(w) for w in RecordKey.objects.values_list("wrapped", flat=True)} == {new}
    assert {crypto.key_id_of(w) for _org, w in record_keys.read_file().values()} == {new}
    call_command("rotate_keys", "--retire-old")
    assert old not in crypto.key_ring().keys
    record_keys.forget_all()
    assert Person.objects.get(pk=world_a.person.pk).name == "Canary Name A"
    assert all(crypto.is_record_sealed(v) for values in sealed_values().values() for v in values if v)


@pytest.mark.django_db
def test_the_record_key_file_is_private_and_loses_destroyed_keys_on_commit(
    world_a: OrgWorld, world_b: OrgWorld, key_dir: Path, django_capture_on_commit_callbacks: Any
) -> None:
    assert record_keys.write_file_from_table() == RecordKey.objects.count()
    path = key_dir / "record-keys.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert world_a.person.pk in record_keys.read_file()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            record_keys.destroy([world_a.person.pk])
        assert world_a.person.pk in record_keys.read_file()  # not before the commit
    stored = record_keys.read_file()
    assert world_a.person.pk not in stored and world_b.person.pk in stored
    data = json.loads(path.read_text())
    assert world_a.person.pk.hex not in data["keys"] and data["destroyed"] == [world_a.person.pk.hex]
    assert record_keys.destroyed_ids() == {world_a.person.pk}  # ids only: why the record has no key


@pytest.mark.django_db
def test_restoring_keys_from_the_file_fills_only_records_that_lack_one(
    world_a: OrgWorld, world_b: OrgWorld, key_dir: Path
) -> None:
    record_keys.write_file_from_table()
    RecordKey.objects.filter(pk=world_b.person.pk).delete()  # as in a backup: the table is empty
    assert record_keys.keyless_unexplained(world_b.org.id) == [world_b.person.pk]
    assert record_keys.load_from_file() == 1
    assert record_keys.keyless_unexplained(world_b.org.id) == []
    assert Person.objects.get(pk=world_b.person.pk).name == "Canary Name B"


@pytest.mark.django_db
def test_the_backup_reads_the_key_table_only_under_the_file_lock(
    world_a: OrgWorld, key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Else: the backup reads the table, a purge commits and drops X from the file, the backup
    writes X back.  Under the lock, the purge's removal waits for the backup's write (or vice versa)."""
    held: list[bool] = []
    real_lock, real_model = record_keys._file_lock, record_keys._record_key_model
    state = {"locked": False}

    @contextlib.contextmanager
    def watched_lock() -> Iterator[None]:
        with real_lock():
            state["locked"] = True
            try:
                yield
            finally:
                state["locked"] = False

    def watched_model() -> Any:
        held.append(state["locked"])
        return real_model()

    monkeypatch.setattr(record_keys, "_file_lock", watched_lock)
    monkeypatch.setattr(record_keys, "_record_key_model", watched_model)
    assert record_keys.write_file_from_table() >= 1
    assert held and all(held)


@pytest.mark.django_db
def test_prune_file_drops_keys_the_table_no_longer_has(world_a: OrgWorld, world_b: OrgWorld, key_dir: Path) -> None:
    """A purge whose on-commit removal never ran (or raced a backup) leaves a destroyed key in the
    file; ``prune_file`` (the purge calls it at the end of every real run) takes it out."""
    record_keys.write_file_from_table()
    with transaction.atomic():
        record_keys.destroy([world_a.person.pk])  # the test's transaction: the on-commit removal never runs
    assert world_a.person.pk in record_keys.read_file()
    assert record_keys.prune_file() == 1
    stored = record_keys.read_file()
    assert world_a.person.pk not in stored and world_b.person.pk in stored
    assert record_keys.destroyed_ids() == {world_a.person.pk}
    assert record_keys.prune_file() == 0


@pytest.mark.django_db
def test_only_records_a_purge_destroyed_are_orphans(world_a: OrgWorld, world_b: OrgWorld, key_dir: Path) -> None:
    """A restore without the right record-key file leaves every record keyless: none of them may be
    taken for purged.  Only ids on the file's destroyed list are orphans; the rest are reported."""
    RecordKey.objects.all().delete()  # as after a restore that found no record-key file
    assert record_keys.orphan_record_ids() == []
    assert record_keys.keyless_unexplained(world_a.org.id) == [world_a.person.pk]
    assert set(record_keys.keyless_unexplained(None)) >= {world_a.person.pk, world_b.person.pk}
    record_keys.note_destroyed([world_a.person.pk])  # a purge destroyed this one
    assert record_keys.orphan_record_ids() == [world_a.person.pk]
    assert record_keys.keyless_unexplained(world_a.org.id) == []
    assert record_keys.keyless_unexplained(world_b.org.id) == [world_b.person.pk]


@pytest.mark.django_db
def test_restore_refuses_a_missing_record_key_file(world_a: OrgWorld, key_dir: Path) -> None:
    source = key_dir / "backup.sqlite3"
    source.write_bytes(b"")
    assert not record_keys.key_file().exists()
    with pytest.raises(CommandError, match="--without-record-keys"):
        call_command("restore", str(source), "--yes")
    assert Person.objects.get(pk=world_a.person.pk).name == "Canary Name A"  # nothing was replaced


@pytest.mark.django_db
def test_rotation_moves_unlinked_values_of_keyed_models_to_the_new_key(world_a: OrgWorld, key_dir: Path) -> None:
    """A separation run with no encounter has no record key: the key ring seals it, so rotation must
    re-encrypt it (else the old key could never be retired)."""
    from waypoint.encounters.separation import Outcome, SeparationRun

    run = SeparationRun.objects.create(
        org=world_a.org, encounter=None, separator="Canary separator", outcome=Outcome.choices[0][0], by_id=uuid.uuid4()
    )
    old = crypto.key_ring().active
    assert crypto.key_id_of(_raw("encounters_separationrun", "separator", run.pk)) == old
    call_command("rotate_keys", "--retire-old")
    new = crypto.key_ring().active
    assert crypto.key_id_of(_raw("encounters_separationrun", "separator", run.pk)) == new
    assert old not in crypto.key_ring().keys
    assert SeparationRun.objects.get(pk=run.pk).separator == "Canary separator"


# --- The done-when, on real files: an old backup cannot open a purged record ---------------------


def _shell(server: LiveServer, code: str) -> dict[str, Any]:
    """Run ``code`` in the server's environment; it prints one JSON line, returned."""
    done = server.manage("shell", "-c", textwrap.dedent(code), check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(lines[-1])
    return result


MAKE_TWO = """
import json, uuid
from waypoint.orgs.models import Staff
from waypoint.people.actions import create_person
from waypoint.people.forms import PersonForm
staff = Staff.objects.get(username="provider.a")
ids = []
for name in ("Shredname Alpha", "Keptname Beta"):
    data = {"name": name, "notes": name + " note", "preferred_language": "en", "interviewer_gender": "none",
            "form_token": str(uuid.uuid4())}
    form = PersonForm(data=data, org_id=staff.org_id, creating=True)
    assert form.is_valid(), form.errors
    person, created = create_person(staff, form)
    ids.append(person.pk.hex)
print(json.dumps({"ids": ids}))
"""

PURGE_ONE = """
import json, uuid
from django.db import transaction
from waypoint.core import record_keys
from waypoint.people.models import Person, PersonToken
gone = uuid.UUID("{gone}")
with transaction.atomic():
    PersonToken.objects.filter(person_id=gone).delete()
    Person.assigned_staff.through.objects.filter(person_id=gone).delete()
    Person.objects.filter(pk=gone).only("pk").delete()
    destroyed = record_keys.destroy([gone])
print(json.dumps({{"destroyed": destroyed}}))
"""

TRY_OLD_CIPHERTEXT = """
import json, uuid
from waypoint.core import crypto, record_keys
out = {{}}
try:
    crypto.decrypt("{token}", "people_person.name")
    out["opened"] = True
except crypto.DecryptionError:
    out["opened"] = False
out["in_file"] = uuid.UUID("{gone}") in record_keys.read_file()
print(json.dumps(out))
"""

READ_BOTH = """
import json, uuid
from waypoint.core import crypto, record_keys
from waypoint.people.models import Person
out = {{"kept": Person.objects.get(pk=uuid.UUID("{kept}")).name}}
try:
    Person.objects.get(pk=uuid.UUID("{gone}"))
    out["gone"] = "opened"
except crypto.DecryptionError:
    out["gone"] = "refused"
out["orphans"] = [i.hex for i in record_keys.orphan_record_ids()]
print(json.dumps(out))
"""


KILLED_BACKUP = """
import json
from pathlib import Path
from waypoint.core.management.commands import backup
target = Path("{target}")
seen = []
real_strip = backup.strip_keys_and_indexes
def strip_then_die(copy):
    seen.append(target.stat().st_size)  # the copy with keys is in memory; the file is still empty
    real_strip(copy)
    raise KeyboardInterrupt  # as a kill in the middle
backup.strip_keys_and_indexes = strip_then_die
try:
    backup.backup_to(target)
except KeyboardInterrupt:
    pass
print(json.dumps({{"seen": seen, "exists": target.exists()}}))
"""

NAME_INDEX = """
import json, uuid
from waypoint.people.models import Person, PersonToken
out = {{}}
for key in ("kept", "gone"):
    pk = uuid.UUID(["{kept}", "{gone}"][key == "gone"])
    out[key] = [Person.objects.filter(pk=pk).values_list("name_index", flat=True).first() != "",
                PersonToken.objects.filter(person_id=pk).count() > 0]
out["found"] = Person.objects.filter(name_index=Person.search_index(Person.objects.get(pk=uuid.UUID("{kept}")).org_id,
                                                                    "Keptname Beta")).count()
print(json.dumps(out))
"""


def _rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


@pytest.mark.slow
@pytest.mark.own_server
def test_a_backup_taken_before_the_purge_cannot_open_the_purged_record(tmp_path: Path) -> None:
    server = make_server()
    gone, kept = _shell(server, MAKE_TWO)["ids"]
    # A backup killed while the keys are being stripped leaves nothing: they are stripped in memory.
    killed = tmp_path / "killed.sqlite3"
    assert _shell(server, KILLED_BACKUP.format(target=killed)) == {"seen": [0], "exists": False}
    old = tmp_path / "before-purge.sqlite3"
    server.manage("backup", str(old))
    assert _rows(old, "SELECT count(*) FROM core_recordkey") == [(0,)]
    # No name index either: with the key ring, an old backup must not confirm a guessed name.
    assert _rows(old, "SELECT count(*) FROM people_persontoken") == [(0,)]
    assert _rows(old, "SELECT count(*) FROM people_person WHERE name_index <> '' OR alias_index <> ''") == [(0,)]
    assert _rows(old, "SELECT count(*) FROM people_person WHERE id = ?", gone) == [(1,)]
    sidecar = server.data_dir / "record-keys.json"
    assert sidecar.stat().st_mode & 0o777 == 0o600 and gone in json.loads(sidecar.read_text())["keys"]

    assert _shell(server, PURGE_ONE.format(gone=gone)) == {"destroyed": 1}
    # The old backup still holds the purged person's ciphertext ...
    [(token,)] = _rows(old, "SELECT name FROM people_person WHERE id = ?", gone)
    assert token.startswith(f"wr1:{gone}:")
    # ... which neither the live table nor the record-key file can open any more.
    assert _shell(server, TRY_OLD_CIPHERTEXT.format(token=token, gone=gone)) == {"opened": False, "in_file": False}
    assert gone not in json.loads(sidecar.read_text())["keys"]

    new = tmp_path / "after-purge.sqlite3"
    server.manage("backup", str(new))
    assert _rows(new, "SELECT count(*) FROM core_recordkey") == [(0,)]
    assert _rows(new, "SELECT count(*) FROM people_person WHERE id = ?", gone) == [(0,)]
    keys = json.loads(sidecar.read_text())["keys"]
    assert gone not in keys and kept in keys
    wrapped_kept = keys[kept]["wrapped"].split(":")[2][:40].encode()
    assert wrapped_kept not in new.read_bytes() and wrapped_kept not in old.read_bytes()  # no key in a backup

    # Restore the old backup into a fresh database, with the same key ring and record-key file.
    fresh_env = {**server.env, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"}
    fresh = LiveServer(data_dir=server.data_dir, port=server.port, env=fresh_env)
    fresh.manage("migrate", "--noinput")
    restored = fresh.manage("restore", str(old), "--yes")
    assert "Records with no key: 1." in restored.stdout and "manage.py purge" in restored.stdout
    result = _shell(fresh, READ_BOTH.format(kept=kept, gone=gone))
    assert result == {"kept": "Keptname Beta", "gone": "refused", "orphans": [gone]}
    # The restore rebuilt the name indexes of the records it could open, and only those.
    indexed = _shell(fresh, NAME_INDEX.format(kept=kept, gone=gone))
    assert indexed == {"kept": [True, True], "gone": [False, False], "found": 1}
    # Without the record-key file, a restore refuses to start unless told to go on.
    moved = server.data_dir / "record-keys.moved"
    sidecar.rename(moved)
    refused = fresh.manage("restore", str(old), "--yes", check=False)
    assert refused.returncode != 0 and "--without-record-keys" in refused.stderr
    bare = fresh.manage("restore", str(old), "--yes", "--without-record-keys")
    assert "0 record keys loaded" in bare.stdout and "no purge destroyed:" in bare.stderr
    assert "Records with no key:" not in bare.stdout  # nothing is taken for purged


@pytest.mark.slow
@pytest.mark.own_server
def test_every_record_keyed_column_is_record_sealed_after_the_canary_flows() -> None:
    """The app's own flows (the canary's: person, plan, rules, services, encounter, separation,
    release, referral, disclosure) leave no key-ring value in any record-keyed column."""
    from tests.test_canary import test_no_plaintext_anywhere as canary_flows

    server = make_server()
    server.start()
    try:
        canary_flows(server)
    finally:
        server.stop()
    db = sqlite3.connect(server.db_path)
    try:
        checked, wrong = 0, []
        for model in record_keys.keyed_models():
            for field in encrypted_fields(model):
                table, column = model._meta.db_table, field.column
                for (value,) in db.execute(f'SELECT "{column}" FROM "{table}"'):  # noqa: S608
                    if value is None or value == "":
                        continue  # free text left empty: nothing to hide
                    checked += 1
                    if not str(value).startswith("wr1:"):
                        wrong.append(f"{table}.{column}")
    finally:
        db.close()
    print(f"record-keyed values checked after the canary flows: {checked}")
    assert checked > 100 and wrong == []

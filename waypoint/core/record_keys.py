"""Per-record keys: each person's data is sealed under that person's own key, so a purge can shred it.

Every model holding a person's data names the path to that person's id in ``record_key_via`` (a
dotted attribute path evaluated on the instance: ``"pk"`` on Person, ``"person_id"``,
``"encounter.person_id"``); its encrypted fields then store ``wr1:`` values under the record key
(``waypoint.core.fields``).  A record key is 32 random bytes, kept in ``core_recordkey`` only wrapped
by the key ring (``crypto.encrypt`` with the record id in the associated data, so a wrapped key
moved to another record's row fails to unwrap).

Defends against: reading a purged record from anything that kept its ciphertext: freed database
pages, the WAL, a backup taken before the purge (backups hold no record keys; the one record-key
file, replaced at every backup, lacks the keys destroyed since).  Decryption fails closed: a value
whose key is gone raises ``crypto.DecryptionError``.

Does not defend against: someone holding the key ring together with a raw copy of the database file
taken before the purge (the file copy includes ``core_recordkey``; take backups with ``manage.py
backup``), or together with a record-key file from before the purge; values of a record that are
sealed under the key ring (models without ``record_key_via``); another process of the application
that loaded the key less than ``TTL`` seconds before the purge (the rows are deleted by then); a
value moved to another record's row of the same column (it still opens under its own record's key,
as column-keyed values do).

Cache: decrypting adds no query per value.  On a miss, one query loads every key of that record's
organisation; keys are unwrapped when first used and kept ``TTL`` seconds.  A key created or checked
inside the current transaction is used only while that transaction is alive (its on-commit callback
is still pending), so a rolled-back key is never used to seal data.
"""

from __future__ import annotations

import base64
import datetime
import fcntl
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from waypoint.core import crypto

TTL = 300.0  # seconds a loaded key is trusted in this process
WRAP_CONTEXT = "core_recordkey.wrapped"
CHUNK = 500  # ids per IN (...) clause: SQLite's variable limit


def _record_key_model() -> Any:
    return apps.get_model("core", "RecordKey")


# --- Wrapping ------------------------------------------------------------------------------------


def wrap(key: bytes, record_id: uuid.UUID, ring: crypto.KeyRing | None = None) -> str:
    return crypto.encrypt(base64.b64encode(key).decode(), crypto.record_context(WRAP_CONTEXT, record_id), ring)


def unwrap(wrapped: str, record_id: uuid.UUID) -> bytes:
    key = base64.b64decode(crypto.decrypt(wrapped, crypto.record_context(WRAP_CONTEXT, record_id)))
    if len(key) != 32:
        raise crypto.DecryptionError("A record key must be 32 bytes")
    return key


# --- The cache -----------------------------------------------------------------------------------


@dataclass
class _Loaded:
    org_id: uuid.UUID
    wrapped: str
    loaded_at: float
    key: bytes | None = None  # unwrapped on first use


@dataclass
class _Live:
    """A key created or checked in the open transaction: valid while ``marker`` is pending."""

    key: bytes
    org_id: uuid.UUID
    marker: Callable[[], None]


@dataclass
class _Local(threading.local):
    live: dict[uuid.UUID, _Live] = field(default_factory=dict)


_lock = threading.Lock()
_loaded: dict[uuid.UUID, _Loaded] = {}
_local = _Local()


def forget_all() -> None:
    """Drop every key this process holds (the key ring changed, or a test needs a cold cache)."""
    with _lock:
        _loaded.clear()
    _local.live.clear()


def _forget(ids: list[uuid.UUID]) -> None:
    with _lock:
        for record_id in ids:
            _loaded.pop(record_id, None)
    for record_id in ids:
        _local.live.pop(record_id, None)


def _pending(marker: Callable[[], None]) -> bool:
    """True while ``marker`` waits for the current transaction's commit."""
    connection = transaction.get_connection()
    return any(entry[1] is marker for entry in connection.run_on_commit)


def _live(record_id: uuid.UUID) -> bytes | None:
    entry = _local.live.get(record_id)
    if entry is None:
        return None
    if _pending(entry.marker):
        return entry.key
    del _local.live[record_id]  # its transaction committed (then it is in _loaded) or rolled back
    return None


def _remember(rows: Iterable[tuple[Any, Any, str]]) -> None:
    now = time.monotonic()
    with _lock:
        for record_id, org_id, wrapped in rows:
            _loaded[uuid.UUID(str(record_id))] = _Loaded(uuid.UUID(str(org_id)), wrapped, now)


def _cached(record_id: uuid.UUID) -> bytes | None:
    with _lock:
        entry = _loaded.get(record_id)
        if entry is None:
            return None
        if time.monotonic() - entry.loaded_at > TTL:
            del _loaded[record_id]
            return None
        if entry.key is None:
            entry.key = unwrap(entry.wrapped, record_id)
        return entry.key


def key_for_reading(record_id: uuid.UUID) -> bytes:
    """The record's key, for decrypting; raises DecryptionError when it has none (destroyed)."""
    key = _live(record_id) or _cached(record_id)
    if key is not None:
        return key
    RecordKey = _record_key_model()
    same_org = RecordKey.objects.filter(pk=record_id).values("org_id")[:1]
    _remember(RecordKey.objects.filter(org_id=Subquery(same_org)).values_list("id", "org_id", "wrapped"))
    key = _cached(record_id)
    if key is None:
        raise crypto.DecryptionError("This record's key no longer exists (the record was purged)")
    return key


def _org_of(record_id: uuid.UUID, instance: Any) -> uuid.UUID:
    org_id = getattr(instance, "org_id", None) if instance is not None else None
    if org_id is None:
        Person = apps.get_model("people", "Person")
        org_id = Person.objects.filter(pk=record_id).values_list("org_id", flat=True).first()
    if org_id is None:
        raise ValueError("A record key needs the record's organisation")
    return uuid.UUID(str(org_id))


def _hold(record_id: uuid.UUID, key: bytes, org_id: uuid.UUID, wrapped: str) -> None:
    """Use ``key`` for the rest of this transaction; on commit, keep it in the process cache."""

    def committed() -> None:
        _remember([(record_id, org_id, wrapped)])
        _local.live.pop(record_id, None)

    transaction.on_commit(committed)
    if transaction.get_connection().in_atomic_block:
        _local.live[record_id] = _Live(key, org_id, committed)


def key_for_writing(record_id: uuid.UUID, instance: Any = None, *, create: bool = False) -> bytes:
    """The record's key, for sealing: checked against the table once per transaction (a key another
    process destroyed is never used).  A missing key is created (in the caller's transaction) only
    with ``create`` — the record itself being inserted, or existing data sealed for the first time;
    anywhere else it raises DecryptionError: the record was purged, and a new key would only make
    its remaining values unreadable and hide it from the purge of orphans."""
    key = _live(record_id)
    if key is not None:
        return key
    RecordKey = _record_key_model()
    row = RecordKey.objects.filter(pk=record_id).values_list("org_id", "wrapped").first()
    if row is not None:
        org_id, wrapped = uuid.UUID(str(row[0])), row[1]
        key = unwrap(wrapped, record_id)
    elif not create:
        raise crypto.DecryptionError("This record's key no longer exists (the record was purged)")
    else:
        org_id, key = _org_of(record_id, instance), AESGCM.generate_key(256)
        wrapped = wrap(key, record_id)
        RecordKey.objects.create(id=record_id, org_id=org_id, wrapped=wrapped)
    _hold(record_id, key, org_id, wrapped)
    return key


# --- Which record a row belongs to ---------------------------------------------------------------


def record_id_of(instance: Any) -> uuid.UUID | None:
    """The id of the record whose key seals ``instance``'s values, or None (the key ring seals them)."""
    via = getattr(type(instance), "record_key_via", None)
    if not via:
        return None
    value: Any = instance
    for part in via.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def keyed_models() -> list[Any]:
    """Every installed model whose encrypted values are sealed under record keys."""
    from waypoint.core.fields import encrypted_fields

    return [m for m in apps.get_models() if getattr(m, "record_key_via", None) and encrypted_fields(m)]


# --- The purge helper's API ----------------------------------------------------------------------


def _chunks(ids: list[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def destroy(record_ids: Iterable[uuid.UUID]) -> int:
    """Delete these records' keys in the caller's transaction; returns how many keys existed.

    The ids are added to the record-key file's destroyed list at once (before the commit: a record
    on that list whose key still exists is simply not an orphan, so a rollback is harmless, while a
    crash after the commit cannot leave a purged id off the list).  On commit this process forgets
    the keys and the file loses them (``prune_file`` catches up if that callback never ran).

    Loading a row whose key is gone raises, and Django's ``delete()`` loads the rows it collects:
    delete the records' rows first in the same transaction (or delete ``.only("pk")`` querysets)."""
    ids = sorted(set(record_ids))
    RecordKey = _record_key_model()
    deleted = 0
    for chunk in _chunks(ids):
        deleted += RecordKey.objects.filter(pk__in=chunk).delete()[0]
    _forget(ids)
    note_destroyed(ids)

    def committed() -> None:
        _forget(ids)
        drop_from_file(ids)

    transaction.on_commit(committed)
    return deleted


def missing(record_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """The ids among ``record_ids`` that have no record key."""
    ids = sorted(set(record_ids))
    RecordKey = _record_key_model()
    present: set[uuid.UUID] = set()
    for chunk in _chunks(ids):
        present.update(uuid.UUID(str(v)) for v in RecordKey.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return set(ids) - present


def _keyless(org_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    Person = apps.get_model("people", "Person")
    people = Person.objects.all() if org_id is None else Person.objects.filter(org_id=org_id)
    keys = _record_key_model().objects.values("pk")
    return sorted(uuid.UUID(str(v)) for v in people.exclude(pk__in=keys).values_list("pk", flat=True))


def orphan_record_ids() -> list[uuid.UUID]:
    """People whose key a purge destroyed (on the record-key file's destroyed list) yet whose rows
    exist: an old backup was restored after that purge; the next purge removes them.

    A person without a key who is NOT on that list is never an orphan (see ``keyless_unexplained``):
    a restore without the right record-key file must not turn every record into one."""
    destroyed = destroyed_ids()
    return [record_id for record_id in _keyless() if record_id in destroyed]


def keyless_unexplained(org_id: uuid.UUID | None) -> list[uuid.UUID]:
    """This organisation's (None: every organisation's) people who have no key although no purge
    destroyed it (a restore without the record-key file, a plain file copy or ``pg_restore``):
    unreadable, to be reported, never purged; restoring with the right record-key file brings them
    back."""
    destroyed = destroyed_ids()
    return [record_id for record_id in _keyless(org_id) if record_id not in destroyed]


# --- The record-key file (written by backup, read by restore) ------------------------------------

FILE_MODE = 0o600


def key_file() -> Path:
    """settings.RECORD_KEY_FILE, or record-keys.json beside the key file (or in the data directory)."""
    if settings.RECORD_KEY_FILE:
        return Path(settings.RECORD_KEY_FILE)
    if settings.ENCRYPTION_KEY_FILE and not settings.ENCRYPTION_KEYS_JSON:
        return Path(settings.ENCRYPTION_KEY_FILE).parent / "record-keys.json"
    return Path(settings.DATA_DIR) / "record-keys.json"


@contextmanager
def _file_lock() -> Iterator[None]:
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write(path: Path, keys: dict[str, dict[str, str]], destroyed: Iterable[str]) -> None:
    tmp = path.with_name(f"{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        json.dump({"version": 2, "keys": keys, "destroyed": sorted(set(destroyed))}, handle, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _load() -> tuple[dict[str, dict[str, str]], list[str]]:
    """(keys, destroyed ids) of the record-key file; both empty when there is none."""
    path = key_file()
    if not path.exists():
        return {}, []
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data["keys"]), [str(v) for v in data.get("destroyed", [])]


def _entries() -> dict[str, dict[str, str]]:
    return _load()[0]


def read_file() -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """The record-key file's keys: record id -> (organisation id, wrapped key); {} when none."""
    return {uuid.UUID(k): (uuid.UUID(v["org"]), str(v["wrapped"])) for k, v in _entries().items()}


def destroyed_ids() -> set[uuid.UUID]:
    """The records whose keys purges destroyed (ids only), as listed in the record-key file."""
    return {uuid.UUID(v) for v in _load()[1]}


def note_destroyed(record_ids: Iterable[uuid.UUID]) -> None:
    """Add ids to the record-key file's destroyed list (creating the file when there is none)."""
    gone = {record_id.hex for record_id in record_ids}
    if not gone:
        return
    with _file_lock():
        keys, destroyed = _load()
        if not gone <= set(destroyed):
            _write(key_file(), keys, [*destroyed, *gone])


def write_file_from_table() -> int:
    """Replace the record-key file's keys with the live table's wrapped keys (its destroyed list is
    kept); returns how many.  The table is read under the file lock, so a purge's removal from the
    file (taken under the same lock after its commit) cannot be overwritten by an older reading."""
    with _file_lock():
        rows = _record_key_model().objects.order_by("pk").values_list("id", "org_id", "wrapped", "created_at")
        keys = {
            uuid.UUID(str(i)).hex: {"org": uuid.UUID(str(o)).hex, "wrapped": w, "created": c.isoformat()}
            for i, o, w, c in rows
        }
        _write(key_file(), keys, _load()[1])
    return len(keys)


def drop_from_file(record_ids: Iterable[uuid.UUID]) -> None:
    """Remove destroyed keys from the record-key file (nothing to do when there is no file)."""
    gone = {record_id.hex for record_id in record_ids}
    path = key_file()
    if not gone or not path.exists():
        return
    with _file_lock():
        keys, destroyed = _load()
        kept = {k: v for k, v in keys.items() if k not in gone}
        if len(kept) != len(keys) or not gone <= set(destroyed):
            _write(path, kept, [*destroyed, *gone])


def prune_file() -> int:
    """Drop from the record-key file every key whose record has no key in the table any more (a
    purge whose on-commit removal failed or raced a backup); the purge calls it at the end of every
    real run.  Returns how many keys were dropped."""
    path = key_file()
    if not path.exists():
        return 0
    with _file_lock():
        keys, destroyed = _load()
        live: set[str] = set()
        RecordKey = _record_key_model()
        for chunk in _chunks(sorted(uuid.UUID(k) for k in keys)):
            live.update(
                uuid.UUID(str(v)).hex for v in RecordKey.objects.filter(pk__in=chunk).values_list("pk", flat=True)
            )
        stale = set(keys) - live
        if stale:
            _write(path, {k: v for k, v in keys.items() if k in live}, destroyed)
    return len(stale)


def rewrap_file() -> int:
    """Wrap the record-key file's keys under the key ring's active key (after a rotation)."""
    path = key_file()
    if not path.exists():
        return 0
    with _file_lock():
        entries, destroyed = _load()
        keys = {k: {**v, "wrapped": wrap(unwrap(v["wrapped"], uuid.UUID(k)), uuid.UUID(k))} for k, v in entries.items()}
        _write(path, keys, destroyed)
    return len(keys)


def _moment(entry: dict[str, str]) -> datetime.datetime:
    return datetime.datetime.fromisoformat(entry["created"]) if "created" in entry else timezone.now()


def load_from_file() -> int:
    """After a restore: insert the file's keys of the records present that lack one; returns how many."""
    RecordKey = _record_key_model()
    need = set(_keyless())
    rows = [
        RecordKey(id=uuid.UUID(k), org_id=uuid.UUID(v["org"]), wrapped=v["wrapped"], created_at=_moment(v))
        for k, v in _entries().items()
        if uuid.UUID(k) in need
    ]
    with transaction.atomic():
        RecordKey.objects.bulk_create(rows, batch_size=CHUNK)
    forget_all()
    return len(rows)


# --- Existing data: key-ring values of keyed models, moved under record keys ---------------------


def _record_id_sql(model: Any, quote: Callable[[str], str]) -> tuple[str, str]:
    """(JOIN clauses, the SQL expression of the record id) for ``model.record_key_via``."""
    parts = str(model.record_key_via).split(".")
    joins, alias, current = [], "t0", model
    for number, name in enumerate(parts[:-1], 1):
        fk = current._meta.get_field(name)
        target = fk.related_model
        joins.append(
            f"LEFT JOIN {quote(target._meta.db_table)} t{number} "
            f"ON t{number}.{quote(target._meta.pk.column)} = {alias}.{quote(fk.column)}"
        )
        alias, current = f"t{number}", target
    last = parts[-1]
    column = current._meta.pk.column if last == "pk" else current._meta.get_field(last).column
    return " ".join(joins), f"{alias}.{quote(column)}"


def reseal(connection: Any, batch: int = CHUNK, *, create: bool = False) -> int:
    """Seal every key-ring (``wp1:``) value of a keyed model's column under its record's key;
    idempotent (``wr1:`` values are left as they are).  With ``create`` (the migration that first
    seals existing data) a record without a key gets one; otherwise such a record's values are left
    as they are (its key was destroyed: never give a purged record a new key).  Values of rows tied
    to no record (an optional link left empty) are sealed again under the key ring's active key.
    Works on the columns that exist (it may run in a migration before later ones add more).
    Returns how many values were rewritten."""
    from waypoint.core.fields import encrypted_fields

    quote = connection.ops.quote_name
    total = 0
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in keyed_models():
            table = model._meta.db_table
            if table not in tables:
                continue
            present = {c.name for c in connection.introspection.get_table_description(cursor, table)}
            fields = [f for f in encrypted_fields(model) if f.column in present]
            if not fields:
                continue
            joins, record_sql = _record_id_sql(model, quote)
            pk = quote(model._meta.pk.column)
            columns = ", ".join(f"t0.{quote(f.column)}" for f in fields)
            wp1 = " OR ".join(f"t0.{quote(f.column)} LIKE %s" for f in fields)
            select = f"SELECT t0.{pk}, {record_sql}, {columns} FROM {quote(table)} t0 {joins} WHERE {wp1}"  # noqa: S608
            cursor.execute(select, [f"{crypto.PREFIX}:%"] * len(fields))
            rows = cursor.fetchall()
            for start in range(0, len(rows), batch):
                with transaction.atomic(using=connection.alias):
                    for row in rows[start : start + batch]:
                        total += _reseal_row(cursor, model, fields, row, quote, create)
    return total


def _reseal_row(
    cursor: Any, model: Any, fields: list[Any], row: tuple[Any, ...], quote: Callable[[str], str], create: bool
) -> int:
    pk_value, raw_record, values = row[0], row[1], row[2:]
    record_id = None if raw_record is None else uuid.UUID(str(raw_record))
    key: bytes | None = None
    active = crypto.key_ring().active
    changed: dict[str, str] = {}
    for encrypted, value in zip(fields, values, strict=True):
        if not (isinstance(value, str) and value.startswith(f"{crypto.PREFIX}:")):
            continue
        context = f"{model._meta.db_table}.{encrypted.column}"
        if record_id is None:  # not tied to a person: the key ring keeps it, under its active key
            if crypto.key_id_of(value) != active:
                changed[encrypted.column] = crypto.encrypt(crypto.decrypt(value, context), context)
            continue
        if key is None:
            try:
                key = key_for_writing(record_id, create=create)
            except crypto.DecryptionError:
                return 0  # the record's key was destroyed: nothing to seal it under
        changed[encrypted.column] = crypto.encrypt_for_record(crypto.decrypt(value, context), context, record_id, key)
    if changed:
        sets = ", ".join(f"{quote(column)} = %s" for column in changed)
        sql = f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608
        cursor.execute(sql, [*changed.values(), pk_value])
    return len(changed)


def unseal(connection: Any) -> int:
    """The reverse of ``reseal``: record-sealed values back under the key ring (for undoing the
    migration that ran it).  Values whose record key is gone are left as they are."""
    from waypoint.core.fields import encrypted_fields

    quote = connection.ops.quote_name
    total = 0
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in keyed_models():
            table = model._meta.db_table
            if table not in tables:
                continue
            present = {c.name for c in connection.introspection.get_table_description(cursor, table)}
            for field in [f for f in encrypted_fields(model) if f.column in present]:
                column, pk = quote(field.column), quote(model._meta.pk.column)
                sql = f"SELECT {pk}, {column} FROM {quote(table)} WHERE {column} LIKE %s"  # noqa: S608
                cursor.execute(sql, [f"{crypto.RECORD_PREFIX}:%"])
                for pk_value, value in cursor.fetchall():
                    context = f"{table}.{field.column}"
                    try:
                        plain = crypto.decrypt(value, context)
                    except crypto.DecryptionError:
                        continue
                    update = f"UPDATE {quote(table)} SET {column} = %s WHERE {pk} = %s"  # noqa: S608
                    cursor.execute(update, [crypto.encrypt(plain, context), pk_value])
                    total += 1
    return total

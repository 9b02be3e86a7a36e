"""Every change retention makes: the organisation's periods, closing and reopening a record, legal
holds, and the purge (``manage.py purge`` calls ``purge``).  Each user change is one atomic function
that writes its own audit row.

The purge works one record at a time, each in its own transaction that first locks the record's row
and checks again that it is still due, not held and not in use: a purge racing an edit either waits
for the edit or finds the record changed and leaves it, and never leaves half a record.  A whole
record's rows are deleted and its record key destroyed (``waypoint.core.record_keys``), so its
ciphertext in any older backup cannot be decrypted any more.  Audit rows name records by id only.
Orphans (records a purge destroyed, back from an older backup) are removed whatever the periods,
except under a legal hold; a record without a key that no purge destroyed is never touched, only
listed (``selection.Plan.unexplained``).  A real run never runs as of a moment later than the clock.

Defends against: data kept longer than the organisation decided; a held record purged; a purge
leaving some of a record's rows behind (every table pointing to a person must be declared by some
part: tests/test_issue13_purge.py walks the model graph).  Does not defend against: copies outside
the database and its ``manage.py backup`` files (exports, printouts, a raw file copy of a live
database, which includes the keys table), or narrative cleared here that is still in an older
backup until that backup ages out (narrative is cleared, not shredded: the record's key lives on)."""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from waypoint.core import audit, record_keys
from waypoint.core.models import AuditEvent, IdempotencyKey
from waypoint.orgs.models import Organisation, Staff
from waypoint.people import parts as record
from waypoint.people.models import Person
from waypoint.retention import selection
from waypoint.retention.access import policy_for
from waypoint.retention.events import RetentionEvent
from waypoint.retention.models import LegalHold, RetentionPolicy

PERIODS = ("narrative_days", "safety_answers_days", "closed_record_days", "audit_days")


class RecordGone(Exception):
    """The record no longer exists (purged in between): the view answers 404."""


class HoldState(Exception):
    """The hold is already as asked (set twice, or lifted when none is active)."""


class FutureMoment(ValueError):
    """A real purge asked to run as of a moment later than the clock: it would remove records before
    their time and empty the in-use window.  Only a dry run may look ahead."""


# --- The organisation's periods ------------------------------------------------------------------


@transaction.atomic
def save_policy(staff: Staff, form: Any) -> RetentionPolicy:
    """Save the four periods (``RetentionForm``, already valid) for the staff member's organisation."""
    policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(org_id=staff.org_id)
    for name in PERIODS:
        setattr(policy, name, form.cleaned_data.get(name))
    policy.updated_by_id, policy.updated_at = staff.id, timezone.now()
    policy.full_clean(exclude=["org"])
    policy.save()
    audit.record_by(staff, RetentionEvent.POLICY_SAVED, object_type="retentionpolicy")
    return policy


# --- Closing, reopening, holds -------------------------------------------------------------------


def _locked(person: Person) -> Person:
    locked = Person.objects.select_for_update().filter(pk=person.pk, org_id=person.org_id).first()
    if locked is None:
        raise RecordGone
    return locked


@transaction.atomic
def close_record(staff: Staff, person: Person) -> Person:
    """Work with the person has ended: the closed-record period starts now.  Closing a closed record
    changes nothing.  The version moves on, so an edit opened before the close gets a conflict
    instead of silently reopening it."""
    locked = _locked(person)
    if locked.closed_at is None:
        locked.closed_at, locked.closed_by_id = timezone.now(), staff.id
        locked.version += 1
        locked.save(update_fields=["closed_at", "closed_by_id", "version", "updated_at"])
        audit.record_by(staff, RetentionEvent.RECORD_CLOSED, locked)
    return locked


@transaction.atomic
def reopen_record(staff: Staff, person: Person) -> Person:
    locked = _locked(person)
    if locked.closed_at is not None:
        locked.closed_at, locked.closed_by_id = None, None
        locked.version += 1
        locked.save(update_fields=["closed_at", "closed_by_id", "version", "updated_at"])
        audit.record_by(staff, RetentionEvent.RECORD_REOPENED, locked)
    return locked


@transaction.atomic
def set_hold(staff: Staff, person: Person) -> LegalHold:
    """Nothing of the record is purged until the hold is lifted.  One active hold per record."""
    locked = _locked(person)
    if LegalHold.objects.filter(person_id=locked.id, lifted_at__isnull=True).exists():
        raise HoldState
    hold = LegalHold.objects.create(org_id=locked.org_id, person=locked, set_by_id=staff.id, set_at=timezone.now())
    audit.record_by(staff, RetentionEvent.HOLD_SET, locked)
    return hold


@transaction.atomic
def lift_hold(staff: Staff, person: Person) -> LegalHold:
    locked = _locked(person)
    hold = LegalHold.objects.select_for_update().filter(person_id=locked.id, lifted_at__isnull=True).first()
    if hold is None:
        raise HoldState
    hold.lifted_at, hold.lifted_by_id = timezone.now(), staff.id
    hold.save(update_fields=["lifted_at", "lifted_by_id"])
    audit.record_by(staff, RetentionEvent.HOLD_LIFTED, locked)
    return hold


# --- The purge -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one organisation's run did (or, in a dry run, would do)."""

    plan: selection.Plan
    purged: list[uuid.UUID] = field(default_factory=list)
    narrative: dict[uuid.UUID, int] = field(default_factory=dict)
    answers: dict[uuid.UUID, int] = field(default_factory=dict)
    skipped: list[uuid.UUID] = field(default_factory=list)  # changed between the plan and its turn
    audit_trimmed: int = 0
    audit_refused: bool = False  # the database role may not delete audit rows (README: run as the owner)

    @property
    def records(self) -> int:
        return len({*self.purged, *self.narrative, *self.answers})


def _system(event: str, org_id: uuid.UUID, person_id: uuid.UUID | None = None, count: int | None = None) -> None:
    audit.record(
        event,
        org_id=org_id,
        object_type="person" if person_id is not None else "organisation",
        object_id=person_id if person_id is not None else org_id,
        count=count,
    )


def _lock_due(org_id: uuid.UUID, person_id: uuid.UUID, now: datetime.datetime, orphan: bool) -> Person | None:
    """The record locked for this transaction, when it is still there, not held and not in use; an
    orphan only while its key is still gone and a purge destroyed it, any other record only while it
    has its key (a record without a key that no purge destroyed is never touched)."""
    person = Person.objects.select_for_update().filter(pk=person_id, org_id=org_id).only("id", "org_id").first()
    if person is None or selection.held_ids(org_id, [person_id]):
        return None
    keyless = bool(record_keys.missing([person_id]))
    if orphan:
        return person if keyless and person_id in record_keys.destroyed_ids() else None
    if keyless or selection.in_use_ids(org_id, [person_id], now):
        return None
    return person


def _purge_parts() -> list[tuple[str, str]]:
    """Every declared table, highest part first and the record itself last."""
    tables: list[tuple[str, str]] = []
    for part in sorted(record.parts(), key=lambda part: part.order, reverse=True):
        tables.extend(part.purge_models)
    return tables


@transaction.atomic
def purge_record(org_id: uuid.UUID, person_id: uuid.UUID, now: datetime.datetime, orphan: bool = False) -> int | None:
    """Delete the whole record and destroy its key; ``None`` when it is no longer due (held, in use,
    reopened, gone).  Returns how many rows went."""
    person = _lock_due(org_id, person_id, now, orphan)
    if person is None:
        return None
    if not orphan:
        policy = policy_for(org_id)
        closed_before = selection.cutoff(now, policy.closed_record_days)
        closed = Person.objects.filter(pk=person_id, closed_at__lt=closed_before) if closed_before else None
        if closed is None or not closed.exists():
            return None
    # Double-submit guards name the record's objects by id (core.IdempotencyKey): they go too.
    remembered = IdempotencyKey.objects.filter(object_id__in=record.record_object_ids(person))
    rows = remembered.delete()[0]
    for label, person_path in _purge_parts():
        doomed = selection.model(label)._default_manager.filter(**{person_path: person_id}).only("pk")
        rows += doomed.delete()[0]
    record_keys.destroy([person_id])
    _system(RetentionEvent.PURGED, org_id, person_id, rows)
    return rows


def _clear_narrative(org_id: uuid.UUID, person_id: uuid.UUID, before: datetime.datetime) -> int:
    cleared = 0
    for part in record.parts():
        for label, person_path, fields, age in part.narrative:
            rows = selection.model(label)._default_manager.filter(**{person_path: person_id, f"{age}__lt": before})
            for row in selection.filled(rows, fields):
                emptied = [name for name in fields if getattr(row, name)]
                for name in emptied:
                    setattr(row, name, "")
                row.save(update_fields=emptied)  # through the model: the field machinery runs
                cleared += len(emptied)
    return cleared


def _delete_answers(person_id: uuid.UUID, before: datetime.datetime) -> int:
    deleted = 0
    for part in record.parts():
        for label, person_path, age in part.answers:
            rows = selection.model(label)._default_manager.filter(**{person_path: person_id, f"{age}__lt": before})
            deleted += rows.only("pk").delete()[0]
    return deleted


@transaction.atomic
def purge_record_parts(org_id: uuid.UUID, person_id: uuid.UUID, now: datetime.datetime) -> tuple[int, int] | None:
    """Clear the record's narrative past the narrative period and delete its safety-check answers
    past theirs: ``(fields cleared, answers deleted)``, or ``None`` when it is held or in use now."""
    if _lock_due(org_id, person_id, now, orphan=False) is None:
        return None
    policy = policy_for(org_id)
    cleared = answers = 0
    if (narrative_before := selection.cutoff(now, policy.narrative_days)) is not None:
        cleared = _clear_narrative(org_id, person_id, narrative_before)
        if cleared:
            _system(RetentionEvent.NARRATIVE_PURGED, org_id, person_id, cleared)
    if (answers_before := selection.cutoff(now, policy.safety_answers_days)) is not None:
        answers = _delete_answers(person_id, answers_before)
        if answers:
            _system(RetentionEvent.ANSWERS_PURGED, org_id, person_id, answers)
    return cleared, answers


def _trim_audit(org_id: uuid.UUID, before: datetime.datetime | None) -> int | None:
    """Audit rows older than ``before`` trimmed; None when the database refused (on PostgreSQL the
    application role has no DELETE on audit rows: the README says to run the purge as the owner)."""
    if before is None or not AuditEvent.objects.filter(org_id=org_id, at__lt=before).exists():
        return 0
    try:
        return audit.trim(org_id, before)
    except DatabaseError:
        return None


def purge_org(org_id: uuid.UUID, now: datetime.datetime, dry_run: bool = False) -> Outcome:
    """Purge one organisation at ``now``; in a dry run only plan it (and write one audit row)."""
    plan = selection.plan(org_id, now)
    outcome = Outcome(plan=plan)
    if dry_run:
        with transaction.atomic():
            _system(RetentionEvent.DRY_RUN, org_id, count=plan.records)
        return outcome
    for person_id, orphan in [*((pid, True) for pid in plan.orphans), *((pid, False) for pid in plan.whole)]:
        if purge_record(org_id, person_id, now, orphan=orphan) is None:
            outcome.skipped.append(person_id)
        else:
            outcome.purged.append(person_id)
    for person_id in sorted({*plan.narrative, *plan.answers}):
        done = purge_record_parts(org_id, person_id, now)
        if done is None:
            outcome.skipped.append(person_id)
            continue
        if done[0]:
            outcome.narrative[person_id] = done[0]
        if done[1]:
            outcome.answers[person_id] = done[1]
    trimmed = _trim_audit(org_id, plan.audit_before)
    outcome.audit_trimmed, outcome.audit_refused = trimmed or 0, trimmed is None
    with transaction.atomic():
        _system(RetentionEvent.PURGE_RUN, org_id, count=outcome.records)
    return outcome


@dataclass
class Compaction:
    """The last ``wal_checkpoint(TRUNCATE)`` of a compaction: SQLite's (busy, log, checkpointed)."""

    busy: int
    log: int
    checkpointed: int

    @property
    def complete(self) -> bool:
        """Every WAL frame copied into the file and the WAL emptied (-1, -1: not in WAL mode)."""
        return self.busy == 0 and self.log == self.checkpointed


@dataclass
class Run:
    """One run of ``purge``: each organisation's outcome, then (real runs) the file's compaction
    (``None`` when there was none: a dry run, PostgreSQL) and the record-key file's pruning."""

    outcomes: list[Outcome]
    compaction: Compaction | None = None
    keys_pruned: int = 0
    prune_failed: str = ""  # why the record-key file could not be pruned, or ""


def check_moment(moment: datetime.datetime, dry_run: bool) -> None:
    """A real run never runs ahead of the clock (``FutureMoment``); a dry run may look at any moment."""
    clock = selection.wall_clock()
    if not dry_run and moment > clock:
        raise FutureMoment(
            f"--now {moment.isoformat()} is later than the clock ({clock.isoformat()}): a real purge "
            "may not run ahead of time (it would remove records early). Use --dry-run to see a later moment."
        )


def purge(now: datetime.datetime | None = None, org_id: uuid.UUID | None = None, dry_run: bool = False) -> Run:
    """Every organisation (or one).  A real run refuses a ``now`` later than the clock
    (``FutureMoment``), then, at its end and outside any transaction, drops from the record-key
    file the keys no longer in the table (``record_keys.prune_file``) and, on SQLite, overwrites the
    freed pages and compacts the file (secure_delete is on for every connection; VACUUM rewrites the
    file and the WAL checkpoint empties the log)."""
    moment = now or selection.wall_clock()
    check_moment(moment, dry_run)
    orgs = Organisation.objects.order_by("created_at", "id")
    ids = [org_id] if org_id is not None else list(orgs.values_list("id", flat=True))
    run = Run(outcomes=[purge_org(oid, moment, dry_run=dry_run) for oid in ids])
    if not dry_run:
        finish(run)
    return run


def finish(run: Run) -> Run:
    """The end of every real run: prune the record-key file, then compact the database file."""
    try:
        run.keys_pruned = record_keys.prune_file()
    except OSError as error:  # the purge itself is committed; say so rather than hide the report
        run.prune_failed = error.strerror or type(error).__name__
    run.compaction = compact()
    return run


CHECKPOINT_ATTEMPTS = 5
CHECKPOINT_PAUSE = 0.2  # seconds between attempts: a reader finishing its query lets it through


def checkpoint(cursor: Any, attempts: int = CHECKPOINT_ATTEMPTS, pause: float = CHECKPOINT_PAUSE) -> Compaction:
    """``PRAGMA wal_checkpoint(TRUNCATE)`` until it completes (a reader holding an old snapshot makes
    it busy, or leaves frames not copied), at most ``attempts`` times; the last result."""
    result = Compaction(busy=1, log=-1, checkpointed=-1)
    for attempt in range(attempts):
        if attempt:
            time.sleep(pause)
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, log, done = cursor.fetchone()
        result = Compaction(busy=int(busy), log=int(log), checkpointed=int(done))
        if result.complete:
            break
    return result


def compact() -> Compaction | None:
    """SQLite only, outside any transaction: move the WAL into the file, rewrite the file without its
    free pages, and truncate the WAL so no old page stays in it (``journal_size_limit=0`` on this
    connection: the WAL is cut back to nothing, not left at its old size with old frames in it).
    Returns the final checkpoint (the command warns when it did not complete); ``None`` when there was
    nothing to do."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_size_limit=0")
        checkpoint(cursor)
        cursor.execute("VACUUM")
        return checkpoint(cursor)  # the last one decides: complete means the WAL is empty now

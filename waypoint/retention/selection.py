"""What a purge would do for one organisation at a given moment, read only: the records past their
retention period (whole, narrative, safety-check answers), those skipped (legal hold, in use) and the
audit rows past theirs.  ``manage.py purge --dry-run``, the preview page and the real purge all start
from this one function, so the preview lists exactly what the purge removes.

What belongs to a record is declared by each app in its ``parts.py`` (``RecordPart.purge_models``,
``narrative``, ``answers``, ``activity``, ``open_work``); this module knows no app's tables."""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone

from waypoint.core import record_keys
from waypoint.core.models import AuditEvent
from waypoint.people import parts as record
from waypoint.people.models import Person
from waypoint.retention.access import policy_for
from waypoint.retention.models import LegalHold

IN_USE_WINDOW = datetime.timedelta(hours=1)  # a record changed this recently is being worked on


@dataclass
class Plan:
    org_id: uuid.UUID
    now: datetime.datetime
    whole: list[uuid.UUID] = field(default_factory=list)  # closed past the closed-record period
    # Purged before (on the record-key file's destroyed list), back from an older backup: removed.
    orphans: list[uuid.UUID] = field(default_factory=list)
    # No key although no purge destroyed it (a restore without the record-key file, a plain copy):
    # unreadable, but nothing of it is removed; restoring the right record-key file brings it back.
    unexplained: list[uuid.UUID] = field(default_factory=list)
    narrative: dict[uuid.UUID, int] = field(default_factory=dict)  # text fields to clear
    answers: dict[uuid.UUID, int] = field(default_factory=dict)  # safety-check answers to delete
    held: list[uuid.UUID] = field(default_factory=list)  # due, but under a legal hold
    in_use: list[uuid.UUID] = field(default_factory=list)  # due, but open or changed within the hour
    audit_rows: int = 0  # audit rows past the audit period
    audit_before: datetime.datetime | None = None
    references: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def records(self) -> int:
        """How many records the purge changes."""
        return len({*self.whole, *self.orphans, *self.narrative, *self.answers})

    def code(self, person_id: uuid.UUID) -> str:
        return self.references.get(person_id, str(person_id))


def model(label: str) -> type[Model]:
    return apps.get_model(label)


def org_lookup(person_path: str) -> str:
    """The lookup from a model to its record's organisation, from the one to the person id."""
    if person_path == "id":
        return "org_id"
    assert person_path.endswith("_id"), person_path
    return person_path[: -len("_id")] + "__org_id"


def _rows(label: str, person_path: str, ids: Iterable[uuid.UUID] | None, org_id: uuid.UUID) -> QuerySet[Model]:
    rows = model(label)._default_manager.filter(**{org_lookup(person_path): org_id}).order_by()
    return rows if ids is None else rows.filter(**{f"{person_path}__in": list(ids)})


def filled(rows: QuerySet[Model], fields: Iterable[str]) -> QuerySet[Model]:
    """The rows with any of ``fields`` not empty, decided on the stored length (ciphertext is never
    empty, an empty value is stored empty), so nothing is decrypted to find them."""
    any_filled = Q()
    for name in fields:
        rows = rows.annotate(**{f"wp_len_{name}": Length(name)})
        any_filled |= Q(**{f"wp_len_{name}__gt": 0})
    return rows.filter(any_filled)


def narrative_counts(
    org_id: uuid.UUID, before: datetime.datetime, ids: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, int]:
    """Per record, how many free-text values older than ``before`` are not yet empty."""
    counts: Counter[uuid.UUID] = Counter()
    for part in record.parts():
        for label, person_path, fields, age in part.narrative:
            rows = _rows(label, person_path, ids, org_id).filter(**{f"{age}__lt": before})
            for name in fields:
                counts.update(filled(rows, [name]).values_list(person_path, flat=True))
    return dict(counts)


def answer_counts(
    org_id: uuid.UUID, before: datetime.datetime, ids: Iterable[uuid.UUID] | None = None
) -> dict[uuid.UUID, int]:
    counts: Counter[uuid.UUID] = Counter()
    for part in record.parts():
        for label, person_path, age in part.answers:
            rows = _rows(label, person_path, ids, org_id).filter(**{f"{age}__lt": before})
            counts.update(rows.values_list(person_path, flat=True))
    return dict(counts)


def held_ids(org_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    holds = LegalHold.objects.filter(org_id=org_id, person_id__in=list(ids), lifted_at__isnull=True)
    return set(holds.values_list("person_id", flat=True))


def in_use_ids(org_id: uuid.UUID, ids: Iterable[uuid.UUID], now: datetime.datetime) -> set[uuid.UUID]:
    """Records with open work (an open encounter), a row changed within the last hour, or opened by
    someone within the last hour (the record page and its edit form write a read row naming it: a
    form left open on a screen is work in progress)."""
    wanted = list(ids)
    if not wanted:
        return set()
    since = now - IN_USE_WINDOW
    opened = AuditEvent.objects.filter(org_id=org_id, object_id__in=wanted, at__gte=since, actor_id__isnull=False)
    busy: set[uuid.UUID] = {oid for oid in opened.values_list("object_id", flat=True) if oid is not None}
    for part in record.parts():
        for label, person_path, stamp in part.activity:
            rows = _rows(label, person_path, wanted, org_id).filter(**{f"{stamp}__gte": since})
            busy.update(rows.values_list(person_path, flat=True))
        for label, person_path, open_while_empty in part.open_work:
            rows = _rows(label, person_path, wanted, org_id).filter(**{f"{open_while_empty}__isnull": True})
            busy.update(rows.values_list(person_path, flat=True))
    return busy


def wall_clock() -> datetime.datetime:
    return timezone.now()


def cutoff(now: datetime.datetime, days: int | None) -> datetime.datetime | None:
    return None if days is None else now - datetime.timedelta(days=days)


def orphans_of(org_id: uuid.UUID) -> list[uuid.UUID]:
    """This organisation's records whose key a purge destroyed, back from an older backup.  Only
    these keyless records are ever removed as orphans: a record without a key that no purge destroyed
    (``record_keys.keyless_unexplained``) is listed and kept, so a restore with a missing or misplaced
    record-key file can never make a purge delete the records it could not open."""
    ids = record_keys.orphan_record_ids()
    return list(Person.objects.filter(org_id=org_id, id__in=ids).values_list("id", flat=True)) if ids else []


def plan(org_id: uuid.UUID, now: datetime.datetime) -> Plan:
    policy = policy_for(org_id)
    result = Plan(org_id=org_id, now=now)
    due_whole: set[uuid.UUID] = set()
    if (closed_before := cutoff(now, policy.closed_record_days)) is not None:
        closed = Person.objects.filter(org_id=org_id, closed_at__lt=closed_before)
        due_whole = set(closed.values_list("id", flat=True))
    orphans = set(orphans_of(org_id))
    # Keyless with no purge to explain it: skipped whole (not even its notes are emptied).
    unexplained = set(record_keys.keyless_unexplained(org_id)) - orphans
    due_whole -= unexplained
    narrative: dict[uuid.UUID, int] = {}
    if (narrative_before := cutoff(now, policy.narrative_days)) is not None:
        narrative = narrative_counts(org_id, narrative_before)
    answers: dict[uuid.UUID, int] = {}
    if (answers_before := cutoff(now, policy.safety_answers_days)) is not None:
        answers = answer_counts(org_id, answers_before)
    narrative = {pid: n for pid, n in narrative.items() if pid not in unexplained}
    answers = {pid: n for pid, n in answers.items() if pid not in unexplained}
    due = due_whole | orphans | set(narrative) | set(answers)
    held = held_ids(org_id, due)
    # Orphans keep the legal hold's protection but not the in-use one: nobody can read or write a
    # record whose key a purge destroyed, and an encounter left open in the restored backup would
    # otherwise keep the unreadable record for good.
    busy = in_use_ids(org_id, due - held - orphans, now)
    result.held, result.in_use, result.unexplained = sorted(held), sorted(busy), sorted(unexplained)
    skipped = held | busy
    result.orphans = sorted(orphans - skipped)
    result.whole = sorted(due_whole - skipped - orphans)
    gone = set(result.whole) | set(result.orphans)
    result.narrative = {pid: n for pid, n in sorted(narrative.items()) if pid not in skipped | gone}
    result.answers = {pid: n for pid, n in sorted(answers.items()) if pid not in skipped | gone}
    # Audit rows are aged by the real clock at most: a --now set in the future (a drill, a typing
    # mistake) never removes rows the real clock keeps, and the rows a run writes itself are never
    # past the period at the next run with the same --now.
    if (audit_before := cutoff(min(now, wall_clock()), policy.audit_days)) is not None:
        result.audit_before = audit_before
        result.audit_rows = AuditEvent.objects.filter(org_id=org_id, at__lt=audit_before).count()
    listed = Person.objects.filter(org_id=org_id, id__in=[*due, *unexplained]).values_list("id", "reference")
    result.references = dict(listed)
    return result

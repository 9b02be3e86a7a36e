"""What happened to a record, read from the audit trail: who viewed it (the record page) and its own
creation and changes (the timeline).  Reads only; the rows hold ids and event codes, never content."""

from __future__ import annotations

import uuid
from typing import Any

from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.orgs.access import staff_names
from waypoint.people import parts
from waypoint.people.events import PersonEvent
from waypoint.people.models import Person

RECORD_EVENTS = frozenset({PersonEvent.CREATED, PersonEvent.UPDATED})
OWN_VIEW_EVENTS = frozenset({PersonEvent.VIEWED, PersonEvent.TIMELINE_VIEWED, PersonEvent.CONFLICT, *RECORD_EVENTS})
TIMELINE_LIMIT = 200


def _name(names: dict[uuid.UUID, str], staff_id: uuid.UUID | None) -> str:
    return names.get(staff_id, "—") if staff_id else "—"


def view_events() -> frozenset[str]:
    """The reads and changes listed under "Who viewed this record": this app's and every part's."""
    return OWN_VIEW_EVENTS | parts.record_events()


def viewers(person: Person, limit: int = 20) -> list[dict[str, Any]]:
    rows = AuditEvent.objects.filter(
        object_id__in=parts.record_object_ids(person), org_id=person.org_id, event__in=view_events()
    )[:limit]
    names = staff_names(person.org_id)
    return [{"at": row.at, "who": _name(names, row.actor_id), "event": audit.label(row.event)} for row in rows]


def own_entries(person: Person) -> list[parts.TimelineEntry]:
    """The record's creation and changes, as timeline entries."""
    rows = AuditEvent.objects.filter(object_id=person.id, org_id=person.org_id, event__in=RECORD_EVENTS)
    return [
        parts.TimelineEntry(at=row.at, who_id=row.actor_id, what=audit.label(row.event))
        for row in rows[:TIMELINE_LIMIT]
    ]


def timeline(person: Person) -> list[dict[str, Any]]:
    """The record's own entries and every part's, newest first, each with the name of who did it."""
    entries = [*own_entries(person), *parts.timeline(person)]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    names = staff_names(person.org_id)
    return [{"at": e.at, "what": e.what, "url": e.url, "note": e.note, "who": _name(names, e.who_id)} for e in entries]

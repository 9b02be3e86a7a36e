"""What other apps add to a person's record, declared by those apps (they register in their
``AppConfig.ready``); ``people`` iterates the registry and never imports them.

A part says which object ids belong to the record (so a read of an encounter or a plan counts as a
read of the person, in "who viewed" and in the audit filter), which of its audit events the record
page lists, what it puts on the timeline, and the section it adds to the record page."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from waypoint.core.registry import Registry


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime.datetime
    who_id: uuid.UUID | None
    what: Any  # a translated label, never free text typed about the person
    url: str = ""  # a link to the thing itself, when there is one
    note: Any = ""  # a short status after the link ("closed")


@dataclass(frozen=True)
class RecordPart:
    key: str
    order: int  # where its section sits on the record page
    object_ids: Callable[[Any], Iterable[uuid.UUID]] = lambda person: ()
    events: frozenset[str] = frozenset()  # audit codes shown in "who viewed this record"
    timeline: Callable[[Any], Iterable[TimelineEntry]] = lambda person: ()
    template: str = ""  # its section on the record page; "" for none
    context: Callable[[HttpRequest, Any], dict[str, Any]] = field(default=lambda request, person: {})
    # For the audit log: which person each of these object ids (of this org) belongs to.
    owners: Callable[[uuid.UUID, Iterable[uuid.UUID]], dict[uuid.UUID, uuid.UUID]] = lambda org_id, ids: {}
    # Why the record may not become a minor's (True) or an adult's (False) now, or "" (an open
    # encounter follows the branch it started on, so a new age may not flip it silently).
    age_refusal: Callable[[Any, bool], Any] = lambda person, is_minor: ""
    # Retention (``waypoint.retention``).  The tables holding this part of a record, deleted in this
    # order when the whole record is purged: ("app_label.Model", lookup from that model to the
    # person id).  Parts are purged from the highest ``order`` down, the record itself last, so a
    # part's rows go before the rows they point to in a part with a lower order.
    purge_models: tuple[tuple[str, str], ...] = ()
    # Free text cleared once older than the narrative period: (model, person lookup, text fields,
    # the date field, or lookup to one, that ages them).
    narrative: tuple[tuple[str, str, tuple[str, ...], str], ...] = ()
    # Safety-check answers deleted once older than their period: (model, person lookup, date field).
    answers: tuple[tuple[str, str, str], ...] = ()
    # When rows last changed: (model, person lookup, date field).  A record changed within the last
    # hour is in use and left for the next purge.
    activity: tuple[tuple[str, str, str], ...] = ()
    # Work still open: (model, person lookup, a field that is empty while it is open).
    open_work: tuple[tuple[str, str, str], ...] = ()


record_parts: Registry[RecordPart] = Registry("record parts")


# The record itself, always part of it: its own tables and free text for retention.  ``harm_names``
# is not narrative: it keeps a harming person from ever consenting for them, for as long as the
# record is kept.
PERSON_PART = RecordPart(
    key="person",
    order=0,
    purge_models=(("people.PersonToken", "person_id"), ("people.Person", "id")),
    narrative=(("people.Person", "id", ("notes", "their_words"), "updated_at"),),
    activity=(("people.Person", "id", "updated_at"),),
)


def parts() -> list[RecordPart]:
    return sorted([PERSON_PART, *record_parts], key=lambda part: part.order)


def record_object_ids(person: Any) -> list[uuid.UUID]:
    """The record itself and everything registered parts say belongs to it: reads of any are reads
    of this person's record."""
    ids = [person.id]
    for part in parts():
        ids.extend(part.object_ids(person))
    return ids


def record_events() -> frozenset[str]:
    events: set[str] = set()
    for part in parts():
        events |= part.events
    return frozenset(events)


def timeline(person: Any) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for part in parts():
        entries.extend(part.timeline(person))
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def contexts(request: HttpRequest, person: Any) -> dict[str, dict[str, Any]]:
    """Each part's context for the record page, by key (``parts.plans.plan`` in a template)."""
    return {part.key: part.context(request, person) for part in parts()}


def sections(request: HttpRequest, person: Any, by_key: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The record page's sections from the parts, in order, each with its part's context."""
    return [{"template": part.template, "context": by_key[part.key]} for part in parts() if part.template]


def owners(org_id: uuid.UUID, object_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Object id -> person id, for the ids that registered parts recognise."""
    ids = list(object_ids)
    found: dict[uuid.UUID, uuid.UUID] = {}
    for part in parts():
        found.update(part.owners(org_id, ids))
    return found


def age_refusal(person: Any, is_minor: bool) -> Any:
    """The first part's reason to refuse this minor status for the record, or "" when none objects."""
    for part in parts():
        if reason := part.age_refusal(person, is_minor):
            return reason
    return ""

"""This app's part of a person's record: the encounters (reads of an encounter are reads of the
record), their audit events in "who viewed", and one timeline entry per encounter."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter
from waypoint.people.models import Person
from waypoint.people.parts import RecordPart, TimelineEntry, record_parts

TIMELINE_LIMIT = 200  # the newest encounters on the timeline


def _object_ids(person: Person) -> list[uuid.UUID]:
    return list(Encounter.objects.filter(person=person).values_list("id", flat=True))


def _timeline(person: Person) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=encounter.started_at,
            who_id=encounter.lead_id,
            what=_("%(mode)s encounter") % {"mode": encounter.get_mode_display()},
            url=reverse("encounters:detail", kwargs={"encounter_id": encounter.id}),
            note=_("closed") if encounter.is_closed else "",
        )
        for encounter in Encounter.objects.filter(person=person)[:TIMELINE_LIMIT]
    ]


def _owners(org_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Encounter id -> person id, for the encounters of this organisation among ``ids``."""
    return dict(Encounter.objects.filter(org_id=org_id, id__in=list(ids)).values_list("id", "person_id"))


def _age_refusal(person: Person, is_minor: bool) -> str:
    """An open encounter follows the adult or the minor branch it started on: a new age that
    contradicts it is refused ("" when it does not)."""
    open_encounters = Encounter.objects.filter(person_id=person.pk, closed_at__isnull=True).only("id", "is_minor")
    if any(encounter.is_minor != is_minor for encounter in open_encounters):  # encrypted: compared here
        return _(
            "This contradicts the minor status of an open encounter. Check the age, or "
            "close that encounter first and start a new one."
        )
    return ""


PART = RecordPart(
    key="encounters",
    order=20,
    object_ids=_object_ids,
    events=frozenset(
        str(event)
        for event in (
            EncounterEvent.STARTED,
            EncounterEvent.VIEWED,
            EncounterEvent.UPDATED,
            EncounterEvent.CLOSED,
            EncounterEvent.AMENDED,
        )
    ),
    timeline=_timeline,
    owners=_owners,
    age_refusal=_age_refusal,
)


def register() -> None:
    record_parts.register("encounters", PART)

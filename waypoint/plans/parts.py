"""The safety plan's part of a person's record: its id (reads of the plan are reads of the
record), the plan events "who viewed this record" lists, one timeline entry per saved version, and
the plan for the record page's "Safety plan" link."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from waypoint.people.parts import RecordPart, TimelineEntry, record_parts
from waypoint.plans.access import plans_for
from waypoint.plans.events import PlanEvent
from waypoint.plans.models import PlanVersion, SafetyPlan

TIMELINE_LIMIT = 200


def _plan_ids(person: Any) -> list[uuid.UUID]:
    return list(SafetyPlan.objects.filter(person=person).values_list("id", flat=True))


def _timeline(person: Any) -> list[TimelineEntry]:
    versions = PlanVersion.objects.filter(plan__person=person).defer("content_json")[:TIMELINE_LIMIT]
    return [
        TimelineEntry(
            at=version.saved_at,
            who_id=version.author_id,
            what=_("Safety plan, version %(number)s") % {"number": version.number},
            url=reverse("plans:detail", args=[version.plan_id]),
        )
        for version in versions
    ]


def _context(request: HttpRequest, person: Any) -> dict[str, Any]:
    plan = plans_for(request.user).filter(person=person).only("id", "version", "review_on").first()
    return {"plan": plan}


def _owners(org_id: uuid.UUID, object_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = SafetyPlan.objects.filter(org_id=org_id, id__in=list(object_ids)).values_list("id", "person_id")
    return dict(rows)


PART = RecordPart(
    key="plans",
    order=30,
    object_ids=_plan_ids,
    events=frozenset(
        {PlanEvent.STARTED, PlanEvent.VIEWED, PlanEvent.UPDATED, PlanEvent.VERSIONS_VIEWED, PlanEvent.CONFLICT}
    ),
    timeline=_timeline,
    context=_context,
    owners=_owners,
    # Retention: the plan points to the encounter it came from, so it goes before encounters.
    purge_models=(
        ("plans.PlanSectionFacts", "plan__person_id"),
        ("plans.PlanVersion", "plan__person_id"),
        ("plans.SafetyPlan", "person_id"),
    ),
    # No ``narrative``: the plan and its versions are not notes and are kept until the whole record
    # goes (the retention settings page says so).  Emptying an old version's text would need
    # ``PlanVersion.content`` to read "" as an empty plan and a way to leave the current version out.
    activity=(
        ("plans.SafetyPlan", "person_id", "updated_at"),
        ("plans.PlanVersion", "plan__person_id", "saved_at"),
    ),
)


def register() -> None:
    record_parts.register(PART.key, PART)

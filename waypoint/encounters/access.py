"""The access rules for encounters and separation requests: the same readers as the person's record
(providers and supervisors of the organisation); everyone else gets 404."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from waypoint.core.access import deny
from waypoint.encounters.models import Encounter
from waypoint.encounters.separation import LINKABLE_HOURS, Outcome, SeparationRequest, SeparationRun
from waypoint.people.access import READERS, people_for


def encounters_for(user: Any) -> QuerySet[Encounter]:
    if not user.is_authenticated or not user.has_role(*READERS):
        return Encounter.objects.none()
    return Encounter.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_encounter(request: HttpRequest, encounter_id: uuid.UUID | str) -> Encounter:
    try:
        return encounters_for(request.user).select_related("person").get(pk=encounter_id)
    except (Encounter.DoesNotExist, ValueError):
        deny(request, "encounter", encounter_id)


def separation_requests_for(user: Any) -> QuerySet[SeparationRequest]:
    """Front-desk requests are read by the organisation's providers and supervisors (the front desk
    sends them but cannot read them back)."""
    if not user.is_authenticated or not user.has_role(*READERS):
        return SeparationRequest.objects.none()
    return SeparationRequest.objects.filter(org_id=user.org_id)


def get_separation_request(request: HttpRequest, request_id: uuid.UUID | str) -> SeparationRequest:
    try:
        return separation_requests_for(request.user).get(pk=request_id)
    except (SeparationRequest.DoesNotExist, ValueError):
        deny(request, "separation", request_id)


def linkable_separations(user: Any) -> list[SeparationRun]:
    """The successful separations ``user`` ran from a front-desk request in the last hours and has not
    linked to an encounter yet: the encounter start offers them (the outcome is encrypted, so it is
    checked here rather than in the query)."""
    if not user.is_authenticated or not user.has_role(*READERS):
        return []
    since = timezone.now() - datetime.timedelta(hours=LINKABLE_HOURS)
    runs = SeparationRun.objects.filter(
        org_id=user.org_id, by_id=user.id, encounter__isnull=True, request__isnull=False, at__gte=since
    ).select_related("request")[:10]
    return [run for run in runs if run.outcome == Outcome.SEPARATED]


def callback_words(encounter_id: uuid.UUID, person_id: uuid.UUID) -> str:
    """A call's callback plan (their words about when and how), for its follow-up's page; the caller
    shows it only to staff who may hold it (the record's assigned staff and supervisors)."""
    words = Encounter.objects.filter(pk=encounter_id, person_id=person_id).values_list("callback_plan", flat=True)
    return words.first() or ""

"""The one access rule for encounters: the same readers as the person's record (providers and
supervisors of the organisation); everyone else gets 404."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.encounters.models import Encounter
from waypoint.people.access import people_for


def get_encounter(request: HttpRequest, encounter_id: uuid.UUID | str) -> Encounter:
    try:
        return Encounter.objects.select_related("person").get(
            pk=encounter_id, person__in=people_for(request.user), org_id=getattr(request.user, "org_id", None)
        )
    except (Encounter.DoesNotExist, ValueError):
        deny(request, "encounter", encounter_id)

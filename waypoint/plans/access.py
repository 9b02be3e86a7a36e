"""The one access rule for safety plans: the readers of the person's record (providers and
supervisors of the organisation); everyone else gets 404."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.people.access import people_for
from waypoint.plans.models import SafetyPlan


def get_plan(request: HttpRequest, plan_id: uuid.UUID | str) -> SafetyPlan:
    try:
        return SafetyPlan.objects.select_related("person", "org", "source_encounter").get(
            pk=plan_id, person__in=people_for(request.user), org_id=getattr(request.user, "org_id", None)
        )
    except (SafetyPlan.DoesNotExist, ValueError):
        deny(request, "plan", plan_id)

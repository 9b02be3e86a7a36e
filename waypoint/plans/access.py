"""The one access rule for safety plans: the readers of the person's record (providers and
supervisors of the organisation); everyone else gets 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.people.access import people_for
from waypoint.plans.models import SafetyPlan


def plans_for(user: Any) -> QuerySet[SafetyPlan]:
    if not user.is_authenticated:
        return SafetyPlan.objects.none()
    return SafetyPlan.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_plan(request: HttpRequest, plan_id: uuid.UUID | str) -> SafetyPlan:
    try:
        return plans_for(request.user).select_related("person", "org", "source_encounter").get(pk=plan_id)
    except (SafetyPlan.DoesNotExist, ValueError):
        deny(request, "plan", plan_id)

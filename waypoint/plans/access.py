"""The one access rule for safety plans: the readers of the person's record (providers and
supervisors of the organisation); everyone else gets 404.  A plan's versions are read through the
plan (``get_plan`` first, then ``versions_for``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.people.access import people_for
from waypoint.plans.models import PlanVersion, SafetyPlan


def plans_for(user: Any) -> QuerySet[SafetyPlan]:
    if not user.is_authenticated:
        return SafetyPlan.objects.none()
    return SafetyPlan.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_plan(request: HttpRequest, plan_id: uuid.UUID | str) -> SafetyPlan:
    try:
        return plans_for(request.user).select_related("person", "org", "source_encounter").get(pk=plan_id)
    except (SafetyPlan.DoesNotExist, ValueError):
        deny(request, "plan", plan_id)


def plan_of(user: Any, person: Any) -> SafetyPlan | None:
    """The person's plan when this user may read it, else None (there is at most one)."""
    return plans_for(user).filter(person=person).first()


def versions_for(plan: SafetyPlan) -> QuerySet[PlanVersion]:
    """The saved versions of a plan already fetched through ``get_plan``, newest first."""
    return PlanVersion.objects.filter(plan=plan)

"""The access rules for contact rules and follow-up tasks: the readers of the person's record
(providers and supervisors of the organisation); everyone else gets 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from waypoint.contact.models import ContactRules, FollowUpTask
from waypoint.core.access import deny
from waypoint.people.access import people_for


def rules_for(user: Any) -> QuerySet[ContactRules]:
    if not user.is_authenticated:
        return ContactRules.objects.none()
    return ContactRules.objects.filter(person__in=people_for(user))


def tasks_for(user: Any) -> QuerySet[FollowUpTask]:
    if not user.is_authenticated:
        return FollowUpTask.objects.none()
    return FollowUpTask.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_task(request: HttpRequest, person_id: Any, task_id: uuid.UUID | str) -> FollowUpTask:
    """A task of this person's record; another person's task, or another organisation's, is 404."""
    try:
        return tasks_for(request.user).get(pk=task_id, person_id=person_id)
    except (FollowUpTask.DoesNotExist, ValueError):
        deny(request, "task", task_id)

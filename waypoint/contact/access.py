"""The access rules for contact rules, follow-up tasks and attempts: the readers of the person's
record (providers and supervisors of the organisation); everyone else gets 404.

Secrets (safe word, danger word and what to do on each, where they are, postal and visit addresses)
are narrower: the record's assigned staff and supervisors, and only after a recent step-up.  Defends
against a colleague who may read the record for a returning caller learning the word that means
"I am in danger" or where the person is.  Holding a follow-up gives no secrets: any reader may make
one and assign it to themselves."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from waypoint.contact.models import ContactAttempt, ContactRules, FollowUpTask
from waypoint.core.access import deny
from waypoint.orgs.auth import step_up_is_recent
from waypoint.orgs.models import Role
from waypoint.people.access import people_for


def rules_for(user: Any) -> QuerySet[ContactRules]:
    if not user.is_authenticated:
        return ContactRules.objects.none()
    return ContactRules.objects.filter(person__in=people_for(user))


def tasks_for(user: Any) -> QuerySet[FollowUpTask]:
    if not user.is_authenticated:
        return FollowUpTask.objects.none()
    return FollowUpTask.objects.filter(org_id=user.org_id, person__in=people_for(user))


def attempts_for(user: Any) -> QuerySet[ContactAttempt]:
    if not user.is_authenticated:
        return ContactAttempt.objects.none()
    return ContactAttempt.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_task(request: HttpRequest, person_id: Any, task_id: uuid.UUID | str) -> FollowUpTask:
    """A task of this person's record; another person's task, or another organisation's, is 404."""
    try:
        return tasks_for(request.user).get(pk=task_id, person_id=person_id)
    except (FollowUpTask.DoesNotExist, ValueError):
        deny(request, "task", task_id)


def get_any_task(request: HttpRequest, task_id: uuid.UUID | str) -> FollowUpTask:
    """A task of a record this user may read; anything else is 404."""
    try:
        return tasks_for(request.user).select_related("person", "assigned_to").get(pk=task_id)
    except (FollowUpTask.DoesNotExist, ValueError):
        deny(request, "task", task_id)


def may_hold_secrets(user: Any, person: Any) -> bool:
    """Supervisors and the record's assigned staff.
    Answered once per person for the signed-in user object (one request), however often a page asks."""
    known: dict[Any, bool] = user.__dict__.setdefault("_wp_secret_holder", {})
    if person.pk not in known:
        known[person.pk] = _holds(user, person)
    return known[person.pk]


def _holds(user: Any, person: Any) -> bool:
    """Holding a follow-up is not enough: any reader may create one and assign it to themselves.
    Who holds the secrets is decided by who is assigned to the record (its own, audited change)."""
    return bool(user.has_role(Role.SUPERVISOR) or person.assigned_staff.filter(pk=user.pk).exists())


def may_see_secrets(request: HttpRequest, person: Any) -> bool:
    """Secrets are shown to those who may hold them, within five minutes of a step-up."""
    return may_hold_secrets(request.user, person) and step_up_is_recent(request)

"""Who may do what with retention.

The retention settings, the purge preview and the list of holds: the organisation's admins.  Closing
and reopening a record: its assigned providers and every supervisor of its organisation.  Setting and
lifting a legal hold: supervisors.  The record is always looked up through ``people.access``, so a
record of another organisation, or one already purged, is 404 whoever asks."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.orgs.models import Role
from waypoint.people.access import get_person
from waypoint.people.models import Person
from waypoint.retention.models import LegalHold, RetentionPolicy

CLOSERS = (Role.PROVIDER, Role.SUPERVISOR)
HOLDERS = (Role.SUPERVISOR,)


def policy_for(org_id: uuid.UUID) -> RetentionPolicy:
    """The organisation's periods (all empty, nothing purged, until an admin saves them)."""
    found = RetentionPolicy.objects.filter(org_id=org_id).first()
    return found if found is not None else RetentionPolicy(org_id=org_id)


def active_hold(person: Person) -> LegalHold | None:
    return LegalHold.objects.filter(person_id=person.id, lifted_at__isnull=True).first()


def active_holds(org_id: uuid.UUID) -> list[tuple[str, LegalHold]]:
    """The organisation's active holds with the record's reference code (never anything else)."""
    holds = LegalHold.objects.filter(org_id=org_id, lifted_at__isnull=True).select_related("person")
    return [(hold.person.reference, hold) for hold in holds.only("id", "set_at", "set_by_id", "person__reference")]


def may_close(user: Any, person: Person) -> bool:
    if not (user.is_authenticated and person.org_id == user.org_id):
        return False
    if user.has_role(Role.SUPERVISOR):
        return True
    return bool(user.has_role(Role.PROVIDER) and person.assigned_staff.filter(pk=user.pk).exists())


def may_hold(user: Any, person: Person) -> bool:
    return bool(user.is_authenticated and person.org_id == user.org_id and user.has_role(*HOLDERS))


def person_to_close(request: HttpRequest, person_id: uuid.UUID) -> Person:
    person = get_person(request, person_id)
    if not may_close(request.user, person):
        deny(request, "person", person_id)
    return person


def person_to_hold(request: HttpRequest, person_id: uuid.UUID) -> Person:
    person = get_person(request, person_id)
    if not may_hold(request.user, person):
        deny(request, "person", person_id)
    return person

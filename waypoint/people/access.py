"""The one access rule for people records.

Providers and supervisors of the person's organisation may read and change a record.  Everyone else
(other organisations, front desk, org admins and auditors without a clinical role) gets 404, as if
the record did not exist.  Reads of records not assigned to the reader are allowed (a returning
caller must be found) and are visible in the access review.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.encounters.models import Encounter
from waypoint.orgs.models import Role
from waypoint.people.models import Person

READERS = (Role.PROVIDER, Role.SUPERVISOR)


def people_for(user: Any) -> QuerySet[Person]:
    if not user.is_authenticated or not user.has_role(*READERS):
        return Person.objects.none()
    return Person.objects.filter(org_id=user.org_id)


def get_person(request: HttpRequest, person_id: uuid.UUID | str) -> Person:
    try:
        return people_for(request.user).get(pk=person_id)
    except (Person.DoesNotExist, ValueError):
        deny(request, "person", person_id)


def record_object_ids(person: Person) -> list[uuid.UUID]:
    """The record itself, its encounters and its plan: reads of any are reads of this person's record."""
    from waypoint.plans.models import SafetyPlan

    return [
        person.id,
        *Encounter.objects.filter(person=person).values_list("id", flat=True),
        *SafetyPlan.objects.filter(person=person).values_list("id", flat=True),
    ]

"""The one access rule for people records.

Providers and supervisors of the person's organisation may read and change a record.  Everyone else
(other organisations, front desk, org admins and auditors without a clinical role) gets 404, as if
the record did not exist.  Reads of records not assigned to the reader are allowed (a returning
caller must be found) and are visible in the access review.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from waypoint.core.access import deny
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role
from waypoint.people.events import PersonEvent
from waypoint.people.models import Person

READERS = (Role.PROVIDER, Role.SUPERVISOR)


def people_for(user: Any) -> QuerySet[Person]:
    if not user.is_authenticated or not user.has_role(*READERS):
        return Person.objects.none()
    return Person.objects.filter(org_id=user.org_id)


def may_read(user: Any, person: Person) -> bool:
    """The rule of ``people_for`` for one record already loaded (no query)."""
    return bool(user.is_authenticated and user.has_role(*READERS) and person.org_id == user.org_id)


def get_person(request: HttpRequest, person_id: uuid.UUID | str) -> Person:
    try:
        return people_for(request.user).get(pk=person_id)
    except (Person.DoesNotExist, ValueError):
        deny(request, "person", person_id)


def assigned_ids(user: Any) -> set[uuid.UUID]:
    """The ids of the records assigned to ``user`` (the list's "assigned to you" column)."""
    links = Person.assigned_staff.through.objects.filter(staff_id=user.id)
    return set(links.values_list("person_id", flat=True))


# The audit log filters and labels rows by record reference.  Auditors and org admins may not read
# records, so these give them ids and reference codes only, never a record's content.


def person_by_reference(org_id: uuid.UUID, reference: str) -> Person | None:
    """The record of this organisation with that reference code, with its id loaded and nothing else."""
    return Person.objects.filter(org_id=org_id, reference=reference).only("id").first()


def references(org_id: uuid.UUID, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Person id -> reference code, for the ids of this organisation's records."""
    rows = Person.objects.filter(org_id=org_id, id__in=list(person_ids)).values_list("id", "reference")
    return dict(rows)


SEARCH_WINDOW = datetime.timedelta(minutes=1)
SEARCHES_PER_MINUTE = 30  # settings.WAYPOINT_SEARCHES_PER_MINUTE overrides


def may_search(staff: Any) -> bool:
    """Defends against trying name after name at speed: at most so many searches a minute per staff
    member, counted from their own search rows in the audit log (shared by every server process,
    unlike the cache; refused searches write no row and do not count)."""
    limit = getattr(settings, "WAYPOINT_SEARCHES_PER_MINUTE", SEARCHES_PER_MINUTE)
    since = timezone.now() - SEARCH_WINDOW
    looked_up = (PersonEvent.SEARCHED, PersonEvent.DUPLICATES_SHOWN)  # the duplicate check is a search too
    mine = AuditEvent.objects.filter(org_id=staff.org_id, actor_id=staff.id, event__in=looked_up)
    return mine.filter(at__gte=since).count() < limit

"""Audit event codes of people records, and how many searches a staff member made lately (counted
from the audit rows themselves, so the limit holds across server processes)."""

from __future__ import annotations

import datetime
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit
from waypoint.core.models import AuditEvent


class PersonEvent(StrEnum):
    VIEWED = "person.viewed"
    TIMELINE_VIEWED = "person.timeline_viewed"
    CREATED = "person.created"
    UPDATED = "person.updated"
    CONFLICT = "person.conflict"
    SEARCHED = "people.searched"  # the row's count is how many records the search found
    LISTED = "people.listed"


audit.register(
    {
        PersonEvent.VIEWED: _("Record viewed"),
        PersonEvent.TIMELINE_VIEWED: _("Timeline viewed"),
        PersonEvent.CREATED: _("Record created"),
        PersonEvent.UPDATED: _("Record changed"),
        PersonEvent.CONFLICT: _("Edit conflict shown"),
        PersonEvent.SEARCHED: _("Records searched"),
        PersonEvent.LISTED: _("Records listed"),
    },
    reads=[
        PersonEvent.VIEWED,
        PersonEvent.TIMELINE_VIEWED,
        PersonEvent.CONFLICT,
        PersonEvent.SEARCHED,
        PersonEvent.LISTED,
    ],
)


def searches_since(staff: Any, since: datetime.datetime) -> int:
    """Searches ``staff`` made from ``since`` on (throttled attempts write no row and do not count)."""
    return AuditEvent.objects.filter(
        org_id=staff.org_id, actor_id=staff.id, event=PersonEvent.SEARCHED, at__gte=since
    ).count()

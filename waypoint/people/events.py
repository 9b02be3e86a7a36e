"""Audit event codes of people records."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class PersonEvent(StrEnum):
    VIEWED = "person.viewed"
    TIMELINE_VIEWED = "person.timeline_viewed"
    CREATED = "person.created"
    UPDATED = "person.updated"
    CONFLICT = "person.conflict"
    SEARCHED = "people.searched"  # the row's count is how many records the search found
    LISTED = "people.listed"
    DUPLICATES_SHOWN = "people.duplicates_shown"  # count: how many possible matches a new record had


audit.register(
    {
        PersonEvent.VIEWED: _("Record viewed"),
        PersonEvent.TIMELINE_VIEWED: _("Timeline viewed"),
        PersonEvent.CREATED: _("Record created"),
        PersonEvent.UPDATED: _("Record changed"),
        PersonEvent.CONFLICT: _("Edit conflict shown"),
        PersonEvent.SEARCHED: _("Records searched"),
        PersonEvent.LISTED: _("Records listed"),
        PersonEvent.DUPLICATES_SHOWN: _("Possible matches shown before creating a record"),
    },
    reads=[
        PersonEvent.VIEWED,
        PersonEvent.TIMELINE_VIEWED,
        PersonEvent.CONFLICT,
        PersonEvent.SEARCHED,
        PersonEvent.LISTED,
        PersonEvent.DUPLICATES_SHOWN,
    ],
)

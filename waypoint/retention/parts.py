"""Retention's part of a person's record: the "Keeping this record" section of the record page
(closed or open, a legal hold, when a closed record will be removed, and the buttons to close,
reopen, set or lift a hold for those who may), the retention events "who viewed this record" lists,
and the legal holds among the record's tables for the purge."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Exists, OuterRef
from django.http import HttpRequest

from waypoint.orgs.models import Role
from waypoint.people.models import Person
from waypoint.people.parts import RecordPart, record_parts
from waypoint.retention.access import policy_for
from waypoint.retention.events import RetentionEvent
from waypoint.retention.models import LegalHold


def _line(request: HttpRequest, person: Any) -> dict[str, Any]:
    """The record page's one line (open or closed, no query): the rest is on the keeping page, so the
    record page stays light (tests/test_page_weight.py)."""
    return {"closed_at": person.closed_at}


def keeping(request: HttpRequest, person: Any) -> dict[str, Any]:
    """The keeping page: one query for the hold and the assignment; one more for the period when the
    record is closed."""
    user: Any = request.user
    hold = LegalHold.objects.filter(person_id=OuterRef("pk"), lifted_at__isnull=True)
    mine = Person.assigned_staff.through.objects.filter(person_id=OuterRef("pk"), staff_id=user.pk)
    flags = Person.objects.filter(pk=person.pk).annotate(held=Exists(hold), mine=Exists(mine))
    row = flags.values("held", "mine").first() or {"held": False, "mine": False}
    supervisor = user.has_role(Role.SUPERVISOR)
    removed_on: datetime.datetime | None = None
    if person.closed_at is not None:
        days = policy_for(person.org_id).closed_record_days
        removed_on = person.closed_at + datetime.timedelta(days=days) if days else None
    return {
        "closed_at": person.closed_at,
        "held": row["held"],
        "removed_on": removed_on,
        "may_close": supervisor or (user.has_role(Role.PROVIDER) and row["mine"]),
        "may_hold": supervisor,
    }


PART = RecordPart(
    key="retention",
    order=90,
    events=frozenset(
        {
            RetentionEvent.KEEPING_VIEWED,
            RetentionEvent.RECORD_CLOSED,
            RetentionEvent.RECORD_REOPENED,
            RetentionEvent.HOLD_SET,
            RetentionEvent.HOLD_LIFTED,
            RetentionEvent.NARRATIVE_PURGED,
            RetentionEvent.ANSWERS_PURGED,
        }
    ),
    template="retention/_record_line.html",
    context=_line,
    purge_models=(("retention.LegalHold", "person_id"),),
    activity=(("retention.LegalHold", "person_id", "set_at"), ("retention.LegalHold", "person_id", "lifted_at")),
)


def register() -> None:
    record_parts.register(PART.key, PART)

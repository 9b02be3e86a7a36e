"""The services ledger's part of a person's record: its section on the record page and the audit
events "who viewed this record" lists.  Service rows are audited against the person's id, so the
part adds no object ids of its own."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from waypoint.people.parts import RecordPart, record_parts
from waypoint.referrals.access import services_for
from waypoint.referrals.events import ServiceEvent


def _context(request: HttpRequest, person: Any) -> dict[str, Any]:
    return {"services": services_for(request.user).filter(person=person)}


PART = RecordPart(
    key="services",
    order=40,
    events=frozenset({ServiceEvent.VIEWED, ServiceEvent.ADDED, ServiceEvent.UPDATED}),
    template="referrals/_services_section.html",
    context=_context,
)


def register() -> None:
    record_parts.register(PART.key, PART)

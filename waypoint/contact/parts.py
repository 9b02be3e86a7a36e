"""Contact rules' and follow-up tasks' part of a person's record: the "Contact rules" section of
the record page, the task ids (reads and changes of a task are about the record), and the contact
events "who viewed this record" lists."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from waypoint.contact.access import rules_for
from waypoint.contact.events import ContactEvent
from waypoint.contact.models import FollowUpTask
from waypoint.people.parts import RecordPart, record_parts


def _task_ids(person: Any) -> list[uuid.UUID]:
    return list(FollowUpTask.objects.filter(person=person).values_list("id", flat=True))


def _context(request: HttpRequest, person: Any) -> dict[str, Any]:
    return {"rules": rules_for(request.user).filter(person=person).first()}


def _owners(org_id: uuid.UUID, object_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = FollowUpTask.objects.filter(org_id=org_id, id__in=list(object_ids)).values_list("id", "person_id")
    return dict(rows)


PART = RecordPart(
    key="contact",
    order=10,
    object_ids=_task_ids,
    events=frozenset({ContactEvent.RULES_CHANGED, ContactEvent.TASK_ADDED, ContactEvent.TASK_DONE}),
    template="contact/_rules_section.html",
    context=_context,
    owners=_owners,
)


def register() -> None:
    record_parts.register(PART.key, PART)

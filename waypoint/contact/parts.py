"""Contact rules' and follow-up tasks' part of a person's record: the "Contact rules" section of the
record page (the rules with each permission beside its address, open follow-ups, recent attempts),
the task and attempt ids (reads and changes of them are about the record), the contact events "who
viewed this record" lists, and one timeline entry per attempt (who, when, outcome)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from waypoint.contact import display
from waypoint.contact.access import attempts_for, may_see_secrets, rules_for, tasks_for
from waypoint.contact.actions import is_stale
from waypoint.contact.events import ContactEvent
from waypoint.contact.guard import channel_rows
from waypoint.contact.models import ContactAttempt, FollowUpTask, TaskStatus
from waypoint.orgs.access import staff_name
from waypoint.people.parts import RecordPart, TimelineEntry, record_parts

TIMELINE_LIMIT = 200
SHOWN = 5


def _ids(person: Any) -> list[uuid.UUID]:
    tasks = FollowUpTask.objects.filter(person=person).values_list("id", flat=True)
    attempts = ContactAttempt.objects.filter(person=person).values_list("id", flat=True)
    return [*tasks, *attempts]


def _timeline(person: Any) -> list[TimelineEntry]:
    """One entry per attempt: it links to its follow-up, or (logged on none, from the contact page)
    to the person's contact page, which lists it."""
    attempts = ContactAttempt.objects.filter(person=person).only("id", "at", "by_id", "outcome", "channel", "task_id")
    on_contact_page = reverse("contact:person", args=[person.id])
    return [
        TimelineEntry(
            at=attempt.at,
            who_id=attempt.by_id,
            what=_("Contact attempt · %(channel)s") % {"channel": attempt.get_channel_display()},
            url=reverse("contact:task", args=[attempt.task_id]) if attempt.task_id else on_contact_page,
            note=attempt.get_outcome_display(),
        )
        for attempt in attempts[:TIMELINE_LIMIT]
    ]


def _confirmed_by(person: Any, rules: Any) -> str:
    """Who last confirmed the rules with them (one query, only when someone did)."""
    if rules is None or rules.confirmed_by_id is None:
        return ""
    return staff_name(person.org_id, rules.confirmed_by_id)


def _context(request: HttpRequest, person: Any) -> dict[str, Any]:
    rules = rules_for(request.user).filter(person=person).first()
    return {
        "rules": rules,
        "channels": channel_rows(rules, secrets=rules is not None and may_see_secrets(request, person)),
        "answering": display.answering_summary(rules),
        "to_confirm": display.to_confirm(rules),
        "stale": is_stale(rules),
        "confirmed_by": _confirmed_by(person, rules),
        "tasks": list(tasks_for(request.user).filter(person=person, status=TaskStatus.OPEN)[:SHOWN]),
        "attempts": list(attempts_for(request.user).filter(person=person).select_related("by")[:SHOWN]),
    }


def _owners(org_id: uuid.UUID, object_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    ids = list(object_ids)
    found = dict(FollowUpTask.objects.filter(org_id=org_id, id__in=ids).values_list("id", "person_id"))
    found |= dict(ContactAttempt.objects.filter(org_id=org_id, id__in=ids).values_list("id", "person_id"))
    return found


PART = RecordPart(
    key="contact",
    order=10,
    object_ids=_ids,
    events=frozenset(ContactEvent) - {ContactEvent.DUE_MARKED, ContactEvent.DUE_LISTED},
    timeline=_timeline,
    template="contact/_rules_section.html",
    context=_context,
    owners=_owners,
    # Retention: attempts point to their task.
    purge_models=(
        ("contact.ContactAttempt", "person_id"),
        ("contact.FollowUpTask", "person_id"),
        ("contact.ContactRules", "person_id"),
    ),
    narrative=(
        ("contact.ContactAttempt", "person_id", ("note",), "at"),
        ("contact.FollowUpTask", "person_id", ("what",), "created_at"),
    ),
    activity=(
        ("contact.ContactRules", "person_id", "changed_at"),
        ("contact.ContactRules", "person_id", "confirmed_at"),
        ("contact.FollowUpTask", "person_id", "created_at"),
        ("contact.FollowUpTask", "person_id", "done_at"),
        ("contact.ContactAttempt", "person_id", "at"),
    ),
)


def register() -> None:
    record_parts.register(PART.key, PART)

"""Every change to contact rules and follow-up tasks.  Each function is one atomic transaction that
writes its own audit row; the encounter and plan screens call these instead of writing the rows.

The rules deny by default: a channel is allowed only when recorded as allowed."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from waypoint.contact.events import ContactEvent
from waypoint.contact.models import CHANNELS, Channel, ContactRules, FollowUpTask, TaskStatus
from waypoint.core import audit

# The rule fields a phone safety check can fill (the person's own words, only with their consent).
SPOKEN_RULES = ("disconnection_plan", "if_someone_answers", "identify_as")


@transaction.atomic
def record_spoken_rules(
    staff: Any, person: Any, notes: Mapping[str, str], source_encounter_id: Any = None
) -> ContactRules | None:
    """Answers from a safety check become the person's contact rules: what to do if disconnected,
    if someone else answers, and how to identify ourselves.  Empty notes change nothing."""
    updates = {field: notes[field] for field in SPOKEN_RULES if notes.get(field)}
    if not updates:
        return None
    rules, _created = ContactRules.objects.select_for_update().get_or_create(person=person)
    for field, value in updates.items():
        setattr(rules, field, value)
    rules.source_encounter_id = source_encounter_id
    rules.confirmed_at, rules.confirmed_by_id = timezone.now(), staff.id
    rules.save()
    audit.record_by(staff, ContactEvent.RULES_CHANGED, person)
    return rules


@transaction.atomic
def set_channel_permissions(staff: Any, person_id: Any, permissions: Mapping[str, str | None]) -> ContactRules:
    """Voicemail, text, e-mail and chat as the person said; anything not answered is unknown, which
    counts as not allowed."""
    rules, _created = ContactRules.objects.select_for_update().get_or_create(person_id=person_id)
    for channel in CHANNELS:
        setattr(rules, channel, permissions.get(channel) or Channel.UNKNOWN)
    rules.confirmed_at, rules.confirmed_by_id = timezone.now(), staff.id
    rules.save()
    audit.record_by(staff, ContactEvent.RULES_CHANGED, rules.person)
    return rules


@transaction.atomic
def add_task(staff: Any, plan: Any, what: str, due_on: datetime.date) -> FollowUpTask:
    task = FollowUpTask.objects.create(
        org_id=plan.org_id,
        person_id=plan.person_id,
        plan_id=plan.id,
        what=what,
        due_on=due_on,
        assigned_to=staff,
        created_by_id=staff.id,
    )
    audit.record_by(staff, ContactEvent.TASK_ADDED, task, object_type="task")
    return task


@transaction.atomic
def complete_task(staff: Any, task: FollowUpTask) -> bool:
    """Mark a task done; returns False (and writes nothing) when it already was."""
    current = FollowUpTask.objects.select_for_update().get(pk=task.pk)
    if current.status == TaskStatus.DONE:
        return False
    current.status, current.done_at, current.done_by_id = TaskStatus.DONE, timezone.now(), staff.id
    current.save(update_fields=["status", "done_at", "done_by_id"])
    audit.record_by(staff, ContactEvent.TASK_DONE, current, object_type="task")
    return True

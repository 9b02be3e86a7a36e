"""Audit event codes of contact rules and follow-up tasks."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class ContactEvent(StrEnum):
    RULES_CHANGED = "contact.rules_changed"
    TASK_ADDED = "task.added"
    TASK_DONE = "task.done"


audit.register(
    {
        ContactEvent.RULES_CHANGED: _("Contact rules changed"),
        ContactEvent.TASK_ADDED: _("Follow-up task added"),
        ContactEvent.TASK_DONE: _("Follow-up task done"),
    }
)

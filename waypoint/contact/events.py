"""Audit event codes of contact rules, follow-up tasks and contact attempts."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class ContactEvent(StrEnum):
    RULES_CHANGED = "contact.rules_changed"
    RULES_CONFIRMED = "contact.rules_confirmed"
    RULES_VIEWED = "contact.rules_viewed"  # the before-you-call panel or the rules page
    RULES_CONFLICT = "contact.rules_conflict"  # a confirmation or save over rules changed since
    TASK_ADDED = "task.added"
    TASK_DONE = "task.done"
    TASK_VIEWED = "task.viewed"  # a follow-up opened (its before-you-call panel)
    ATTEMPT_LOGGED = "contact.attempt_logged"
    DUE_MARKED = "contact.due_marked"  # the scheduled command; the count is how many flags changed
    DUE_LISTED = "task.due_listed"  # the home page's follow-ups with their channel tiles; the count is how many


audit.register(
    {
        ContactEvent.RULES_CHANGED: _("Contact rules changed"),
        ContactEvent.RULES_CONFIRMED: _("Contact rules confirmed with the person"),
        ContactEvent.RULES_VIEWED: _("Contact rules viewed"),
        ContactEvent.RULES_CONFLICT: _("Contact rules conflict shown"),
        ContactEvent.TASK_ADDED: _("Follow-up task added"),
        ContactEvent.TASK_DONE: _("Follow-up task done"),
        ContactEvent.TASK_VIEWED: _("Follow-up opened"),
        ContactEvent.ATTEMPT_LOGGED: _("Contact attempt logged"),
        ContactEvent.DUE_MARKED: _("Overdue follow-ups and rules to confirm marked"),
        ContactEvent.DUE_LISTED: _("Follow-ups due listed"),
    },
    reads=[ContactEvent.RULES_VIEWED, ContactEvent.RULES_CONFLICT, ContactEvent.TASK_VIEWED, ContactEvent.DUE_LISTED],
)

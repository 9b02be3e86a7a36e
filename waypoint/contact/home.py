"""This app's section of the home page: follow-ups due today or overdue, each with the channel
tiles of the person's rules and never the task's text, marked when the rules are due to be confirmed
with them again; a full list says how many more are due.
Providers see their own; supervisors see their team's (every follow-up of the organisation's records
they may read).  A list with rows writes one read audit row with its count (the tiles show what each
person's rules allow)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from waypoint.contact.access import rules_for, tasks_for
from waypoint.contact.actions import is_stale
from waypoint.contact.events import ContactEvent
from waypoint.contact.guard import may_use
from waypoint.contact.models import CHANNELS, TaskStatus
from waypoint.core import audit
from waypoint.core.registry import HomePanel, home_panels
from waypoint.orgs.models import Role
from waypoint.people.access import READERS

LISTED = 30
AHEAD = datetime.timedelta(days=0)  # due today or earlier


def _due(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    if not user.has_role(*READERS):
        return None
    today = timezone.localdate()
    tasks = tasks_for(user).filter(status=TaskStatus.OPEN, due_on__lte=today + AHEAD)
    team = user.has_role(Role.SUPERVISOR)
    if not team:
        tasks = tasks.filter(assigned_to=user)
    rows = list(tasks.select_related("person", "assigned_to").order_by("due_on")[:LISTED])
    # Only a full list may hide more: then one count says how many (no query per row).
    more = tasks.count() - LISTED if len(rows) == LISTED else 0
    rules = {r.person_id: r for r in rules_for(user).filter(person_id__in={t.person_id for t in rows})}
    listed = [
        {
            "task": task,
            "overdue": task.due_on < today,
            "channels": [(c, may_use(rules.get(task.person_id), c)) for c in CHANNELS],
            # its own way, once their rules no longer allow it (no action is offered here anyway)
            "channel_refused": bool(task.channel) and not may_use(rules.get(task.person_id), task.channel),
            # never confirmed with them, or not in the last 30 days: confirm them before anything else
            "confirm_first": is_stale(rules.get(task.person_id)),
        }
        for task in rows
    ]
    if listed:  # what each person's rules allow is record data: one read row, with how many
        audit.record_for(request, ContactEvent.DUE_LISTED, object_type="task", count=len(listed))
    return {"rows": listed, "team": team, "more": max(more, 0)}


def register() -> None:
    home_panels.register("follow_ups", HomePanel("contact/home_due.html", 25, _due))

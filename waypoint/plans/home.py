"""This app's section of the home page: plans due for review and follow-ups due (providers and
supervisors, their own assigned records and tasks)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from waypoint.contact.access import tasks_for
from waypoint.contact.models import TaskStatus
from waypoint.core.registry import HomePanel, home_panels
from waypoint.people.access import READERS
from waypoint.plans.access import plans_for


def _due(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    if not user.has_role(*READERS):
        return None
    reviews = (
        plans_for(user)
        .filter(person__assigned_staff=user, review_on__lte=timezone.localdate())
        .select_related("person")
        .only("id", "review_on", "person__reference")[:20]
    )
    tasks = tasks_for(user).filter(assigned_to=user, status=TaskStatus.OPEN).select_related("person")
    return {"reviews": list(reviews), "tasks": list(tasks.order_by("due_on")[:20])}


def register() -> None:
    home_panels.register("due", HomePanel("plans/home_due.html", 30, _due))

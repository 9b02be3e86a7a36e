"""This app's section of the home page: plans due for review (providers and supervisors, their own
assigned records).  Follow-ups due are the contact app's section."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

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
    return {"reviews": list(reviews)}


def register() -> None:
    home_panels.register("due", HomePanel("plans/home_due.html", 30, _due))

"""This app's section of the home page: records assigned to the signed-in provider or supervisor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from waypoint.core.registry import HomePanel, home_panels
from waypoint.people.access import READERS, people_for


def _assigned(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    if not user.has_role(*READERS):
        return None
    return {"recent": list(people_for(user).filter(assigned_staff=user).only("id", "reference")[:10])}


def register() -> None:
    home_panels.register("assigned", HomePanel("people/home_assigned.html", 40, _assigned))

"""This app's section of the home page: records assigned to the signed-in provider or supervisor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from waypoint.core import audit
from waypoint.core.registry import HomePanel, home_panels
from waypoint.people import search
from waypoint.people.access import READERS, people_for
from waypoint.people.events import PersonEvent


def _assigned(request: HttpRequest) -> dict[str, Any] | None:
    """Labels (initials or alias) only for a user who chose them; then the list is record data and
    writes one read row with how many it shows."""
    user: Any = request.user
    if not user.has_role(*READERS):
        return None
    labelled = search.shows_labels(user)
    fields = ("id", "reference", *search.LABEL_FIELDS) if labelled else ("id", "reference")
    recent = list(people_for(user).filter(assigned_staff=user).only(*fields)[:10])
    search.add_labels(user, recent)
    if labelled and recent:
        audit.record_for(request, PersonEvent.LISTED, object_type="person", count=len(recent))
    return {"recent": recent, "labelled": labelled}


def register() -> None:
    home_panels.register("assigned", HomePanel("people/home_assigned.html", 40, _assigned))

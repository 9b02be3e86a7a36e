"""This app's sections of the home page: front-desk requests and open encounters (providers and
supervisors), and the request form (front desk)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from waypoint.core.registry import HomePanel, home_panels
from waypoint.encounters.access import encounters_for, separation_requests_for
from waypoint.encounters.separation import RequestStatus
from waypoint.encounters.separation_forms import RequestForm
from waypoint.orgs.models import Role
from waypoint.people.access import READERS


def _requests(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    if not user.has_role(*READERS):
        return None
    waiting = separation_requests_for(user).exclude(status=RequestStatus.CLOSED).select_related("site")[:20]
    return {"separation_requests": list(waiting)}


def _open(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    if not user.has_role(*READERS):
        return None
    mine = encounters_for(user).filter(lead=user, closed_at__isnull=True).select_related("person")
    return {"open_encounters": list(mine)}


def _front_desk(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    return {"request_form": RequestForm(org_id=user.org_id)} if user.has_role(Role.FRONT_DESK) else None


def register() -> None:
    home_panels.register("separation_requests", HomePanel("encounters/home_requests.html", 10, _requests))
    home_panels.register("open_encounters", HomePanel("encounters/home_open.html", 20, _open))
    home_panels.register("front_desk", HomePanel("encounters/home_front_desk.html", 90, _front_desk))

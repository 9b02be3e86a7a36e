"""This app's sections of the home page: front-desk requests and open encounters (providers and
supervisors), and the request form (front desk)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from waypoint.core.registry import HomePanel, SetupItem, SetupState, home_panels, setup_items
from waypoint.encounters.access import encounters_for, separation_requests_for
from waypoint.encounters.separation import RequestStatus, SeparationProtocol
from waypoint.encounters.separation_forms import RequestForm
from waypoint.orgs.models import Role, Staff
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


def _emergency_contacts(request: HttpRequest) -> SetupState:
    """Done once the protocol is saved with security and local law enforcement filled in (until then
    providers see 911 and the hotline on the emergency page); who and when is its last save."""
    user: Any = request.user
    protocol = SeparationProtocol.for_org(user.org_id)
    if protocol.contacts_missing:
        return SetupState(done=False)
    by = ""
    if (staff_id := protocol.reviewed_by_id) is not None:
        names = Staff.objects.filter(org_id=user.org_id, pk=staff_id).values_list("display_name", flat=True)
        by = names.first() or ""
    return SetupState(done=True, by=by, at=protocol.reviewed_at)


def register() -> None:
    setup_items.register(
        "emergency_contacts",
        SetupItem(
            _("Fill in your emergency contacts (separation protocol)"), "encounters:protocol", 10, _emergency_contacts
        ),
    )
    home_panels.register("separation_requests", HomePanel("encounters/home_requests.html", 10, _requests))
    home_panels.register("open_encounters", HomePanel("encounters/home_open.html", 20, _open))
    home_panels.register("front_desk", HomePanel("encounters/home_front_desk.html", 90, _front_desk))

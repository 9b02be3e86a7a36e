"""This app's sections of the home page: front-desk requests and open encounters (providers and
supervisors), and the request form (front desk)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from waypoint.core.registry import HomePanel, SetupState, home_panels, setup_items
from waypoint.core.setup import SetupStep, staff_names
from waypoint.encounters.access import encounters_for, separation_requests_for
from waypoint.encounters.separation import RequestStatus, SeparationProtocol
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


def _protocol(request: HttpRequest) -> SeparationProtocol:
    """The organisation's protocol, read once for both of its set-up items."""
    kept: SeparationProtocol | None = getattr(request, "_wp_protocol", None)
    if kept is None:
        user: Any = request.user
        kept = SeparationProtocol.for_org(user.org_id)
        request._wp_protocol = kept  # type: ignore[attr-defined]
    return kept


def _saved_state(request: HttpRequest, protocol: SeparationProtocol) -> SetupState:
    """Done, by whoever saved the protocol last, when (its review)."""
    by = ""
    if (staff_id := protocol.reviewed_by_id) is not None:
        by = staff_names(request, {staff_id}).get(staff_id, "")
    return SetupState(done=True, by=by, at=protocol.reviewed_at)


def _emergency_contacts(request: HttpRequest) -> SetupState:
    """Done once the protocol is saved with security and local law enforcement filled in (until then
    providers see 911 and the hotline on the emergency page); who and when is its last save."""
    protocol = _protocol(request)
    return SetupState(done=False) if protocol.contacts_missing else _saved_state(request, protocol)


def _protocol_reviewed(request: HttpRequest) -> SetupState:
    """Done once the organisation has saved the protocol (Waypoint's default says it must be reviewed)."""
    protocol = _protocol(request)
    return SetupState(done=False) if protocol.reviewed_at is None else _saved_state(request, protocol)


def register() -> None:
    setup_items.register(
        "emergency_contacts",
        SetupStep(
            _("Emergency contacts"),
            "encounters:protocol",
            10,
            _emergency_contacts,
            why=_(
                "Security and local police, and tribal and federal law enforcement where they apply: until "
                "security and local police are filled in, providers see only 911 and the national hotline."
            ),
        ),
    )
    setup_items.register(
        "protocol_reviewed",
        SetupStep(
            _("Separation protocol reviewed"),
            "encounters:protocol",
            20,
            _protocol_reviewed,
            why=_(
                "Waypoint's default protocol is only a start: work it out with your security and law "
                "enforcement, so providers know who separates and what to do if the companion refuses."
            ),
        ),
    )
    home_panels.register("separation_requests", HomePanel("encounters/home_requests.html", 10, _requests))
    home_panels.register("open_encounters", HomePanel("encounters/home_open.html", 20, _open))
    home_panels.register("front_desk", HomePanel("encounters/home_front_desk.html", 90, _front_desk))

"""This app's sections of the home page: the audit log (auditors and org admins), the see-alone
adherence report (those and supervisors) and the team (supervisors, ``team.py``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from waypoint.core.registry import HomePanel, home_panels
from waypoint.orgs.models import Role
from waypoint.oversight.team import team_panel


def _oversight(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    if not user.has_role(Role.AUDITOR, Role.ORG_ADMIN, Role.SUPERVISOR):
        return None
    return {"audit_log": user.has_role(Role.AUDITOR, Role.ORG_ADMIN)}


def register() -> None:
    home_panels.register("oversight", HomePanel("oversight/home_oversight.html", 60, _oversight))
    home_panels.register("team", HomePanel("oversight/home_team.html", 25, team_panel))

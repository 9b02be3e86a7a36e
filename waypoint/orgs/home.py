"""This app's section of the home page: the organisation's settings (org admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from waypoint.core.registry import HomePanel, home_panels
from waypoint.orgs.models import Role


def _admin(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    return {} if user.has_role(Role.ORG_ADMIN) else None


def register() -> None:
    home_panels.register("admin", HomePanel("orgs/home_admin.html", 50, _admin))

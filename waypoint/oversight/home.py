"""This app's section of the home page: the audit log (auditors and org admins)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from waypoint.core.registry import HomePanel, home_panels
from waypoint.orgs.models import Role


def _oversight(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    return {} if user.has_role(Role.AUDITOR, Role.ORG_ADMIN) else None


def register() -> None:
    home_panels.register("oversight", HomePanel("oversight/home_oversight.html", 60, _oversight))

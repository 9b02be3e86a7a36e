"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from waypoint.orgs.models import DEFAULT_EXIT_URL, Role


def waypoint(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "signed_in": signed_in,
        "exit_url": user.org.exit_url if signed_in else DEFAULT_EXIT_URL,  # type: ignore[union-attr]
        "idle_seconds": settings.SESSION_IDLE_SECONDS,
        "warning_seconds": settings.SESSION_WARNING_SECONDS,
        "Role": Role,
        "languages": settings.LANGUAGES,
    }

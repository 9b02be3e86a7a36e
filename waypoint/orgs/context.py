"""Template context shared by every page: sign-in state, the organisation's exit page, idle limits."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from waypoint.orgs.models import DEFAULT_EXIT_URL, Role


def _idle_seconds_left(request: HttpRequest) -> int:
    """What the server will allow, not a fresh 15 minutes: "last seen" is only written every 30 s."""
    last_seen = float(request.session.get("wp_last_seen", time.time()))
    return max(settings.SESSION_WARNING_SECONDS + 1, int(settings.SESSION_IDLE_SECONDS - (time.time() - last_seen)))


def waypoint(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "signed_in": signed_in,
        "exit_url": user.org.exit_url if signed_in else DEFAULT_EXIT_URL,  # type: ignore[union-attr]
        "idle_seconds": _idle_seconds_left(request) if signed_in else settings.SESSION_IDLE_SECONDS,
        "warning_seconds": settings.SESSION_WARNING_SECONDS,
        "Role": Role,
        "languages": settings.LANGUAGES,
    }

"""Template context shared by every page: sign-in state, the organisation's exit page and tab name,
idle limits, and (read only by the pages that show it) the organisation's jurisdiction panel."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from waypoint.orgs import discretion, jurisdiction, orientation
from waypoint.orgs.models import DEFAULT_EXIT_URL, Organisation, Role


def _idle_seconds_left(request: HttpRequest) -> int:
    """What the server will allow, not a fresh 15 minutes: "last seen" is only written every 30 s."""
    last_seen = float(request.session.get("wp_last_seen", time.time()))
    return max(settings.SESSION_WARNING_SECONDS + 1, int(settings.SESSION_IDLE_SECONDS - (time.time() - last_seen)))


def _lazy_panel(org: Organisation) -> Any:
    return SimpleLazyObject(lambda: jurisdiction.panel(org))


def waypoint(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    org = user.org if signed_in else None  # type: ignore[union-attr]
    return {
        "signed_in": signed_in,
        "exit_url": org.exit_url if org is not None else DEFAULT_EXIT_URL,
        # Every page's <title>: the organisation's choice or the neutral default, never the product.
        "tab_title": discretion.tab_title(org),
        # Made only when a page shows it (a minor's record, the minor step, a minor's release).
        "jurisdiction": _lazy_panel(org) if org is not None else None,
        "idle_seconds": _idle_seconds_left(request) if signed_in else settings.SESSION_IDLE_SECONDS,
        "warning_seconds": settings.SESSION_WARNING_SECONDS,
        "Role": Role,
        "languages": settings.LANGUAGES,
        "orientation_due": signed_in and orientation.banner_due(request),
    }

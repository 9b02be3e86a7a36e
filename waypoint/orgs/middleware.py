"""Session limits: 15 minutes idle, 12 hours absolute.  Enforced on the server; the page's warning a
minute before the idle limit is only a courtesy."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from waypoint.orgs import actions
from waypoint.orgs.models import Staff

Handler = Callable[[HttpRequest], HttpResponse]
LAST_SEEN_WRITE_EVERY = 30  # seconds; avoids a session write on every request
POLL_HEADER = "X-Waypoint-Poll"  # sent by a page's background poll (static/requests.js)
V = TypeVar("V", bound=Callable[..., Any])


class SessionLimitsMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, Staff):  # signed in
            now = time.time()
            session = request.session
            auth_at = float(session.get("wp_auth_at", 0))
            last_seen = float(session.get("wp_last_seen", 0))
            idle = now - last_seen > settings.SESSION_IDLE_SECONDS
            too_old = now - auth_at > settings.SESSION_ABSOLUTE_SECONDS
            if idle or too_old:
                actions.session_expired(user)
                logout(request)
                if request.headers.get(POLL_HEADER) == "1":  # a page's background poll: no redirect to follow
                    return JsonResponse({"signed_in": False}, status=401)
                response = redirect("orgs:login")
                response["Location"] += "?expired=1"
                return response
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable[..., Any], *args: Any) -> None:
        """Every request to a view counts as activity, except to a view marked ``passive_session``
        (a page's background poll): a page left polling must still reach the idle limit."""
        if isinstance(request.user, Staff) and not getattr(view_func, "passive_session", False):
            now = time.time()
            if now - float(request.session.get("wp_last_seen", 0)) > LAST_SEEN_WRITE_EVERY:
                request.session["wp_last_seen"] = now


def passive_session(view: V) -> V:
    """Mark a view whose requests are not activity: they never move the idle limit (a page's poll)."""
    view.passive_session = True  # type: ignore[attr-defined]
    return view

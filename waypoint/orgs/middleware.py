"""Session limits: 15 minutes idle, 12 hours absolute.  Enforced on the server; the page's warning a
minute before the idle limit is only a courtesy."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from waypoint.orgs import actions
from waypoint.orgs.models import Staff

Handler = Callable[[HttpRequest], HttpResponse]
LAST_SEEN_WRITE_EVERY = 30  # seconds; avoids a session write on every request


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
                response = redirect("orgs:login")
                response["Location"] += "?expired=1"
                return response
            if now - last_seen > LAST_SEEN_WRITE_EVERY:
                session["wp_last_seen"] = now
        return self.get_response(request)

"""Middleware every response passes through: page hygiene headers, the staff member's language, and
the audit of refused access (written once the 404 is made, in its own transaction)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from waypoint.core import audit, locktrace

Handler = Callable[[HttpRequest], HttpResponse]


class PageHygieneMiddleware:
    """``Cache-Control: no-store`` on everything but static files, and the Permissions-Policy."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if locktrace.enabled():
            token = locktrace.set_path(locktrace.traceable(request.path))
            try:
                response = self.get_response(request)
            finally:
                locktrace.reset_path(token)
        else:
            response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)  # no-store, no-cache, must-revalidate, private
            response["Pragma"] = "no-cache"
        response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


class StaffLanguageMiddleware:
    """Language from the staff member's saved choice, else the language cookie, else English."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        codes = {code for code, _name in settings.LANGUAGES}
        chosen = request.session.get("wp_language") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in codes else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class DeniedAccessAuditMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = request.user
        for object_type, object_id in getattr(request, "wp_denials", []):
            audit.record(
                audit.Event.ACCESS_DENIED,
                org_id=getattr(user, "org_id", None),
                actor_id=user.id if user.is_authenticated else None,
                object_type=object_type or "view",
                object_id=object_id,
            )
        return response

"""Home, quick exit, the page about what quick exit cannot erase, health check and error pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template import loader
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from waypoint.core import actions
from waypoint.core.access import policy
from waypoint.core.registry import home_panels

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


@policy(public=True)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in start page: each app adds its sections (``waypoint.core.registry.home_panels``);
    a section shows only what its app's access rules give this user."""
    if not request.user.is_authenticated:
        return redirect("orgs:login")
    panels = []
    for panel in sorted(home_panels, key=lambda panel: panel.order):
        context = panel.context(request)
        if context is not None:
            panels.append({"template": panel.template, "context": context})
    return TemplateResponse(request, "core/home.html", {"staff": request.user, "panels": panels})


def _own_origin(request: HttpRequest) -> set[str]:
    try:
        here = f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return set()
    return {here, *(o for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o)}


def is_own_exit(request: HttpRequest) -> bool:
    """Whether this exit was sent by one of our own pages.  Defends against another site making the
    browser post here to end the user's session (a forced sign-out in the middle of their work).
    Sec-Fetch-Site decides when the browser sends it; otherwise Origin; a browser that sends
    neither is believed when its Referer is ours or absent.  Does not defend against a page on our
    own origin, or a browser that forges these headers (it could not be the user's anyway)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin in _own_origin(request)
    referer = request.headers.get("Referer")
    if not referer:
        return True
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" in _own_origin(request)


@csrf_exempt  # Exit must work even with a stale page or token; the Origin check replaces CSRF's.
@policy(public=True)
@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    """End the session and tell the browser to drop this site's data.  The page has already blanked
    itself (static/waypoint.js) before this request was sent.  A post from another site gets the
    same neutral redirect but ends nothing and clears nothing (``is_own_exit``)."""
    destination = settings.QUICK_EXIT_DEFAULT_URL
    if not is_own_exit(request):
        return HttpResponseRedirect(destination, status=303)
    user: Any = request.user
    if user.is_authenticated:
        destination = user.org.exit_url
        actions.record_quick_exit(user)
    logout(request)
    request.session.flush()
    if request.headers.get("X-Waypoint-Exit") == "1":
        response: HttpResponse = HttpResponse(status=204)
    else:
        response = HttpResponseRedirect(destination, status=303)
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@policy(public=True)
@require_GET
def exit_info(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "core/exit_info.html")


@policy(public=True)
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/403_csrf.html", status=403)


def _error(template: str, status: int) -> Any:
    def view(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        return render(request, template, status=status)  # error pages render at once

    return view


bad_request = _error("errors/400.html", 400)
permission_denied = _error("errors/404.html", 404)  # never reveal that something exists
page_not_found = _error("errors/404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the database may be the thing that failed.
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)

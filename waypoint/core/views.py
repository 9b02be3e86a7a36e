"""Home, quick exit, the page about what quick exit cannot erase, health check and error pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import logout
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


@csrf_exempt  # Exit must work even with a stale page or token; forcing a sign-out is harmless.
@policy(public=True)
@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    """End the session and tell the browser to drop this site's data.  The page has already blanked
    itself (static/waypoint.js) before this request was sent."""
    destination = settings.QUICK_EXIT_DEFAULT_URL
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

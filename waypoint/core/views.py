"""Home, quick exit, the page about what quick exit cannot erase, health check and error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template import loader
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from waypoint.contact.models import FollowUpTask, TaskStatus
from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.encounters.models import Encounter
from waypoint.encounters.separation import RequestStatus, SeparationRequest
from waypoint.encounters.separation_forms import RequestForm
from waypoint.orgs.models import DEFAULT_EXIT_URL, Role, Staff
from waypoint.people.models import Person
from waypoint.plans.models import SafetyPlan

CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


@policy(public=True)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("orgs:login")
    staff = request.user
    assert isinstance(staff, Staff)
    recent: list[Person] = []
    open_encounters: list[Encounter] = []
    if staff.has_role(Role.PROVIDER, Role.SUPERVISOR):
        recent = list(Person.objects.filter(org_id=staff.org_id, assigned_staff=staff).only("id", "reference")[:10])
        open_encounters = list(
            Encounter.objects.filter(org_id=staff.org_id, lead=staff, closed_at__isnull=True).select_related("person")
        )
    reviews: list[SafetyPlan] = []
    tasks: list[FollowUpTask] = []
    if staff.has_role(Role.PROVIDER, Role.SUPERVISOR):
        today = timezone.localdate()
        mine = Person.objects.filter(org_id=staff.org_id, assigned_staff=staff)
        reviews = list(
            SafetyPlan.objects.filter(org_id=staff.org_id, person__in=mine, review_on__lte=today)
            .select_related("person")
            .only("id", "review_on", "person__reference")[:20]
        )
        tasks = list(
            FollowUpTask.objects.filter(org_id=staff.org_id, assigned_to=staff, status=TaskStatus.OPEN)
            .select_related("person")
            .order_by("due_on")[:20]
        )
    requests: list[SeparationRequest] = []
    if staff.has_role(Role.PROVIDER, Role.SUPERVISOR):
        requests = list(
            SeparationRequest.objects.filter(org_id=staff.org_id)
            .exclude(status=RequestStatus.CLOSED)
            .select_related("site")[:20]
        )
    context = {
        "staff": staff,
        "recent": recent,
        "open_encounters": open_encounters,
        "separation_requests": requests,
        "reviews": reviews,
        "tasks": tasks,
        "plans": dict(
            SafetyPlan.objects.filter(person_id__in=[t.person_id for t in tasks]).values_list("person_id", "id")
        ),
        "request_form": RequestForm(org_id=staff.org_id) if staff.has_role(Role.FRONT_DESK) else None,
    }
    return TemplateResponse(request, "core/home.html", context)


@csrf_exempt  # Exit must work even with a stale page or token; forcing a sign-out is harmless.
@policy(public=True)
@require_POST
def quick_exit(request: HttpRequest) -> HttpResponse:
    """End the session and tell the browser to drop this site's data.  The page has already blanked
    itself (static/waypoint.js) before this request was sent."""
    destination = DEFAULT_EXIT_URL
    user = request.user
    if user.is_authenticated:
        assert isinstance(user, Staff)
        destination = user.org.exit_url
        audit.record(audit.Event.QUICK_EXIT, org_id=user.org_id, actor_id=user.id)
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

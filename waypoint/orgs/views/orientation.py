"""Staff orientation: the page every staff member reads and confirms, and the admin's view of who is
oriented and how often it is read again.  Organisation settings and staff names, no person's record:
no read rows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waypoint.core.access import policy
from waypoint.encounters.policy import policy_text
from waypoint.encounters.separation import SeparationProtocol
from waypoint.orgs import actions, orientation
from waypoint.orgs.access import staff_for
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role


def _protocol(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    protocol = SeparationProtocol.for_org(request.user.org_id)
    return {
        "who_separates": protocol.shown("who_separates"),
        "reasons": protocol.shown_lines("discreet_reasons"),
        "refusal_steps": protocol.shown_lines("refusal_steps"),
        "contacts": protocol.filled_contacts(),
        "unreviewed": protocol.reviewed_at is None,
    }


@policy()
@require_http_methods(["GET", "POST"])
def orientation_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The orientation and one "I have read this" button.  The form names nobody: whatever else is
    posted, the signed-in staff member confirms for themselves only."""
    staff = request.user
    next_url = orientation.back_to(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST":
        # Nothing posted names anyone: only "next" (where to go back to) is read, checked as a local path.
        confirmation = actions.confirm_orientation(staff)
        orientation.remember(
            request, staff, orientation.due_at(confirmation.confirmed_at, staff.org.orientation_every_days)
        )
        messages.success(request, _("Thank you. Your orientation is recorded."))
        return redirect(next_url or "orgs:orientation")
    due = orientation.staff_due_at(staff)
    context = {
        "policy_text": policy_text(staff.org),
        "see_alone_on": staff.org.see_alone,
        "due": due,
        "current": orientation.is_current(due, timezone.now()),
        "next": next_url,
        **_protocol(request),
    }
    return TemplateResponse(request, "orgs/orientation.html", context)


@policy(Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def orientation_admin(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who is oriented, when, and who is due again; and how often the orientation is read again."""
    org = request.user.org
    form = orientation.IntervalForm(
        request.POST if request.method == "POST" else None,
        initial={"orientation_every_days": org.orientation_every_days},
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_orientation_interval(request.user, form.cleaned_data["orientation_every_days"])
        except actions.Refused as refused:
            form.add_error("orientation_every_days", refused.message)
        else:
            messages.success(request, _("Saved. Staff read the orientation again at the new interval."))
            return redirect("orgs:orientation_admin")
    rows = orientation.staff_rows(staff_for(request.user).filter(is_active=True), org.orientation_every_days)
    context = {"form": form, "rows": rows, "every_days": org.orientation_every_days}
    return TemplateResponse(request, "orgs/orientation_admin.html", context, status=400 if form.errors else 200)

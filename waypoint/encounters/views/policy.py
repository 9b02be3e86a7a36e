"""The organisation's see-alone policy page (org admins only: everyone else gets 404).  Settings,
not a record: no person's data is shown, so no read row is written."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waypoint.core.access import policy
from waypoint.encounters import actions
from waypoint.encounters.actions import Refused
from waypoint.encounters.policy import SeeAlonePolicyForm
from waypoint.encounters.views.common import posted
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role


@policy(Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def see_alone_policy(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SeeAlonePolicyForm(posted(request), org=request.user.org)
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_see_alone_policy(request.user, form, form.site_choices())
        except Refused as reason:
            form.add_error(None, str(reason))
        else:
            messages.success(request, _("See-alone policy saved."))
            return redirect("encounters:see_alone_policy")
    context = {"form": form, "site_fields": form.site_fields()}
    return TemplateResponse(request, "encounters/policy.html", context, status=400 if form.errors else 200)

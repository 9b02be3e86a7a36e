"""Follow-up tasks: marking one done from the plan it belongs to."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from waypoint.contact import actions
from waypoint.contact.access import get_task
from waypoint.core.access import policy
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS
from waypoint.plans.access import get_plan


@policy(*READERS)
@require_POST
def task_done(request: AuthenticatedHttpRequest, plan_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    actions.complete_task(request.user, get_task(request, plan.person_id, task_id))
    messages.success(request, _("Task marked as done."))
    return redirect("plans:detail", plan_id=plan.id)

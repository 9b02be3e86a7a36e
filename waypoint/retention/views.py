"""Retention pages: the organisation's periods with the active legal holds (org admin), the purge
preview (org admin: counts and reference codes, never names), and closing, reopening and holding a
record from its page (POST only, back to the record).  No page here shows record content, so none
writes a read row; every change is an action with its own audit row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core import reads
from waypoint.core.access import deny, policy
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role
from waypoint.people.access import get_person
from waypoint.retention import actions, selection
from waypoint.retention.access import CLOSERS, HOLDERS, active_holds, person_to_close, person_to_hold, policy_for
from waypoint.retention.events import RetentionEvent
from waypoint.retention.forms import RetentionForm
from waypoint.retention.models import RetentionPolicy
from waypoint.retention.parts import keeping

ADMIN = Role.ORG_ADMIN


def _settings_page(
    request: AuthenticatedHttpRequest, form: RetentionForm, policy: RetentionPolicy, status: int = 200
) -> HttpResponse:
    context = {"form": form, "policy": policy, "holds": active_holds(request.user.org_id)}
    return TemplateResponse(request, "retention/settings.html", context, status=status)


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def retention_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    policy = policy_for(request.user.org_id)
    if request.method != "POST":
        return _settings_page(request, RetentionForm.for_policy(policy), policy)
    form = RetentionForm.for_policy(policy, request.POST)
    if not form.is_valid():
        return _settings_page(request, form, policy, status=400)
    actions.save_policy(request.user, form)
    messages.success(request, _("Retention periods saved."))
    return redirect("retention:settings")


@policy(ADMIN)
@require_GET
def retention_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    plan = selection.plan(request.user.org_id, timezone.now())
    code = plan.code
    context = {
        "plan": plan,
        "whole": [code(pid) for pid in plan.whole],
        "orphans": [code(pid) for pid in plan.orphans],
        "narrative": [(code(pid), count) for pid, count in plan.narrative.items()],
        "answers": [(code(pid), count) for pid, count in plan.answers.items()],
        "held": [code(pid) for pid in plan.held],
        "in_use": [code(pid) for pid in plan.in_use],
        "unexplained": [code(pid) for pid in plan.unexplained],
        "policy": policy_for(request.user.org_id),
    }
    return TemplateResponse(request, "retention/preview.html", context)


def _back(person_id: uuid.UUID) -> HttpResponse:
    return redirect("retention:record", person_id=person_id)


@policy(*CLOSERS)
@require_GET
def record(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """The record's "Keeping this record" page: open or closed, a legal hold, when a closed record
    will be removed, and the buttons for those who may (one read row: it shows the record's state)."""
    person = get_person(request, person_id)
    context = {"person": person, "p": keeping(request, person)}
    return reads.show(request, "retention/record.html", context, event=RetentionEvent.KEEPING_VIEWED, obj=person)


def _change(
    request: AuthenticatedHttpRequest,
    person: Any,
    change: Callable[[Any, Any], Any],
    done: str,
    already: str = "",
) -> HttpResponse:
    """Call ``change`` (an action) for the signed-in user on ``person`` and go back to the record's
    keeping page with what happened: a record purged meanwhile is a 404, a hold already in the
    asked state is said calmly."""
    try:
        change(request.user, person)
        messages.success(request, done)
    except actions.RecordGone:
        deny(request, "person", person.id)
    except actions.HoldState:
        messages.info(request, already)
    return _back(person.id)


@policy(*CLOSERS)
@require_POST
def close(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    return _change(request, person_to_close(request, person_id), actions.close_record, _("Record closed."))


@policy(*CLOSERS)
@require_POST
def reopen(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    return _change(request, person_to_close(request, person_id), actions.reopen_record, _("Record reopened."))


@policy(*HOLDERS)
@require_POST
def hold_set(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    done = _("Legal hold set: nothing of this record is removed until it is lifted.")
    already = _("This record already has a legal hold.")
    return _change(request, person_to_hold(request, person_id), actions.set_hold, done, already)


@policy(*HOLDERS)
@require_POST
def hold_lift(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    already = _("This record has no legal hold to lift.")
    return _change(request, person_to_hold(request, person_id), actions.lift_hold, _("Legal hold lifted."), already)

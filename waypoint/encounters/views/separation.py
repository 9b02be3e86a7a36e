"""Separation: protocol settings (org admins), front-desk requests, and the runner (providers)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.core.concurrency import StaleVersion, with_version
from waypoint.encounters import separation_actions
from waypoint.encounters.access import get_separation_request, linkable_separations, separation_requests_for
from waypoint.encounters.actions import Refused
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter, Step
from waypoint.encounters.separation import Outcome, RequestStatus, SeparationProtocol, SeparationRequest
from waypoint.encounters.separation_actions import NotOriented, TakenByColleague
from waypoint.encounters.separation_forms import ProtocolForm, RequestForm, RunForm
from waypoint.encounters.views.common import encounter_step, posted, refused
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.middleware import passive_session
from waypoint.orgs.models import Role
from waypoint.orgs.orientation import oriented
from waypoint.people.access import READERS


@policy(Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def protocol_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisation's settings, not a record: shown without a read row."""
    protocol = SeparationProtocol.for_org(request.user.org_id)
    form = ProtocolForm(posted(request), instance=protocol, initial={"version": protocol.version})
    if request.method == "POST" and form.is_valid():
        try:
            separation_actions.save_protocol(request.user, form)
        except StaleVersion as stale:
            messages.error(request, _("Someone else saved the protocol first. Your text is below; save again."))
            form.data = with_version(form.data, stale.current.version)  # type: ignore[attr-defined]
            context = {"form": form, "protocol": protocol}
            return TemplateResponse(request, "encounters/protocol.html", context, status=409)
        messages.success(request, _("Protocol saved and marked as reviewed."))
        return redirect("encounters:protocol")
    return TemplateResponse(request, "encounters/protocol.html", {"form": form, "protocol": protocol})


@policy(Role.FRONT_DESK, *READERS)
@require_POST
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The front desk's request; a mistake shows the form again with what was typed (no record data
    on the page: no read row)."""
    form = RequestForm(request.POST, org_id=request.user.org_id)
    if form.is_valid():
        data = form.cleaned_data
        separation_actions.create_separation_request(request.user, data["phrase"], data["site"], data["room"])
        messages.success(request, _("Sent. A provider will come."))
        return redirect("core:home")
    return TemplateResponse(request, "encounters/request_form.html", {"request_form": form}, status=400)


@policy(*READERS)
@require_POST
def request_take(request: AuthenticatedHttpRequest, request_id: uuid.UUID) -> HttpResponse:
    found = get_separation_request(request, request_id)
    try:
        separation_actions.take_separation_request(request.user, found)
    except TakenByColleague as reason:
        messages.info(request, str(reason))
        return redirect("core:home")
    except NotOriented:  # not taken: it stays open for a colleague; the run page says why
        return redirect("encounters:request_run", request_id=found.id)
    return redirect("encounters:request_run", request_id=found.id)


def _runner(
    request: AuthenticatedHttpRequest, encounter: Encounter | None, found: SeparationRequest | None
) -> HttpResponse:
    """The protocol step by step and the form to record what happened.  A refusal stays on the page
    with the escalation steps; otherwise back to the privacy step (or home, for a request)."""
    protocol = SeparationProtocol.for_org(request.user.org_id)
    if not oriented(request.user):
        return _orientation_needed(request, encounter, found, protocol)
    form = RunForm(posted(request), initial={"separator": request.user.display_name})
    run = None
    if request.method == "POST" and form.is_valid():
        try:
            run = separation_actions.record_separation_run(
                request.user, form.cleaned_data, encounter=encounter, request=found
            )
        except Refused as reason:  # the encounter is closed, or the request already done
            if encounter is not None:
                return refused(request, encounter, reason)
            assert found is not None
            messages.error(request, str(reason))
            return redirect("encounters:request_run", request_id=found.id)
        if run.outcome != Outcome.REFUSED:
            messages.success(request, _("Separation recorded."))
            if encounter is not None:  # seen alone is recorded: on to the steps; otherwise to Privacy
                settled = run.outcome == Outcome.SEPARATED or not encounter.has_step(Step.GATE)
                return redirect("encounters:detail" if settled else "encounters:gate", encounter_id=encounter.id)
            if found is not None and run.outcome == Outcome.SEPARATED:  # on to their record, then an encounter
                return redirect("encounters:request_run", request_id=found.id)
            return redirect("core:home")
    done = None  # a request's successful separation, still to be linked to an encounter
    if found is not None and run is None and found.status == RequestStatus.CLOSED:
        last = found.runs.first()
        if last is not None and last.outcome == Outcome.SEPARATED and last.encounter_id is None:
            done = last
    context = {
        "request_item": found,
        "done": done,
        "closed": found is not None and found.status == RequestStatus.CLOSED and run is None,
        "form": form,
        "protocol": protocol,
        "reasons": protocol.shown_lines("discreet_reasons"),  # an unchanged default in the reader's language
        "refusal_steps": protocol.shown_lines("refusal_steps"),
        "who_separates": protocol.shown("who_separates"),
        "run": run,
        "encounter": encounter,
        "unreviewed": protocol.reviewed_at is None,
    }
    status = 400 if form.errors else 200
    if encounter is not None:
        return reads.show(
            request, "encounters/separation.html", context, event=EncounterEvent.VIEWED, obj=encounter, status=status
        )
    return reads.show(
        request,
        "encounters/separation.html",
        context,
        event=EncounterEvent.SEPARATION_VIEWED,
        obj=found,
        object_type="separation",
        status=status,
    )


def _orientation_needed(
    request: AuthenticatedHttpRequest,
    encounter: Encounter | None,
    found: SeparationRequest | None,
    protocol: SeparationProtocol,
) -> HttpResponse:
    """Staff not oriented do not run a separation: why, the way to the orientation (and back here),
    and, in case anyone is in danger now, the organisation's steps and who to call.  Nothing posted
    is recorded (the action refuses it too).  Shown in place of the runner, so read as the runner is."""
    context = {
        "encounter": encounter,
        "request_item": found,
        "back": request.path,
        "steps": protocol.shown_lines("emergency_steps"),
        "contacts": protocol.filled_contacts(),
    }
    status = 409 if request.method == "POST" else 200
    if encounter is not None:
        return reads.show(
            request, "orgs/orientation_needed.html", context, event=EncounterEvent.VIEWED, obj=encounter, status=status
        )
    return reads.show(
        request,
        "orgs/orientation_needed.html",
        context,
        event=EncounterEvent.SEPARATION_VIEWED,
        obj=found,
        object_type="separation",
        status=status,
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@encounter_step()
def encounter_separation(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    return _runner(request, encounter, None)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def request_run(request: AuthenticatedHttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _runner(request, None, get_separation_request(request, request_id))


WAITING_LIMIT = 20  # as many as the home page's panel lists


@passive_session
@policy(*READERS)
@require_GET
def requests_waiting(request: AuthenticatedHttpRequest) -> HttpResponse:
    """What the home page's requests panel shows of the waiting requests, for a page's poll
    (static/requests.js): code phrase, site, room, minutes waiting and where to take it.  No record
    data, so no read row; the poll is not activity, so it never keeps an idle session alive."""
    waiting = list(
        separation_requests_for(request.user).filter(status=RequestStatus.OPEN).select_related("site")[:WAITING_LIMIT]
    )
    now = timezone.now()
    items = [
        {
            "id": str(item.id),
            "phrase": str(item.get_phrase_display()),
            "site": item.site.name if item.site else "",
            "room": item.room,
            "minutes": max(0, int((now - item.created_at).total_seconds() // 60)),
            "take": reverse("encounters:request_take", kwargs={"request_id": item.id}),
        }
        for item in waiting
    ]
    return JsonResponse({"count": len(items), "requests": items})


def separation_choices(request: AuthenticatedHttpRequest, initial: dict[str, Any]) -> list[tuple[str, str]]:
    """For the encounter start: the separations this provider may link, labelled by time, code phrase
    and room (no person's data); the one named in the URL (``?separation=``, after a front-desk
    request) is chosen already, if it is one of them."""
    runs = linkable_separations(request.user)
    choices = []
    for run in runs:
        assert run.request is not None  # linkable runs come from a request
        parts = [timezone.localtime(run.at).strftime("%H:%M"), str(run.request.get_phrase_display())]
        if run.request.room:
            parts.append(run.request.room)
        choices.append((str(run.id), " · ".join(parts)))
    if request.GET.get("separation") in {value for value, _label in choices}:
        initial["separation"] = request.GET["separation"]
    return choices

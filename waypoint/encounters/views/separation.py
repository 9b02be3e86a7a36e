"""Separation: protocol settings (org admins), front-desk requests, and the runner (providers)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.core.concurrency import StaleVersion, with_version
from waypoint.encounters import separation_actions
from waypoint.encounters.access import get_separation_request
from waypoint.encounters.actions import Refused
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter, Step
from waypoint.encounters.separation import Outcome, SeparationProtocol, SeparationRequest
from waypoint.encounters.separation_actions import TakenByColleague
from waypoint.encounters.separation_forms import ProtocolForm, RequestForm, RunForm
from waypoint.encounters.views.common import encounter_step, posted, refused
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role
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
    form = RequestForm(request.POST, org_id=request.user.org_id)
    if form.is_valid():
        separation_actions.create_separation_request(
            request.user, form.cleaned_data["phrase"], form.cleaned_data["site"]
        )
        messages.success(request, _("Sent. A provider will come."))
    else:
        messages.error(request, _("Choose a code phrase."))
    return redirect("core:home")


@policy(*READERS)
@require_POST
def request_take(request: AuthenticatedHttpRequest, request_id: uuid.UUID) -> HttpResponse:
    found = get_separation_request(request, request_id)
    try:
        separation_actions.take_separation_request(request.user, found)
    except TakenByColleague as reason:
        messages.info(request, str(reason))
        return redirect("core:home")
    return redirect("encounters:request_run", request_id=found.id)


def _runner(
    request: AuthenticatedHttpRequest, encounter: Encounter | None, found: SeparationRequest | None
) -> HttpResponse:
    """The protocol step by step and the form to record what happened.  A refusal stays on the page
    with the escalation steps; otherwise back to the privacy step (or home, for a request)."""
    protocol = SeparationProtocol.for_org(request.user.org_id)
    form = RunForm(posted(request), initial={"separator": request.user.display_name})
    run = None
    if request.method == "POST" and form.is_valid():
        try:
            run = separation_actions.record_separation_run(
                request.user, form.cleaned_data, encounter=encounter, request=found
            )
        except Refused as reason:
            assert encounter is not None  # only an encounter refuses a run (it is closed)
            return refused(request, encounter, reason)
        if run.outcome != Outcome.REFUSED:
            messages.success(request, _("Separation recorded."))
            if encounter is not None:  # on to the privacy step, where there is one (in person)
                step = "encounters:gate" if encounter.has_step(Step.GATE) else "encounters:detail"
                return redirect(step, encounter_id=encounter.id)
            return redirect("core:home")
    context = {
        "form": form,
        "protocol": protocol,
        "reasons": protocol.lines(protocol.discreet_reasons),
        "refusal_steps": protocol.lines(protocol.refusal_steps),
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


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@encounter_step()
def encounter_separation(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    return _runner(request, encounter, None)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def request_run(request: AuthenticatedHttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _runner(request, None, get_separation_request(request, request_id))

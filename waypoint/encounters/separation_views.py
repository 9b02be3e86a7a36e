"""Separation: protocol settings (org admins), front-desk requests, and the runner (providers)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.core import audit
from waypoint.core.access import deny, policy
from waypoint.core.concurrency import StaleVersion, lock_for_update
from waypoint.encounters.access import get_encounter
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.separation import (
    Outcome,
    RequestStatus,
    SeparationProtocol,
    SeparationRequest,
    SeparationRun,
)
from waypoint.encounters.separation_forms import ProtocolForm, RequestForm, RunForm
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role
from waypoint.people.access import READERS


def get_request(request: AuthenticatedHttpRequest, request_id: uuid.UUID) -> SeparationRequest:
    """The one access rule for separation requests: providers and supervisors of the organisation."""
    user = request.user
    if user.is_authenticated and user.has_role(*READERS):  # type: ignore[union-attr]
        found = SeparationRequest.objects.filter(pk=request_id, org_id=user.org_id).first()  # type: ignore[union-attr]
        if found is not None:
            return found
    deny(request, "separation", request_id)


@policy(Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def protocol_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    protocol = SeparationProtocol.for_org(staff.org_id)
    data = request.POST if request.method == "POST" else None
    form = ProtocolForm(data, instance=protocol, initial={"version": protocol.version})
    if data is not None and form.is_valid():
        try:
            if protocol.pk is not None:
                lock_for_update(SeparationProtocol, protocol.pk, form.cleaned_data["version"])
        except StaleVersion:
            messages.error(request, _("Someone else saved the protocol first. Your text is below; save again."))
            form.data = form.data.copy()  # type: ignore[attr-defined]
            form.data["version"] = str(SeparationProtocol.objects.get(pk=protocol.pk).version)  # type: ignore[index]
            return TemplateResponse(
                request, "encounters/protocol.html", {"form": form, "protocol": protocol}, status=409
            )
        saved = form.save(commit=False)
        saved.version += 1
        saved.reviewed_at = timezone.now()
        saved.reviewed_by_id = staff.id
        saved.save()
        audit.record_for(request, audit.Event.ORG_SETTINGS_CHANGED, staff.org)
        messages.success(request, _("Protocol saved and marked as reviewed."))
        return redirect("encounters:protocol")
    return TemplateResponse(request, "encounters/protocol.html", {"form": form, "protocol": protocol})


@policy(Role.FRONT_DESK, *READERS)
@require_POST
def request_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    form = RequestForm(request.POST, org_id=staff.org_id)
    if form.is_valid():
        SeparationRequest.objects.create(
            org_id=staff.org_id,
            phrase=form.cleaned_data["phrase"],
            site=form.cleaned_data["site"],
            created_by_id=staff.id,
        )
        audit.record_for(request, EncounterEvent.SEPARATION_REQUESTED, object_type="separation")
        messages.success(request, _("Sent. A provider will come."))
    else:
        messages.error(request, _("Choose a code phrase."))
    return redirect("core:home")


@policy(*READERS)
@require_POST
def request_take(request: AuthenticatedHttpRequest, request_id: uuid.UUID) -> HttpResponse:
    found = get_request(request, request_id)
    if found.status == RequestStatus.OPEN:
        found.status = RequestStatus.TAKEN
        found.taken_by_id = request.user.id
        found.save(update_fields=["status", "taken_by_id"])
        audit.record_for(request, EncounterEvent.SEPARATION_UPDATED, found, object_type="separation")
    elif found.taken_by_id != request.user.id:
        messages.info(request, _("A colleague has already taken this request."))
        return redirect("core:home")
    return redirect("encounters:request_run", request_id=found.id)


def _runner(request: AuthenticatedHttpRequest, encounter: Any, found: SeparationRequest | None) -> HttpResponse:
    staff = request.user
    protocol = SeparationProtocol.for_org(staff.org_id)
    data = request.POST if request.method == "POST" else None
    form = RunForm(data, initial={"separator": staff.display_name})
    run = None
    if data is not None:
        if encounter is not None and encounter.is_closed:
            messages.error(request, _("This encounter is closed. Nothing was changed."))
            return redirect("encounters:detail", encounter_id=encounter.id)
        if form.is_valid():
            run = SeparationRun.objects.create(
                org_id=staff.org_id, encounter=encounter, request=found, by_id=staff.id, **form.cleaned_data
            )
            if found is not None:
                found.status = RequestStatus.CLOSED
                found.save(update_fields=["status"])
            audit.record_for(request, EncounterEvent.SEPARATION_UPDATED, run, object_type="separation")
            if run.outcome != Outcome.REFUSED:
                messages.success(request, _("Separation recorded."))
                if encounter is not None:
                    return redirect("encounters:gate", encounter_id=encounter.id)
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
    return TemplateResponse(request, "encounters/separation.html", context, status=400 if form.errors else 200)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_separation(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    if request.method == "GET":
        audit.record_for(request, EncounterEvent.VIEWED, encounter)
    return _runner(request, encounter, None)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def request_run(request: AuthenticatedHttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _runner(request, None, get_request(request, request_id))

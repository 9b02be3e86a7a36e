"""Every change to the separation protocol, front-desk requests and separation runs: one atomic
transaction each, with its own audit row (request rows name no person and no phrase: only ids)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from waypoint.core import audit
from waypoint.core.concurrency import lock_for_update
from waypoint.encounters.actions import EncounterClosed, Refused, set_gate
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter, Gate, Step
from waypoint.encounters.separation import (
    Outcome,
    RequestStatus,
    SeparationProtocol,
    SeparationRequest,
    SeparationRun,
)
from waypoint.encounters.separation_forms import ProtocolForm
from waypoint.orgs.models import Site, Staff
from waypoint.orgs.orientation import oriented


class TakenByColleague(Refused):
    def __init__(self) -> None:
        super().__init__(gettext("A colleague has already taken this request."))


class RequestDone(Refused):
    def __init__(self) -> None:
        super().__init__(gettext("This request is already done. Nothing was changed."))


class NotOriented(Refused):
    """Staff who have not confirmed the orientation (or are due again) do not run a separation."""

    def __init__(self) -> None:
        super().__init__(
            gettext("Please read the staff orientation before you run a separation. Nothing was recorded.")
        )


def _require_oriented(staff: Staff) -> None:
    """Asked afresh in the database, not from the banner's note in the session."""
    if not oriented(staff):
        raise NotOriented()


@transaction.atomic
def save_protocol(staff: Staff, form: ProtocolForm) -> SeparationProtocol:
    """Save the organisation's protocol and mark it reviewed by ``staff``.  Raises ``StaleVersion``
    when someone saved it since the form was opened (nothing is overwritten)."""
    protocol: SeparationProtocol = form.instance
    if protocol.pk is not None:
        lock_for_update(SeparationProtocol, protocol.pk, form.cleaned_data["version"])
    saved: SeparationProtocol = form.save(commit=False)
    saved.version += 1
    saved.reviewed_at, saved.reviewed_by_id = timezone.now(), staff.id
    saved.save()
    audit.record_by(staff, audit.Event.ORG_SETTINGS_CHANGED, staff.org)
    return saved


@transaction.atomic
def create_separation_request(staff: Staff, phrase: str, site: Site | None, room: str = "") -> SeparationRequest:
    """The front desk asks for a provider with a neutral code phrase, and where to come."""
    found = SeparationRequest.objects.create(
        org_id=staff.org_id, phrase=phrase, site=site, room=room, created_by_id=staff.id
    )
    audit.record_by(staff, EncounterEvent.SEPARATION_REQUESTED, object_type="separation")
    return found


@transaction.atomic
def take_separation_request(staff: Staff, request: SeparationRequest) -> SeparationRequest:
    """A provider takes a waiting request; taking it again is a no-op for whoever took it, and
    refused (``TakenByColleague``) for anyone else.  Taking a request is starting to run a
    separation: refused (``NotOriented``) to staff not oriented, so it stays open for a colleague."""
    _require_oriented(staff)
    found = SeparationRequest.objects.select_for_update().get(pk=request.pk)
    if found.status == RequestStatus.OPEN:
        found.status, found.taken_by_id = RequestStatus.TAKEN, staff.id
        found.save(update_fields=["status", "taken_by_id"])
        audit.record_by(staff, EncounterEvent.SEPARATION_UPDATED, found, object_type="separation")
    elif found.taken_by_id != staff.id:
        raise TakenByColleague()
    return found


@transaction.atomic
def record_separation_run(
    staff: Staff,
    data: Mapping[str, Any],
    *,
    encounter: Encounter | None = None,
    request: SeparationRequest | None = None,
) -> SeparationRun:
    """What happened when separating, from an encounter or a front-desk request (which is then done,
    unless the companion refused: the provider may try again later in the visit).  A closed encounter,
    or a request already done, refuses it.  A successful separation during an in-person encounter
    records its privacy gate as seen alone, in the same transaction and under the run's audit row.
    Refused (``NotOriented``) to staff who have not read the orientation or are due again."""
    _require_oriented(staff)
    if encounter is not None:
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.is_closed:
            raise EncounterClosed()
    if request is not None:
        request = SeparationRequest.objects.select_for_update().get(pk=request.pk)
        if request.status == RequestStatus.CLOSED:
            raise RequestDone()
    run = SeparationRun.objects.create(
        org_id=staff.org_id, encounter=encounter, request=request, by_id=staff.id, **data
    )
    if encounter is not None and run.outcome == Outcome.SEPARATED and encounter.has_step(Step.GATE):
        set_gate(staff, encounter, Gate.ALONE)
    if request is not None and run.outcome != Outcome.REFUSED:  # refused: still on it, try again later
        SeparationRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CLOSED)
    audit.record_by(staff, EncounterEvent.SEPARATION_UPDATED, run, object_type="separation")
    return run

"""What every encounter page shares: the step decorator, the audited page, and a refusal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from waypoint.content.models import read_aloud_scripts
from waypoint.core import reads
from waypoint.core.access import ViewFunc, deny
from waypoint.core.actions import Refused as BaseRefused
from waypoint.encounters.access import get_encounter
from waypoint.encounters.actions import EncounterClosed, Refused
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter, Gate, Step, StepState, StepStatus
from waypoint.orgs.http import AuthenticatedHttpRequest

EncounterView = Callable[..., HttpResponse]  # (request, encounter, **url_kwargs) -> response


def encounter_step(
    step: Step | None = None, *, refuse_closed: bool = True, saves_a_step: bool | None = None
) -> Callable[[EncounterView], ViewFunc]:
    """Open the encounter of the URL through its access rule (404 for anyone else) and hand it to
    the view.  With a ``step``: 404 when this encounter has no such step, and back to the step list
    with the reason when the step is still locked; on a closed encounter its GET is read-only (the
    form disabled by ``show``), never locked.  A POST to a closed encounter is refused before the
    view runs (unless ``refuse_closed`` is False: amendments are for closed encounters).  A view that
    saves a step (every step page; ``saves_a_step`` for others) sends a successful save back to the
    step list at the next step to do."""
    after_save = step is not None if saves_a_step is None else saves_a_step

    def decorate(view: EncounterView) -> ViewFunc:
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID, **kwargs: Any) -> HttpResponse:
            encounter = get_encounter(request, encounter_id)
            reading_back = encounter.is_closed and request.method == "GET"  # read-only, nothing is asked
            if step is not None:
                if not encounter.has_step(step):
                    deny(request, "encounter", encounter.id)
                if not reading_back and (locked := encounter.locked_reason(step)):
                    return refused(request, encounter, Refused(locked))
            if refuse_closed and request.method == "POST" and encounter.is_closed:
                return refused(request, encounter, EncounterClosed())
            response = view(request, encounter, **kwargs)
            return _to_next_step(request, encounter, response) if after_save else response

        return wrapped

    return decorate


NEXT_STEP = "next-step"  # the id of the next step's link on the step list


def _to_next_step(request: AuthenticatedHttpRequest, encounter: Encounter, response: HttpResponse) -> HttpResponse:
    """After a save, back on the step list at the next step to do (its link takes the focus), not at
    the top of the page: a redirect from a POST to the step list gets the fragment."""
    refused_change = getattr(response, "refused", False)
    if request.method != "POST" or not isinstance(response, HttpResponseRedirect) or refused_change:
        return response
    if response["Location"] == reverse("encounters:detail", kwargs={"encounter_id": encounter.id}):
        response["Location"] += f"#{NEXT_STEP}"
    return response


def next_step(encounter: Encounter, states: dict[str, StepState]) -> str | None:
    """The first step not done or skipped yet (a paused one is still to do), None when all are."""
    settled = {StepStatus.DONE, StepStatus.SKIPPED}

    def to_do(step: str) -> bool:
        if step == Step.GATE and encounter.gate == Gate.NOT_ALONE:
            return True  # "not seen alone yet" is waiting, even where an older record says done
        return step not in states or states[step].status not in settled

    return next((s for s in encounter.steps() if to_do(s)), None)


def posted(request: AuthenticatedHttpRequest) -> Any:
    """The submitted data on a POST, None on a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def saved(request: AuthenticatedHttpRequest, encounter: Encounter, change: Callable[[], object]) -> HttpResponse:
    """Run the change (an action); back to the step list, with the reason if it was refused (by this
    app or another one it asks, e.g. the contact app refusing a follow-up's channel)."""
    try:
        change()
    except BaseRefused as reason:
        return refused(request, encounter, reason)
    return redirect("encounters:detail", encounter_id=encounter.id)


def refused(
    request: AuthenticatedHttpRequest, encounter: Encounter, reason: BaseRefused, to: str = "encounters:detail"
) -> HttpResponse:
    """Say why nothing was changed, and go back (to the step list unless told otherwise, at its top
    where the reason is: not at the next step)."""
    messages.error(request, str(reason))
    response = redirect(to, encounter_id=encounter.id)
    response.refused = True  # type: ignore[attr-defined]
    return response


def show(
    request: AuthenticatedHttpRequest, template: str, encounter: Encounter, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """An encounter page: its read audit row, then the page (error re-renders included).  On a
    closed encounter a step's form is shown read-only: every control disabled, nothing to submit."""
    if encounter.is_closed and isinstance(form := context.get("form"), forms.BaseForm):
        for field in form.fields.values():
            field.disabled = True
    return reads.show(
        request,
        template,
        {"encounter": encounter, **context},
        event=EncounterEvent.VIEWED,
        obj=encounter,
        status=status,
    )


def scripts(request: AuthenticatedHttpRequest, encounter: Encounter) -> dict[str, dict[str, Any]]:
    """Read-aloud scripts in the person's language, with the staff member's beside them; a script
    with no wording in their language is shown in English and says so (``read_aloud.html`` offers
    the privacy step, where the interpreter is recorded)."""
    return read_aloud_scripts(encounter.org_id, encounter.language, request.LANGUAGE_CODE)

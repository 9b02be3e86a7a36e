"""What every encounter page shares: the step decorator, the audited page, and a refusal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from waypoint.content.models import read_aloud_scripts
from waypoint.core import reads
from waypoint.core.access import ViewFunc, deny
from waypoint.encounters.access import get_encounter
from waypoint.encounters.actions import EncounterClosed, Refused
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter, Step
from waypoint.orgs.http import AuthenticatedHttpRequest

EncounterView = Callable[..., HttpResponse]  # (request, encounter, **url_kwargs) -> response


def encounter_step(step: Step | None = None, *, refuse_closed: bool = True) -> Callable[[EncounterView], ViewFunc]:
    """Open the encounter of the URL through its access rule (404 for anyone else) and hand it to
    the view.  With a ``step``: 404 when this encounter has no such step, and back to the step list
    with the reason when the step is still locked.  A POST to a closed encounter is refused before
    the view runs (unless ``refuse_closed`` is False: amendments are for closed encounters)."""

    def decorate(view: EncounterView) -> ViewFunc:
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID, **kwargs: Any) -> HttpResponse:
            encounter = get_encounter(request, encounter_id)
            if step is not None:
                if not encounter.has_step(step):
                    deny(request, "encounter", encounter.id)
                if locked := encounter.locked_reason(step):
                    return refused(request, encounter, Refused(locked))
            if refuse_closed and request.method == "POST" and encounter.is_closed:
                return refused(request, encounter, EncounterClosed())
            return view(request, encounter, **kwargs)

        return wrapped

    return decorate


def posted(request: AuthenticatedHttpRequest) -> Any:
    """The submitted data on a POST, None on a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def saved(request: AuthenticatedHttpRequest, encounter: Encounter, change: Callable[[], object]) -> HttpResponse:
    """Run the change (an action); back to the step list, with the reason if it was refused."""
    try:
        change()
    except Refused as reason:
        return refused(request, encounter, reason)
    return redirect("encounters:detail", encounter_id=encounter.id)


def refused(
    request: AuthenticatedHttpRequest, encounter: Encounter, reason: Refused, to: str = "encounters:detail"
) -> HttpResponse:
    """Say why nothing was changed, and go back (to the step list unless told otherwise)."""
    messages.error(request, str(reason))
    return redirect(to, encounter_id=encounter.id)


def show(
    request: AuthenticatedHttpRequest, template: str, encounter: Encounter, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """An encounter page: its read audit row, then the page (error re-renders included)."""
    return reads.show(
        request,
        template,
        {"encounter": encounter, **context},
        event=EncounterEvent.VIEWED,
        obj=encounter,
        status=status,
    )


def scripts(request: AuthenticatedHttpRequest, encounter: Encounter) -> dict[str, dict[str, str]]:
    """Read-aloud scripts in the person's language, with the staff member's beside them."""
    return read_aloud_scripts(encounter.org_id, encounter.language, request.LANGUAGE_CODE)

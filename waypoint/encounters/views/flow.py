"""The encounter itself: start, the step list, skip or pause a step, the comfort log, close, amend."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.encounters import actions
from waypoint.encounters.actions import EncounterClosed, Refused
from waypoint.encounters.forms import AmendmentForm, ComfortForm, StartForm, StepStateForm
from waypoint.encounters.models import Encounter, Mode, Step
from waypoint.encounters.separation import SeparationProtocol
from waypoint.encounters.views.common import encounter_step, next_step, refused, scripts, show
from waypoint.encounters.views.separation import separation_choices
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.events import PersonEvent
from waypoint.plans.access import plans_for

# The keyboard shortcuts of the step list, for its help (the keys themselves are in static/shortcuts.js).
SHORTCUTS = (
    ("next-step", gettext_lazy("Open the next step")),
    ("danger", gettext_lazy("In danger here")),
    ("injured", gettext_lazy("Injured")),
    ("check-in", gettext_lazy("Check-in words")),
    ("grounding", gettext_lazy("Grounding")),
    ("breathing", gettext_lazy("Breathing")),
    ("exit", gettext_lazy("Exit")),
)
USUAL_OF = 20  # the start form pre-selects the most frequent way of meeting among this many recent encounters


def _start_initial(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """Fewer clicks to start: the staff member's last site (or the organisation's only one) and the
    way they usually meet people are chosen already; both can be changed."""
    staff = request.user
    initial: dict[str, Any] = {"form_token": uuid.uuid4()}
    if staff.last_site_id is not None:
        initial["site"] = staff.last_site_id
    elif len(sites := list(staff.org.sites.values_list("id", flat=True)[:2])) == 1:
        initial["site"] = sites[0]
    recent = list(staff.led_encounters.order_by("-started_at").values_list("mode", flat=True)[:USUAL_OF])
    # Their usual way of meeting (the most frequent lately; a tie goes to the latest), else in person.
    initial["mode"] = max(set(recent), key=lambda m: (recent.count(m), -recent.index(m))) if recent else Mode.IN_PERSON
    return initial


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_start(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    initial = _start_initial(request)
    separations = separation_choices(request, initial)  # a separation run from the front desk to link
    form = StartForm(request.POST or None, org_id=request.user.org_id, initial=initial, separations=separations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            encounter = actions.start_encounter(
                request.user, person, mode=data["mode"], site=data["site"], token=data.get("form_token"),
                separation=data.get("separation"),
            )  # fmt: skip
        except Refused as reason:  # the separation was linked meanwhile: say so, keep what was chosen
            form.add_error("separation" if "separation" in form.fields else None, str(reason))
        else:  # a call starts with the hang-up reminder and "is it safe to speak right now?"
            first = "encounters:safe_to_talk" if encounter.is_call else "encounters:detail"
            return redirect(first, encounter_id=encounter.id)
    context = {"form": form, "person": person}
    status = 400 if form.errors else 200
    return reads.show(request, "encounters/start.html", context, event=PersonEvent.VIEWED, obj=person, status=status)


@policy(*READERS)
@require_GET
@encounter_step()
def encounter_detail(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    states = encounter.step_status()
    steps = [
        {"key": s, "label": Step(s).label, "state": states.get(s), "url": f"encounters:{s}"} for s in encounter.steps()
    ]
    context = {
        "steps": steps,
        # "not seen alone yet" is recorded but does not settle Privacy (older rows say done): computed
        "gate_waiting": Step.GATE in states and not encounter.gate_passed,
        "next_step": None if encounter.is_closed else next_step(encounter, states),
        "shortcuts": SHORTCUTS,
        "comfort": encounter.comfort_events.all(),
        "comfort_form": ComfortForm(),
        "scripts": scripts(request, encounter),
        "answers": encounter.answers.select_related("content_set").order_by("at"),
        "amendments": encounter.amendments.all(),
        "amendment_form": AmendmentForm(),
        "glossary": encounter.person.glossary,
        "plan": plans_for(request.user).filter(person_id=encounter.person_id).only("id").first(),
        "check_in_seconds": SeparationProtocol.for_org(encounter.org_id).check_in_minutes * 60,
    }
    return show(request, "encounters/detail.html", encounter, context)


@policy(*READERS)
@require_POST
@encounter_step(saves_a_step=True)
def encounter_step_state(request: AuthenticatedHttpRequest, encounter: Encounter, step: str) -> HttpResponse:
    form = StepStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a short reason to skip or pause a step."))
        return redirect("encounters:detail", encounter_id=encounter.id)
    try:
        actions.set_step_state(request.user, encounter, step, form.cleaned_data["status"], form.cleaned_data["reason"])
    except Refused as reason:
        return refused(request, encounter, reason)
    return redirect("encounters:detail", encounter_id=encounter.id)


@policy(*READERS)
@require_POST
@encounter_step()
def encounter_comfort(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    form = ComfortForm(request.POST)
    if form.is_valid():
        try:
            actions.add_comfort_event(request.user, encounter, form.cleaned_data["kind"])
        except Refused as reason:
            return refused(request, encounter, reason)
    return redirect("encounters:detail", encounter_id=encounter.id)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@encounter_step()
def encounter_close(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    if request.method == "POST":
        try:
            actions.close_encounter(request.user, encounter)
        except EncounterClosed as reason:
            return refused(request, encounter, reason)
        except Refused as reason:  # what blocks closing: back to the check page, which says it
            return refused(request, encounter, reason, to="encounters:close")
        messages.success(request, _("Encounter closed and locked."))
        return redirect("encounters:detail", encounter_id=encounter.id)
    states = encounter.step_status()
    context = {
        "rows": [{"key": s, "label": Step(s).label, "state": states.get(s)} for s in encounter.steps()],
        "gate_waiting": Step.GATE in states and not encounter.gate_passed,  # as on the step list
        "comfort": encounter.comfort_events.all(),
        "answers": encounter.answers.all(),
        "blocker": encounter.close_blocker(),
    }
    return show(request, "encounters/close.html", encounter, context)


@policy(*READERS)
@require_POST
@encounter_step(refuse_closed=False)
def encounter_amend(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    """Corrections to a closed encounter are added as amendments; the original is never edited."""
    form = AmendmentForm(request.POST)
    if blocker := encounter.amend_blocker():
        messages.error(request, blocker)
    elif not form.is_valid():
        messages.error(request, _("Write the correction (up to 2,000 characters)."))
    else:
        try:
            actions.amend_encounter(request.user, encounter, form.cleaned_data["text"])
        except Refused as reason:
            return refused(request, encounter, reason)
        messages.success(request, _("Amendment added."))
    return redirect("encounters:detail", encounter_id=encounter.id)

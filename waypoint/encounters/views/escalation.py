"""Where the safety check sends the provider at once: in danger here, injured, not safe to talk."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.contact.access import rules_for
from waypoint.contact.display import answering_summary
from waypoint.contact.guard import usable_choices
from waypoint.core.access import policy
from waypoint.encounters import actions
from waypoint.encounters.forms import CallbackForm, EmergencyCallForm
from waypoint.encounters.models import Encounter
from waypoint.encounters.separation import CONTACTS, LAW_ENFORCEMENT, SeparationProtocol
from waypoint.encounters.views.common import encounter_step, posted, saved, scripts, show
from waypoint.orgs.discretion import phone_emergency_steps
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS


@policy(*READERS)
@require_GET
@encounter_step()
def encounter_danger(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    """In danger: the steps at once, for a call (the organisation's steps for a call, set on its
    discretion page, or Waypoint's: stay on the line...) or in person (the separation protocol's
    steps, the organisation's own or Waypoint's in the reader's language), then who to call:
    911 and the hotline always, and the organisation's contacts it has filled in (never a placeholder;
    security only in person)."""
    protocol = SeparationProtocol.for_org(encounter.org_id)
    on_call = encounter.is_call
    steps = phone_emergency_steps(request.user.org) if on_call else protocol.shown_lines("emergency_steps")
    context = {
        "steps": steps,
        "contacts": protocol.filled_contacts(LAW_ENFORCEMENT if on_call else CONTACTS),
        "contacts_missing": protocol.contacts_missing,
    }
    return show(request, "encounters/danger.html", encounter, context)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@encounter_step()
def encounter_injured(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    """Injured: offer 911 or an ambulance and record their choice."""
    form = EmergencyCallForm(posted(request), initial={"emergency_call": encounter.emergency_call})
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["emergency_call"]
        return saved(request, encounter, lambda: actions.record_emergency_call(request.user, encounter, choice))
    return show(request, "encounters/injured.html", encounter, {"form": form}, status=400 if form.errors else 200)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@encounter_step()
def encounter_cover(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    """Not safe to talk: the agreed cover identity and a closing line fill the screen; then, if they
    said how, record when and how to call back."""
    rules = rules_for(request.user).filter(person_id=encounter.person_id).first()
    channels = usable_choices(rules)
    usable = [channel for channel, _label in channels]
    best = rules.best_way if rules is not None and rules.best_way in usable else (usable[0] if usable else "")
    initial = {"callback_plan": encounter.callback_plan, "due_on": timezone.localdate(), "channel": best}
    form = CallbackForm(posted(request), initial=initial, channels=channels)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        return saved(
            request, encounter,
            lambda: actions.record_callback_plan(
                request.user, encounter, data["callback_plan"], data["channel"], data["due_on"]
            ),
        )  # fmt: skip
    context = {
        "form": form,
        "rules": rules,
        "answering": answering_summary(rules),
        "any_channel": bool(channels),
        "closing": scripts(request, encounter)["cover_closing"],
    }
    return show(request, "encounters/cover.html", encounter, context, status=400 if form.errors else 200)

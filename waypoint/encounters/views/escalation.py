"""Where the safety check sends the provider at once: in danger here, injured, not safe to talk."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.contact.access import rules_for, tasks_for
from waypoint.contact.display import answering_summary
from waypoint.contact.guard import usable_choices
from waypoint.contact.models import FollowUpTask
from waypoint.core.access import policy
from waypoint.core.actions import Refused
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
    said how, record when and how to call back.  The first save puts one follow-up on the list (on a
    way their rules allow, or with no way of contacting them when they allow none); once it exists
    the page shows it and a later save changes only the words kept on the call.  Saved words are
    shown only to the record's assigned staff and supervisors; anyone else sees that they are held,
    and their save keeps them."""
    rules = rules_for(request.user).filter(person_id=encounter.person_id).first()
    task = _callback_task(request, encounter)
    channels = usable_choices(rules) if task is None else []
    usable = [channel for channel, _label in channels]
    best = rules.best_way if rules is not None and rules.best_way in usable else (usable[0] if usable else "")
    held = actions.callback_plan_held(request.user, encounter)  # their words: shown as held, never filled in
    plan = "" if held else encounter.callback_plan
    initial = {"callback_plan": plan, "due_on": timezone.localdate(), "channel": best}
    form = CallbackForm(posted(request), initial=initial, channels=channels, follow_up=task is None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = actions.record_callback_plan(
                request.user, encounter, data["callback_plan"], data.get("channel", ""), data.get("due_on"),
                # The page had no channel to choose (their rules allowed none then): it promised a
                # follow-up with none, and keeps that promise if a channel was allowed meanwhile.
                no_channel_offered=task is None and "channel" not in request.POST,
            )  # fmt: skip
        except Refused as reason:  # e.g. the rules changed meanwhile: the form again, nothing typed lost
            form.add_error(None, str(reason))
        else:
            if task is not None:
                said = _(
                    "Callback plan saved. The follow-up made from this call before is left as it is: no second one."
                )
            elif recorded.callback_task_id is not None:
                said = _("Callback plan saved. A follow-up is on the list.")
            else:
                said = _("Callback plan saved.")
            messages.success(request, said)
            return redirect("encounters:detail", encounter_id=encounter.id)
    context = {
        "form": form,
        "rules": rules,
        "answering": answering_summary(rules),
        "any_channel": bool(channels),
        "task": task,
        "callback_held": held,
        "closing": scripts(request, encounter)["cover_closing"],
    }
    return show(request, "encounters/cover.html", encounter, context, status=400 if form.errors else 200)


def _callback_task(request: AuthenticatedHttpRequest, encounter: Encounter) -> FollowUpTask | None:
    """The follow-up this call's callback plan made, if this staff member may see it."""
    task = actions.callback_task(encounter)
    return tasks_for(request.user).filter(pk=task.pk).first() if task is not None else None

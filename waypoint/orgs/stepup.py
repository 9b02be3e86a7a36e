"""Step-up inside a form: a save that needs a recent step-up, after the five minutes ran out, shows
password and code fields beside what was typed (nothing is lost), and goes through once they match.

Used by pages that edit secrets (the plan's device item, the contact rules page)."""

from __future__ import annotations

from django.http import HttpRequest

from waypoint.orgs import actions
from waypoint.orgs.auth import step_up_is_recent
from waypoint.orgs.forms import STEP_UP_FAILED, StepUpForm


def inline_form(request: HttpRequest) -> StepUpForm | None:
    """The confirm fields for a POST that needs a step-up and has none (None when it is recent)."""
    if request.method != "POST" or step_up_is_recent(request):
        return None
    return StepUpForm(request.POST if "confirm-password" in request.POST else None, prefix="confirm")


def confirmed(request: HttpRequest, confirm: StepUpForm | None) -> bool:
    """Whether the save may go on: no step-up was needed, or the password and code typed with it
    confirm it is still the same person."""
    if confirm is None:
        return True
    if not confirm.is_valid():
        return False
    password, code = confirm.cleaned_data["password"], confirm.cleaned_data["code"]
    if actions.confirm_step_up(request, request.user, password, code):  # type: ignore[arg-type]
        return True
    confirm.add_error(None, STEP_UP_FAILED)
    return False

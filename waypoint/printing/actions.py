"""Every change printing makes, each one atomic with its own audit row: the safe-to-carry answer
(with the parts the person chose), the things they chose to remember, and each print of the plan
or the wallet card.

A print is one short transaction: the gate is checked again under the plan's lock (the carry
answer, its age, a later safety check that said paper or resources are not safe) and the print's
audit row is written; a refusal writes its own row, committed before ``PrintRefused`` is raised.
The PDF is rendered only after that transaction has committed, outside any transaction, so no
one waits on the database while it renders."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waypoint.core import audit
from waypoint.orgs.models import Staff
from waypoint.plans.events import PlanEvent
from waypoint.plans.models import Carry, SafetyPlan
from waypoint.printing import render
from waypoint.printing.events import PrintEvent
from waypoint.printing.safety import carry_state


class Paper(StrEnum):
    NOTES = "notes"  # the plan (its file is called notes.pdf: nothing on it says what it is)
    CARD = "card"


PRINTED = {Paper.NOTES: PrintEvent.PLAN_PRINTED, Paper.CARD: PrintEvent.CARD_PRINTED}


class PrintRefused(Exception):
    """Nothing is printed: ``message`` says why and what to do, ``status`` is the page's status."""

    def __init__(self, plan: SafetyPlan, message: str, status: int) -> None:
        super().__init__(message)
        self.plan = plan
        self.message = message
        self.status = status


@transaction.atomic
def record_carry(staff: Staff, plan: SafetyPlan, carry: str, sections: Sequence[str]) -> SafetyPlan:
    """The person's answer to "is it safe to carry paper?", and the parts they want on paper (none
    when it is not safe).  A "safe" answer lets printing go ahead for the next hour."""
    current = SafetyPlan.objects.select_for_update().get(pk=plan.pk)
    current.carry = carry
    current.carry_recorded_at, current.carry_recorded_by_id = timezone.now(), staff.id
    current.print_sections = list(sections) if carry == Carry.SAFE else []
    current.save(update_fields=["carry", "carry_recorded_at", "carry_recorded_by_id", "print_sections", "updated_at"])
    audit.record_by(staff, PrintEvent.CARRY_RECORDED, current)
    return current


@transaction.atomic
def choose_memorise_items(staff: Staff, plan: SafetyPlan, items: Sequence[str]) -> SafetyPlan:
    """What the person chose to remember instead of carrying paper (item keys only, never text)."""
    current = SafetyPlan.objects.select_for_update().get(pk=plan.pk)
    current.memorise_items = list(items)
    current.save(update_fields=["memorise_items", "updated_at"])
    audit.record_by(staff, PlanEvent.UPDATED, current)
    return current


def print_refusal(plan: SafetyPlan, paper: Paper, choices: Sequence[str] | None, can_render: bool) -> tuple[str, int]:
    """Why this print may not go ahead ('' when it may), and the status of the page that says so.
    ``choices`` are what the form chose (None when the form was not valid)."""
    if not carry_state(plan).may_print:
        return _("Printing is off: they said carrying paper is not safe, or nobody asked in the last hour."), 409
    if choices is None and paper == Paper.NOTES:
        return _("Choose the parts, the layout and the language again."), 400
    if choices is None:
        return _("Choose the contacts and the language again."), 400
    if paper == Paper.NOTES and not set(choices) <= set(plan.print_sections):
        return _("Only the parts they chose can be printed. Ask them again first."), 400
    if not can_render:
        return _("This server cannot make PDFs yet. Ask your administrator."), 503
    return "", 200


def print_paper(staff: Staff, plan: SafetyPlan, paper: Paper, choices: Sequence[str] | None) -> SafetyPlan:
    """Check the gate again and record the print (or its refusal) in one short transaction; returns
    the plan as locked, for rendering after the commit.  Raises ``PrintRefused`` after committing
    the refusal's audit row."""
    can_render = render.available()  # before the transaction: loading the renderer is slow
    with transaction.atomic(durable=True):  # a top-level transaction, committed before rendering
        current = SafetyPlan.objects.select_for_update().select_related("org", "person").get(pk=plan.pk)
        message, status = print_refusal(current, paper, choices, can_render)
        audit.record_by(staff, PrintEvent.REFUSED if message else PRINTED[paper], current)
    if message:
        raise PrintRefused(current, message, status)
    return current

"""Every change printing makes, each one atomic with its own audit row: the safe-to-carry answer
(with the parts the person chose), the things they chose to remember, and each print of the plan
or the wallet card; and the signs: each download, and the languages an org admin adds to them.

A print is one short transaction: the gate is checked again under the plan's lock (the carry
answer, its age, a later safety check that said paper or resources are not safe) and the print's
audit row is written; a refusal writes its own row, committed before ``PrintRefused`` is raised.
The PDF is rendered only after that transaction has committed, outside any transaction, so no
one waits on the database while it renders."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waypoint.core import audit
from waypoint.core.concurrency import lock_for_update, previous_result, remember_result
from waypoint.orgs.models import Staff
from waypoint.plans.events import PlanEvent
from waypoint.plans.models import Carry, SafetyPlan
from waypoint.printing import render
from waypoint.printing.access import SIGN_LANGUAGE
from waypoint.printing.events import PrintEvent, SignEvent
from waypoint.printing.models import SignTranslation
from waypoint.printing.safety import carry_state
from waypoint.printing.sign_forms import SignTranslationForm


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


# --- Signs ---------------------------------------------------------------------------------------


class LanguageTaken(Exception):
    """Another save added the same language code at the same moment."""


@transaction.atomic(durable=True)  # committed before the PDF renders
def record_sign_printed(staff: Staff) -> None:
    """A sign was downloaded: its audit row names no object (a sign holds nobody's data).  Written
    and committed before the PDF renders, outside any transaction."""
    audit.record_by(staff, SignEvent.PRINTED, object_type="sign")


def add_sign_language(staff: Staff, form: SignTranslationForm) -> SignTranslation | None:
    """Add a language to the organisation's signs.  A second submit of the same form (same token)
    adds nothing and returns None; the same code saved by someone else at the same moment raises
    ``LanguageTaken``."""
    try:
        return _add_sign_language_once(staff, form)
    except IntegrityError as error:
        if previous_result(staff.id, form.cleaned_data.get("form_token"), SIGN_LANGUAGE) is not None:
            return None
        raise LanguageTaken() from error


@transaction.atomic
def _add_sign_language_once(staff: Staff, form: SignTranslationForm) -> SignTranslation | None:
    token = form.cleaned_data.get("form_token")
    if previous_result(staff.id, token, SIGN_LANGUAGE) is not None:
        return None
    added = form.save(commit=False)
    added.org_id = staff.org_id
    added.save()
    remember_result(staff.id, token, SIGN_LANGUAGE, added.id)
    audit.record_by(staff, SignEvent.LANGUAGE_SAVED, added)
    return added


def update_sign_language(staff: Staff, form: SignTranslationForm) -> SignTranslation:
    """Save the edited language over the version it was opened at.  Raises ``StaleVersion`` (with
    the saved one) when someone saved in between, ``LanguageTaken`` when its new code was just
    added by someone else."""
    try:
        return _update_sign_language(staff, form)
    except IntegrityError as error:
        raise LanguageTaken() from error


@transaction.atomic
def _update_sign_language(staff: Staff, form: SignTranslationForm) -> SignTranslation:
    current = lock_for_update(SignTranslation, form.instance.pk, form.cleaned_data.get("version") or 0)
    if current.org_id != staff.org_id:  # the access module already refused it; never trust a caller
        raise SignTranslation.DoesNotExist()
    edited = form.save(commit=False)
    edited.version = current.version + 1
    edited.save()
    audit.record_by(staff, SignEvent.LANGUAGE_SAVED, edited)
    return edited


@transaction.atomic
def delete_sign_language(staff: Staff, added: SignTranslation) -> None:
    """Remove an added language (its signs are no longer offered)."""
    current = SignTranslation.objects.select_for_update().filter(pk=added.pk, org_id=staff.org_id).first()
    if current is None:
        return  # already removed (a second click): nothing to do, nothing to record
    audit.record_by(staff, SignEvent.LANGUAGE_DELETED, current)
    current.delete()

"""Printing and memorising.  Every print checks the safe-to-carry gate (in
``waypoint.printing.actions.print_paper``, with its audit row, in one short transaction); when
carrying is not safe (or not asked) no route produces a PDF, and each refusal is audited.  A PDF
holds only the sections the person chose, and is rendered after that transaction, outside any.

Every export (the plan PDF, the wallet card) and the things-to-remember screen (contacts and the safe
word on screen) need a step-up within the last five minutes; without one they send the user to
confirm it is you, render nothing and write nothing.  Access is checked first, so another
organisation's plan is still a plain 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.contact.access import may_hold_secrets, rules_for
from waypoint.contact.models import ContactRules
from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.orgs.auth import require_step_up, step_up_is_recent
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS
from waypoint.plans.access import get_plan
from waypoint.plans.events import PlanEvent
from waypoint.plans.models import Carry, Layout, SafetyPlan
from waypoint.printing import actions
from waypoint.printing.actions import Paper, PrintRefused
from waypoint.printing.events import PrintEvent
from waypoint.printing.forms import CardForm, CarryForm, MemoriseForm, PrintForm, print_languages
from waypoint.printing.layout import (
    HOTLINE_CALL,
    HOTLINE_TEXT,
    card_contacts,
    memorise_choices,
    printable,
    section_choices,
)
from waypoint.printing.render import render_pdf
from waypoint.printing.safety import carry_state


def _paper_language(plan: SafetyPlan, request: AuthenticatedHttpRequest) -> str:
    codes = [code for code, _name in print_languages()]
    return plan.person.preferred_language if plan.person.preferred_language in codes else request.LANGUAGE_CODE


def _rules(request: AuthenticatedHttpRequest, plan: SafetyPlan) -> ContactRules | None:
    """The person's contact rules: the device item's battery plan prints from them."""
    return rules_for(request.user).filter(person_id=plan.person_id).first()


def _card_choices(content: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(n), " · ".join(p for p in (c.get("name"), c.get("number")) if p))
        for n, c in enumerate(card_contacts(content))
    ]


def _print_context(request: AuthenticatedHttpRequest, plan: SafetyPlan, **extra: Any) -> dict[str, Any]:
    content = plan.content
    all_choices = section_choices(content, _rules(request, plan))
    chosen = [(key, label) for key, label in all_choices if key in plan.print_sections]
    language = _paper_language(plan, request)
    context = {
        "plan": plan,
        "person": plan.person,
        "carry": carry_state(plan),
        "carry_form": CarryForm(initial={"sections": plan.print_sections}, choices=all_choices),
        "print_form": PrintForm(
            initial={"sections": [k for k, _l in chosen], "layout": Layout.DISCREET, "language": language},
            choices=chosen,
        ),
        "card_form": CardForm(initial={"language": language}, choices=_card_choices(content)),
        "has_sections": bool(all_choices),
        "step_up_needed": not step_up_is_recent(request),
    }
    return context | extra


def _refused(request: AuthenticatedHttpRequest, refusal: PrintRefused) -> HttpResponse:
    """The print page again, saying why nothing was printed (the refusal's own row is written)."""
    context = _print_context(request, refusal.plan, refusal=refusal.message)
    return reads.show(
        request, "printing/print.html", context, event=PrintEvent.PRINT_VIEWED, obj=refusal.plan, status=refusal.status
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def print_setup(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Ask whether carrying paper is safe, and which parts the person wants; record both."""
    plan = get_plan(request, plan_id)
    if request.method == "GET":
        return reads.show(
            request, "printing/print.html", _print_context(request, plan), event=PlanEvent.VIEWED, obj=plan
        )
    form = CarryForm(request.POST, choices=section_choices(plan.content, _rules(request, plan)))
    if not form.is_valid():
        context = _print_context(request, plan, carry_form=form)
        return reads.show(request, "printing/print.html", context, event=PlanEvent.VIEWED, obj=plan, status=400)
    plan = actions.record_carry(request.user, plan, form.cleaned_data["carry"], form.cleaned_data["sections"])
    if plan.carry == Carry.UNSAFE:
        messages.info(request, _("Nothing will be printed. Choose a few things to remember instead."))
        return redirect("printing:memorise", plan_id=plan.id)
    messages.success(request, _("Recorded. Their chosen parts are ready to print."))
    return redirect("printing:setup", plan_id=plan.id)


def _pdf(pdf: bytes, paper: Paper) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{paper.value}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@policy(*READERS)
@require_POST
def print_plan(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The chosen parts on paper, after a recent step-up."""
    return require_step_up(_print_plan)(request, get_plan(request, plan_id))  # type: ignore[no-any-return]


def _print_plan(request: AuthenticatedHttpRequest, plan: SafetyPlan) -> HttpResponse:
    """The gate and the audit row commit first; the PDF renders after."""
    content = plan.content
    rules = _rules(request, plan)
    form = PrintForm(request.POST, choices=section_choices(content, rules))
    sections = form.cleaned_data["sections"] if form.is_valid() else None
    try:
        printed = actions.print_paper(request.user, plan, Paper.NOTES, sections)
    except PrintRefused as refusal:
        return _refused(request, refusal)
    discreet = form.cleaned_data["layout"] == Layout.DISCREET
    context = {  # from the plan as it was when the gate was checked, not as this request first read it
        "blocks": printable(printed.content, sections or [], discreet, rules),
        "discreet": discreet,
        "org_name": printed.org.name,
    }
    return _pdf(render_pdf("printing/plan_pdf.html", context, form.cleaned_data["language"]), Paper.NOTES)


@policy(*READERS)
@require_POST
def print_card(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The wallet card, after a recent step-up."""
    return require_step_up(_print_card)(request, get_plan(request, plan_id))  # type: ignore[no-any-return]


def _print_card(request: AuthenticatedHttpRequest, plan: SafetyPlan) -> HttpResponse:
    """The help line and only the contacts they chose.  Rendered after the commit."""
    content = plan.content
    form = CardForm(request.POST, choices=_card_choices(content))
    chosen = form.cleaned_data["contacts"] if form.is_valid() else None
    try:
        printed = actions.print_paper(request.user, plan, Paper.CARD, chosen)
    except PrintRefused as refusal:
        return _refused(request, refusal)
    contacts = card_contacts(printed.content)  # as it was when the gate was checked
    context = {"contacts": [contacts[int(n)] for n in chosen or []], "call": HOTLINE_CALL, "text": HOTLINE_TEXT}
    return _pdf(render_pdf("printing/card_pdf.html", context, form.cleaned_data["language"]), Paper.CARD)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def memorise(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Instead of paper: the few things the person chooses to remember, in large type.  It shows
    contacts and the safe word, so it needs a recent step-up like an export."""
    return require_step_up(_memorise)(request, get_plan(request, plan_id))  # type: ignore[no-any-return]


def _memorise(request: AuthenticatedHttpRequest, plan: SafetyPlan) -> HttpResponse:
    rules = _rules(request, plan) if may_hold_secrets(request.user, plan.person) else None
    choices = memorise_choices(plan.content, rules)
    data = request.POST if request.method == "POST" else None
    form = MemoriseForm(data, choices=choices, initial={"items": plan.memorise_items})
    context: dict[str, Any] = {"plan": plan, "person": plan.person, "form": form, "items": []}
    if request.method == "POST":
        if not form.is_valid():
            return reads.show(
                request, "printing/memorise.html", context, event=PrintEvent.MEMORISE_VIEWED, obj=plan, status=400
            )
        kept = [key for key in plan.memorise_items if key == "safe_word" and rules is None]  # not theirs to drop
        actions.choose_memorise_items(request.user, plan, [*form.cleaned_data["items"], *kept])
        return redirect("printing:memorise", plan_id=plan.id)
    labels = dict(choices)
    context["items"] = [labels[key] for key in plan.memorise_items if key in labels]
    context["carry"] = carry_state(plan)
    return reads.show(request, "printing/memorise.html", context, event=PrintEvent.MEMORISE_VIEWED, obj=plan)

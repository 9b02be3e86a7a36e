"""Printing and memorising.  Every route here checks the safe-to-carry gate first; when carrying is
not safe (or not asked) no route produces a PDF, and each refusal is audited.  A PDF holds only
the sections the person chose, and each print or download writes an audit row."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS
from waypoint.plans.access import get_plan
from waypoint.plans.events import PlanEvent
from waypoint.plans.models import Carry, Layout, SafetyPlan
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
from waypoint.printing.render import PrintingUnavailable, render_pdf
from waypoint.printing.safety import carry_state


def _paper_language(plan: SafetyPlan, request: AuthenticatedHttpRequest) -> str:
    codes = [code for code, _name in print_languages()]
    return plan.person.preferred_language if plan.person.preferred_language in codes else request.LANGUAGE_CODE


def _card_choices(content: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(n), " · ".join(p for p in (c.get("name"), c.get("number")) if p))
        for n, c in enumerate(card_contacts(content))
    ]


def _print_context(request: AuthenticatedHttpRequest, plan: SafetyPlan, **extra: Any) -> dict[str, Any]:
    content = plan.content
    all_choices = section_choices(content)
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
    }
    context.update(extra)
    return context


def _refuse(request: AuthenticatedHttpRequest, plan: SafetyPlan, message: str, status: int) -> HttpResponse:
    audit.record_for(request, PrintEvent.REFUSED, plan)
    return TemplateResponse(
        request, "printing/print.html", _print_context(request, plan, refusal=message), status=status
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def print_setup(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Ask whether carrying paper is safe, and which parts the person wants; record both."""
    plan = get_plan(request, plan_id)
    if request.method == "GET":
        audit.record_for(request, PlanEvent.VIEWED, plan)
        return TemplateResponse(request, "printing/print.html", _print_context(request, plan))
    form = CarryForm(request.POST, choices=section_choices(plan.content))
    if not form.is_valid():
        context = _print_context(request, plan)
        context["carry_form"] = form
        return TemplateResponse(request, "printing/print.html", context, status=400)
    plan.carry = form.cleaned_data["carry"]
    plan.carry_recorded_at, plan.carry_recorded_by_id = timezone.now(), request.user.id
    plan.print_sections = form.cleaned_data["sections"] if plan.carry == Carry.SAFE else []
    plan.save(update_fields=["carry", "carry_recorded_at", "carry_recorded_by_id", "print_sections", "updated_at"])
    audit.record_for(request, PrintEvent.CARRY_RECORDED, plan)
    if plan.carry == Carry.UNSAFE:
        messages.info(request, _("Nothing will be printed. Choose a few things to remember instead."))
        return redirect("printing:memorise", plan_id=plan.id)
    messages.success(request, _("Recorded. Their chosen parts are ready to print."))
    return redirect("printing:setup", plan_id=plan.id)


def _send_pdf(
    request: AuthenticatedHttpRequest,
    plan: SafetyPlan,
    template: str,
    context: dict[str, Any],
    language: str,
    kind: str,
) -> HttpResponse:
    """Render, audit and send one PDF; the gate and the person's choices were checked by the caller."""
    try:
        pdf = render_pdf(template, context, language)
    except PrintingUnavailable:
        return _refuse(request, plan, _("This server cannot make PDFs yet. Ask your administrator."), 503)
    audit.record_for(request, PrintEvent.PLAN_PRINTED if kind == "notes" else PrintEvent.CARD_PRINTED, plan)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{kind}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _gate(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> tuple[SafetyPlan, HttpResponse | None]:
    """The plan, and a refusal unless the person said carrying paper is safe (in the last hour)."""
    plan = get_plan(request, plan_id)
    if carry_state(plan).may_print:
        return plan, None
    message = _("Printing is off: they said carrying paper is not safe, or nobody asked in the last hour.")
    return plan, _refuse(request, plan, message, 409)


@policy(*READERS)
@require_POST
def print_plan(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan, refused = _gate(request, plan_id)
    if refused is not None:
        return refused
    content = plan.content
    form = PrintForm(request.POST, choices=section_choices(content))
    if not form.is_valid():
        return _refuse(request, plan, _("Choose the parts, the layout and the language again."), 400)
    sections = form.cleaned_data["sections"]
    if not set(sections) <= set(plan.print_sections):
        return _refuse(request, plan, _("Only the parts they chose can be printed. Ask them again first."), 400)
    discreet = form.cleaned_data["layout"] == Layout.DISCREET
    context = {"blocks": printable(content, sections, discreet), "discreet": discreet, "org_name": plan.org.name}
    return _send_pdf(request, plan, "printing/plan_pdf.html", context, form.cleaned_data["language"], "notes")


@policy(*READERS)
@require_POST
def print_card(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan, refused = _gate(request, plan_id)
    if refused is not None:
        return refused
    content = plan.content
    form = CardForm(request.POST, choices=_card_choices(content))
    if not form.is_valid():
        return _refuse(request, plan, _("Choose the contacts and the language again."), 400)
    contacts = card_contacts(content)
    context = {
        "contacts": [contacts[int(n)] for n in form.cleaned_data["contacts"]],
        "call": HOTLINE_CALL,
        "text": HOTLINE_TEXT,
    }
    return _send_pdf(request, plan, "printing/card_pdf.html", context, form.cleaned_data["language"], "card")


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def memorise(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """Instead of paper: the few things the person chooses to remember, in large type."""
    plan = get_plan(request, plan_id)
    choices = memorise_choices(plan.content)
    data = request.POST if request.method == "POST" else None
    form = MemoriseForm(data, choices=choices, initial={"items": plan.memorise_items})
    if request.method == "POST":
        if not form.is_valid():
            context = {"plan": plan, "person": plan.person, "form": form, "items": []}
            return TemplateResponse(request, "printing/memorise.html", context, status=400)
        plan.memorise_items = form.cleaned_data["items"]
        plan.save(update_fields=["memorise_items", "updated_at"])
        audit.record_for(request, PlanEvent.UPDATED, plan)
        return redirect("printing:memorise", plan_id=plan.id)
    audit.record_for(request, PrintEvent.MEMORISE_VIEWED, plan)
    labels = dict(choices)
    items = [labels[key] for key in plan.memorise_items if key in labels]
    context = {"plan": plan, "person": plan.person, "form": form, "items": items, "carry": carry_state(plan)}
    return TemplateResponse(request, "printing/memorise.html", context)

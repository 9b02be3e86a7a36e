"""The encounter flow: start, the step list, privacy gate, confidentiality, safety check, comfort
log, skip or pause, close.  Every read is audited; a closed encounter refuses changes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.contact.models import ContactRules
from waypoint.content.models import ContentSet, read_aloud_scripts
from waypoint.content.source import PHONE
from waypoint.core import audit
from waypoint.core.access import deny, policy
from waypoint.core.concurrency import previous_result, remember_result
from waypoint.encounters.access import get_encounter
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.forms import (
    AmendmentForm,
    AssessmentForm,
    CallbackForm,
    ComfortForm,
    ConsentForm,
    EducationForm,
    EmergencyCallForm,
    GateForm,
    MinorForm,
    NeedsForm,
    SafetyCheckForm,
    StartForm,
    StepStateForm,
)
from waypoint.encounters.models import (
    Amendment,
    ChildProtectionReport,
    ComfortEvent,
    Domain,
    DomainAssessment,
    EmergencyNeed,
    Encounter,
    NeedKind,
    SafetyAnswer,
    Step,
    StepState,
    StepStatus,
)
from waypoint.encounters.separation import SeparationProtocol
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.events import PersonEvent
from waypoint.plans.models import SafetyPlan


def _refuse_if_closed(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse | None:
    if encounter.is_closed:
        messages.error(request, _("This encounter is closed. Nothing was changed."))
        return redirect("encounters:detail", encounter_id=encounter.id)
    return None


def _mark(request: AuthenticatedHttpRequest, encounter: Encounter, step: str, status: str, reason: str = "") -> None:
    StepState.objects.update_or_create(
        encounter=encounter,
        step=step,
        defaults={"status": status, "reason": reason, "by_id": request.user.id},
    )
    audit.record_for(request, EncounterEvent.UPDATED, encounter)


def _scripts(encounter: Encounter, staff_language: str) -> dict[str, dict[str, str]]:
    return read_aloud_scripts(encounter.org_id, encounter.language, staff_language)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_start(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    staff = request.user
    form = StartForm(request.POST or None, org_id=staff.org_id, initial={"form_token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data.get("form_token")
        earlier = previous_result(staff.id, token, "encounter")
        if earlier is not None:
            return redirect("encounters:detail", encounter_id=earlier)
        encounter = Encounter.objects.create(
            org_id=staff.org_id,
            person=person,
            mode=form.cleaned_data["mode"],
            site=form.cleaned_data["site"],
            lead=staff,
            language=person.preferred_language,
            is_minor=bool(person.is_minor),
        )
        remember_result(staff.id, token, "encounter", encounter.id)
        audit.record_for(request, EncounterEvent.STARTED, encounter)
        return redirect("encounters:detail", encounter_id=encounter.id)
    audit.record_for(request, PersonEvent.VIEWED, person)
    return TemplateResponse(request, "encounters/start.html", {"form": form, "person": person})


@policy(*READERS)
@require_GET
def encounter_detail(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    audit.record_for(request, EncounterEvent.VIEWED, encounter)
    states = encounter.step_status()
    steps = [
        {"key": s, "label": Step(s).label, "state": states.get(s), "url": f"encounters:{s}"} for s in encounter.steps()
    ]
    context = {
        "encounter": encounter,
        "steps": steps,
        "comfort": encounter.comfort_events.all(),
        "comfort_form": ComfortForm(),
        "scripts": _scripts(encounter, request.LANGUAGE_CODE),
        "answers": encounter.answers.select_related("content_set").order_by("at"),
        "amendments": encounter.amendments.all(),
        "amendment_form": AmendmentForm(),
        "glossary": encounter.person.glossary,
        "plan": SafetyPlan.objects.filter(person_id=encounter.person_id).only("id").first(),
        "check_in_seconds": SeparationProtocol.for_org(encounter.org_id).check_in_minutes * 60,
    }
    return TemplateResponse(request, "encounters/detail.html", context)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_gate(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    if request.method == "POST" and (refused := _refuse_if_closed(request, encounter)):
        return refused
    initial = {
        "gate": encounter.gate,
        "gate_reason": encounter.gate_reason,
        "interpreter": encounter.interpreter,
        "gender_preference_offered": encounter.gender_preference_offered,
    }
    form = GateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        for field in ("gate", "gate_reason", "interpreter", "gender_preference_offered"):
            setattr(encounter, field, form.cleaned_data[field])
        encounter.version += 1
        encounter.save()
        _mark(request, encounter, Step.GATE, StepStatus.DONE)
        return redirect("encounters:detail", encounter_id=encounter.id)
    audit.record_for(request, EncounterEvent.VIEWED, encounter)
    return TemplateResponse(request, "encounters/gate.html", {"form": form, "encounter": encounter})


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_confidentiality(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    if request.method == "POST":
        if refused := _refuse_if_closed(request, encounter):
            return refused
        _mark(request, encounter, Step.CONFIDENTIALITY, StepStatus.DONE)
        return redirect("encounters:detail", encounter_id=encounter.id)
    audit.record_for(request, EncounterEvent.VIEWED, encounter)
    scripts = _scripts(encounter, request.LANGUAGE_CODE)
    context = {"encounter": encounter, "script": scripts["confidentiality"], "concern": scripts["concern"]}
    return TemplateResponse(request, "encounters/confidentiality.html", context)


def _close_blocker(encounter: Encounter) -> str:
    """A minor's encounter cannot close without the child protective services step."""
    if encounter.is_minor and not ChildProtectionReport.objects.filter(encounter=encounter).exists():
        return _("This is a minor: record the child protective services report, or why it is deferred, before closing.")
    return ""


def _check_locked_reason(encounter: Encounter) -> str:
    if not encounter.gate_passed:
        return _("First record whether you could see them alone (Privacy).")
    confidentiality = encounter.step_status().get(Step.CONFIDENTIALITY)
    if confidentiality is None or confidentiality.status != StepStatus.DONE:
        return _("First explain confidentiality and its limits (Confidentiality).")
    return ""


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_check(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    locked = _check_locked_reason(encounter)
    if locked:
        messages.error(request, locked)
        return redirect("encounters:detail", encounter_id=encounter.id)
    content = ContentSet.current(encounter.org_id, encounter.check_kind)
    questions = [(line.key, line.text) for line in content.lines(encounter.language)]
    saved = {a.question_key: a for a in encounter.answers.filter(content_set=content)}
    initial: dict[str, Any] = {"content_set": content.id}
    for key, answer in saved.items():
        initial.update(
            {f"{key}__answer": answer.answer, f"{key}__consented": answer.consented, f"{key}__note": answer.note}
        )
    form = SafetyCheckForm(request.POST if request.method == "POST" else None, questions=questions, initial=initial)
    if request.method == "POST":
        if refused := _refuse_if_closed(request, encounter):
            return refused
        if form.is_valid():
            if form.cleaned_data["content_set"] != content.id:
                messages.error(request, _("The questions changed while you were answering. Please answer again."))
                return redirect("encounters:safety_check", encounter_id=encounter.id)
            _save_answers(request, encounter, content, form)
            _save_contact_rules(request, encounter, form)
            target = _escalation_target(encounter, form)
            return redirect(target or "encounters:detail", encounter_id=encounter.id)
    else:
        audit.record_for(request, EncounterEvent.VIEWED, encounter)
    scripts = _scripts(encounter, request.LANGUAGE_CODE)
    ours = {line.key: line.text for line in content.lines(request.LANGUAGE_CODE)}
    rows = [{**row, "ours": ours.get(row["key"], "")} for row in form.rows()]
    context = {
        "encounter": encounter,
        "form": form,
        "rows": rows,
        "reminder": scripts["phone_reminder"] if encounter.check_kind == PHONE else None,
    }
    return TemplateResponse(request, "encounters/check.html", context, status=400 if form.errors else 200)


def _save_answers(
    request: AuthenticatedHttpRequest, encounter: Encounter, content: ContentSet, form: SafetyCheckForm
) -> None:
    """Only what the person agreed to is kept; otherwise only the fact that the question was asked."""
    with transaction.atomic():
        for key, _text in form.questions:
            answer = form.cleaned_data.get(f"{key}__answer") or ""
            consented = bool(form.cleaned_data.get(f"{key}__consented"))
            if not answer and not consented:
                continue
            SafetyAnswer.objects.update_or_create(
                encounter=encounter,
                content_set=content,
                question_key=key,
                defaults={
                    "answer": answer if consented else "",
                    "consented": consented,
                    "note": form.cleaned_data.get(f"{key}__note", "") if consented else "",
                    "by_id": request.user.id,
                },
            )
        _mark(request, encounter, Step.SAFETY_CHECK, StepStatus.DONE)


@policy(*READERS)
@require_POST
def encounter_step_state(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID, step: str) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    if refused := _refuse_if_closed(request, encounter):
        return refused
    form = StepStateForm(request.POST)
    if step not in encounter.steps() or not form.is_valid():
        messages.error(request, _("Give a short reason to skip or pause a step."))
    else:
        _mark(request, encounter, step, form.cleaned_data["status"], form.cleaned_data["reason"])
    return redirect("encounters:detail", encounter_id=encounter.id)


@policy(*READERS)
@require_POST
def encounter_comfort(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    if refused := _refuse_if_closed(request, encounter):
        return refused
    form = ComfortForm(request.POST)
    if form.is_valid():
        ComfortEvent.objects.create(encounter=encounter, kind=form.cleaned_data["kind"], by_id=request.user.id)
        audit.record_for(request, EncounterEvent.UPDATED, encounter)
    return redirect("encounters:detail", encounter_id=encounter.id)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_close(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    encounter = get_encounter(request, encounter_id)
    blocker = _close_blocker(encounter)
    if request.method == "POST":
        if refused := _refuse_if_closed(request, encounter):
            return refused
        if blocker:
            messages.error(request, blocker)
            return redirect("encounters:close", encounter_id=encounter.id)
        encounter.closed_at = timezone.now()
        encounter.closed_by_id = request.user.id
        encounter.save(update_fields=["closed_at", "closed_by_id"])
        audit.record_for(request, EncounterEvent.CLOSED, encounter)
        messages.success(request, _("Encounter closed and locked."))
        return redirect("encounters:detail", encounter_id=encounter.id)
    audit.record_for(request, EncounterEvent.VIEWED, encounter)
    states = encounter.step_status()
    rows = [{"label": Step(s).label, "state": states.get(s)} for s in encounter.steps()]
    context = {
        "encounter": encounter,
        "rows": rows,
        "comfort": encounter.comfort_events.all(),
        "answers": encounter.answers.all(),
        "blocker": blocker,
    }
    return TemplateResponse(request, "encounters/close.html", context)


# --- Steps after the safety check: one small form each, saved with its step state -----------------

LOCKED_BY_GATE = {Step.SAFETY_CHECK, Step.ASSESSMENT, Step.NEEDS}


def _step_page(
    request: AuthenticatedHttpRequest,
    encounter_id: uuid.UUID,
    step: str,
    form_class: Any,
    initial: Callable[[Encounter], dict[str, Any]],
    save: Callable[[AuthenticatedHttpRequest, Encounter, dict[str, Any]], None],
    template: str,
) -> HttpResponse:
    """Show a step's form; on a valid POST save it, mark the step done and audit, all in one
    transaction; a closed encounter, a step not in this encounter or a locked step is refused."""
    encounter = get_encounter(request, encounter_id)
    if step not in encounter.steps():
        deny(request, "encounter", encounter.id)
    if step in LOCKED_BY_GATE and not encounter.gate_passed:
        messages.error(request, _("First record whether you could see them alone (Privacy)."))
        return redirect("encounters:detail", encounter_id=encounter.id)
    form = form_class(request.POST if request.method == "POST" else None, initial=initial(encounter))
    if request.method == "POST":
        if refused := _refuse_if_closed(request, encounter):
            return refused
        if form.is_valid():
            with transaction.atomic():
                save(request, encounter, form.cleaned_data)
                _mark(request, encounter, step, StepStatus.DONE)
            return redirect("encounters:detail", encounter_id=encounter.id)
    else:
        audit.record_for(request, EncounterEvent.VIEWED, encounter)
    context = {"encounter": encounter, "form": form, "title": Step(step).label}
    return TemplateResponse(request, template, context, status=400 if form.errors else 200)


def _assessment_initial(encounter: Encounter) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in encounter.assessments.all():
        initial.update({f"{row.domain}__level": row.level, f"{row.domain}__note": row.note})
    return initial


def _assessment_save(request: AuthenticatedHttpRequest, encounter: Encounter, data: dict[str, Any]) -> None:
    for domain in Domain.values:
        DomainAssessment.objects.update_or_create(
            encounter=encounter,
            domain=domain,
            defaults={"level": data.get(f"{domain}__level") or "", "note": data.get(f"{domain}__note") or ""},
        )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_assessment(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _step_page(
        request,
        encounter_id,
        Step.ASSESSMENT,
        AssessmentForm,
        _assessment_initial,
        _assessment_save,
        "encounters/assessment.html",
    )


def _needs_initial(encounter: Encounter) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in encounter.needs.all():
        initial.update({f"{row.kind}__needed": True, f"{row.kind}__note": row.note})
    return initial


def _needs_save(request: AuthenticatedHttpRequest, encounter: Encounter, data: dict[str, Any]) -> None:
    for kind in NeedKind.values:
        if data.get(f"{kind}__needed"):
            EmergencyNeed.objects.update_or_create(
                encounter=encounter, kind=kind, defaults={"note": data.get(f"{kind}__note") or ""}
            )
        else:
            EmergencyNeed.objects.filter(encounter=encounter, kind=kind).delete()


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_needs(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _step_page(
        request, encounter_id, Step.NEEDS, NeedsForm, _needs_initial, _needs_save, "encounters/needs.html"
    )


def _field_save(field: str) -> Callable[[AuthenticatedHttpRequest, Encounter, dict[str, Any]], None]:
    def save(request: AuthenticatedHttpRequest, encounter: Encounter, data: dict[str, Any]) -> None:
        setattr(encounter, field, data[field])
        encounter.version += 1
        encounter.save(update_fields=[field, "version"])

    return save


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_consent(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _step_page(
        request,
        encounter_id,
        Step.CONSENT,
        ConsentForm,
        lambda e: {"consent": e.consent},
        _field_save("consent"),
        "encounters/step_form.html",
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_education(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _step_page(
        request,
        encounter_id,
        Step.EDUCATION,
        EducationForm,
        lambda e: {"education": e.education},
        _field_save("education"),
        "encounters/step_form.html",
    )


def _minor_initial(encounter: Encounter) -> dict[str, Any]:
    report = ChildProtectionReport.objects.filter(encounter=encounter).first()
    if report is None:
        return {}
    fields = ["agency", "reported_at", "reference", "told_first", "told_by", "deferred_reason"]
    return {name: getattr(report, name) for name in fields}


def _minor_save(request: AuthenticatedHttpRequest, encounter: Encounter, data: dict[str, Any]) -> None:
    ChildProtectionReport.objects.update_or_create(encounter=encounter, defaults={**data, "by_id": request.user.id})


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_minor(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    return _step_page(
        request, encounter_id, Step.MINOR, MinorForm, _minor_initial, _minor_save, "encounters/step_form.html"
    )


# --- Immediate escalation ----------------------------------------------------------------------


def _escalation_target(encounter: Encounter, form: SafetyCheckForm) -> str | None:
    """Where the answers send the provider at once: danger here, injured, or not safe to talk."""
    answers = {key: form.cleaned_data.get(f"{key}__answer") for key, _text in form.questions}
    if answers.get("safe_to_talk") == "no":
        return "encounters:cover"
    if answers.get("danger_here") == "yes":
        return "encounters:danger"
    if answers.get("injured") == "yes":
        return "encounters:injured"
    return None


def _save_contact_rules(request: AuthenticatedHttpRequest, encounter: Encounter, form: SafetyCheckForm) -> None:
    """Phone answers about disconnection, someone else on the line and how to identify ourselves
    become the person's contact rules (only notes the person agreed to have written down)."""
    mapping = {
        "disconnection": "disconnection_plan",
        "someone_on_line": "if_someone_answers",
        "contact_after": "identify_as",
    }
    updates = {
        field: form.cleaned_data[f"{key}__note"]
        for key, field in mapping.items()
        if form.cleaned_data.get(f"{key}__consented") and form.cleaned_data.get(f"{key}__note")
    }
    if updates:
        ContactRules.objects.update_or_create(
            person=encounter.person,
            defaults={
                **updates,
                "source_encounter_id": encounter.id,
                "confirmed_at": timezone.now(),
                "confirmed_by_id": request.user.id,
            },
        )


@policy(*READERS)
@require_GET
def encounter_danger(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """In danger here: the organisation's emergency steps and contacts, at once."""
    encounter = get_encounter(request, encounter_id)
    audit.record_for(request, EncounterEvent.VIEWED, encounter)
    protocol = SeparationProtocol.for_org(encounter.org_id)
    context = {"encounter": encounter, "protocol": protocol, "steps": protocol.lines(protocol.emergency_steps)}
    return TemplateResponse(request, "encounters/danger.html", context)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_injured(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """Injured: offer 911 or an ambulance and record their choice."""
    encounter = get_encounter(request, encounter_id)
    form = EmergencyCallForm(
        request.POST if request.method == "POST" else None, initial={"emergency_call": encounter.emergency_call}
    )
    if request.method == "POST":
        if refused := _refuse_if_closed(request, encounter):
            return refused
        if form.is_valid():
            encounter.emergency_call = form.cleaned_data["emergency_call"]
            encounter.emergency_call_at = timezone.now()
            encounter.save(update_fields=["emergency_call", "emergency_call_at"])
            audit.record_for(request, EncounterEvent.UPDATED, encounter)
            return redirect("encounters:detail", encounter_id=encounter.id)
    else:
        audit.record_for(request, EncounterEvent.VIEWED, encounter)
    return TemplateResponse(
        request, "encounters/injured.html", {"encounter": encounter, "form": form}, status=400 if form.errors else 200
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def encounter_cover(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """Not safe to talk: the agreed cover identity and a closing line fill the screen; then, if they
    said how, record when and how to call back."""
    encounter = get_encounter(request, encounter_id)
    form = CallbackForm(
        request.POST if request.method == "POST" else None, initial={"callback_plan": encounter.callback_plan}
    )
    if request.method == "POST":
        if refused := _refuse_if_closed(request, encounter):
            return refused
        if form.is_valid():
            encounter.callback_plan = form.cleaned_data["callback_plan"]
            encounter.save(update_fields=["callback_plan"])
            _mark(request, encounter, Step.SAFETY_CHECK, StepStatus.PAUSED, _("Not safe to talk"))
            return redirect("encounters:detail", encounter_id=encounter.id)
    else:
        audit.record_for(request, EncounterEvent.VIEWED, encounter)
    rules = ContactRules.objects.filter(person=encounter.person).first()
    closing = _scripts(encounter, request.LANGUAGE_CODE)["cover_closing"]
    context = {"encounter": encounter, "form": form, "rules": rules, "closing": closing}
    return TemplateResponse(request, "encounters/cover.html", context, status=400 if form.errors else 200)


@policy(*READERS)
@require_POST
def encounter_amend(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """Corrections to a closed encounter are added as amendments; the original is never edited."""
    encounter = get_encounter(request, encounter_id)
    form = AmendmentForm(request.POST)
    if not encounter.is_closed:
        messages.error(request, _("The encounter is still open: change the step itself."))
    elif form.is_valid():
        Amendment.objects.create(encounter=encounter, text=form.cleaned_data["text"], by_id=request.user.id)
        audit.record_for(request, EncounterEvent.AMENDED, encounter)
        messages.success(request, _("Amendment added."))
    else:
        messages.error(request, _("Write the correction (up to 2,000 characters)."))
    return redirect("encounters:detail", encounter_id=encounter.id)

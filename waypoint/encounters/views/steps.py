"""The steps of an encounter: privacy gate (in person) or safe to talk (on a call), confidentiality,
safety check, the four areas, emergency needs, consent, child protective services and the hotline
card.  Each shows its form (audited as a read, error re-renders included) and on a valid POST calls
its action, then goes back to the list."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waypoint.contact import intake
from waypoint.contact.access import rules_for
from waypoint.content.models import ContentSet, wording_fallback
from waypoint.content.source import PHONE
from waypoint.core.access import ViewFunc, policy
from waypoint.core.forms import SafeForm
from waypoint.encounters import actions
from waypoint.encounters import policy as see_alone
from waypoint.encounters.access import get_encounter
from waypoint.encounters.actions import QuestionsChanged, Refused
from waypoint.encounters.forms import (
    KEEP_ASKED,
    KEEP_KEPT,
    AssessmentForm,
    ConsentForm,
    EducationForm,
    GateForm,
    MinorForm,
    NeedsForm,
    SafeToTalkForm,
    SafetyCheckForm,
)
from waypoint.encounters.models import Answer, Encounter, Mode, SafetyAnswer, Step
from waypoint.encounters.views.common import encounter_step, posted, refused, saved, scripts, show
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS
from waypoint.referrals.access import disclosures_for, releases_for
from waypoint.referrals.models import DisclosureKind

GATE_FIELDS = ("gate", "gate_reason", "interpreter", "gender_preference_offered")


def after_privacy(step: Step) -> Callable[[ViewFunc], ViewFunc]:
    """The see-alone policy's lock on a step after Privacy (``waypoint.encounters.policy``, the one
    decision the step actions ask too): while it holds, a GET goes back to the Privacy step with the
    reason, and a POST is refused there without saving anything.  Checked before the step's own
    decorator, so that the policy's lock is what the provider is told; a closed encounter's step is
    read back, never locked.  The encounter comes through its access rule: 404 for anyone else."""

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: AuthenticatedHttpRequest, encounter_id: uuid.UUID, **kwargs: Any) -> HttpResponse:
            encounter = get_encounter(request, encounter_id)
            # A closed encounter is read back (GET) or refused by the step's decorator (POST): never locked.
            if not encounter.is_closed and not see_alone.assessment_open(encounter, step):
                return refused(
                    request, encounter, Refused(see_alone.locked_reason(encounter, step)), to="encounters:gate"
                )
            return view(request, encounter_id=encounter_id, **kwargs)

        return wrapped

    return decorate


def _policy_script(request: AuthenticatedHttpRequest, encounter: Encounter) -> dict[str, Any] | None:
    """The organisation's see-alone policy to read aloud at Privacy, when it applies to this
    encounter: in the person's language while it is Waypoint's text, with the provider's beside it;
    the organisation's own text as written."""
    if not see_alone.policy_applies(encounter):
        return None
    org = encounter.org
    with translation.override(encounter.language):
        theirs = see_alone.policy_text(org)
    ours = see_alone.policy_text(org)
    custom = bool(org.see_alone_text.strip())
    return {"theirs": theirs, "ours": ours, "lang": "" if custom else encounter.language}


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@encounter_step(Step.GATE)
def encounter_gate(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    form = GateForm(posted(request), initial={name: getattr(encounter, name) for name in GATE_FIELDS})
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in GATE_FIELDS}
        return saved(request, encounter, lambda: actions.record_gate(request.user, encounter, **values))
    script = _policy_script(request, encounter) if encounter.mode == Mode.IN_PERSON else None
    template = "encounters/policy_gate.html" if script else "encounters/gate.html"
    return show(request, template, encounter, {"form": form, "policy_script": script})


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@after_privacy(Step.CONFIDENTIALITY)
@encounter_step(Step.CONFIDENTIALITY)
def encounter_confidentiality(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    if request.method == "POST":
        return saved(request, encounter, lambda: actions.confirm_confidentiality(request.user, encounter))
    said = scripts(request, encounter)
    context = {"script": said["confidentiality"], "concern": said["concern"]}
    return show(request, "encounters/confidentiality.html", encounter, context)


# --- Safety check -------------------------------------------------------------------------------


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@encounter_step(Step.SAFE_TO_TALK)
def encounter_safe_to_talk(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    """On a call, the first screen: the hang-up reminder and "Is it safe for you to speak with me
    right now?", answered with one click.  Yes: on to confidentiality; no or not sure: at once to the
    cover line and callback plan."""
    content = ContentSet.current(encounter.org_id, PHONE)
    form = SafeToTalkForm(posted(request), initial={"content_set": content.id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            target = actions.record_safe_to_talk(request.user, encounter, content, data["content_set"], data["answer"])
        except QuestionsChanged as reason:
            return refused(request, encounter, reason, to="encounters:safe_to_talk")
        except Refused as reason:
            return refused(request, encounter, reason)
        return redirect(f"encounters:{target or Step.CONFIDENTIALITY}", encounter_id=encounter.id)
    lines = content.lines(encounter.language)
    theirs = {line.key: line for line in lines}[actions.SAFE_TO_TALK]
    ours = {line.key: line.text for line in content.lines(request.LANGUAGE_CODE)}
    context = {
        "form": form,
        "reminder": scripts(request, encounter)["phone_reminder"],
        "question": {
            "theirs": theirs.text,
            "ours": ours.get(theirs.key, ""),
            "lang": theirs.language,
            "fallback": theirs.language != encounter.language,
            **(wording_fallback([theirs], encounter.language) or {}),
        },
        "state": encounter.step_status().get(Step.SAFE_TO_TALK),
    }
    return show(request, "encounters/safe_to_talk.html", encounter, context, status=400 if form.errors else 200)


def _check_initial(saved: dict[str, SafetyAnswer], content: ContentSet, held: frozenset[str]) -> dict[str, Any]:
    """The saved answers, filled in; of a held one (``actions.held_answers``) only its agreement."""
    initial: dict[str, Any] = {"content_set": content.id}
    for key, answer in saved.items():
        initial[f"{key}__consented"] = answer.consented
        if key not in held:
            initial |= {f"{key}__answer": answer.answer, f"{key}__note": answer.note}
    return initial


def _holding_rules(request: AuthenticatedHttpRequest, encounter: Encounter, saved: dict[str, SafetyAnswer]) -> set[str]:
    """The questions whose kept answer set contact rules that still hold what it wrote (unticking
    their agreement takes those out again: the page says so)."""
    wrote = {key: answer.rules_written for key, answer in saved.items() if answer.consented and answer.rules_written}
    if not wrote:
        return set()
    rules = rules_for(request.user).filter(person_id=encounter.person_id).first()
    return {key for key, written in wrote.items() if intake.still_held(written, rules)}


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@after_privacy(Step.SAFETY_CHECK)
@encounter_step(Step.SAFETY_CHECK)
def encounter_check(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    """The safety check: before saving, the page says what will be kept and what will not (beside
    each question and above the save button); after saving, how many answers were kept and how many
    questions were asked only.  On a call, "safe to talk" was answered at the start: shown, not asked.
    A kept answer about where they are or their injuries is shown only to the record's assigned staff
    and supervisors; anyone else sees that it is held, and their save leaves it as it is."""
    content = ContentSet.current(encounter.org_id, encounter.check_kind)
    lines = content.lines(encounter.language)
    questions = [(line.key, line.text) for line in lines]
    saved = encounter.saved_answers(content)
    fixed = {actions.SAFE_TO_TALK: Answer.YES} if encounter.said_safe_to_talk else {}
    held = actions.held_answers(request.user, encounter, saved)  # where they are, injuries: shown as held
    initial = _check_initial(saved, content, held)
    form = SafetyCheckForm(posted(request), questions=questions, fixed=fixed, held=held, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            target = actions.record_safety_check(
                request.user, encounter, content, form.cleaned_data["content_set"], form.answers()
            )
        except QuestionsChanged as reason:
            return refused(request, encounter, reason, to="encounters:safety_check")
        except Refused as reason:
            return refused(request, encounter, reason)
        kept = [answer.consented for answer in encounter.saved_answers(content).values()]
        messages.success(
            request,
            _("Safety check saved. Answers kept: %(kept)s. Asked only, answer not kept: %(asked)s.")
            % {"kept": kept.count(True), "asked": kept.count(False)},
        )
        return redirect(f"encounters:{target}" if target else "encounters:detail", encounter_id=encounter.id)
    ours = {line.key: line.text for line in content.lines(request.LANGUAGE_CODE)}
    language = {line.key: line.language for line in lines}  # a question with no wording is in English
    stored = {key: KEEP_KEPT if answer.consented else KEEP_ASKED for key, answer in saved.items()}
    holding = _holding_rules(request, encounter, saved)
    context = {
        "form": form,
        "rows": [
            {
                **row,
                "ours": ours.get(row["key"], ""),
                "stored": stored.get(row["key"]),
                "lang": language[row["key"]],
                "holds_rules": row["key"] in holding and not row["held"],
            }
            for row in form.rows()
        ],
        "counts": form.keep_counts(),
        "no_wording": wording_fallback(lines, encounter.language),
    }
    return show(request, "encounters/check.html", encounter, context, status=400 if form.errors else 200)


# --- The steps after the safety check: one small form each --------------------------------------


def _form_step(
    request: AuthenticatedHttpRequest,
    encounter: Encounter,
    step: Step,
    form: SafeForm,
    template: str,
    save: Callable[[dict[str, Any]], object],
) -> HttpResponse:
    """Show the step's form; on a valid POST its action saves it and marks the step done."""
    if request.method == "POST" and form.is_valid():
        return saved(request, encounter, lambda: save(form.cleaned_data))
    context = {"form": form, "title": step.label}
    return show(request, template, encounter, context, status=400 if form.errors else 200)


def _assessment_initial(encounter: Encounter) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in encounter.assessments.all():
        initial |= {f"{row.domain}__level": row.level, f"{row.domain}__note": row.note}
    return initial


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@after_privacy(Step.ASSESSMENT)
@encounter_step(Step.ASSESSMENT)
def encounter_assessment(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    form = AssessmentForm(posted(request), initial=_assessment_initial(encounter))
    return _form_step(
        request,
        encounter,
        Step.ASSESSMENT,
        form,
        "encounters/assessment.html",
        lambda data: actions.save_assessment(request.user, encounter, data),
    )


def _needs_initial(encounter: Encounter) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for row in encounter.needs.all():
        initial |= {f"{row.kind}__needed": True, f"{row.kind}__note": row.note}
    return initial


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@after_privacy(Step.NEEDS)
@encounter_step(Step.NEEDS)
def encounter_needs(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    form = NeedsForm(posted(request), initial=_needs_initial(encounter))
    return _form_step(
        request,
        encounter,
        Step.NEEDS,
        form,
        "encounters/needs.html",
        lambda data: actions.save_needs(request.user, encounter, data),
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@after_privacy(Step.CONSENT)
@encounter_step(Step.CONSENT)
def encounter_consent(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    """What they decided about sharing, beside their releases of information (one written release per
    recipient; this step records only their answer, never a release)."""
    form = ConsentForm(posted(request), initial={"consent": encounter.consent})
    if request.method == "POST" and form.is_valid():
        decided = form.cleaned_data["consent"]
        return saved(request, encounter, lambda: actions.record_consent(request.user, encounter, decided))
    releases = list(releases_for(request.user).filter(person_id=encounter.person_id).select_related("entry"))
    context = {"form": form, "title": Step.CONSENT.label, "releases": releases, "person": encounter.person}
    return show(request, "encounters/consent.html", encounter, context, status=400 if form.errors else 200)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@after_privacy(Step.EDUCATION)
@encounter_step(Step.EDUCATION)
def encounter_education(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    form = EducationForm(posted(request), initial={"education": encounter.education})
    return _form_step(
        request,
        encounter,
        Step.EDUCATION,
        form,
        "encounters/step_form.html",
        lambda data: actions.record_education(request.user, encounter, data["education"]),
    )


MINOR_FIELDS = ("agency", "reported_at", "reference", "told_first", "told_by", "deferred_reason")


def _minor_initial(request: AuthenticatedHttpRequest, encounter: Encounter) -> dict[str, Any]:
    """The saved report, and the danger reason recorded on its disclosure (kept only there): shown
    filled, so saving the step again keeps it unless the provider empties it on purpose."""
    report = encounter.child_protection_report()
    if report is None:
        return {}
    initial = {name: getattr(report, name) for name in MINOR_FIELDS}
    found = disclosures_for(request.user).filter(person_id=encounter.person_id, source_encounter_id=encounter.id)
    cps = next((d for d in found if d.kind == DisclosureKind.CHILD_PROTECTION), None)  # the kind is encrypted
    if cps is not None and not cps.tell_person:
        initial["danger_reason"] = cps.not_telling_reason
    return initial


@policy(*READERS)
@require_http_methods(["GET", "POST"])
@after_privacy(Step.MINOR)
@encounter_step(Step.MINOR)
def encounter_minor(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    form = MinorForm(posted(request), initial=_minor_initial(request, encounter))
    asked = request.method == "POST" and "danger_reason" in request.POST  # absent: not asked, kept as recorded

    def save(data: dict[str, Any]) -> object:
        return actions.save_child_protection_report(
            request.user, encounter, {**data, "danger_reason": data.get("danger_reason", "") if asked else None}
        )

    return _form_step(request, encounter, Step.MINOR, form, "encounters/minor.html", save)

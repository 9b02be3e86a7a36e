"""Every change to an encounter.  Each function is one atomic transaction that re-reads the encounter
under lock, enforces the rule, writes the rows and its own audit row; views, commands and the API
call these and never write an encounter themselves.

A closed encounter is locked: every change here raises ``EncounterClosed`` (later corrections are
amendments).  The separation protocol, front-desk requests and runs are in ``separation_actions``."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from waypoint.contact import intake
from waypoint.contact.access import may_hold_secrets
from waypoint.contact.actions import ContactRefused, add_in_person_task, add_task, record_rules
from waypoint.contact.guard import usable_channels
from waypoint.contact.models import ContactRules, FollowUpTask, TaskSource
from waypoint.contact.rules import FIELDS as RULE_FIELDS
from waypoint.contact.rules import clean_value as clean_rule_value
from waypoint.content.models import ContentSet
from waypoint.core import audit
from waypoint.core.actions import Refused as BaseRefused
from waypoint.core.concurrency import previous_result, remember_result
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import (
    Amendment,
    Answer,
    CheckAnswer,
    ChildProtectionReport,
    ComfortEvent,
    Domain,
    DomainAssessment,
    EmergencyNeed,
    Encounter,
    Escalation,
    Gate,
    Mode,
    NeedKind,
    SafetyAnswer,
    Step,
    StepState,
    StepStatus,
    escalation_target,
)
from waypoint.encounters.policy import TEXT_LIMIT, SeeAlonePolicyForm, assessment_open, locked_reason
from waypoint.encounters.separation import LINKABLE_HOURS, Outcome, SeparationRun
from waypoint.orgs.models import Organisation, SeeAlone, Site, Staff
from waypoint.people.models import Person
from waypoint.referrals.actions.disclosures import record_child_protection


class Refused(BaseRefused):
    """A change the encounter's rules do not allow."""


class EncounterClosed(Refused):
    def __init__(self) -> None:
        super().__init__(gettext("This encounter is closed. Nothing was changed."))


class QuestionsChanged(Refused):
    """The answers were given to another version of the questions than the current one."""

    def __init__(self) -> None:
        super().__init__(gettext("The questions changed while you were answering. Please answer again."))


def _open(encounter: Encounter, step: str | None = None) -> Encounter:
    """The encounter re-read under lock for this transaction; a closed one refuses every change, and
    a ``step`` it does not have, or that is still locked (privacy, confidentiality), is refused."""
    current = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if current.is_closed:
        raise EncounterClosed()
    if step is not None and not current.has_step(step):
        raise Refused(gettext("This encounter has no such step."))
    if step is not None and (locked := locked_reason(current, step)):
        raise Refused(locked)  # the see-alone policy, then the encounter's own locks
    return current


def _set_state(staff: Staff, encounter: Encounter, step: str, status: str, reason: str = "") -> None:
    """The step's state, without an audit row (the caller's action writes it).  The step is encrypted:
    its row is found among the encounter's few states (the caller holds the encounter's lock)."""
    state = encounter.step_status().get(step) or StepState(encounter=encounter, step=step)
    state.status, state.reason, state.by_id = status, reason, staff.id
    state.save()


def _mark(staff: Staff, encounter: Encounter, step: str, status: str, reason: str = "") -> None:
    """The step's state, and the one audit row of the change it belongs to."""
    _set_state(staff, encounter, step, status, reason)
    audit.record_by(staff, EncounterEvent.UPDATED, encounter)


def set_gate(staff: Staff, encounter: Encounter, gate: str, gate_reason: str = "") -> None:
    """Record the privacy gate on a locked, open ``encounter`` inside the caller's action (no audit
    row of its own: ``record_gate``, a successful separation and a start after one each write theirs).
    Only seen alone, or not possible, settles the Privacy step; "not seen alone yet" leaves it
    paused, since the safety questions still wait (``Encounter.gate_passed``)."""
    encounter.gate, encounter.gate_reason = gate, gate_reason
    encounter.version += 1
    encounter.save()
    settled = gate in (Gate.ALONE, Gate.NOT_POSSIBLE)
    _set_state(staff, encounter, Step.GATE, StepStatus.DONE if settled else StepStatus.PAUSED)


# --- The see-alone policy (organisation settings) ----------------------------------------------


@transaction.atomic
def save_see_alone_policy(
    staff: Staff, form: SeeAlonePolicyForm, site_choices: Mapping[uuid.UUID, str]
) -> Organisation:
    """The organisation's see-alone policy: on or off, its text ("" = Waypoint's default, shown in
    each reader's language) and each site's choice (follow the organisation, on, off).  Every site
    id must be one of ``staff``'s organisation's sites and every choice a known one: otherwise
    nothing is saved."""
    org = Organisation.objects.select_for_update().get(pk=staff.org_id)
    sites = {site.id: site for site in Site.objects.select_for_update().filter(org_id=org.id)}
    if any(site_id not in sites for site_id in site_choices):
        raise Refused(gettext("A site in the form is not one of your organisation's sites. Nothing was saved."))
    if any(choice not in SeeAlone.values for choice in site_choices.values()):
        raise Refused(gettext("Choose follow, on or off for each site. Nothing was saved."))
    data = form.cleaned_data
    text = str(data["see_alone_text"])
    if len(text) > TEXT_LIMIT:
        raise Refused(gettext("The policy text is too long. Nothing was saved."))
    org.see_alone, org.see_alone_text = bool(data["see_alone"]), text
    org.save(update_fields=["see_alone", "see_alone_text"])
    for site_id, choice in site_choices.items():
        if sites[site_id].see_alone != choice:
            sites[site_id].see_alone = choice
            sites[site_id].save(update_fields=["see_alone"])
    audit.record_by(staff, EncounterEvent.SEE_ALONE_SAVED, org)
    return org


# --- Starting -----------------------------------------------------------------------------------


def start_encounter(
    staff: Staff,
    person: Person,
    *,
    mode: str,
    site: Site | None,
    token: uuid.UUID | None,
    separation: uuid.UUID | None = None,
) -> Encounter:
    """A new encounter led by ``staff``; a second submit of the same form (same ``token``) returns
    the first encounter instead of starting another.  With ``separation`` (the id of a successful
    separation run from a front-desk request, not linked to an encounter yet) the run is linked to
    the new in-person encounter and its privacy gate recorded as seen alone, in the same transaction."""
    try:
        return _start_once(staff, person, mode=mode, site=site, token=token, separation=separation)
    except IntegrityError:
        earlier = previous_result(staff.id, token, "encounter")  # a concurrent double submit won the key
        if earlier is None:
            raise
        return Encounter.objects.get(pk=earlier)


@transaction.atomic
def _start_once(
    staff: Staff,
    person: Person,
    *,
    mode: str,
    site: Site | None,
    token: uuid.UUID | None,
    separation: uuid.UUID | None,
) -> Encounter:
    earlier = previous_result(staff.id, token, "encounter")
    if earlier is not None:
        return Encounter.objects.get(pk=earlier)
    run = None
    if separation is not None:
        # The same rule as the start page's choice (encounters.access.linkable_separations): this
        # staff member's own run from a front-desk request, in the last hours.
        since = timezone.now() - datetime.timedelta(hours=LINKABLE_HOURS)
        runs = SeparationRun.objects.select_for_update().filter(pk=separation, org_id=staff.org_id, by_id=staff.id)
        run = runs.filter(request__isnull=False, at__gte=since).first()
        if run is None or run.encounter_id is not None or run.outcome != Outcome.SEPARATED:
            raise Refused(gettext("That separation cannot be linked: it is already linked, or did not succeed."))
        if mode != Mode.IN_PERSON:
            raise Refused(gettext("A separation can only be linked to an in-person encounter."))
    encounter = Encounter.objects.create(
        org_id=staff.org_id,
        person=person,
        mode=mode,
        site=site,
        lead=staff,
        language=person.preferred_language,
        is_minor=bool(person.is_minor),
    )
    if run is not None:  # seen alone thanks to the separation: the Privacy step is settled
        run.encounter = encounter
        run.save(update_fields=["encounter"])
        set_gate(staff, encounter, Gate.ALONE)
    if site is not None and staff.last_site_id != site.id:  # the start form offers it first next time
        Staff.objects.filter(pk=staff.pk).update(last_site=site)
        staff.last_site = site
    remember_result(staff.id, token, "encounter", encounter.id)
    audit.record_by(staff, EncounterEvent.STARTED, encounter)
    return encounter


# --- The first steps ----------------------------------------------------------------------------


@transaction.atomic
def record_gate(
    staff: Staff,
    encounter: Encounter,
    *,
    gate: str,
    gate_reason: str,
    interpreter: str,
    gender_preference_offered: bool,
) -> Encounter:
    """Privacy: whether they could be seen alone (or why not), the interpreter, the interviewer offer."""
    encounter = _open(encounter)
    encounter.interpreter, encounter.gender_preference_offered = interpreter, gender_preference_offered
    set_gate(staff, encounter, gate, gate_reason)
    audit.record_by(staff, EncounterEvent.UPDATED, encounter)
    return encounter


@transaction.atomic
def confirm_confidentiality(staff: Staff, encounter: Encounter) -> Encounter:
    encounter = _open(encounter)
    if not assessment_open(encounter, Step.CONFIDENTIALITY):  # the see-alone policy (its page checks the rest)
        raise Refused(locked_reason(encounter, Step.CONFIDENTIALITY))
    _mark(staff, encounter, Step.CONFIDENTIALITY, StepStatus.DONE)
    return encounter


SAFE_TO_TALK = "safe_to_talk"  # the first question of the phone check (waypoint.content.source)


@transaction.atomic
def record_safe_to_talk(
    staff: Staff, encounter: Encounter, content: ContentSet, content_set_id: uuid.UUID | None, answer: str
) -> Escalation | None:
    """On a call, the first thing asked after the hang-up reminder: "Is it safe for you to speak with
    me right now?".  Yes settles the Safe to talk step (confidentiality comes next).  No, and unsure
    too (when in doubt, the safest choice is to end the call well), pause it and send the provider to
    the cover line and callback plan.  Consent to write answers down is asked later, so the answer is
    kept as the phone check's ``safe_to_talk`` row only as asked (unless they already agreed in
    this call that it is written down); the step's state is what lets the call go on."""
    encounter = _open(encounter, Step.SAFE_TO_TALK)
    if answer not in (Answer.YES, Answer.NO, Answer.UNSURE):
        raise Refused(gettext("Choose yes, no or not sure."))
    if content_set_id != content.id:
        raise QuestionsChanged()
    if answer == Answer.YES:
        _set_state(staff, encounter, Step.SAFE_TO_TALK, StepStatus.DONE)
    else:
        # One neutral reason for no and not sure: the step's state lets the call go on or not, and
        # must not keep what they said (their answer is kept only if they agree, in the check).
        _set_state(staff, encounter, Step.SAFE_TO_TALK, StepStatus.PAUSED, gettext("Call paused"))
    row = SafetyAnswer.objects.filter(encounter=encounter, content_set=content, question_key=SAFE_TO_TALK).first()
    if row is None:
        SafetyAnswer.objects.create(
            encounter=encounter, content_set=content, question_key=SAFE_TO_TALK, by_id=staff.id
        )  # asked; nothing of what they said is kept
    elif row.consented:
        row.answer, row.by_id = answer, staff.id
        row.save(update_fields=["answer", "by_id", "at"])
    audit.record_by(staff, EncounterEvent.UPDATED, encounter)
    return None if answer == Answer.YES else Escalation.NOT_SAFE_TO_TALK


@transaction.atomic
def record_safety_check(
    staff: Staff,
    encounter: Encounter,
    content: ContentSet,
    content_set_id: uuid.UUID | None,
    answers: Mapping[str, CheckAnswer],
) -> Escalation | None:
    """Keep only what the person agreed to have written down (otherwise only that the question was
    asked), against the version of the questions shown; the structured parts of the questions about
    contact (``waypoint.contact.intake``) become their contact rules, through the one rules action.
    A question with nothing given (no answer, no note, no part) was not asked: no row.  On a call,
    "safe to talk" was answered yes at the start (the check is locked until then): that is its answer.

    Each kept answer remembers which rule fields it set (``SafetyAnswer.rules_written``).  When they
    no longer agree that an answer is written down (its box unticked), the fields it set go back to
    "not asked" or empty, in the same rules action, but only those that still hold what it wrote: a
    rule changed since, on the rules page or by another answer, is theirs and stays.  Parts left empty
    change nothing, so a kept answer whose parts are not shown again stays kept.  A kept answer that
    ``staff`` may not read (``held_answers``: where they are, injuries) is left as it is, whatever is
    posted for it.
    Returns where the answers send the provider at once, if anywhere."""
    encounter = _open(encounter, Step.SAFETY_CHECK)
    if content_set_id != content.id:
        raise QuestionsChanged()
    if encounter.said_safe_to_talk and SAFE_TO_TALK in answers:
        answers = {**answers, SAFE_TO_TALK: replace(answers[SAFE_TO_TALK], answer=Answer.YES)}
    saved = encounter.saved_answers(content)
    withheld = held_answers(staff, encounter, saved)  # not shown to them: left as it is, whatever is posted
    answers = {key: given for key, given in answers.items() if key not in withheld}
    rules = ContactRules.objects.select_for_update().filter(person_id=encounter.person_id).first()
    held = {
        key: intake.still_held(row.rules_written, rules)
        for key, row in saved.items()
        if row.consented and row.rules_written
    }
    taken_back: dict[str, Any] = {}
    for key, given in answers.items():
        row, holds = saved.get(key), held.get(key, [])
        if row is not None and row.consented and not given.consented:
            taken_back |= {name: RULE_FIELDS[name].empty for name in holds}
        if given_anything(given) or (given.consented and holds):
            _keep_answer(staff, encounter, content, key, given)
        elif row is not None and (row.consented or row.answer or row.note):
            _withdraw_answer(staff, row)
    _mark(staff, encounter, Step.SAFETY_CHECK, StepStatus.DONE)
    prior = {name: getattr(rules, name) for name in RULE_FIELDS} if rules is not None else {}
    if changes := {**taken_back, **contact_changes(answers)}:  # what they say now wins over a reset
        rules = record_rules(staff, encounter.person, changes, source_encounter_id=encounter.id)
    _remember_rules_written(encounter, content, answers, held, rules, prior)
    return escalation_target(answers)


# Where they are and their injuries are read only by the record's assigned staff and supervisors
# (the field-level rule of the security requirements; the summary holds them back the same way).
HELD_QUESTIONS = frozenset({"where_are_you", "injured"})


def held_answers(staff: Staff, encounter: Encounter, saved: Mapping[str, SafetyAnswer]) -> frozenset[str]:
    """The questions whose kept answer ``staff`` may not read: a held question (``HELD_QUESTIONS``)
    answered with their agreement, for anyone but the record's assigned staff and supervisors.  The
    check page shows these as held, never their answer or words, and a save by that staff member
    leaves them exactly as they are (``record_safety_check`` ignores whatever is posted for them)."""
    found = frozenset(key for key, row in saved.items() if key in HELD_QUESTIONS and row.consented)
    return found if found and not may_hold_secrets(staff, encounter.person) else frozenset()


def given_anything(given: CheckAnswer) -> bool:
    """Whether the question was asked and something was said: an answer, a note or a part."""
    return bool(given.answer or given.note or any(intake.answered(value) for value in given.parts.values()))


def _keep_answer(staff: Staff, encounter: Encounter, content: ContentSet, key: str, given: CheckAnswer) -> None:
    SafetyAnswer.objects.update_or_create(
        encounter=encounter,
        content_set=content,
        question_key=key,
        defaults={
            "answer": given.answer if given.consented else "",
            "consented": given.consented,
            "note": given.note if given.consented else "",
            "by_id": staff.id,
        },
    )


def _withdraw_answer(staff: Staff, row: SafetyAnswer) -> None:
    """Everything kept for a question was cleared (consent withdrawn, or the answer taken back):
    only that it was asked stays."""
    row.answer, row.note, row.consented, row.by_id = "", "", False, staff.id
    row.save(update_fields=["answer", "note", "consented", "by_id", "at"])


def _remember_rules_written(
    encounter: Encounter,
    content: ContentSet,
    answers: Mapping[str, CheckAnswer],
    held: Mapping[str, list[str]],
    rules: ContactRules | None,
    prior: Mapping[str, Any],
) -> None:
    """Each answer kept with their agreement remembers the rule fields it set that now hold its value
    (those it set before and still holds, and those this save changed to its value, from ``prior``);
    an answer not kept remembers none.  A rule the answer only repeated (it held that value before this save, say
    calls allowed since an earlier visit) is not its own: taking the answer back leaves it."""
    for key, row in encounter.saved_answers(content).items():
        given = answers.get(key)
        if given is None:
            continue  # not on the form: left as it was
        written: dict[str, str] = {}
        if row.consented and rules is not None:
            before = {name: row.rules_written[name] for name in held.get(key, []) if name in row.rules_written}
            now = {
                name: intake.digest(name, getattr(rules, name))
                for name, value in intake.rules_from_answer(key, given.answer, given.parts).items()
                if clean_rule_value(name, value) == getattr(rules, name) and prior.get(name) != getattr(rules, name)
            }
            mine = before | now
            written = {name: mine[name] for name in intake.still_held(mine, rules)}
        if written != (row.rules_written or {}):
            row.rules_written = written
            row.save(update_fields=["rules_written"])


def contact_changes(answers: Mapping[str, CheckAnswer]) -> dict[str, Any]:
    """Contact-rule field -> value, from the answers they agreed to have written down."""
    changes: dict[str, Any] = {}
    for key, given in answers.items():
        if key in intake.QUESTIONS and given.consented:
            changes |= intake.rules_from_answer(key, given.answer, given.parts)
    return changes


# --- Pacing: skip or pause, comfort log ---------------------------------------------------------


@transaction.atomic
def set_step_state(staff: Staff, encounter: Encounter, step: str, status: str, reason: str) -> Encounter:
    """Skip or pause a step of this encounter, with the reason."""
    encounter = _open(encounter)
    if not encounter.has_step(step):
        raise Refused(gettext("Give a short reason to skip or pause a step."))
    _mark(staff, encounter, step, status, reason)
    return encounter


@transaction.atomic
def add_comfort_event(staff: Staff, encounter: Encounter, kind: str) -> ComfortEvent:
    """A comfort or pacing entry; only the kinds offered for the encounter's mode (no water by phone)."""
    encounter = _open(encounter)
    if kind not in dict(encounter.comfort_choices):
        raise Refused(gettext("That is not offered in this kind of encounter. Nothing was logged."))
    event = ComfortEvent.objects.create(encounter=encounter, kind=kind, by_id=staff.id)
    audit.record_by(staff, EncounterEvent.UPDATED, encounter)
    return event


# --- The steps after the safety check: each saves its rows and marks itself done ----------------


@transaction.atomic
def save_assessment(staff: Staff, encounter: Encounter, data: Mapping[str, Any]) -> Encounter:
    """The four areas of safety: a level and a note each (blank for what was not discussed)."""
    encounter = _open(encounter, Step.ASSESSMENT)
    for domain in Domain.values:
        DomainAssessment.objects.update_or_create(
            encounter=encounter,
            domain=domain,
            defaults={"level": data.get(f"{domain}__level") or "", "note": data.get(f"{domain}__note") or ""},
        )
    _mark(staff, encounter, Step.ASSESSMENT, StepStatus.DONE)
    return encounter


@transaction.atomic
def save_needs(staff: Staff, encounter: Encounter, data: Mapping[str, Any]) -> Encounter:
    """The emergency needs ticked now; a need no longer ticked is removed."""
    encounter = _open(encounter, Step.NEEDS)
    kept: dict[str, EmergencyNeed] = {}
    for need in EmergencyNeed.objects.filter(encounter=encounter):  # the kind is encrypted: matched here
        if need.kind in kept:
            need.delete()  # never two rows of one kind
        else:
            kept[need.kind] = need
    for kind in NeedKind.values:
        if data.get(f"{kind}__needed"):
            need = kept.get(kind) or EmergencyNeed(encounter=encounter, kind=kind)
            need.note = data.get(f"{kind}__note") or ""
            need.save()
        elif kind in kept:
            kept[kind].delete()
    _mark(staff, encounter, Step.NEEDS, StepStatus.DONE)
    return encounter


def _set_field(staff: Staff, encounter: Encounter, step: str, field: str, value: str) -> Encounter:
    encounter = _open(encounter, step)
    setattr(encounter, field, value)
    encounter.version += 1
    encounter.save(update_fields=[field, "version"])
    _mark(staff, encounter, step, StepStatus.DONE)
    return encounter


@transaction.atomic
def record_consent(staff: Staff, encounter: Encounter, consent: str) -> Encounter:
    """An adult's informed consent to share information (services never depend on it)."""
    return _set_field(staff, encounter, Step.CONSENT, "consent", consent)


@transaction.atomic
def record_education(staff: Staff, encounter: Encounter, education: str) -> Encounter:
    """The hotline card: offered, taken, declined, or shared by word only."""
    return _set_field(staff, encounter, Step.EDUCATION, "education", education)


@transaction.atomic
def save_child_protection_report(staff: Staff, encounter: Encounter, data: Mapping[str, Any]) -> ChildProtectionReport:
    """A minor's child protective services report, or why it is deferred.  A report made (an agency
    given) is also written to the disclosure log, in this transaction: the young person told first
    needs no follow-up; otherwise one is made to tell them, unless ``danger_reason`` says why
    telling them would put them in danger (``danger_reason`` None: not asked this time, and a danger
    recorded before stands; given empty: cleared on purpose)."""
    encounter = _open(encounter, Step.MINOR)
    fields = {key: value for key, value in data.items() if key != "danger_reason"}
    report, _created = ChildProtectionReport.objects.update_or_create(
        encounter=encounter, defaults={**fields, "by_id": staff.id}
    )
    if str(report.agency or "").strip() and not str(report.deferred_reason or "").strip():
        reported = report.reported_at
        if reported is not None and timezone.is_aware(reported):
            reported = timezone.localtime(reported)
        record_child_protection(
            staff, encounter.person, encounter_id=encounter.id, agency=str(report.agency),
            reported_on=reported.date() if reported else None, told_first=bool(report.told_first),
            danger_reason=None if data.get("danger_reason") is None else str(data["danger_reason"]),
        )  # fmt: skip
    _mark(staff, encounter, Step.MINOR, StepStatus.DONE)
    return report


# --- Immediate escalation -----------------------------------------------------------------------


@transaction.atomic
def record_emergency_call(staff: Staff, encounter: Encounter, choice: str) -> Encounter:
    """Injured: what they chose when offered 911 or an ambulance, and when."""
    encounter = _open(encounter)
    encounter.emergency_call, encounter.emergency_call_at = choice, timezone.now()
    encounter.save(update_fields=["emergency_call", "emergency_call_at"])
    audit.record_by(staff, EncounterEvent.UPDATED, encounter)
    return encounter


@transaction.atomic
def record_callback_plan(
    staff: Staff,
    encounter: Encounter,
    callback_plan: str,
    channel: str = "",
    due_on: datetime.date | None = None,
    *,
    no_channel_offered: bool = False,
) -> Encounter:
    """Not safe to talk: when and how to call back, as they said it; the safety check is paused.

    The first save puts one follow-up on the list, due ``due_on`` (today by default), assigned as
    every follow-up is: on ``channel`` when one is chosen (one their contact rules allow: checked
    again by the contact action, all or nothing); or, when their rules allow no way of reaching them
    at all (the usual case on a first call), a follow-up with no channel, which offers no way to
    contact them and asks to find out how we may.  Their words about when and how stay on the call
    (the follow-up's page shows them to the staff who may hold them), never in the follow-up's text.
    With channels allowed and none chosen ("No follow-up now"), none is made; but a page that
    offered no channel (``no_channel_offered``: their rules allowed none when it was opened) still
    gets the follow-up it promised, with no channel, if the rules allow one by the save.  A later save
    changes the words kept on the call only: the follow-up already made (``callback_task``) is left as
    it is, and no second one is made.  Saved words that ``staff`` may not read (``callback_plan_held``)
    are kept as they are: a blank keeps them, other words are refused, nothing saved."""
    encounter = _open(encounter)
    if callback_plan_held(staff, encounter):  # words they may not read: a blank keeps them
        if callback_plan.strip():  # any words at all (comparing them would tell whether a guess is right)
            raise Refused(
                gettext(
                    "Their words about when and how are held by the assigned staff and supervisors: only they can "
                    "change them. Nothing was saved: clear the words to save the rest."
                )
            )
    else:
        encounter.callback_plan = callback_plan
    task = callback_task(encounter)
    if task is None:
        person = encounter.person
        due_on = due_on or timezone.localdate()
        try:
            if channel:
                task = add_task(
                    staff, person, due_on=due_on, channel=channel, source=TaskSource.CALLBACK,
                    source_encounter_id=encounter.id,
                )  # fmt: skip
            elif no_channel_offered or not usable_channels(ContactRules.objects.filter(person_id=person.id).first()):
                task = add_in_person_task(
                    staff, person, due_on=due_on, what=no_channel_task_text(),
                    source=TaskSource.CALLBACK, source_encounter_id=encounter.id,
                )  # fmt: skip
        except ContactRefused as refused:
            raise Refused(str(refused)) from refused
    encounter.callback_task_id = task.id if task is not None else None
    encounter.save(update_fields=["callback_plan", "callback_task_id"])
    _mark(staff, encounter, Step.SAFETY_CHECK, StepStatus.PAUSED, gettext("Call paused"))
    return encounter


def callback_plan_held(staff: Staff, encounter: Encounter) -> bool:
    """Whether this call's callback words are kept from ``staff``: words are saved, and they are not
    the record's assigned staff or a supervisor (the summary holds them back the same way).  The
    cover page then shows them as held, and ``record_callback_plan`` keeps them as they are."""
    return bool(encounter.callback_plan) and not may_hold_secrets(staff, encounter.person)


def callback_task(encounter: Encounter) -> FollowUpTask | None:
    """The follow-up this call's callback plan made, if any (also one made before the encounter kept
    its id: the callback follow-up that names the encounter)."""
    if encounter.callback_task_id is not None:
        found = FollowUpTask.objects.filter(pk=encounter.callback_task_id, person_id=encounter.person_id).first()
        if found is not None:
            return found
    named = FollowUpTask.objects.filter(person_id=encounter.person_id, source_encounter_id=encounter.id)
    return next((task for task in named.order_by("created_at") if task.source == TaskSource.CALLBACK), None)


def no_channel_task_text() -> str:
    """What a callback follow-up with no channel asks.  Their words about when and how stay on the
    call (``Encounter.callback_plan``), which only the assigned staff and supervisors read: the
    follow-up's page shows them to those staff, and a follow-up's text is read by anyone who may read
    the record (lists, the plan)."""
    return gettext(
        "Callback agreed on a call, but their contact rules allow no way of reaching them. Do not call, text "
        "or write: when they call back or come in, ask how we may contact them."
    )


# --- Closing and amending -----------------------------------------------------------------------


@transaction.atomic
def close_encounter(staff: Staff, encounter: Encounter) -> Encounter:
    """Close and lock; a minor's encounter needs its child protective services step first."""
    encounter = _open(encounter)
    if blocker := encounter.close_blocker():
        raise Refused(blocker)
    encounter.closed_at, encounter.closed_by_id = timezone.now(), staff.id
    encounter.save(update_fields=["closed_at", "closed_by_id"])
    audit.record_by(staff, EncounterEvent.CLOSED, encounter)
    return encounter


@transaction.atomic
def amend_encounter(staff: Staff, encounter: Encounter, text: str) -> Amendment:
    """A correction to a closed encounter is added beside it; the original is never edited."""
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if blocker := encounter.amend_blocker():
        raise Refused(blocker)
    amendment = Amendment.objects.create(encounter=encounter, text=text, by_id=staff.id)
    audit.record_by(staff, EncounterEvent.AMENDED, encounter)
    return amendment

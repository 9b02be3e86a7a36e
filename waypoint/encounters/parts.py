"""This app's part of a person's record: the encounters (reads of an encounter are reads of the
record), their audit events in "who viewed", and several timeline entries per encounter."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from waypoint.contact.models import FollowUpTask
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import URGENT_ANSWERS, Encounter, SafetyAnswer, Step, StepState
from waypoint.people.models import Person
from waypoint.people.parts import RecordPart, TimelineEntry, record_parts
from waypoint.plans.models import SafetyPlan

TIMELINE_LIMIT = 200  # the newest encounters on the timeline


def _object_ids(person: Person) -> list[uuid.UUID]:
    return list(Encounter.objects.filter(person=person).values_list("id", flat=True))


def _timeline(person: Person) -> list[TimelineEntry]:
    """Several lines per encounter: started (how), seen alone or not, each urgent step recorded, a
    safety plan started or a follow-up set from it, closed.  Labels only: the wording of the step list and its pages."""
    encounters = list(Encounter.objects.filter(person=person)[:TIMELINE_LIMIT])
    ids = [encounter.id for encounter in encounters]
    states = {
        (state.encounter_id, state.step): state
        for state in StepState.objects.filter(encounter_id__in=ids).only("encounter_id", "step", "at", "by_id")
        if state.step in (Step.GATE, Step.SAFETY_CHECK)  # the step is encrypted: matched here
    }
    urgent = {
        (answer.encounter_id, answer.question_key): answer
        for answer in SafetyAnswer.objects.filter(encounter_id__in=ids, question_key__in=list(URGENT_ANSWERS))
        if answer.consented and answer.answer == URGENT_ANSWERS[answer.question_key].answer
    }
    plans = SafetyPlan.objects.filter(source_encounter_id__in=ids).only(
        "id", "source_encounter_id", "created_at", "created_by_id"
    )
    plans_by = {plan.source_encounter_id: plan for plan in plans}
    # A callback follow-up with no channel does not name the encounter; the encounter names it.
    callback_of = {encounter.callback_task_id: encounter.id for encounter in encounters if encounter.callback_task_id}
    tasks = FollowUpTask.objects.filter(Q(source_encounter_id__in=ids) | Q(id__in=list(callback_of))).only(
        "id", "source_encounter_id", "created_at", "created_by_id"
    )
    tasks_by: dict[uuid.UUID, list[FollowUpTask]] = {}
    for task in tasks:
        source = task.source_encounter_id or callback_of.get(task.id)
        tasks_by.setdefault(source, []).append(task)  # type: ignore[arg-type]
    entries: list[TimelineEntry] = []
    for encounter in encounters:
        entries.extend(_lines(encounter, states, urgent, plans_by.get(encounter.id)))
        entries.extend(
            TimelineEntry(
                at=task.created_at,
                who_id=task.created_by_id,
                what=_("Follow-up set from this encounter"),
                url=reverse("contact:task", kwargs={"task_id": task.id}),
            )
            for task in tasks_by.get(encounter.id, [])
        )
    return entries


def _lines(
    encounter: Encounter,
    states: dict[tuple[uuid.UUID, str], StepState],
    urgent: dict[tuple[uuid.UUID, str], SafetyAnswer],
    plan: SafetyPlan | None,
) -> list[TimelineEntry]:
    detail = reverse("encounters:detail", kwargs={"encounter_id": encounter.id})
    summary = reverse("encounters:summary", kwargs={"encounter_id": encounter.id})
    privacy = reverse("encounters:gate", kwargs={"encounter_id": encounter.id})
    lines = [
        TimelineEntry(
            at=encounter.started_at,
            who_id=encounter.lead_id,
            what=_("%(mode)s encounter") % {"mode": encounter.get_mode_display()},
            url=detail,
            note=_("closed") if encounter.is_closed else "",
        )
    ]
    gate = states.get((encounter.id, Step.GATE))
    if gate is not None and encounter.gate:
        lines.append(
            TimelineEntry(
                at=gate.at, who_id=gate.by_id, what=_("Privacy"), url=privacy, note=encounter.get_gate_display()
            )
        )
    for key, spec in URGENT_ANSWERS.items():
        if (found := urgent.get((encounter.id, key))) is not None:
            lines.append(
                TimelineEntry(at=found.at, who_id=found.by_id, what=_("Urgent step"), url=summary, note=str(spec.label))
            )
    if encounter.emergency_call and encounter.emergency_call_at:
        lines.append(
            TimelineEntry(
                at=encounter.emergency_call_at,
                who_id=None,
                what=_("Urgent step"),
                url=summary,
                note=encounter.get_emergency_call_display(),
            )
        )
    if encounter.callback_plan:  # recorded with the safety check paused: that is when
        check = states.get((encounter.id, Step.SAFETY_CHECK))
        at, who = (check.at, check.by_id) if check is not None else (encounter.started_at, encounter.lead_id)
        lines.append(TimelineEntry(at=at, who_id=who, what=_("Callback plan agreed"), url=summary))
    if plan is not None:
        lines.append(
            TimelineEntry(
                at=plan.created_at,
                who_id=plan.created_by_id,
                what=_("Safety plan started from this encounter"),
                url=summary,
            )
        )
    if encounter.closed_at is not None:
        lines.append(
            TimelineEntry(
                at=encounter.closed_at, who_id=encounter.closed_by_id, what=_("Encounter closed"), url=summary
            )
        )
    return lines


def _owners(org_id: uuid.UUID, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Encounter id -> person id, for the encounters of this organisation among ``ids``."""
    return dict(Encounter.objects.filter(org_id=org_id, id__in=list(ids)).values_list("id", "person_id"))


def _age_refusal(person: Person, is_minor: bool) -> str:
    """An open encounter follows the adult or the minor branch it started on: a new age that
    contradicts it is refused ("" when it does not)."""
    open_encounters = Encounter.objects.filter(person_id=person.pk, closed_at__isnull=True).only("id", "is_minor")
    if any(encounter.is_minor != is_minor for encounter in open_encounters):  # encrypted: compared here
        return _(
            "This contradicts the minor status of an open encounter. Check the age, or "
            "close that encounter first and start a new one."
        )
    return ""


PART = RecordPart(
    key="encounters",
    order=20,
    object_ids=_object_ids,
    events=frozenset(
        str(event)
        for event in (
            EncounterEvent.STARTED,
            EncounterEvent.VIEWED,
            EncounterEvent.UPDATED,
            EncounterEvent.CLOSED,
            EncounterEvent.AMENDED,
        )
    ),
    timeline=_timeline,
    owners=_owners,
    age_refusal=_age_refusal,
    # Retention: an encounter's rows, then the encounter (a separation run points to it).
    purge_models=(
        ("encounters.SeparationRun", "encounter__person_id"),
        ("encounters.StepState", "encounter__person_id"),
        ("encounters.SafetyAnswer", "encounter__person_id"),
        ("encounters.ComfortEvent", "encounter__person_id"),
        ("encounters.DomainAssessment", "encounter__person_id"),
        ("encounters.EmergencyNeed", "encounter__person_id"),
        ("encounters.ChildProtectionReport", "encounter__person_id"),
        ("encounters.Amendment", "encounter__person_id"),
        ("encounters.Encounter", "person_id"),
    ),
    narrative=(
        ("encounters.Encounter", "person_id", ("gate_reason", "callback_plan"), "started_at"),
        ("encounters.StepState", "encounter__person_id", ("reason",), "at"),
        ("encounters.DomainAssessment", "encounter__person_id", ("note",), "encounter__started_at"),
        ("encounters.EmergencyNeed", "encounter__person_id", ("note",), "encounter__started_at"),
        ("encounters.ChildProtectionReport", "encounter__person_id", ("deferred_reason",), "encounter__started_at"),
        ("encounters.Amendment", "encounter__person_id", ("text",), "at"),
        ("encounters.SeparationRun", "encounter__person_id", ("why_not", "escalation_notes"), "at"),
    ),
    answers=(("encounters.SafetyAnswer", "encounter__person_id", "at"),),
    activity=(
        ("encounters.Encounter", "person_id", "started_at"),
        ("encounters.Encounter", "person_id", "closed_at"),
        ("encounters.StepState", "encounter__person_id", "at"),
        ("encounters.SafetyAnswer", "encounter__person_id", "at"),
        ("encounters.ComfortEvent", "encounter__person_id", "at"),
        ("encounters.Amendment", "encounter__person_id", "at"),
        ("encounters.SeparationRun", "encounter__person_id", "at"),
    ),
    open_work=(("encounters.Encounter", "person_id", "closed_at"),),
)


def register() -> None:
    record_parts.register("encounters", PART)

"""Encounters: one visit or call, its steps, the safety-check answers and the comfort log.

The individual leads: every step can be done, skipped or paused with a reason, and nothing forces a
disclosure.  Assessment steps stay locked until the privacy gate is passed or recorded as not
possible.  A closed encounter is locked; later corrections are amendments (who and when)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waypoint.content.models import ContentSet
from waypoint.content.vocabulary import SafetyDomain
from waypoint.core.fields import (
    EncryptedBooleanField,
    EncryptedCharField,
    EncryptedDateTimeField,
    EncryptedJSONField,
    EncryptedTextField,
)
from waypoint.orgs.models import Organisation, Site, Staff
from waypoint.people.models import Person


class Mode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video")


class Gate(models.TextChoices):
    ALONE = "alone", _("Seen alone for at least part of the visit")
    NOT_ALONE = "not_alone", _("Not seen alone yet")
    NOT_POSSIBLE = "not_possible", _("Seeing them alone is not possible")


class Interpreter(models.TextChoices):
    NOT_NEEDED = "not_needed", _("No interpreter needed")
    PROFESSIONAL = "professional", _("Professional interpreter")
    UNAVAILABLE = "unavailable", _("Needed, but no professional interpreter is available")


class Step(models.TextChoices):
    GATE = "gate", _("Privacy")
    SAFE_TO_TALK = "safe_to_talk", _("Safe to talk")
    CONFIDENTIALITY = "confidentiality", _("Confidentiality")
    SAFETY_CHECK = "safety_check", _("Safety check")
    ASSESSMENT = "assessment", _("Four areas of safety")
    NEEDS = "needs", _("Emergency needs")
    CONSENT = "consent", _("Consent")
    MINOR = "minor", _("Child protective services")
    EDUCATION = "education", _("Hotline card")


# Steps that ask about safety: they wait until the privacy gate is settled (seen alone, or recorded
# as not possible), so nobody is asked about danger in front of a companion.
LOCKED_BY_GATE = frozenset({Step.SAFETY_CHECK, Step.ASSESSMENT, Step.NEEDS})
# On a call (phone or video) nobody can see who else is there: first the hang-up reminder and "Is it
# safe for you to speak with me right now?"; confidentiality and every safety question wait for a yes.
LOCKED_BY_SAFE_TO_TALK = frozenset({Step.CONFIDENTIALITY, *LOCKED_BY_GATE})


Domain = SafetyDomain  # the four areas of safety, shared with the safety plan


class Level(models.TextChoices):
    NONE = "none", _("No concern")
    SOME = "some", _("Some concern")
    URGENT = "urgent", _("Needs help now")


class NeedKind(models.TextChoices):
    INJURIES = "injuries", _("Injuries")
    MEDICATIONS = "medications", _("Medications")
    SHELTER = "shelter", _("Shelter")
    FOOD_WATER = "food_water", _("Food and water")
    OTHER = "other", _("Other")


class Consent(models.TextChoices):
    GIVEN = "given", _("Gave informed consent")
    DECLINED = "declined", _("Declined: nothing is shared")
    NOT_ASKED = "not_asked", _("Not asked yet")


class EmergencyCall(models.TextChoices):
    CALLED_911 = "called_911", _("Called 911")
    AMBULANCE = "ambulance", _("Called an ambulance")
    DECLINED = "declined", _("They did not want a call")


class Education(models.TextChoices):
    OFFERED = "offered", _("Offered")
    TAKEN = "taken", _("Taken")
    DECLINED = "declined", _("Declined")
    UNSAFE = "unsafe", _("Not safe to carry: shared by word only")


class StepStatus(models.TextChoices):
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    PAUSED = "paused", _("Paused")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("Unsure")
    DECLINED = "declined", _("Prefers not to say")


class ComfortKind(models.TextChoices):
    WATER = "water", _("Water offered")
    RESTROOM = "restroom", _("Restroom shown")
    BREAK_OFFERED = "break_offered", _("Break offered")
    BREAK_TAKEN = "break_taken", _("Break taken")
    NEED_ANYTHING = "need_anything", _("Asked if they need anything")
    CHECK_IN = "check_in", _("Checked in: still safe to continue")
    GROUNDING = "grounding", _("Grounding exercise")
    SELF_SOOTHING = "self_soothing", _("Breathing exercise")
    CALL_BACK = "call_back", _("Offered to talk again later")


# Water and the restroom only make sense in the same room; on a call, offering to talk again later
# ("call me back") does.  Everything else is offered in both.
COMFORT_IN_PERSON_ONLY = frozenset({ComfortKind.WATER, ComfortKind.RESTROOM})
COMFORT_REMOTE_ONLY = frozenset({ComfortKind.CALL_BACK})


def comfort_choices(mode: str) -> list[tuple[str, str]]:
    """The comfort kinds offered for an encounter in ``mode`` (value, label), in the usual order."""
    left_out = COMFORT_REMOTE_ONLY if mode == Mode.IN_PERSON else COMFORT_IN_PERSON_ONLY
    return [(kind.value, str(kind.label)) for kind in ComfortKind if kind not in left_out]


class Encounter(models.Model):
    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="encounters")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="encounters")
    mode = models.CharField(max_length=12, choices=Mode.choices)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    lead = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="led_encounters")
    language = models.CharField(max_length=8, default="en")
    started_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_id = models.UUIDField(null=True, blank=True)
    # What the person said or what their situation is: encrypted, empty values included.
    gate = EncryptedCharField(max_length=14, choices=Gate.choices, blank=True)
    gate_reason = EncryptedTextField(blank=True)
    interpreter = EncryptedCharField(max_length=14, choices=Interpreter.choices, blank=True)
    gender_preference_offered = models.BooleanField(default=False)  # what staff offered, not an answer
    consent = EncryptedCharField(max_length=10, choices=Consent.choices, default=Consent.NOT_ASKED)
    education = EncryptedCharField(max_length=10, choices=Education.choices, blank=True)
    is_minor = EncryptedBooleanField(default=False, help_text="Derived from the record when the encounter started")
    emergency_call = EncryptedCharField(max_length=12, choices=EmergencyCall.choices, blank=True)
    emergency_call_at = EncryptedDateTimeField(null=True, blank=True)
    callback_plan = EncryptedTextField(blank=True)
    # The one follow-up its callback plan made (on a channel the rules allow, or with no channel when
    # they allow none): a later save of the plan finds it here and makes no second one.
    callback_task_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} {self.started_at:%Y-%m-%d}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def gate_passed(self) -> bool:
        """Phone and video calls have no waiting room; in person, the gate must be settled."""
        return self.mode != Mode.IN_PERSON or self.gate in (Gate.ALONE, Gate.NOT_POSSIBLE)

    @property
    def check_kind(self) -> str:
        from waypoint.content.source import IN_PERSON, PHONE

        return IN_PERSON if self.mode == Mode.IN_PERSON else PHONE

    @property
    def is_call(self) -> bool:
        """Phone or video: the person is somewhere we cannot see, so the call starts with safety."""
        return self.mode != Mode.IN_PERSON

    @property
    def comfort_choices(self) -> list[tuple[str, str]]:
        return comfort_choices(self.mode)

    def steps(self) -> list[str]:
        steps: list[str] = [Step.CONFIDENTIALITY, Step.SAFETY_CHECK, Step.ASSESSMENT, Step.NEEDS]
        steps.append(Step.MINOR if self.is_minor else Step.CONSENT)
        steps.append(Step.EDUCATION)
        return [Step.SAFE_TO_TALK, *steps] if self.is_call else [Step.GATE, *steps]

    @property
    def said_safe_to_talk(self) -> bool:
        """On a call, whether they said yes to "is it safe to speak right now?" at its start (a call
        begun before that question came first never said it: the check asks it like any other)."""
        state = self.step_status().get(Step.SAFE_TO_TALK) if self.is_call else None
        return state is not None and state.status == StepStatus.DONE

    def step_status(self) -> dict[str, StepState]:
        return {state.step: state for state in self.step_states.all()}

    def saved_answers(self, content: ContentSet) -> dict[str, SafetyAnswer]:
        """The answers already kept for this version of the questions, by question key."""
        return {answer.question_key: answer for answer in self.answers.filter(content_set=content)}

    def has_step(self, step: str) -> bool:
        return step in self.steps()

    def locked_reason(self, step: str) -> str:
        """Why ``step`` cannot be opened yet ("" when it can): safety questions wait for the privacy
        gate (in person) or a yes to "is it safe to speak right now?" (on a call, which confidentiality
        waits for too), and the safety check also for the explanation of confidentiality and its limits."""
        if step in LOCKED_BY_GATE and not self.gate_passed:
            if self.gate == Gate.NOT_ALONE:
                return gettext(
                    "Privacy is waiting: they have not been seen alone yet. The safety questions wait until "
                    "you can see them alone, or record that it is not possible (Privacy)."
                )
            return gettext("First record whether you could see them alone (Privacy).")
        if self.is_call and step in LOCKED_BY_SAFE_TO_TALK:
            states = self.step_status()
            said, explained = states.get(Step.SAFE_TO_TALK), states.get(Step.CONFIDENTIALITY)
            # A call started before this question came first has confidentiality done and no answer to it.
            earlier = said is None and explained is not None and explained.status == StepStatus.DONE
            if not earlier and (said is None or said.status != StepStatus.DONE):
                return gettext("First ask whether it is safe for them to speak with you right now (Safe to talk).")
        if step == Step.SAFETY_CHECK:
            confidentiality = self.step_status().get(Step.CONFIDENTIALITY)
            if confidentiality is None or confidentiality.status != StepStatus.DONE:
                return gettext("First explain confidentiality and its limits (Confidentiality).")
        return ""

    def check_counts(self) -> CheckCounts:
        """The safety-check questions as stored: one row per question asked; what they said is kept
        only where they agreed it is written down (otherwise only that the question was asked)."""
        consents = [answer.consented for answer in self.answers.all()]
        return CheckCounts(asked=len(consents), recorded=sum(consents), not_recorded=consents.count(False))

    def child_protection_report(self) -> ChildProtectionReport | None:
        return ChildProtectionReport.objects.filter(encounter=self).first()

    def close_blocker(self) -> str:
        """A minor's encounter cannot close without the child protective services step ("" = may close)."""
        if self.is_minor and not ChildProtectionReport.objects.filter(encounter=self).exists():
            return gettext(
                "This is a minor: record the child protective services report, or why it is deferred, before closing."
            )
        return ""

    def amend_blocker(self) -> str:
        """Amendments correct a closed encounter; an open one is changed in the step itself."""
        return "" if self.is_closed else gettext("The encounter is still open: change the step itself.")


@dataclass(frozen=True)
class CheckCounts:
    asked: int
    recorded: int
    not_recorded: int


class Escalation(StrEnum):
    """Where safety-check answers send the provider at once (each is a page of this app, by URL name)."""

    NOT_SAFE_TO_TALK = "cover"
    DANGER = "danger"
    INJURED = "injured"


@dataclass(frozen=True)
class CheckAnswer:
    """One safety-check question as answered: the answer, whether they agreed it is written down,
    a note in their words, and the structured parts of a question that becomes contact rules
    (``waypoint.contact.intake``: part name -> value)."""

    answer: str = ""
    consented: bool = False
    note: str = ""
    parts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Urgent:
    """A safety-check answer that sends the provider to an urgent page at once."""

    answer: str
    escalation: Escalation
    label: Any  # lazy translation: the urgent page's name, as the timeline and summary show it


# In the order the check sends the provider: not safe to talk first (the call must end safely),
# then danger here, then injured.  The one list the check, the timeline and the summary read.
URGENT_ANSWERS: dict[str, Urgent] = {
    "safe_to_talk": Urgent(Answer.NO, Escalation.NOT_SAFE_TO_TALK, _("Not safe to talk")),
    "danger_here": Urgent(Answer.YES, Escalation.DANGER, _("In danger here")),
    "injured": Urgent(Answer.YES, Escalation.INJURED, _("Injured")),
}


def escalation_target(answers: Mapping[str, CheckAnswer]) -> Escalation | None:
    """Where the first urgent answer given sends the provider, if anywhere."""
    for key, urgent in URGENT_ANSWERS.items():
        found = answers.get(key)
        if found is not None and found.answer == urgent.answer:
            return urgent.escalation
    return None


class StepState(models.Model):
    """One per step of an encounter (kept so by ``actions``, under the encounter's lock: the step is
    encrypted, since a "minor" step would show the minor flag, so no unique constraint can)."""

    record_key_via = "encounter.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="step_states")
    step = EncryptedCharField(max_length=20, choices=Step.choices)
    status = models.CharField(max_length=10, choices=StepStatus.choices)
    reason = EncryptedTextField(blank=True)
    at = models.DateTimeField(auto_now=True)
    by_id = models.UUIDField()


class SafetyAnswer(models.Model):
    record_key_via = "encounter.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="answers")
    content_set = models.ForeignKey(ContentSet, on_delete=models.PROTECT)
    question_key = models.CharField(max_length=40)
    answer = EncryptedCharField(max_length=10, choices=Answer.choices, blank=True)  # the key is only the question
    note = EncryptedTextField(blank=True)
    consented = models.BooleanField(default=False)
    # The contact-rule fields this answer set, kept while they agree: field -> a digest of the value
    # it wrote (``waypoint.contact.intake.digest``), never the value itself, so a rule removed later
    # leaves no copy here.  Withdrawing their agreement resets the fields that still hold it.
    rules_written = EncryptedJSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now=True)
    by_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encounter", "content_set", "question_key"], name="one_answer_each")
        ]


class ComfortEvent(models.Model):
    record_key_via = "encounter.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="comfort_events")
    kind = EncryptedCharField(max_length=20, choices=ComfortKind.choices)  # "break taken" describes them
    at = models.DateTimeField(auto_now_add=True)
    by_id = models.UUIDField()

    class Meta:
        ordering = ["at"]


class DomainAssessment(models.Model):
    record_key_via = "encounter.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="assessments")
    domain = models.CharField(max_length=16, choices=Domain.choices)
    level = EncryptedCharField(max_length=8, choices=Level.choices, blank=True)  # every domain has a row
    note = EncryptedTextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["encounter", "domain"], name="one_assessment_per_domain")]


class EmergencyNeed(models.Model):
    """One per need ticked (kept so by ``actions`` under the encounter's lock; the kind is encrypted)."""

    record_key_via = "encounter.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="needs")
    kind = EncryptedCharField(max_length=12, choices=NeedKind.choices)
    note = EncryptedTextField(blank=True)


class ChildProtectionReport(models.Model):
    """The child protective services step for a minor: made, or deferred with a reason."""

    record_key_via = "encounter.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    encounter = models.OneToOneField(Encounter, on_delete=models.CASCADE, related_name="cps_report")
    agency = EncryptedTextField(blank=True)
    reported_at = EncryptedDateTimeField(null=True, blank=True)
    reference = EncryptedTextField(blank=True)
    told_first = EncryptedBooleanField(default=False)
    told_by = EncryptedTextField(blank=True)
    deferred_reason = EncryptedTextField(blank=True)
    by_id = models.UUIDField()


class Amendment(models.Model):
    """A correction to a closed encounter: the original stays; this is added, with who and when."""

    record_key_via = "encounter.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="amendments")
    text = EncryptedTextField()
    at = models.DateTimeField(auto_now_add=True)
    by_id = models.UUIDField()

    class Meta:
        ordering = ["at"]


def latest_unsafe_carry_signal(person_id: uuid.UUID, question_key: str) -> datetime.datetime | None:
    """When the person last said paper is not safe to carry: the hotline card recorded as unsafe,
    or "no" / "unsure" to ``question_key``.  Education and answers are encrypted, so the narrow
    query selects this person's rows and the values are compared here."""
    cards = Encounter.objects.filter(person_id=person_id).only("started_at", "education")
    answers = SafetyAnswer.objects.filter(encounter__person_id=person_id, question_key=question_key)
    answers = answers.only("at", "answer")
    found = [e.started_at for e in cards if e.education == Education.UNSAFE]
    found += [a.at for a in answers if a.answer in (Answer.NO, Answer.UNSURE)]
    return max(found) if found else None


from waypoint.encounters.separation import (  # noqa: E402  (models Django must discover)
    SeparationProtocol,
    SeparationRequest,
    SeparationRun,
)

__all__ = ["SeparationProtocol", "SeparationRequest", "SeparationRun"]

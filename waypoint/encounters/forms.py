"""Encounter forms: explicit fields; a reason is required where the source practice asks for one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.contact import intake
from waypoint.core.forms import DateInput, SafeForm, upcoming
from waypoint.encounters.models import (
    Answer,
    CheckAnswer,
    ComfortKind,
    Consent,
    Domain,
    Education,
    EmergencyCall,
    Gate,
    Interpreter,
    Level,
    Mode,
    NeedKind,
    StepStatus,
)
from waypoint.orgs.models import Site

REASON_LIMIT = 2000


class StartForm(SafeForm):
    mode = forms.ChoiceField(label=_("How are you meeting?"), choices=Mode.choices, widget=forms.RadioSelect)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    separation = forms.TypedChoiceField(
        label=_("The separation you recorded"),
        help_text=_("Link it if it was with this person: Privacy is then recorded as seen alone."),
        coerce=uuid.UUID,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, org_id: uuid.UUID, separations: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        """``separations``: (run id, label) of the separations this provider may link (none: no field)."""
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(org_id=org_id)  # type: ignore[attr-defined]
        if separations or (self.is_bound and self.data.get("separation")):  # an id no longer offered: refused
            choice = self.fields["separation"]
            assert isinstance(choice, forms.TypedChoiceField)
            choice.choices = [("", _("Do not link a separation")), *(separations or [])]
        else:
            del self.fields["separation"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("separation") and data.get("mode") and data["mode"] != Mode.IN_PERSON:
            self.add_error("separation", _("A separation can only be linked to an in-person encounter."))
        return data


class GateForm(SafeForm):
    gate = forms.ChoiceField(
        label=_("Were you able to see them alone?"), choices=Gate.choices, widget=forms.RadioSelect
    )
    gate_reason = forms.CharField(
        label=_("Why not? (short, no names)"),
        required=False,
        max_length=REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    interpreter = forms.ChoiceField(
        label=_("Interpreter"),
        choices=Interpreter.choices,
        widget=forms.RadioSelect,
        help_text=_("Use a professional interpreter, never a companion or relative."),
    )
    gender_preference_offered = forms.BooleanField(
        label=_("I offered the choice of a male or a female interviewer"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("gate") == Gate.NOT_POSSIBLE and not data.get("gate_reason"):
            self.add_error("gate_reason", _("Say briefly why seeing them alone is not possible."))
        return data


class StepStateForm(SafeForm):
    status = forms.ChoiceField(choices=[(StepStatus.SKIPPED, _("Skip")), (StepStatus.PAUSED, _("Pause"))])
    reason = forms.CharField(label=_("Reason"), max_length=REASON_LIMIT, widget=forms.Textarea(attrs={"rows": 2}))


class ComfortForm(SafeForm):
    """Any comfort kind; the action refuses one not offered for the encounter's mode (no water by phone)."""

    kind = forms.ChoiceField(choices=ComfortKind.choices)


class SafeToTalkForm(SafeForm):
    """On a call, the first question: one click (yes, no or not sure) against the version shown."""

    content_set = forms.UUIDField(widget=forms.HiddenInput)
    answer = forms.ChoiceField(
        label=_("What they said"),
        choices=[(Answer.YES, _("Yes")), (Answer.NO, _("No")), (Answer.UNSURE, _("Not sure"))],
        error_messages={
            "required": _("Choose what they said: yes, no or not sure."),
            "invalid_choice": _("Choose what they said: yes, no or not sure."),
        },
    )


# What the page says will happen to each question's answer when saved (check.html, static/check.js).
KEEP_NONE, KEEP_KEPT, KEEP_ASKED = "none", "kept", "asked"


class SafetyCheckForm(SafeForm):
    """One answer, consent flag and note per question of the content version shown.  ``consent_all``
    records once that they agree their answers are written down (each question's box can still be
    unticked: with the script, unticking one unticks the "all" box).  ``fixed``: questions already
    answered earlier in this encounter (on a call, "safe to talk" at the start): no answer is asked
    again, only whether it may be written down.  An open question ("if someone comes on the line,
    what would you like me to do?", ``intake.OPEN_QUESTIONS``) offers no yes / no / unsure: its
    answer is its structured parts, and their words in the note.  ``held``: questions whose kept
    answer this staff member may not read (``actions.held_answers``): nothing of the answer is on
    the form, only its agreement, ticked and disabled; the save leaves them as they are."""

    content_set = forms.UUIDField(widget=forms.HiddenInput)
    consent_all = forms.BooleanField(
        label=_("They agree that their answers are written down, for every question"),
        help_text=_("Each question can still be left out: untick it there."),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        questions: list[tuple[str, str]],
        fixed: Mapping[str, str] | None = None,
        held: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fixed = fixed or {}
        self.held = held
        for key, text in questions:
            if key in held:
                self.fields[f"{key}__consented"] = forms.BooleanField(
                    label=_("They agree that this answer is written down"), required=False, disabled=True, initial=True
                )
                continue
            if key not in self.fixed and key not in intake.OPEN_QUESTIONS:
                self.fields[f"{key}__answer"] = forms.ChoiceField(
                    label=text, choices=Answer.choices, required=False, widget=forms.RadioSelect
                )
            for part, field in intake.part_fields(key).items():
                self.fields[f"{key}__{part}"] = field
            self.fields[f"{key}__consented"] = forms.BooleanField(
                label=_("They agree that this answer is written down"), required=False
            )
            self.fields[f"{key}__note"] = forms.CharField(
                label=_("Note (optional, their words)"),
                required=False,
                max_length=REASON_LIMIT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "key": key,
                "text": text,
                "answer": self[f"{key}__answer"] if f"{key}__answer" in self.fields else None,
                "fixed": dict(Answer.choices).get(self.fixed[key], "") if key in self.fixed else "",
                "consented": self[f"{key}__consented"],
                "note": self[f"{key}__note"] if key not in self.held else None,
                "parts": [self[f"{key}__{part}"] for part in intake.PARTS.get(key, {})] if key not in self.held else [],
                "held": key in self.held,
                "keep": self.keep(key),
            }
            for key, text in self.questions
        ]

    def keep(self, key: str) -> str:
        """What saving the form as it stands does with this question: nothing (not answered), keeps
        what they said (they agree), or keeps only that it was asked.  A held answer stays kept."""
        if key in self.held:
            return KEEP_KEPT
        answer = self[f"{key}__answer"].value() if f"{key}__answer" in self.fields else ""
        said = self.fixed.get(key) or answer or self[f"{key}__note"].value()
        said = said or any(intake.answered(self[f"{key}__{part}"].value()) for part in intake.PARTS.get(key, {}))
        if not said:
            return KEEP_NONE
        agreed = self[f"{key}__consented"].value() or self["consent_all"].value()
        return KEEP_KEPT if agreed else KEEP_ASKED

    def keep_counts(self) -> dict[str, int]:
        states = [self.keep(key) for key, _text in self.questions]
        return {state: states.count(state) for state in (KEEP_KEPT, KEEP_ASKED, KEEP_NONE)}

    def _agreed(self, data: dict[str, Any], key: str) -> bool:
        return bool(data.get(f"{key}__consented") or data.get("consent_all"))

    def answers(self) -> dict[str, CheckAnswer]:
        """The validated answers, by question key (call after ``is_valid``); none for a held question."""
        data = self.cleaned_data
        return {
            key: CheckAnswer(
                answer=self.fixed.get(key) or data.get(f"{key}__answer") or "",
                consented=self._agreed(data, key),
                note=data.get(f"{key}__note") or "",
                parts=self._parts(key),
            )
            for key, _text in self.questions
            if key not in self.held
        }

    def _parts(self, key: str) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        return {part: data.get(f"{key}__{part}") for part in intake.PARTS.get(key, {})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key, _text in self.questions:
            if key in self.held:
                continue
            consented = self._agreed(data, key)
            if data.get(f"{key}__note") and not consented:
                self.add_error(f"{key}__note", ValidationError(_("Only write a note if they agree it is recorded.")))
            parts = self._parts(key)
            given = [part for part, value in parts.items() if intake.answered(value)]
            if given and not consented:
                self.add_error(f"{key}__{given[0]}", _("Only record this if they agree it is written down."))
            for part, problem in intake.part_problems(key, parts).items():
                self.add_error(f"{key}__{part}", problem)
        return data


class AssessmentForm(SafeForm):
    """Physical, communication, environmental and emotional safety: a level and a short note each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for domain, label in Domain.choices:
            self.fields[f"{domain}__level"] = forms.ChoiceField(
                label=label, choices=Level.choices, required=False, widget=forms.RadioSelect
            )
            self.fields[f"{domain}__note"] = forms.CharField(
                label=_("Note"), required=False, max_length=REASON_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
            )

    def rows(self) -> list[dict[str, Any]]:
        return [{"level": self[f"{d}__level"], "note": self[f"{d}__note"]} for d in Domain.values]


class NeedsForm(SafeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NeedKind.choices:
            self.fields[f"{kind}__needed"] = forms.BooleanField(label=label, required=False)
            self.fields[f"{kind}__note"] = forms.CharField(
                label=_("What is needed"),
                required=False,
                max_length=REASON_LIMIT,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [{"needed": self[f"{k}__needed"], "note": self[f"{k}__note"]} for k in NeedKind.values]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for kind in NeedKind.values:
            if data.get(f"{kind}__note") and not data.get(f"{kind}__needed"):
                self.add_error(f"{kind}__needed", _("Tick this need, or clear its note."))
        return data


class ConsentForm(SafeForm):
    consent = forms.ChoiceField(
        label=_("What they decided about sharing"),
        choices=Consent.choices,
        widget=forms.RadioSelect,
        help_text=_("Nothing is shared without a written release for each recipient. Services never depend on it."),
    )


class EducationForm(SafeForm):
    education = forms.ChoiceField(
        label=_("National Human Trafficking Hotline card (1-888-373-7888, text 233733)"),
        choices=Education.choices,
        widget=forms.RadioSelect,
    )


class MinorForm(SafeForm):
    agency = forms.CharField(label=_("Agency"), required=False, max_length=200)
    reported_at = forms.DateTimeField(
        label=_("Date and time of the report"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reference = forms.CharField(label=_("Reference number"), required=False, max_length=100)
    told_first = forms.BooleanField(label=_("The young person was told before the report"), required=False)
    told_by = forms.CharField(label=_("Told by"), required=False, max_length=150)
    deferred_reason = forms.CharField(
        label=_("Or: why the report is deferred"),
        required=False,
        max_length=REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    danger_reason = forms.CharField(
        label=_("Why telling them would put them in danger"),
        help_text=_("Only if they were not told first. Left empty, a follow-up is made to tell them."),
        required=False,
        max_length=REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        made = data.get("agency") and data.get("reported_at")
        if not made and not data.get("deferred_reason"):
            raise ValidationError(_("Record the report (agency, date and time) or why it is deferred."))
        if made and data.get("deferred_reason"):
            raise ValidationError(_("Record either the report or a deferral, not both."))
        reported_at = data.get("reported_at")
        if reported_at and reported_at > timezone.now() + timedelta(minutes=5):
            self.add_error("reported_at", _("The report time cannot be in the future."))
        if data.get("told_first") and not data.get("told_by"):
            self.add_error("told_by", _("Say who told them."))
        return data


class EmergencyCallForm(SafeForm):
    emergency_call = forms.ChoiceField(
        label=_("What did they choose?"), choices=EmergencyCall.choices, widget=forms.RadioSelect
    )


class AmendmentForm(SafeForm):
    text = forms.CharField(
        label=_("Correction or addition"), max_length=REASON_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )


class CallbackForm(SafeForm):
    """Not safe to talk: when and how to reach them again.  The channels offered are only those their
    contact rules allow (the action checks again); the best usable one is chosen already, so saving
    schedules a follow-up unless the provider picks "No follow-up now".  When their rules allow no
    channel, none is offered and the date is for a follow-up with no channel.  ``follow_up`` False:
    this call's follow-up exists already, so only the words are asked."""

    callback_plan = forms.CharField(
        label=_("When and how to call back, as they said it"),
        max_length=REASON_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    channel = forms.ChoiceField(label=_("Follow up by"), required=False)
    due_on = forms.DateField(label=_("Follow up on"), required=False, widget=DateInput)

    def __init__(self, *args: Any, channels: list[tuple[str, Any]], follow_up: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [("", _("No follow-up now")), *channels]  # type: ignore[attr-defined]
        if not follow_up:
            del self.fields["channel"], self.fields["due_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("channel") and not data.get("due_on"):
            self.add_error("due_on", _("Give the follow-up a date."))
        return data

    def clean_due_on(self) -> Any:
        return upcoming(self.cleaned_data.get("due_on"))

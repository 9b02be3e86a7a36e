"""Encounter forms: explicit fields; a reason is required where the source practice asks for one."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm
from waypoint.encounters.models import Answer, ComfortKind, Gate, Interpreter, Mode, StepStatus
from waypoint.orgs.models import Site

REASON_LIMIT = 2000


class StartForm(SafeForm):
    mode = forms.ChoiceField(label=_("How are you meeting?"), choices=Mode.choices, widget=forms.RadioSelect)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, org_id: uuid.UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(org_id=org_id)  # type: ignore[attr-defined]


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
    kind = forms.ChoiceField(choices=ComfortKind.choices)


class SafetyCheckForm(SafeForm):
    """One answer, consent flag and note per question of the content version shown."""

    content_set = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, questions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for key, text in questions:
            self.fields[f"{key}__answer"] = forms.ChoiceField(
                label=text, choices=Answer.choices, required=False, widget=forms.RadioSelect
            )
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
                "answer": self[f"{key}__answer"],
                "consented": self[f"{key}__consented"],
                "note": self[f"{key}__note"],
            }
            for key, _text in self.questions
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key, _text in self.questions:
            if data.get(f"{key}__note") and not data.get(f"{key}__consented"):
                self.add_error(f"{key}__note", ValidationError(_("Only write a note if they agree it is recorded.")))
        return data

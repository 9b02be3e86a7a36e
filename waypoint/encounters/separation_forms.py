"""Forms for the separation protocol, front-desk requests and the runner."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm, SafeModelForm
from waypoint.encounters.separation import CODE_PHRASES, Outcome, SeparationProtocol
from waypoint.orgs.models import Site

PROTOCOL_FIELDS = [
    "who_separates",
    "discreet_reasons",
    "refusal_steps",
    "emergency_steps",
    "security_contact",
    "local_police",
    "tribal_police",
    "federal_contact",
    "adult_consent_script",
    "check_in_minutes",
]


class ProtocolForm(SafeModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = SeparationProtocol
        fields = PROTOCOL_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in [
                "who_separates",
                "discreet_reasons",
                "refusal_steps",
                "emergency_steps",
                "adult_consent_script",
            ]
        }
        help_texts = {
            "emergency_steps": _(
                "For in-person encounters. During a call the person is elsewhere: providers see the steps for a call "
                "(your own, set under Settings, Discretion, or Waypoint's: stay on the line, 911) with your law "
                "enforcement contacts."
            ),
            "security_contact": _(
                "Until security and local law enforcement are filled in, providers see 911 and the National Human "
                "Trafficking Hotline instead."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        minutes = self.fields["check_in_minutes"]
        assert isinstance(minutes, forms.IntegerField)
        minutes.min_value, minutes.max_value = 1, 60
        minutes.validators += [MinValueValidator(1), MaxValueValidator(60)]


ROOM_LIMIT = 12


class RequestForm(SafeForm):
    phrase = forms.ChoiceField(label=_("Code phrase"), choices=CODE_PHRASES, widget=forms.RadioSelect)
    site = forms.ModelChoiceField(label=_("Where"), queryset=Site.objects.none(), required=False)
    room = forms.CharField(
        label=_("Room or place (optional)"),
        help_text=_("A room number, for example “4” or “Room 12B”. It is shown on every provider's screen: no names."),
        max_length=ROOM_LIMIT,
        required=False,
        # A number is needed and only a few letters fit: a name cannot be typed here and then be
        # shown (and read aloud by a screen reader) on every provider's screen.
        validators=[
            RegexValidator(
                r"^(?=[^0-9]*[0-9])[A-Za-z0-9 #-]{1,12}\Z",
                _("Give a room number of up to 12 characters, for example “4” or “Room 12B”."),
            )
        ],
    )

    def __init__(self, *args: Any, org_id: uuid.UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(org_id=org_id)  # type: ignore[attr-defined]


class RunForm(SafeForm):
    separator = forms.CharField(label=_("Who is separating"), max_length=200)
    reason_given = forms.CharField(
        label=_("The reason given to bring them to another room"), max_length=300, required=False
    )
    outcome = forms.ChoiceField(label=_("What happened"), choices=Outcome.choices, widget=forms.RadioSelect)
    why_not = forms.CharField(
        label=_("If not attempted: why"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    escalation_notes = forms.CharField(
        label=_("Notes on what was done (no names)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("outcome") == Outcome.NOT_ATTEMPTED and not data.get("why_not"):
            self.add_error("why_not", _("Say briefly why separation was not attempted."))
        return data

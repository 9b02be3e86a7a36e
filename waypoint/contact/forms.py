"""Contact forms: the rules (whole, or the groups a plan item edits), re-confirming them, a new
follow-up, and logging an attempt.  Channels offered are only the ones the guard allows; the actions
check again, since the rules may change between the page and the save."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waypoint.contact.intake import COVER_NEEDED
from waypoint.contact.models import (
    CALL_BACK_MINUTES,
    ConfirmedHow,
    ContactChannel,
    ContactRules,
    Outcome,
    SomeoneAnswers,
)
from waypoint.contact.rules import FIELDS, GROUP_LABELS, GROUPS, SECRET_FIELDS, clean_value
from waypoint.core.forms import DateInput, SafeForm, upcoming

NOTE_LIMIT = 2000


def rule_field(name: str) -> forms.Field:
    """The form field of rule ``name``: radios for choices, a select for call-back times, text for
    the rest (checked by ``rules.clean_value``, the action's own check, so both say the same)."""
    spec = FIELDS[name]
    if spec.kind == "choice":
        choices = spec.choices.choices
        if spec.empty == "":
            choices = [("", _("Not recorded")), *choices]
        return forms.ChoiceField(label=spec.label, choices=choices, required=False, widget=forms.RadioSelect)
    if spec.kind == "minutes":
        return forms.TypedChoiceField(
            label=spec.label, choices=[("", "—"), *CALL_BACK_MINUTES], coerce=int, empty_value=None, required=False
        )
    widget = forms.Textarea(attrs={"rows": 2}) if spec.multiline else forms.TextInput()
    attrs = {"inputmode": "tel"} if spec.kind == "phone" else {"inputmode": "email"} if spec.kind == "email" else {}
    widget.attrs.update(attrs)
    return forms.CharField(label=spec.label, required=False, max_length=spec.max_length, widget=widget)


def rule_initial(rules: ContactRules | None, names: list[str]) -> dict[str, Any]:
    if rules is None:
        return {name: FIELDS[name].empty for name in names}
    return {name: getattr(rules, name) for name in names}


class RuleFieldsMixin:
    """Adds rule fields (``prefix``ed names) to a form and cleans them as the action will."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    rule_names: list[str]

    def add_rule_fields(self, names: list[str]) -> None:
        self.rule_names = names
        for name in names:
            self.fields[f"rule_{name}"] = rule_field(name)

    def clean_rules(self) -> None:
        for name in self.rule_names:
            key = f"rule_{name}"
            if key not in self.cleaned_data:
                continue
            try:
                self.cleaned_data[key] = clean_value(name, self.cleaned_data[key])
            except ValidationError as error:
                self.add_error(key, error)  # type: ignore[attr-defined]

    def rule_changes(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[f"rule_{name}"] for name in self.rule_names if f"rule_{name}" in self.cleaned_data
        }

    def rule_groups(self) -> list[tuple[Any, list[Any]]]:
        found = []
        for key, names in GROUPS.items():
            bound = [self[f"rule_{n}"] for n in names if n in self.rule_names]  # type: ignore[index]
            if bound:
                found.append((GROUP_LABELS[key], bound))
        return found


def group_names(groups: tuple[str, ...], *, secrets: bool = True) -> list[str]:
    return [n for g in groups for n in GROUPS[g] if secrets or n not in SECRET_FIELDS]


class RulesForm(RuleFieldsMixin, SafeForm):
    """The whole rules page: every group, the version it was opened at, and whether the person went
    through every rule (then, and only then, they count as confirmed, with how)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31)
    confirm_all = forms.BooleanField(
        label=_("I read every rule back to them and they confirmed them all"), required=False
    )
    how = forms.ChoiceField(
        label=_("How it was confirmed with them"), choices=ConfirmedHow.choices, widget=forms.RadioSelect,
        required=False,
    )  # fmt: skip

    def __init__(self, *args: Any, names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_rule_fields(names)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_rules()
        if data.get("confirm_all") and not data.get("how"):
            self.add_error("how", _("Say how they confirmed them: in person or by phone."))
        answers = data.get("rule_someone_answers")
        if answers == SomeoneAnswers.SAY_COVER and "rule_cover_name" in self.fields and not data.get("rule_cover_name"):
            self.add_error("rule_cover_name", COVER_NEEDED)
        return data

    def confirmed_how(self) -> str:
        return str(self.cleaned_data["how"]) if self.cleaned_data.get("confirm_all") else ""


class ReconfirmForm(SafeForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31)
    how = forms.ChoiceField(
        label=_("How it was confirmed with them"), choices=ConfirmedHow.choices, widget=forms.RadioSelect
    )


class TaskForm(SafeForm):
    """A new follow-up: only the channels the rules allow are offered (the action checks again)."""

    channel = forms.ChoiceField(label=_("Reach them by"), widget=forms.RadioSelect)
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)
    assignee = forms.ChoiceField(label=_("Assigned to"))
    what = forms.CharField(
        label=_("What to do (shown only on the follow-up itself, never on lists)"),
        required=False,
        max_length=NOTE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, channels: list[tuple[str, Any]], assignees: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]
        self.fields["assignee"].choices = assignees  # type: ignore[attr-defined]

    def clean_due_on(self) -> datetime.date | None:
        return upcoming(self.cleaned_data.get("due_on"))


class AttemptForm(SafeForm):
    channel = forms.ChoiceField(label=_("How you tried to reach them"), widget=forms.RadioSelect)
    outcome = forms.ChoiceField(label=_("What happened"), choices=Outcome.choices, widget=forms.RadioSelect)
    voicemail_left = forms.BooleanField(label=_("I left a voicemail"), required=False)
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=NOTE_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )
    close_task = forms.BooleanField(label=_("This follow-up is done"), required=False)

    def __init__(self, *args: Any, channels: list[tuple[str, Any]], voicemail: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]
        self.voicemail = voicemail
        if not voicemail:
            del self.fields["voicemail_left"]  # no voicemail action exists where it is not allowed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.voicemail and self.data.get("voicemail_left"):
            raise ValidationError(_("Voicemail is not allowed for this person. Nothing was saved."))
        if data.get("voicemail_left") and data.get("channel") != ContactChannel.CALL:
            self.add_error("voicemail_left", _("A voicemail is left on a phone call."))
        return data

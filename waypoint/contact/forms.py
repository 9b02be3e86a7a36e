"""Contact forms: the rules (whole, or the groups a plan item edits), re-confirming them, a new
follow-up, and logging an attempt.  Channels offered are only the ones the guard allows; the actions
check again, since the rules may change between the page and the save."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from waypoint.contact.display import HIDDEN
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


# --- What the page was opened with ---------------------------------------------------------------
#
# A rules form carries, signed, one fingerprint per rule field of the value it was opened with (an
# HMAC under the server's key, bound to the person and the field: no value is readable from it).
# A save then knows which fields the provider changed, and writes only those; after a conflict the
# fields they did not change are refilled from the rules as saved now, so saving again cannot put
# back a colleague's change (say, voicemail "not allowed" back to "allowed").

OPENED_SALT = "waypoint.contact.forms.opened"
OPENED_LIMIT = 8000  # well over the signed fingerprints of every rule field


def _stored(name: str, value: Any) -> Any:
    """``value`` as the rules action stores it, so a value shown and posted back unchanged gives the
    same fingerprint (a value that no longer passes the check is taken as it is)."""
    try:
        value = clean_value(name, value)
    except ValidationError:
        pass
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def fingerprint(person_id: Any, name: str, value: Any) -> str:
    digest = salted_hmac(
        f"{OPENED_SALT}:{person_id}", f"{name}\n{json.dumps(_stored(name, value))}", algorithm="sha256"
    )
    return digest.hexdigest()[:32]


def opened_token(person_id: Any, values: Mapping[str, Any]) -> str:
    """The signed fingerprints of rule ``values`` (field name -> value as shown)."""
    prints = {name: fingerprint(person_id, name, value) for name, value in values.items()}
    return signing.dumps(prints, salt=f"{OPENED_SALT}:{person_id}")


def opened_fingerprints(person_id: Any, token: Any) -> dict[str, str] | None:
    """The fingerprints a form was opened with; None when it carries none, or none signed by us."""
    if not isinstance(token, str) or not token or len(token) > OPENED_LIMIT:
        return None
    try:
        found = signing.loads(token, salt=f"{OPENED_SALT}:{person_id}")
    except signing.BadSignature:
        return None
    if not isinstance(found, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in found.items()):
        return None
    return found


def _as_data(value: Any) -> str:
    """A stored rule value as a browser would post it."""
    return "" if value is None else str(value)


def saved_text(rules: ContactRules, name: str, *, secrets: bool) -> str:
    """What rule ``name`` says now, for "the saved rules say ..." beside a field (a choice reads as
    its label, "Not asked" included; a secret reads "Hidden" unless ``secrets``)."""
    spec, value = FIELDS[name], getattr(rules, name)
    if name in SECRET_FIELDS and value and not secrets:
        return str(HIDDEN)
    if spec.kind == "choice" and value:
        return str(dict(spec.choices.choices).get(value, value))
    if spec.kind == "minutes" and value is not None:
        return str(dict(CALL_BACK_MINUTES).get(value, value))
    return str(value) if value not in (None, "") else gettext("Not recorded")


class RuleFieldsMixin:
    """Adds rule fields (``prefix``ed names) to a form and cleans them as the action will."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    rule_names: list[str]
    rules_person_id: Any = None

    def _form(self) -> forms.Form:
        return cast(forms.Form, self)

    def add_rule_fields(self, names: list[str], person_id: Any = None) -> None:
        """The fields, and (with ``person_id``) the signed fingerprints of the values they show."""
        self.rule_names = names
        self.rules_person_id = person_id
        for name in names:
            self.fields[f"rule_{name}"] = rule_field(name)
        if names and person_id is not None:
            self.fields["rules_opened"] = forms.CharField(
                widget=forms.HiddenInput, required=False, max_length=OPENED_LIMIT
            )
            form = self._form()
            if not form.is_bound:
                shown = {name: form.initial.get(f"rule_{name}", FIELDS[name].empty) for name in names}
                form.initial["rules_opened"] = opened_token(person_id, shown)

    def clean_rules(self) -> None:
        for name in self.rule_names:
            key = f"rule_{name}"
            if key not in self.cleaned_data:
                continue
            try:
                self.cleaned_data[key] = clean_value(name, self.cleaned_data[key])
            except ValidationError as error:
                self._form().add_error(key, error)

    def rule_changes(self) -> dict[str, Any]:
        """Every rule field posted, cleaned (changed or not)."""
        return {
            name: self.cleaned_data[f"rule_{name}"] for name in self.rule_names if f"rule_{name}" in self.cleaned_data
        }

    def edited_rules(self) -> dict[str, Any]:
        """The rule fields the provider changed from the values the page was opened with: the only
        ones a save writes.  A field the page did not show when it was opened (a secret, before the
        provider was assigned to the record) is not theirs to write: posted empty, it would wipe
        the safe word.  A form that carries no signed record (a hand-made post) counts every field
        as changed; the version check still stands."""
        changes = self.rule_changes()
        person_id, form = self.rules_person_id, self._form()
        opened = None
        if person_id is not None:
            opened = opened_fingerprints(person_id, form.data.get(form.add_prefix("rules_opened")))
        if opened is None:
            return changes
        return {
            name: value
            for name, value in changes.items()
            if name in opened and opened[name] != fingerprint(person_id, name, value)
        }

    def rebase_rules(self, current: ContactRules, version_field: str, *, secrets: bool) -> list[str]:
        """After a conflict (the rules changed since the page was opened), make the form answer the
        rules as they are now: fields the provider did not change are refilled from ``current``,
        fields they changed keep what they typed, and the version and fingerprints become the
        current ones, so saving again writes only their own changes.  Returns the labels of their
        changes that differ from the saved rules, each also marked beside its field."""
        edited = self.edited_rules()
        form = self._form()
        data = cast(Any, form.data).copy()  # the posted QueryDict, made writable
        now = {name: getattr(current, name) for name in self.rule_names}
        for name in self.rule_names:
            if name not in edited:
                data[form.add_prefix(f"rule_{name}")] = _as_data(now[name])
        data[form.add_prefix(version_field)] = str(current.version)
        if self.rules_person_id is not None:
            data[form.add_prefix("rules_opened")] = opened_token(self.rules_person_id, now)
        form.data = data
        yours = []
        for name, value in edited.items():
            if json.dumps(_stored(name, now[name])) == json.dumps(_stored(name, value)):
                continue
            saved = saved_text(current, name, secrets=secrets)
            note = gettext("You changed this, and the rules as saved now say: %(saved)s. Saving again keeps yours.") % {
                "saved": saved
            }
            self.fields[f"rule_{name}"].help_text = note
            form[f"rule_{name}"].help_text = note  # the bound field, made when the form was cleaned
            yours.append(str(FIELDS[name].label))
        return yours

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

    def __init__(self, *args: Any, names: list[str], person_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_rule_fields(names, person_id)

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
    """One contact attempt: on a follow-up (which it may close), or from the contact page with no
    follow-up (``task=False``: no "this follow-up is done" box)."""

    channel = forms.ChoiceField(
        label=_("How you tried to reach them"), widget=forms.RadioSelect,
        # Offered a moment ago, forbidden by the rules as they are now (the action's own words).
        error_messages={
            "invalid_choice": _("The contact rules do not allow this way of reaching them. Nothing was saved.")
        },
    )  # fmt: skip
    outcome = forms.ChoiceField(label=_("What happened"), choices=Outcome.choices, widget=forms.RadioSelect)
    voicemail_left = forms.BooleanField(label=_("I left a voicemail"), required=False)
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=NOTE_LIMIT, widget=forms.Textarea(attrs={"rows": 2})
    )
    close_task = forms.BooleanField(label=_("This follow-up is done"), required=False)
    # A second submit of the same form (a double click, a resent page) logs no second attempt.
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)

    def __init__(
        self, *args: Any, channels: list[tuple[str, Any]], voicemail: bool, task: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels  # type: ignore[attr-defined]
        self.voicemail = voicemail
        if not task:
            del self.fields["close_task"]
        if not voicemail:
            del self.fields["voicemail_left"]  # no voicemail action exists where it is not allowed

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.voicemail and self.data.get("voicemail_left"):
            raise ValidationError(_("Voicemail is not allowed for this person. Nothing was saved."))
        if data.get("voicemail_left") and data.get("channel") != ContactChannel.CALL:
            self.add_error("voicemail_left", _("A voicemail is left on a phone call."))
        return data

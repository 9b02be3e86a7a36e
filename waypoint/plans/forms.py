"""Plan forms.  Each turns a section of the plan into plain JSON-ready values and back.

Steps are written in the person's words and say whose idea they were; a provider's suggestion is
saved only as one the person chose.  Resources items are structured fields, never a tick box."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.contact.forms import RuleFieldsMixin
from waypoint.contact.rules import FIELDS
from waypoint.core.forms import DateInput, SafeForm, upcoming
from waypoint.plans.actions import not_filled_message
from waypoint.plans.spec import (
    CONTACT_ROWS,
    MAX_STEPS,
    STEP_LIMIT,
    TEXT_LIMIT,
    ActionStatus,
    Idea,
    ItemSpec,
    ItemStatus,
    Stage,
)
from waypoint.plans.suggestions import SOURCE
from waypoint.referrals.models import ServiceRecord

MAX_REVIEW_DAYS = 366
TASK_ROWS = 3


class VersionForm(SafeForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)


class OverviewForm(VersionForm):
    stage = forms.ChoiceField(label=_("Where they are now"), choices=Stage.choices, widget=forms.RadioSelect)
    review_on = forms.DateField(
        label=_("Review the plan on"),
        required=False,
        widget=DateInput,
        help_text=_("A reminder appears on your home page from this day."),
    )

    def clean_review_on(self) -> datetime.date | None:
        return upcoming(self.cleaned_data.get("review_on"))

    def section_value(self) -> dict[str, str]:
        day = self.cleaned_data.get("review_on")
        return {"stage": self.cleaned_data["stage"], "review_on": day.isoformat() if day else ""}

    @staticmethod
    def initial_from(value: dict[str, Any]) -> dict[str, Any]:
        return {"stage": value.get("stage") or Stage.STAYING, "review_on": value.get("review_on") or None}


class StepForm(SafeForm):
    text = forms.CharField(
        label=_("Step, in their words"),
        required=False,
        max_length=STEP_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    idea = forms.ChoiceField(label=_("Whose idea"), choices=Idea.choices, required=False, widget=forms.RadioSelect)
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices, initial=ActionStatus.TO_DO)
    due_on = forms.DateField(label=_("Date (optional)"), required=False, widget=DateInput)
    # Where a step suggested from an encounter came from ("<encounter id>/<key>"); the view checks
    # the encounter is this person's before saving.
    source = forms.RegexField(regex=SOURCE, required=False, max_length=80, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("text") or "").strip() and not data.get("idea"):
            self.add_error("idea", _("Say whose idea this step is."))
        return data

    def step_value(self) -> dict[str, str] | None:
        data = self.cleaned_data
        text = (data.get("text") or "").strip()
        if not text or data.get("DELETE"):
            return None
        due = data.get("due_on")
        value = {"text": text, "idea": data["idea"], "status": data["status"], "due_on": due.isoformat() if due else ""}
        if data.get("source"):
            value["source"] = data["source"]
        return value


StepFormSet = formset_factory(StepForm, extra=2, max_num=MAX_STEPS, validate_max=True, can_delete=True)


def step_formset(timeframe: str, steps: list[dict[str, Any]], data: Any = None) -> Any:
    initial = [{**step, "due_on": step.get("due_on") or None} for step in steps]
    formset = StepFormSet(data, initial=initial, prefix=timeframe)
    for form in formset.forms:
        form.fields["DELETE"].label = _("Remove this step")
    return formset


def steps_from(formset: Any) -> list[dict[str, str]]:
    return [value for form in formset.forms if (value := form.step_value()) is not None]


def _text(label: Any, multiline: bool = False, required: bool = False) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 3}) if multiline else forms.TextInput()
    return forms.CharField(label=label, required=required, max_length=TEXT_LIMIT, widget=widget)


class ItemForm(RuleFieldsMixin, VersionForm):
    """Built from an ``ItemSpec``: its status, its fields, contact, ledger or task rows, and the
    groups of the person's contact rules it edits (with how they were confirmed)."""

    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices, widget=forms.RadioSelect)

    def __init__(
        self,
        *args: Any,
        item: ItemSpec,
        person_id: Any,
        channels: list[tuple[str, Any]] | None = None,
        rule_names: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        for spec in item.fields:
            self.fields[spec.name] = _text(spec.label, multiline=spec.kind == "textarea")
        self.add_rule_fields(rule_names or [], person_id)
        if self.rule_names:
            self.fields["rules_version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=0, max_value=2**31)
        self.contact_rows = range(CONTACT_ROWS) if item.contacts else range(0)
        for row in self.contact_rows:
            self.fields[f"contact_{row}_name"] = _text(_("Name"))
            self.fields[f"contact_{row}_number"] = _text(_("Phone number or how to reach them"))
            self.fields[f"contact_{row}_note"] = _text(_("Note"))
        if item.ledger:
            services = ServiceRecord.objects.filter(person_id=person_id)
            self.fields["services"] = forms.MultipleChoiceField(
                label=_("Services from the ledger that are part of this plan"),
                choices=[(str(s.id), f"{s.service} ({s.provider})") for s in services],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        self.task_rows = range(TASK_ROWS) if item.tasks else range(0)
        if item.tasks:  # a second submit of the same rows makes no second set of tasks
            self.fields["form_token"] = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)
        for row in self.task_rows:
            self.fields[f"task_{row}_what"] = _text(_("What to do"))
            self.fields[f"task_{row}_due"] = forms.DateField(label=_("Due on"), required=False, widget=DateInput)
            self.fields[f"task_{row}_channel"] = forms.ChoiceField(
                label=_("Reach them by"), choices=[("", "—"), *(channels or [])], required=False
            )

    def field_names(self) -> list[str]:
        return [spec.name for spec in self.item.fields]

    def contact_fields(self) -> list[list[Any]]:
        return [[self[f"contact_{row}_{part}"] for part in ("name", "number", "note")] for row in self.contact_rows]

    def task_fields(self) -> list[list[Any]]:
        return [[self[f"task_{row}_{part}"] for part in ("what", "due", "channel")] for row in self.task_rows]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_rules()
        for row in self.contact_rows:
            name, number = data.get(f"contact_{row}_name"), data.get(f"contact_{row}_number")
            if data.get(f"contact_{row}_note") and not (name or number):
                self.add_error(f"contact_{row}_name", _("Add a name or a number for this note."))
        for row in self.task_rows:
            what, due = data.get(f"task_{row}_what"), data.get(f"task_{row}_due")
            if what and not data.get(f"task_{row}_channel"):
                self.add_error(f"task_{row}_channel", _("Choose how to reach them (only ways their rules allow)."))
            if what and not due:
                self.add_error(f"task_{row}_due", _("Give the task a due date."))
            elif due and not what:
                self.add_error(f"task_{row}_what", _("Say what the task is."))
            elif due and due < timezone.localdate():
                self.add_error(f"task_{row}_due", _("Choose today or a later day."))
        if data.get("status") == ItemStatus.FILLED and not self._has_content(data):
            self.add_error("status", _("Nothing is filled in. Fill in a field, or choose “Not discussed”."))
        if data.get("status") in (ItemStatus.NOT_DISCUSSED, ItemStatus.DECLINED) and self._plan_content(data):
            self.add_error("status", not_filled_message(data["status"]))
        elif self.rule_names and data.get("status") != ItemStatus.FILLED and self._rules_touched():
            self.add_error("status", _("You changed their contact rules: choose “Filled in” to save them."))
        return data

    def _rules_touched(self) -> bool:
        """Whether a save would change their rules: a field changed since the page was opened that
        also differs from the rules as they are now."""
        return any(self.initial.get(f"rule_{name}") != value for name, value in self.edited_rules().items())

    def _plan_content(self, data: dict[str, Any]) -> bool:
        """Whether the plan part of the form holds anything (fields, contact rows, services, task
        rows); the contact rules are the person's own and are checked apart."""
        parts = [data.get(name) for name in self.field_names()]
        parts += [data.get(f"contact_{row}_{p}") for row in self.contact_rows for p in ("name", "number", "note")]
        parts += [data.get(f"task_{row}_{p}") for row in self.task_rows for p in ("what", "due")]
        return any(parts) or bool(data.get("services"))

    def _has_content(self, data: dict[str, Any]) -> bool:
        values = [data.get(name) for name in self.field_names() if name in data]
        values += [value for name, value in self.rule_changes().items() if value != FIELDS[name].empty]
        filled = [v for v in values if v]
        contacts = [
            row for row in self.contact_rows if data.get(f"contact_{row}_name") or data.get(f"contact_{row}_number")
        ]
        tasks = [row for row in self.task_rows if data.get(f"task_{row}_what")]
        return bool(filled or contacts or tasks or data.get("services"))

    def section_value(self) -> dict[str, Any]:
        data = self.cleaned_data
        contacts = [
            {part: data.get(f"contact_{row}_{part}") or "" for part in ("name", "number", "note")}
            for row in self.contact_rows
            if data.get(f"contact_{row}_name") or data.get(f"contact_{row}_number")
        ]
        value: dict[str, Any] = {
            "status": data["status"],
            "fields": {name: data.get(name) or "" for name in self.field_names()},
            "contacts": contacts,
        }
        if "services" in self.fields:
            value["services"] = sorted(data.get("services") or [])
        return value

    def new_tasks(self) -> list[tuple[str, datetime.date, str, uuid.UUID | None]]:
        """(what, due, channel, token) per filled row; each row's token comes from the form's."""
        data = self.cleaned_data
        token = data.get("form_token")
        return [
            (data[f"task_{r}_what"], data[f"task_{r}_due"], data[f"task_{r}_channel"],
             uuid.uuid5(token, str(r)) if token else None)
            for r in self.task_rows
            if data.get(f"task_{r}_what")
        ]  # fmt: skip

    @staticmethod
    def initial_from(value: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {"status": value.get("status") or ItemStatus.NOT_DISCUSSED}
        initial.update(value.get("fields") or {})
        for row, contact in enumerate(value.get("contacts") or []):
            for part in ("name", "number", "note"):
                initial[f"contact_{row}_{part}"] = contact.get(part, "")
        initial["services"] = value.get("services") or []
        return initial

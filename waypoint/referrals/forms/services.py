"""Services ledger form: who provided what, when, and who to contact there."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import DateInput, SafeModelForm
from waypoint.referrals.models import DirectoryEntry, ServiceRecord

LIMITS = {"provider": 500, "service": 500, "contact_person": 500, "notes": 2000}
EARLIEST = datetime.date(1900, 1, 1)


class EntryField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ServiceForm(SafeModelForm):
    """``entries`` are the directory listings the user may pick the provider from (none: typed only)."""

    entry = EntryField(
        label=_("From the directory"),
        queryset=DirectoryEntry.objects.none(),
        required=False,
        empty_label=_("Not in the directory"),
        help_text=_("Choose the listing, or type the provider below."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ServiceRecord
        fields = ["entry", "provider", "service", "status", "started_on", "ended_on", "contact_person", "notes"]
        labels = {
            "provider": _("Provider or organisation"),
            "service": _("Service"),
            "status": _("Status"),
            "started_on": _("Started on"),
            "ended_on": _("Ended on"),
            "contact_person": _("Contact person there"),
            "notes": _("Notes"),
        }
        widgets = {
            "provider": forms.TextInput,
            "service": forms.TextInput,
            "contact_person": forms.TextInput,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "started_on": DateInput,
            "ended_on": DateInput,
        }

    def __init__(self, *args: Any, entries: QuerySet[DirectoryEntry] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = entries if entries is not None else DirectoryEntry.objects.none()  # type: ignore[attr-defined]
        self.fields["provider"].required = False  # the listing's name when one is chosen
        for name, limit in LIMITS.items():  # the encrypted columns are unbounded text; the form is not
            self.fields[name].validators.append(MaxLengthValidator(limit))
            self.fields[name].widget.attrs["maxlength"] = limit

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entry = data.get("entry")
        if not (data.get("provider") or "").strip():
            if entry is not None:
                data["provider"] = str(entry.display_name)
            elif "provider" not in self.errors:
                self.add_error("provider", _("Type the provider, or choose it from the directory."))
        started, ended = data.get("started_on"), data.get("ended_on")
        today = timezone.localdate()
        for name, day in (("started_on", started), ("ended_on", ended)):
            if day and day < EARLIEST:
                self.add_error(name, _("Check the year."))
        if started and started > today + datetime.timedelta(days=366):
            self.add_error("started_on", _("Choose a day within the next year."))
        if started and ended and ended < started:
            self.add_error("ended_on", _("The end cannot be before the start."))
        return data

"""Services ledger form: who provided what, when, and who to contact there."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import DateInput, SafeModelForm
from waypoint.referrals.models import ServiceRecord

LIMITS = {"provider": 500, "service": 500, "contact_person": 500, "notes": 2000}
EARLIEST = datetime.date(1900, 1, 1)


class ServiceForm(SafeModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ServiceRecord
        fields = ["provider", "service", "status", "started_on", "ended_on", "contact_person", "notes"]
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, limit in LIMITS.items():  # the encrypted columns are unbounded text; the form is not
            self.fields[name].validators.append(MaxLengthValidator(limit))
            self.fields[name].widget.attrs["maxlength"] = limit

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
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

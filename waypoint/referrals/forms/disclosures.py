"""The compelled-disclosure form: what was disclosed, to whom, on what legal basis, when, and whether
the person is to be told (if not, why telling them would put them in danger)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import DateInput, SafeForm
from waypoint.referrals.models import DisclosureKind

TEXT_LIMIT = 2000
EARLIEST = datetime.date(1900, 1, 1)


TELL_CHOICES = [
    ("yes", _("Yes: a follow-up is made to tell them")),
    ("no", _("No: telling them would put them in danger")),
]


class DisclosureForm(SafeForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=DisclosureKind.choices)
    what = forms.CharField(
        label=_("What was disclosed"), max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )
    to_whom = forms.CharField(label=_("To whom"), max_length=TEXT_LIMIT, widget=forms.TextInput)
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=TEXT_LIMIT,
        widget=forms.TextInput,
        help_text=_("For example the law requiring the report, or the order's or subpoena's number."),
    )
    disclosed_on = forms.DateField(label=_("Date disclosed"), widget=DateInput)
    tell = forms.ChoiceField(label=_("Tell the person?"), choices=TELL_CHOICES, widget=forms.RadioSelect)
    not_telling_reason = forms.CharField(
        label=_("Why telling them would put them in danger"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def clean_disclosed_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["disclosed_on"]
        if day < EARLIEST:
            raise forms.ValidationError(_("Check the year."))
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("tell") == "no" and not str(data.get("not_telling_reason") or "").strip():
            self.add_error("not_telling_reason", _("Say why telling them would put them in danger."))
        if data.get("tell") == "yes":
            data["not_telling_reason"] = ""
        return data

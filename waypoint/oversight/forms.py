"""Filters for the audit viewer (GET: they hold codes and ids only, never names)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waypoint.core import audit
from waypoint.core.forms import DateInput, SafeForm
from waypoint.orgs.models import Staff


class AuditFilterForm(SafeForm):
    reference = forms.CharField(label=_("Record reference code"), required=False, max_length=12)
    staff = forms.ChoiceField(label=_("Staff member"), required=False)
    event = forms.ChoiceField(label=_("Event"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args: Any, org_id: uuid.UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = Staff.objects.filter(org_id=org_id).order_by("display_name").values_list("id", "display_name")
        self.fields["staff"].choices = [("", _("Anyone"))] + [(str(pk), name) for pk, name in staff]  # type: ignore[attr-defined]
        events = sorted(audit.labels().items(), key=lambda item: str(item[1]))
        self.fields["event"].choices = [("", _("Any event"))] + [(code, label) for code, label in events]  # type: ignore[attr-defined]

    def clean_reference(self) -> str:
        code = "".join(ch for ch in self.cleaned_data["reference"].upper() if ch.isalnum())
        if code and len(code) != 8:
            raise ValidationError(_("A reference code has 8 letters and digits, like BCDF-2345."))
        return f"{code[:4]}-{code[4:]}" if code else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: datetime.date | None = data.get("start")
        end: datetime.date | None = data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date is before the start date."))
        return data

"""The retention settings form: four periods in whole days, each empty for "keep until the
organisation decides"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm
from waypoint.retention.models import MAX_DAYS, MIN_AUDIT_DAYS, RetentionPolicy


def _days(label: Any, help_text: Any, minimum: int, message: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=minimum,
        max_value=MAX_DAYS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": str(minimum), "max": str(MAX_DAYS)}),
        error_messages={
            "invalid": message,
            "min_value": message,
            "max_value": _("Give at most %(limit_value)s days (100 years), or leave it empty."),
        },
    )


POSITIVE = _("Give a whole number of days, 1 or more, or leave it empty to keep until you decide.")
# The audit period's minimum is MIN_AUDIT_DAYS (365), named in these two texts.
AUDIT = _("Give a whole number of days, 365 or more, or leave it empty to keep until you decide.")


class RetentionForm(SafeForm):
    narrative_days = _days(
        _("Notes"),
        _(
            "Free-text notes older than this are emptied: the record's notes and their words, reasons "
            "and notes in encounters, contact attempts, services and referrals. The rest of the record stays. "
            "Safety plans are not notes: a plan and its earlier versions are kept with the record until the "
            "whole record is removed."
        ),
        1,
        POSITIVE,
    )
    safety_answers_days = _days(
        _("Safety-check answers"),
        _("The answers given in safety checks older than this are deleted. The encounter itself stays."),
        1,
        POSITIVE,
    )
    closed_record_days = _days(
        _("Closed records"),
        _(
            "A record closed longer ago than this is removed whole, with everything recorded in it, and "
            "its key destroyed so no backup can be read for it."
        ),
        1,
        POSITIVE,
    )
    audit_days = _days(
        _("Audit rows"),
        _(
            "Rows of who saw and changed what, older than this, are removed (at least 365 days, so a "
            "year of access can be reviewed). The chain stays verifiable."
        ),
        MIN_AUDIT_DAYS,
        AUDIT,
    )

    @classmethod
    def for_policy(cls, policy: RetentionPolicy, data: Any = None) -> RetentionForm:
        initial = {name: getattr(policy, name) for name in cls.base_fields}
        return cls(data, initial=initial)

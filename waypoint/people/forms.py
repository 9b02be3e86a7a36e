"""Forms for people records: explicit fields, plausible dates, nothing invisible."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import DateInput, SafeForm, SafeModelForm
from waypoint.orgs.models import Staff
from waypoint.people import parts
from waypoint.people.models import Person

MAX_AGE = 120
PERSON_LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("ht", _("Haitian Creole")),
    ("pt", _("Portuguese")),
    ("zh", _("Chinese")),
    ("vi", _("Vietnamese")),
    ("tl", _("Tagalog")),
    ("ko", _("Korean")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
    ("ar", _("Arabic")),
    ("hi", _("Hindi")),
    ("th", _("Thai")),
    ("other", _("Another language")),
]
LANGUAGE_LABELS = dict(PERSON_LANGUAGES)


class PersonForm(SafeModelForm):
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=PERSON_LANGUAGES)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Person
        fields = [
            "name",
            "alias",
            "date_of_birth",
            "estimated_age",
            "preferred_language",
            "pronouns",
            "interviewer_gender",
            "interpreter_needed",
            "interpreter_language",
            "their_words",
            "harm_names",
            "notes",
            "assigned_staff",
        ]
        labels = {
            "name": _("Name (optional)"),
            "alias": _("Another name or alias (optional)"),
            "date_of_birth": _("Date of birth"),
            "estimated_age": _("Estimated age, if the date of birth is not known"),
            "pronouns": _("Pronouns"),
            "interviewer_gender": _("Preferred interviewer"),
            "interpreter_needed": _("Needs a professional interpreter"),
            "interpreter_language": _("Interpreter language"),
            "their_words": _("Their words"),
            "harm_names": _("People who may be harming or controlling them"),
            "notes": _("Notes"),
            "assigned_staff": _("Assigned staff"),
        }
        help_texts = {
            "name": _(
                "Only if the person agrees. Lists show the reference code, not the name (staff who choose it "
                "also see initials, or the alias)."
            ),
            "their_words": _(
                "The words the person uses for people and places, one per line, "
                "like: the boss = the person who holds their passport"
            ),
            "interpreter_language": _("Never a companion or relative as interpreter."),
            "harm_names": _(
                "One name per line, only as the person says it. Never shown on lists; nobody named here can "
                "consent to a release for them."
            ),
        }
        widgets = {
            "date_of_birth": DateInput,
            "their_words": forms.Textarea(attrs={"rows": 4}),
            "harm_names": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 5}),
            "assigned_staff": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, org_id: uuid.UUID, creating: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_id = org_id
        if creating:
            self._add_duplicate_fields()
        limits = {"name": 200, "alias": 200, "pronouns": 60, "their_words": 5000, "harm_names": 2000, "notes": 20000}
        for name, limit in limits.items():
            field = self.fields[name]
            assert isinstance(field, forms.CharField)
            field.max_length = limit
            field.validators.append(_max_length(limit))
            field.widget.attrs["maxlength"] = str(limit)
        self.fields["interpreter_language"].max_length = 60  # type: ignore[attr-defined]
        staff_field = self.fields["assigned_staff"]
        assert isinstance(staff_field, forms.ModelMultipleChoiceField)
        staff_field.queryset = Staff.objects.filter(org_id=org_id, is_active=True).exclude(
            is_provider=False, is_supervisor=False
        )
        age_field = self.fields["estimated_age"]
        assert isinstance(age_field, forms.IntegerField)
        age_field.max_value = MAX_AGE
        age_field.validators.append(_max_value(MAX_AGE))
        age_field.widget.attrs.update({"min": "0", "max": str(MAX_AGE)})

    def _add_duplicate_fields(self) -> None:
        """A new record may be the same person as one already made: the page lists the likely
        matches (their codes are kept in ``matches_seen``) and asks for ``create_anyway`` before it
        makes the record.  The box is there only once matches were shown."""
        self.fields["matches_seen"] = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)
        seen = self.data.get(self.add_prefix("matches_seen"), "") if self.is_bound else ""
        if seen:
            self.fields["create_anyway"] = forms.BooleanField(
                label=_("None of these is the same person: create a new record anyway"), required=False
            )

    def matches_seen(self) -> set[str]:
        """The reference codes of the possible matches the page already showed."""
        value = self.cleaned_data.get("matches_seen") or ""
        return {code for code in value.split(",") if code}

    def clean_date_of_birth(self) -> datetime.date | None:
        dob: datetime.date | None = self.cleaned_data.get("date_of_birth")
        if dob is None:
            return None
        today = timezone.localdate()
        if dob > today:
            raise ValidationError(_("The date of birth cannot be in the future."))
        if dob.year < today.year - MAX_AGE:
            raise ValidationError(_("The date of birth is more than %(n)s years ago. Check the year.") % {"n": MAX_AGE})
        return dob

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_of_birth") and data.get("estimated_age") is not None:
            self.add_error(
                "estimated_age", _("Give a date of birth or an estimated age, not both. Minor status comes from them.")
            )
        elif self.instance.pk and not self.errors:
            self._refuse_minor_contradiction(data)
        return data

    def _refuse_minor_contradiction(self, data: dict[str, Any]) -> None:
        """A part of the record may hold to the current minor status (an open encounter follows the
        adult or the minor branch): a new age may not flip it silently."""
        new = Person(
            org_id=self.org_id, date_of_birth=data.get("date_of_birth"), estimated_age=data.get("estimated_age")
        )  # the organisation's minor age decides
        if new.is_minor is None:
            return
        if reason := parts.age_refusal(self.instance, new.is_minor):
            self.add_error("date_of_birth" if data.get("date_of_birth") else "estimated_age", reason)


def _max_length(limit: int) -> Any:
    from django.core.validators import MaxLengthValidator

    return MaxLengthValidator(limit)


def _max_value(limit: int) -> Any:
    from django.core.validators import MaxValueValidator

    return MaxValueValidator(limit)


class SearchForm(SafeForm):
    """The field's name is ours alone: browsers key remembered entries by field name across sites,
    so a common name ("q", "name", "search") would offer a searched name on other sites even if one
    browser ignored ``autocomplete="off"``."""

    wp_find = forms.CharField(
        label=_("Reference code or name"),
        max_length=200,
        help_text=_("Any whole words of a name or another name, in any order. Accents and capitals do not matter."),
    )

    def __init__(self, *args: Any, too_many: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.too_many = too_many

    def clean(self) -> dict[str, Any]:
        if self.too_many:
            raise ValidationError(
                _("You have searched many times in the last minute. Wait a minute, then search again."),
                code="throttled",
            )
        return super().clean() or {}

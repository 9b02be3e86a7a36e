"""The directory's forms: the filter bar (GET, nothing about a person in it), a listing (add and
edit; the same rules check every row of a CSV import) and the CSV upload.

Languages are typed as a comma-separated list and kept as a list; a website may be typed without
``https://``; a last-verified day is never in the future and not before 2000."""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import DateInput, SafeForm, SafeModelForm
from waypoint.referrals.models import DirectoryEntry, Population, ServiceKind

MAX_LANGUAGES = 20
MAX_LANGUAGE_LENGTH = 60
EARLIEST_VERIFIED = datetime.date(2000, 1, 1)

# Language names a filter may be typed in, to the name listings use ("español" finds "Spanish").
LANGUAGE_ALIASES = {
    "espanol": "spanish",
    "castellano": "spanish",
    "ingles": "english",
    "frances": "french",
    "portugues": "portuguese",
    "chino": "chinese",
    "arabe": "arabic",
    "ruso": "russian",
    "vietnamita": "vietnamese",
    "coreano": "korean",
}


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` (for search and the language filter)."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def canonical_language(name: str) -> str:
    folded = fold(name)
    return LANGUAGE_ALIASES.get(folded, folded)


def speaks(languages: list[str], wanted: str) -> bool:
    """Whether a listing's languages include ``wanted`` (the whole name, or a word of it:
    "Spanish" matches "Spanish (Mexico)"; "es" does not match "Chinese")."""
    target = canonical_language(wanted)
    if not target:
        return True
    for language in languages:
        if canonical_language(language) == target:
            return True
        words = [canonical_language(word) for word in fold(language).replace("(", " ").replace(")", " ").split()]
        if target in words:
            return True
    return False


def split_list(value: str) -> list[str]:
    """A comma (or semicolon) separated list, trimmed, without empties."""
    return [part.strip() for part in str(value or "").replace(";", ",").split(",") if part.strip()]


def website_href(website: str) -> str:
    """The link for a website typed with or without its scheme."""
    return website if urlsplit(website).scheme in ("http", "https") else f"https://{website}"


class DirectoryFilterForm(SafeForm):
    """The list page's search and filters, sent with GET: they hold words about services, never
    anything about a person."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    need = forms.ChoiceField(label=_("Need"), required=False)
    language = forms.CharField(label=_("Language"), required=False, max_length=MAX_LANGUAGE_LENGTH)
    population = forms.ChoiceField(label=_("Population served"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        any_choice = [("", _("Any"))]
        cast(forms.ChoiceField, self.fields["need"]).choices = any_choice + list(ServiceKind.choices)
        cast(forms.ChoiceField, self.fields["population"]).choices = any_choice + list(Population.choices)
        self.fields["q"].help_text = _("Name, hours, how to reach them or languages.")
        self.fields["language"].widget.attrs["list"] = "directory-languages"


class DirectoryEntryForm(SafeModelForm):
    """A listing.  ``verified_by`` is set by the action from who saves a new last-verified day."""

    services = forms.MultipleChoiceField(
        label=_("Services offered"), required=False, choices=ServiceKind.choices, widget=forms.CheckboxSelectMultiple
    )
    populations = forms.MultipleChoiceField(
        label=_("Populations served"), required=False, choices=Population.choices, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(
        label=_("Languages"),
        required=False,
        max_length=MAX_LANGUAGES * (MAX_LANGUAGE_LENGTH + 2),
        help_text=_("Separate languages with commas, for example: English, Spanish."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = DirectoryEntry
        fields = [
            "name", "services", "populations", "languages", "hours", "warm_transfer", "phone", "text_number",
            "email", "website", "address", "how_to_reach", "last_verified_on",
        ]  # fmt: skip
        labels = {
            "name": _("Name"),
            "hours": _("Hours"),
            "warm_transfer": _("Takes warm transfers (we can introduce the person on a call)"),
            "phone": _("Phone"),
            "text_number": _("Text number"),
            "email": _("Email"),
            "website": _("Website"),
            "address": _("Address"),
            "how_to_reach": _("Other ways to reach them, and what to know before calling"),
            "last_verified_on": _("Last verified on"),
        }
        widgets = {
            "how_to_reach": forms.Textarea(attrs={"rows": 3}),
            "address": forms.Textarea(attrs={"rows": 2}),
            "last_verified_on": DateInput,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["languages"] = ", ".join(self.instance.languages or [])
        self.fields["last_verified_on"].help_text = _("The day someone last checked these details with the service.")
        self.fields["website"].help_text = _("For example: example.org")
        if self.instance.pk and self.instance.archived:
            self.fields["restore"] = forms.BooleanField(
                label=_("Show this listing in the directory again"), required=False
            )

    def clean_languages(self) -> list[str]:
        languages = split_list(self.cleaned_data.get("languages") or "")
        if len(languages) > MAX_LANGUAGES:
            raise ValidationError(_("List at most %(count)d languages.") % {"count": MAX_LANGUAGES})
        if any(len(language) > MAX_LANGUAGE_LENGTH for language in languages):
            raise ValidationError(
                _("Each language can be at most %(count)d characters long.") % {"count": MAX_LANGUAGE_LENGTH}
            )
        unique: list[str] = []
        for language in languages:
            if fold(language) not in {fold(seen) for seen in unique}:
                unique.append(language)
        return unique

    def clean_email(self) -> str:
        email = (self.cleaned_data.get("email") or "").strip()
        if email:
            try:
                EmailValidator()(email)
            except ValidationError:
                raise ValidationError(_("Enter an email address like name@example.org.")) from None
        return email

    def clean_website(self) -> str:
        website = (self.cleaned_data.get("website") or "").strip()
        if website:
            scheme = urlsplit(website).scheme.lower()
            if "://" in website and scheme not in ("http", "https"):
                raise ValidationError(_("Enter a web address like example.org."))
            try:
                URLValidator(schemes=["http", "https"])(website_href(website))
            except ValidationError:
                raise ValidationError(_("Enter a web address like example.org.")) from None
        return website

    def clean_last_verified_on(self) -> datetime.date | None:
        day = self.cleaned_data.get("last_verified_on")
        if day and day > timezone.localdate():
            raise ValidationError(_("The day it was verified cannot be in the future."))
        if day and day < EARLIEST_VERIFIED:
            raise ValidationError(_("Check the year."))
        return day


class ImportForm(SafeForm):
    upload = forms.FileField(
        label=_("CSV file"),
        help_text=_("Saved as CSV UTF-8, with the same columns as the export; at most 1 MB and 2,000 rows."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["upload"].widget.attrs["accept"] = ".csv,text/csv"

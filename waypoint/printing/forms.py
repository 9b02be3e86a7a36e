"""Print, card and memorise forms.  Choices are built from the plan; anything else is refused."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm
from waypoint.plans.models import Carry, Layout

MEMORISE_MAX = 5


def print_languages() -> list[tuple[str, Any]]:
    return [(code, name) for code, name in settings.LANGUAGES]


class CarryForm(SafeForm):
    carry = forms.ChoiceField(
        label=_("Ask them: is it safe for you to carry a paper copy? Could someone find it?"),
        choices=[(Carry.SAFE, Carry.SAFE.label), (Carry.UNSAFE, Carry.UNSAFE.label)],
        widget=forms.RadioSelect,
    )
    sections = forms.MultipleChoiceField(
        label=_("Which parts do they want on paper?"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sections"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("carry") == Carry.SAFE and not data.get("sections"):
            self.add_error("sections", _("Choose at least one part, or record that carrying is not safe."))
        return data


class PrintForm(SafeForm):
    sections = forms.MultipleChoiceField(label=_("Parts to print"), widget=forms.CheckboxSelectMultiple)
    layout = forms.ChoiceField(
        label=_("Layout"), choices=Layout.choices, initial=Layout.DISCREET, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language of the paper"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sections"].choices = choices  # type: ignore[attr-defined]
        self.fields["language"].choices = print_languages()  # type: ignore[attr-defined]


class CardForm(SafeForm):
    contacts = forms.MultipleChoiceField(
        label=_("Contacts they chose for the card"), required=False, widget=forms.CheckboxSelectMultiple
    )
    language = forms.ChoiceField(label=_("Language of the card"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacts"].choices = choices  # type: ignore[attr-defined]
        self.fields["language"].choices = print_languages()  # type: ignore[attr-defined]


class MemoriseForm(SafeForm):
    items = forms.MultipleChoiceField(
        label=_("What they want to remember"),
        help_text=_("Up to five things. Fewer is easier to remember."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = choices  # type: ignore[attr-defined]

    def clean_items(self) -> list[str]:
        items = self.cleaned_data["items"]
        if len(items) > MEMORISE_MAX:
            raise forms.ValidationError(_("Choose five or fewer."))
        return list(items)

"""Form helpers that refuse text a person cannot see: control characters, bidi overrides,
zero-width spaces, lone surrogates and the replacement character left by invalid UTF-8; and that
keep what is typed out of the browser's autofill store.

Defends against: a name, number or note typed into a form being saved by the browser's autofill,
which is keyed by field name across every site (the next person to type in any site's "name" field
could be offered it) and which quick exit cannot clear.  Every widget says ``autocomplete="off"``
unless it names its purpose itself (a sign-in name, a one-time code).

Does not defend against: a browser that ignores the attribute, an extension or monitoring program
that records keystrokes, or what the user types into other sites."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# C0/C1 controls (tab, newline and carriage return are handled per widget), bidi embeddings,
# overrides and isolates, zero-width space, BOM, interlinear annotations, surrogates.
_HIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff"
HIDDEN_SINGLE_LINE = re.compile(f"[{_HIDDEN}\t\n\r]")
HIDDEN_MULTI_LINE = re.compile(f"[{_HIDDEN}]")


def refuse_hidden_characters(value: str, multiline: bool = False) -> None:
    if "\ufffd" in value:
        raise ValidationError(_("Some characters could not be read. Please type the text again."), code="encoding")
    pattern = HIDDEN_MULTI_LINE if multiline else HIDDEN_SINGLE_LINE
    if pattern.search(value):
        raise ValidationError(
            _("Remove invisible or control characters (for example from pasted text)."), code="hidden"
        )


def _hidden_check(multiline: bool) -> Any:
    def check(value: Any) -> None:
        refuse_hidden_characters(str(value), multiline)

    return check


NO_AUTOFILL = "off"


def forget_typed_values(widget: forms.Widget) -> None:
    """Tell the browser not to remember this widget's value, unless the widget names its purpose."""
    widget.attrs.setdefault("autocomplete", NO_AUTOFILL)


class SafeFormMixin:
    """Adds the hidden-character check to every text field, and ``autocomplete="off"`` to every
    widget: declared fields when the form is made, fields a subclass or formset adds afterwards
    (plan contacts, safety-check notes, a formset's delete box) when they are first rendered or
    cleaned, since both go through ``form[name]``."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            _protect(field)

    def __getitem__(self, name: str) -> Any:
        if name in self.fields:
            _protect(self.fields[name])
        return super().__getitem__(name)  # type: ignore[misc]


def _protect(field: forms.Field) -> None:
    if getattr(field, "_wp_protected", False):
        return
    field._wp_protected = True  # type: ignore[attr-defined]
    forget_typed_values(field.widget)
    if isinstance(field, forms.CharField):
        multiline = isinstance(field.widget, forms.Textarea)
        field.validators.append(_hidden_check(multiline))


UPCOMING_DAYS = 366  # review dates and follow-ups: today up to a year ahead


def upcoming(day: datetime.date | None) -> datetime.date | None:
    """``day`` when it is today or within the next year (None stays None); else ``ValidationError``."""
    today = timezone.localdate()
    if day and day < today:
        raise ValidationError(_("Choose today or a later day."))
    if day and day > today + datetime.timedelta(days=UPCOMING_DAYS):
        raise ValidationError(_("Choose a day within the next year."))
    return day


class DateInput(forms.DateInput):
    """The browser's own date picker (keyboard-accessible, no script of ours).  Its value is always
    ISO (yyyy-mm-dd), whatever the interface language: an ``<input type=date>`` throws away any other
    form, so a Spanish page (dd/mm/yyyy) would show the field empty and a save would erase it."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or "%Y-%m-%d")


class SafeForm(SafeFormMixin, forms.Form):
    pass


class SafeModelForm(SafeFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    pass

"""Form helpers that refuse text a person cannot see: control characters, bidi overrides,
zero-width spaces, lone surrogates and the replacement character left by invalid UTF-8."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
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


class SafeFormMixin:
    """Adds the hidden-character check to every text field, and a class for styling errors."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(_hidden_check(multiline))


class DateInput(forms.DateInput):
    """The browser's own date picker (keyboard-accessible, no script of ours)."""

    input_type = "date"


class SafeForm(SafeFormMixin, forms.Form):
    pass


class SafeModelForm(SafeFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    pass

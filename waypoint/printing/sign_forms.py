"""The form for a language an org admin adds to the signs: its code, its name as the admin writes
it, and one field per sentence (each may be left empty: it is printed in English).  Single-line
fields only, so a sentence cannot smuggle line breaks or control characters onto the sign."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeModelForm
from waypoint.printing.models import SignTranslation
from waypoint.printing.signs import BUILT_IN, SENTENCES, english, normalise_code

SENTENCE_FIELDS = [sentence.key for sentence in SENTENCES]


class SignTranslationForm(SafeModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31)
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SignTranslation
        fields = ["code", "name", *SENTENCE_FIELDS]
        labels = {"code": _("Language code"), "name": _("Language name")}

    def __init__(self, *args: Any, org_id: uuid.UUID, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_id = org_id
        self.fields["code"].help_text = _(
            "A short code, for example fr (French), pt-BR (Portuguese as written in Brazil), vi (Vietnamese)."
        )
        self.fields["name"].help_text = _("As people who read it would write it, for example Français.")
        for sentence in SENTENCES:
            field = self.fields[sentence.key]
            field.label = sentence.label
            field.help_text = _("In English: %(text)s") % {"text": english(sentence.key)}
            field.widget.attrs["dir"] = "auto"
        self.fields["name"].widget.attrs["dir"] = "auto"

    def clean_code(self) -> str:
        value = self.cleaned_data.get("code") or ""
        code = normalise_code(value)
        if code is None:
            raise forms.ValidationError(_("Enter a language code such as fr, vi or pt-BR."))
        if code in BUILT_IN:
            raise forms.ValidationError(_("English and Spanish are built in. Choose another language."))
        others = SignTranslation.objects.filter(org_id=self.org_id, code=code)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("This language has already been added. Change it in its own page."))
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in SENTENCE_FIELDS:
            if key in data:
                data[key] = " ".join(str(data[key]).split())  # one line, single spaces
        return data

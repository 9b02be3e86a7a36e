"""Org admins adjust wording or add a language: each save is a new version of the whole set;
answers already given keep the version they were asked in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.content import actions
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON, PHONE, SCRIPTS
from waypoint.core.access import deny, policy
from waypoint.core.concurrency import StaleVersion
from waypoint.core.forms import SafeForm
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role
from waypoint.people.forms import LANGUAGE_LABELS, PERSON_LANGUAGES

KINDS = {
    IN_PERSON: gettext_lazy("In-person safety check"),
    PHONE: gettext_lazy("Phone safety check"),
    SCRIPTS: gettext_lazy("Read-aloud scripts"),
}
LANGUAGES = [code for code, _label in PERSON_LANGUAGES if code != "other"]


@policy(Role.ORG_ADMIN)
@require_GET
def content_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    org_id = request.user.org_id
    rows = []
    for kind, label in KINDS.items():
        current = ContentSet.current(org_id, kind)
        languages = current.languages()
        rows.append(
            {
                "kind": kind,
                "label": label,
                "current": current,
                "languages": [LANGUAGE_LABELS.get(code, code) for code in languages],
            }
        )
    context = {"rows": rows, "choices": [(code, LANGUAGE_LABELS[code]) for code in LANGUAGES]}
    return TemplateResponse(request, "content/list.html", context)


class WordingForm(SafeForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: object, keys: list[str], english: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for key in keys:
            self.fields[key] = forms.CharField(
                label=english[key], max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
            )


@policy(Role.ORG_ADMIN)
@require_http_methods(["GET", "POST"])
def content_edit(request: AuthenticatedHttpRequest, kind: str, language: str) -> HttpResponse:
    staff = request.user
    if kind not in KINDS or language not in LANGUAGES:
        deny(request, "content")
    current = ContentSet.current(staff.org_id, kind)
    keys = current.keys()
    english = {line.key: line.text for line in current.lines("en")}
    initial = {"version": current.version, **current.texts(language)}
    form = WordingForm(request.POST if request.method == "POST" else None, keys=keys, english=english, initial=initial)
    if request.method == "POST" and form.is_valid():
        texts = {key: form.cleaned_data[key] for key in keys}
        try:
            created = actions.new_content_version(
                staff, kind, language, texts, expected_version=form.cleaned_data["version"]
            )
        except StaleVersion:
            messages.error(request, _("Someone saved a newer version first. Check it and save again."))
            return redirect("content:edit", kind=kind, language=language)
        messages.success(
            request, _("Saved as version %(n)s. Answers already given keep their version.") % {"n": created.version}
        )
        return redirect("content:list")
    context = {"form": form, "kind_label": KINDS[kind], "language_label": LANGUAGE_LABELS[language], "current": current}
    return TemplateResponse(request, "content/edit.html", context, status=400 if form.errors else 200)

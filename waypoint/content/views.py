"""Org admins adjust wording or add a language: each save is a new version of the whole set;
answers already given keep the version they were asked in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.content.models import ContentLine, ContentSet
from waypoint.content.source import IN_PERSON, PHONE, SCRIPTS
from waypoint.core import audit
from waypoint.core.access import deny, policy
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
        languages = sorted(set(current.content_lines.values_list("language", flat=True)))
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
    present = {line.key: line.text for line in current.content_lines.filter(language=language)}
    initial = {"version": current.version, **present}
    form = WordingForm(request.POST if request.method == "POST" else None, keys=keys, english=english, initial=initial)
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["version"] != current.version:
            messages.error(request, _("Someone saved a newer version first. Check it and save again."))
            return redirect("content:edit", kind=kind, language=language)
        with transaction.atomic():
            newest = ContentSet.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
            created = ContentSet.objects.create(
                org_id=staff.org_id, kind=kind, version=newest + 1, created_by_id=staff.id
            )
            for line in current.content_lines.exclude(language=language):
                ContentLine.objects.create(
                    content_set=created, key=line.key, order=line.order, language=line.language, text=line.text
                )
            for order, key in enumerate(keys):
                ContentLine.objects.create(
                    content_set=created, key=key, order=order, language=language, text=form.cleaned_data[key]
                )
            audit.record_for(request, audit.Event.ORG_SETTINGS_CHANGED, staff.org)
        messages.success(
            request, _("Saved as version %(n)s. Answers already given keep their version.") % {"n": created.version}
        )
        return redirect("content:list")
    context = {"form": form, "kind_label": KINDS[kind], "language_label": LANGUAGE_LABELS[language], "current": current}
    return TemplateResponse(request, "content/edit.html", context, status=400 if form.errors else 200)

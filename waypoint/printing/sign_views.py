"""The signs: a page listing every sign (each kind, size and language) with its download, the download
itself, and the pages where an org admin adds, changes and removes a language of the signs.

Signs hold nobody's data, so these pages write no read audit rows; each download writes one
"sign.printed" row with no object, committed before the PDF renders (outside any transaction).  Org
admins and supervisors list and download; only org admins change languages; anyone else, and any
other organisation's language (in a download URL as in an edit URL), gets 404.  An unknown kind,
size or language code in the URL is a 404 too."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core.access import deny, policy
from waypoint.core.concurrency import StaleVersion, with_version
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.printing import actions, render, signs
from waypoint.printing.access import (
    SIGN_EDITORS,
    SIGN_READERS,
    already_added,
    get_sign_translation,
    may_edit_signs,
    sign_translation_by_code,
    sign_translations_for,
)
from waypoint.printing.actions import LanguageTaken
from waypoint.printing.models import SignTranslation
from waypoint.printing.sign_forms import SignTranslationForm
from waypoint.printing.signs import KIND_HINTS, KIND_LABELS, KIND_SENTENCES, SENTENCE_BY_KEY, SIZE_LABELS, Kind, Size


def _language_rows(added: list[SignTranslation]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"code": code, "name": name, "added": None, "missing": [], "missing_keys": set()}
        for code, name in signs.BUILT_IN.items()
    ]
    for language in added:
        gaps = signs.missing(language)
        rows.append({
            "code": language.code,
            "name": language.name,
            "added": language,
            "missing": [SENTENCE_BY_KEY[key].label for key in gaps],
            "missing_keys": set(gaps),
            "nothing_translated": len(gaps) == len(SENTENCE_BY_KEY),
        })  # fmt: skip
    return rows


def _kinds(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "code": kind.value,
            "label": KIND_LABELS[kind],
            "hint": KIND_HINTS[kind],
            "languages": [
                row | {"partly_english": bool(row["missing_keys"] & set(KIND_SENTENCES[kind]))} for row in rows
            ],
        }
        for kind in Kind
    ]


def _signs_page(request: AuthenticatedHttpRequest, status: int = 200) -> HttpResponse:
    rows = _language_rows(list(sign_translations_for(request.user).order_by("name", "code")))
    context = {
        "available": render.available(),
        "kinds": _kinds(rows),
        "sizes": [(size.value, SIZE_LABELS[size]) for size in Size],
        "added": [row for row in rows if row["added"] is not None],
        "can_edit": may_edit_signs(request.user),
    }
    return TemplateResponse(request, "printing/signs.html", context, status=status)


@policy(*SIGN_READERS)
@require_GET
def sign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _signs_page(request)


@policy(*SIGN_READERS)
@require_GET
def sign(request: AuthenticatedHttpRequest, kind: str, size: str, language: str) -> HttpResponse:
    """One sign as a one-page PDF: the audit row commits first, then it renders."""
    if kind not in set(Kind) or size not in set(Size):
        deny(request, "sign")
    added = None if language in signs.BUILT_IN else sign_translation_by_code(request, language)
    if not render.available():
        return _signs_page(request, status=503)
    actions.record_sign_printed(request.user)
    text = signs.sign_text(Kind(kind), language, added)
    contexts = signs.contexts(Kind(kind), Size(size), text)
    pdf = render.render_one_page_pdf("printing/sign_pdf.html", contexts, signs.render_language(language))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="sign-{kind}-{size}-{text.language}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _form_page(request: AuthenticatedHttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    return TemplateResponse(request, "printing/sign_language.html", context, status=status)


def _saved_message(request: AuthenticatedHttpRequest, language: SignTranslation) -> None:
    gaps = signs.missing(language)
    if gaps:
        labels = ", ".join(str(SENTENCE_BY_KEY[key].label) for key in gaps)
        messages.success(
            request, _("Saved. Not translated yet, so shown in English: %(sentences)s.") % {"sentences": labels}
        )
    else:
        messages.success(request, _("Saved. Every sentence of the signs is translated."))


@policy(*SIGN_EDITORS)
@require_http_methods(["GET", "POST"])
def sign_languages(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add a language to the signs."""
    org_id = request.user.org_id
    if request.method == "GET":
        return _form_page(request, form=SignTranslationForm(org_id=org_id, initial={"form_token": uuid.uuid4()}))
    if already_added(request.user, request.POST.get("form_token")):
        return redirect("printing:signs")  # a double submit: the first one added it
    form = SignTranslationForm(request.POST, org_id=org_id)
    if not form.is_valid():
        return _form_page(request, status=400, form=form)
    try:
        added = actions.add_sign_language(request.user, form)
    except LanguageTaken:
        form.add_error("code", _("This language has already been added. Change it in its own page."))
        return _form_page(request, status=409, form=form)
    if added is not None:
        _saved_message(request, added)
    return redirect("printing:signs")


@policy(*SIGN_EDITORS)
@require_http_methods(["GET", "POST"])
def sign_language(request: AuthenticatedHttpRequest, translation_id: uuid.UUID) -> HttpResponse:
    """Change an added language."""
    language = get_sign_translation(request, translation_id)
    org_id = request.user.org_id
    if request.method == "GET":
        form = SignTranslationForm(instance=language, org_id=org_id, initial={"version": language.version})
        return _form_page(request, form=form, language=language)
    form = SignTranslationForm(request.POST, instance=language, org_id=org_id)
    if not form.is_valid():
        return _form_page(request, status=400, form=form, language=language)
    try:
        saved = actions.update_sign_language(request.user, form)
    except StaleVersion as stale:
        retry = SignTranslationForm(
            with_version(form.data, stale.current.version), instance=stale.current, org_id=org_id
        )
        retry.is_valid()
        return _form_page(request, status=409, form=retry, language=stale.current, conflict=True)
    except LanguageTaken:
        form.add_error("code", _("This language has already been added. Change it in its own page."))
        return _form_page(request, status=409, form=form, language=language)
    _saved_message(request, saved)
    return redirect("printing:signs")


@policy(*SIGN_EDITORS)
@require_POST
def sign_language_delete(request: AuthenticatedHttpRequest, translation_id: uuid.UUID) -> HttpResponse:
    language = get_sign_translation(request, translation_id)
    actions.delete_sign_language(request.user, language)
    messages.success(request, _("Language removed from the signs."))
    return redirect("printing:signs")

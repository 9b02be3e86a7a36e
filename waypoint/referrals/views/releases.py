"""Releases of information: record one (with its text shown in the person's language), see one (its
state and what was shared under it), revoke one, print a filled copy or a blank form, open the
signed scan.

Every page with record data goes through ``reads.show``; the filled PDF and the scan need a recent
step-up and write their audit row (committed) before anything is sent; the blank form holds no
person data.  Another organisation's person, release or directory listing is a plain 404."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core import reads
from waypoint.core.access import deny, policy
from waypoint.encounters.access import get_encounter
from waypoint.encounters.models import Encounter
from waypoint.orgs.access import staff_names
from waypoint.orgs.auth import require_step_up
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.models import Person
from waypoint.printing.render import render_pdf
from waypoint.referrals.access import DIRECTORY_READERS, entries_for, get_entry, get_release, shares_for
from waypoint.referrals.actions import releases as actions
from waypoint.referrals.events import ReleaseEvent
from waypoint.referrals.forms.releases import (
    RELEASE_LANGUAGES,
    LanguageForm,
    ReleaseForm,
    RevokeForm,
    preview_initial,
)
from waypoint.referrals.models import DirectoryEntry, Release, ReleaseItem, SignedHow
from waypoint.referrals.templatetags.release_tags import release_recipient, release_until

LANGUAGE_CODES = [code for code, _name in RELEASE_LANGUAGES]


def release_text(language: str, **context: Any) -> SafeString:
    """The release text read to the person, in ``language``: the one include the page and both PDFs
    use.  ``context``: recipient, items (labels), documents, purpose, until (a date), org_name."""
    with translation.override(language):
        return mark_safe(render_to_string("referrals/release_text.html", {"text": context, "language": language}))  # noqa: S308


def _item_labels(items: Any) -> list[Any]:
    chosen = set(items or ())
    return [label for value, label in ReleaseItem.choices if value in chosen]


# --- Recording a release ---------------------------------------------------------------------------


def _uuid_or_404(request: AuthenticatedHttpRequest, kind: str, raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        deny(request, kind, None)


def _source_encounter(request: AuthenticatedHttpRequest, person: Person) -> Encounter | None:
    raw = request.GET.get("encounter")
    if not raw:
        return None
    encounter = get_encounter(request, _uuid_or_404(request, "encounter", raw))
    if encounter.person_id != person.id:
        deny(request, "encounter", encounter.id)
    return encounter


def _preset_entry(request: AuthenticatedHttpRequest) -> DirectoryEntry | None:
    raw = request.GET.get("entry")
    if not raw:
        return None
    entry = get_entry(request, _uuid_or_404(request, "directoryentry", raw))
    if entry.archived:
        deny(request, "directoryentry", entry.id)
    return entry


def _form_text(form: ReleaseForm, entries: Any) -> tuple[str, SafeString]:
    """The release text for what is typed so far (blank lines where nothing is)."""
    data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
    raw = form.data if form.is_bound else form.initial
    language = str(raw.get("language")) if raw.get("language") in LANGUAGE_CODES else "en"
    entry = data.get("entry")
    if entry is None and not form.is_bound and form.initial.get("entry"):
        try:
            entry = entries.filter(pk=form.initial["entry"]).first()
        except (ValueError, ValidationError):  # a malformed id typed into the preview
            entry = None
    recipient = entry.display_name if entry else (data.get("recipient_name") or "").strip()
    items = data.get("items") or (raw.getlist("items") if hasattr(raw, "getlist") else raw.get("items") or [])
    text = release_text(
        language,
        recipient=recipient,
        items=_item_labels(items),
        documents=(data.get("documents") or "").strip(),
        purpose=(data.get("purpose") or "").strip(),
        until=data.get("valid_until"),
        org_name=form.org.name,
    )
    return language, text


def _new_page(
    request: AuthenticatedHttpRequest,
    person: Person,
    form: ReleaseForm,
    encounter: Encounter | None,
    entries: Any,
    status: int = 200,
    previewed: bool = False,
) -> HttpResponse:
    language, text = _form_text(form, entries)
    query = f"?encounter={encounter.id}" if encounter else ""
    context = {
        "person": person,
        "form": form,
        "encounter": encounter,
        "release_text": text,
        "text_language": language,
        "action_url": reverse("referrals:release_new", kwargs={"person_id": person.id}) + query,
        "party": form.party,
        "previewed": previewed,
        "max_days": person.org.release_max_days,
        "age_unknown": form.age_unknown,
    }
    return reads.show(
        request, "referrals/release_form.html", context, event=ReleaseEvent.VIEWED, obj=person, status=status
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def release_new(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    encounter = _source_encounter(request, person)
    entries = entries_for(request.user)
    kwargs: dict[str, Any] = {"person": person, "org": person.org, "entries": entries}
    if request.method == "GET":
        entry = _preset_entry(request)
        language = person.preferred_language if person.preferred_language in LANGUAGE_CODES else "en"
        initial = {"form_token": uuid.uuid4(), "language": language, "entry": entry.id if entry else None}
        initial["signed_how"] = SignedHow.TYPED
        initial["signed_on"] = timezone.localdate()
        return _new_page(request, person, ReleaseForm(initial=initial, **kwargs), encounter, entries)
    form = ReleaseForm(request.POST, request.FILES, **kwargs)
    valid = form.is_valid()
    if "preview" in request.POST:
        shown = ReleaseForm(initial=preview_initial(form), **kwargs)
        shown.cleaned_data = getattr(form, "cleaned_data", {})
        return _new_page(request, person, shown, encounter, entries, previewed=True)
    if not valid:
        if form.harm_match:
            actions.record_refusal(request.user, person)
        return _new_page(request, person, form, encounter, entries, status=400)
    release_id = actions.record_release(
        request.user, person, form, source_encounter_id=encounter.id if encounter else None
    )
    messages.success(request, _("Release of information recorded."))
    if encounter is not None:
        return redirect("encounters:consent", encounter_id=encounter.id)
    return redirect("referrals:release", person_id=person.id, release_id=release_id)


# --- One release -----------------------------------------------------------------------------------


def _release_context(request: AuthenticatedHttpRequest, release: Release, **extra: Any) -> dict[str, Any]:
    names = staff_names(release.org_id)
    shares = [
        {
            "at": share.at,
            "by": names.get(share.by_id, ""),
            "items": _item_labels(share.items),
            "as_pdf": share.as_pdf,
        }
        for share in shares_for(request.user).filter(release=release)
    ]
    context = {
        "person": release.person,
        "release": release,
        "state": release.state(),
        "valid_until": release_until(release),
        "items": _item_labels(release.items),
        "shares": shares,
        "recorded_by": names.get(release.recorded_by_id, ""),
        "revoked_by": names.get(release.revoked_by_id, "") if release.revoked_by_id else "",
        "signed_names": (release.signed_name or "").splitlines(),
        "revoke_form": RevokeForm(),
        "languages": RELEASE_LANGUAGES,
    }
    return context | extra


def _release_page(request: AuthenticatedHttpRequest, release: Release, status: int = 200, **extra: Any) -> HttpResponse:
    context = _release_context(request, release, **extra)
    return reads.show(request, "referrals/release.html", context, event=ReleaseEvent.VIEWED, obj=release, status=status)


@policy(*READERS)
@require_GET
def release_detail(request: AuthenticatedHttpRequest, person_id: uuid.UUID, release_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    release = get_release(request, person.id, release_id)
    return _release_page(request, release)


@policy(*READERS)
@require_POST
def release_revoke(request: AuthenticatedHttpRequest, person_id: uuid.UUID, release_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    release = get_release(request, person.id, release_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return _release_page(request, release, status=400, revoke_form=form)
    if actions.revoke_release(request.user, release, form.cleaned_data["how"], form.cleaned_data["note"]):
        messages.success(request, _("Release revoked. From now on nothing is shared under it."))
    else:
        messages.info(request, _("This release was already revoked. Nothing changed."))
    return redirect("referrals:release", person_id=person.id, release_id=release.id)


# --- Paper -----------------------------------------------------------------------------------------


def _language(request: AuthenticatedHttpRequest, default: str) -> str:
    form = LanguageForm(request.GET)
    chosen = form.cleaned_data["language"] if form.is_valid() else ""
    return chosen or (default if default in LANGUAGE_CODES else "en")


def _pdf(pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="notes.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@policy(*READERS)
@require_GET
def release_pdf(request: AuthenticatedHttpRequest, person_id: uuid.UUID, release_id: uuid.UUID) -> HttpResponse:
    """A filled copy of the release, after a recent step-up."""
    person = get_person(request, person_id)
    return require_step_up(_release_pdf)(request, get_release(request, person.id, release_id))  # type: ignore[no-any-return]


def _release_pdf(request: AuthenticatedHttpRequest, release: Release) -> HttpResponse:
    language = _language(request, release.language)
    actions.record_print(request.user, release)  # committed before rendering, outside any transaction
    items = _item_labels(release.items)
    context = {
        "release": release,
        "items": items,
        "valid_until": release_until(release),
        "signed_names": (release.signed_name or "").splitlines(),
        "org_name": release.org.name,
        "text": {
            "recipient": release_recipient(release),
            "items": items,
            "documents": release.documents,
            "purpose": release.purpose,
            "until": release_until(release),
            "org_name": release.org.name,
        },
    }
    return _pdf(render_pdf("referrals/pdf_release.html", context, language))


@policy(*{*DIRECTORY_READERS, *READERS})
@require_GET
def release_blank_pdf(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A blank release form to print and fill by hand: no person data."""
    language = _language(request, request.LANGUAGE_CODE)
    context = {
        "item_labels": [label for _value, label in ReleaseItem.choices],
        "org_name": request.user.org.name,
        "text": {"blank": True, "org_name": request.user.org.name},
    }
    return _pdf(render_pdf("referrals/pdf_release_blank.html", context, language))


@policy(*READERS)
@require_GET
def release_scan(request: AuthenticatedHttpRequest, person_id: uuid.UUID, release_id: uuid.UUID) -> HttpResponse:
    """The uploaded signed form, after a recent step-up; 404 when there is none."""
    person = get_person(request, person_id)
    release = get_release(request, person.id, release_id, with_scan=True)
    return require_step_up(_release_scan)(request, release)  # type: ignore[no-any-return]


SCAN_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _release_scan(request: AuthenticatedHttpRequest, release: Release) -> HttpResponse:
    if not release.scan or release.scan_type not in SCAN_EXTENSIONS:
        raise Http404()
    content = base64.b64decode(release.scan)
    actions.record_scan_opened(request.user, release)
    response = HttpResponse(content, content_type=release.scan_type)
    response["Content-Disposition"] = f'attachment; filename="scan.{SCAN_EXTENSIONS[release.scan_type]}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("people/<uuid:person_id>/releases/new/", release_new, name="release_new"),
    path("people/<uuid:person_id>/releases/<uuid:release_id>/", release_detail, name="release"),
    path("people/<uuid:person_id>/releases/<uuid:release_id>/revoke/", release_revoke, name="release_revoke"),
    path("people/<uuid:person_id>/releases/<uuid:release_id>/print/", release_pdf, name="release_pdf"),
    path("people/<uuid:person_id>/releases/<uuid:release_id>/scan/", release_scan, name="release_scan"),
    path("releases/blank-form/", release_blank_pdf, name="release_blank_pdf"),
]

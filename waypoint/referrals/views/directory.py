"""The directory of services: the built-in hotline first, then the organisation's own listings, with
search and filters (need, language, population); add, edit, verify and archive listings; CSV export
(step-up) and import.

Listings describe agencies, never the people referred, so these pages write no read audit rows and
the filter goes in the URL.  Providers, supervisors and org admins read; supervisors and org admins
change (``DIRECTORY_EDITORS``); another organisation's listings, and any change to the hotline, are
404 (``access.get_entry``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core.access import policy
from waypoint.core.concurrency import StaleVersion, with_version
from waypoint.orgs.access import staff_names
from waypoint.orgs.auth import require_step_up
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.referrals.access import DIRECTORY_EDITORS, DIRECTORY_READERS, entries_for, get_entry, may_edit_directory
from waypoint.referrals.actions import directory as actions
from waypoint.referrals.forms.directory import (
    DirectoryEntryForm,
    DirectoryFilterForm,
    ImportForm,
    fold,
    speaks,
    website_href,
)
from waypoint.referrals.forms.directory_csv import MAX_BYTES, export_csv, parse_import
from waypoint.referrals.models import DirectoryEntry, Population, ServiceKind

SERVICE_LABELS = dict(ServiceKind.choices)
POPULATION_LABELS = dict(Population.choices)


@dataclass
class Listing:
    """A listing as the pages show it."""

    entry: DirectoryEntry
    services: list[Any]
    populations: list[Any]
    website: str
    verified_by: str
    stale: bool


def _listing(entry: DirectoryEntry, names: dict[uuid.UUID, str]) -> Listing:
    return Listing(
        entry=entry,
        services=[SERVICE_LABELS.get(code, code) for code in entry.services or []],
        populations=[POPULATION_LABELS.get(code, code) for code in entry.populations or []],
        website=website_href(entry.website) if entry.website else "",
        verified_by=names.get(entry.verified_by_id, "") if entry.verified_by_id else "",
        stale=entry.needs_verifying(),
    )


def _words(entry: DirectoryEntry) -> str:
    parts = [entry.name, str(entry.display_name), entry.hours, entry.how_to_reach, *(entry.languages or [])]
    parts += [entry.phone, entry.text_number, entry.email, entry.website, entry.address]
    return fold(" ".join(part for part in parts if part))


def _matches(entry: DirectoryEntry, data: dict[str, Any]) -> bool:
    if data.get("need") and data["need"] not in (entry.services or []):
        return False
    if data.get("population") and data["population"] not in (entry.populations or []):
        return False
    if data.get("language") and not speaks(entry.languages or [], data["language"]):
        return False
    query = fold(data.get("q") or "")
    return not query or all(word in _words(entry) for word in query.split())


@policy(*DIRECTORY_READERS)
@require_GET
def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    editor = may_edit_directory(request.user)
    entries = list(entries_for(request.user, archived=editor))
    names = staff_names(request.user.org_id)
    form = DirectoryFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    data = form.cleaned_data if form.is_bound and valid else {}
    active = [e for e in entries if not e.archived]
    hotline = [_listing(e, names) for e in active if e.builtin]
    own = [_listing(e, names) for e in active if not e.builtin and _matches(e, data)]
    languages = sorted({language for e in active for language in e.languages or []}, key=fold)
    context = {
        "form": form,
        "hotline": hotline,
        "listings": own,
        "filtered": bool(data and any(data.values())),
        "own_count": sum(1 for e in active if not e.builtin),
        "archived": [_listing(e, names) for e in entries if e.archived] if editor else [],
        "language_options": languages,
        "can_edit": editor,
    }
    return TemplateResponse(request, "referrals/directory.html", context, status=200 if valid else 400)


@policy(*DIRECTORY_READERS)
@require_GET
def directory_entry(request: AuthenticatedHttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = get_entry(request, entry_id)
    context = {
        "listing": _listing(entry, staff_names(request.user.org_id)),
        "can_edit": may_edit_directory(request.user) and not entry.builtin,
    }
    return TemplateResponse(request, "referrals/directory_entry.html", context)


def _form_page(request: AuthenticatedHttpRequest, status: int = 200, **context: Any) -> HttpResponse:
    return TemplateResponse(request, "referrals/directory_form.html", context, status=status)


@policy(*DIRECTORY_EDITORS)
@require_http_methods(["GET", "POST"])
def directory_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, form=DirectoryEntryForm(initial={"form_token": uuid.uuid4()}))
    form = DirectoryEntryForm(request.POST)
    if not form.is_valid():
        return _form_page(request, status=400, form=form)
    entry = actions.add_entry(request.user, form)
    if entry is None:
        return redirect("referrals:directory")
    messages.success(request, _("Listing added to the directory."))
    return redirect("referrals:directory_entry", entry_id=entry.id)


@policy(*DIRECTORY_EDITORS)
@require_http_methods(["GET", "POST"])
def directory_edit(request: AuthenticatedHttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = get_entry(request, entry_id, editable=True)
    if request.method == "GET":
        form = DirectoryEntryForm(instance=entry, initial={"version": entry.version})
        return _form_page(request, form=form, entry=entry)
    form = DirectoryEntryForm(request.POST, instance=entry)
    if not form.is_valid():
        return _form_page(request, status=400, form=form, entry=entry)
    try:
        actions.update_entry(request.user, form)
    except StaleVersion as stale:
        retry = DirectoryEntryForm(with_version(form.data, stale.current.version), instance=stale.current)
        retry.is_valid()
        return _form_page(request, status=409, form=retry, entry=stale.current, conflict=True)
    messages.success(request, _("Changes saved."))
    return redirect("referrals:directory_entry", entry_id=entry.id)


@policy(*DIRECTORY_EDITORS)
@require_POST
def directory_verify(request: AuthenticatedHttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = get_entry(request, entry_id, editable=True)
    actions.verify_entry(request.user, entry)
    messages.success(request, _("Marked as verified today."))
    return redirect("referrals:directory_entry", entry_id=entry.id)


@policy(*DIRECTORY_EDITORS)
@require_POST
def directory_archive(request: AuthenticatedHttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = get_entry(request, entry_id, editable=True)
    actions.archive_entry(request.user, entry)
    messages.success(request, _("Listing archived. It is no longer offered when choosing a service."))
    return redirect("referrals:directory")


@require_step_up
def _export(request: AuthenticatedHttpRequest) -> HttpResponse:
    entries = list(entries_for(request.user).filter(builtin=False).order_by("name"))
    content = export_csv(entries)
    actions.record_export(request.user, len(entries))
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="directory.csv"'
    return response


@policy(*DIRECTORY_EDITORS)
@require_GET
def directory_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _export(request)  # type: ignore[no-any-return]


@policy(*DIRECTORY_EDITORS)
@require_http_methods(["GET", "POST"])
def directory_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return TemplateResponse(request, "referrals/directory_import.html", {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    errors: list[str] = []
    more = 0
    if form.is_valid():
        upload = form.cleaned_data["upload"]
        result = parse_import(upload.read(MAX_BYTES + 1))
        if result.forms and not result.errors:
            count = actions.import_entries(request.user, result.forms)
            done = ngettext("%(count)d listing imported.", "%(count)d listings imported.", count)
            messages.success(request, done % {"count": count})
            return redirect("referrals:directory")
        errors, more = result.errors, max(0, result.error_count - len(result.errors))
    context = {"form": form, "errors": errors, "more": more}
    return TemplateResponse(request, "referrals/directory_import.html", context, status=400)


urlpatterns: list[URLPattern] = [
    path("directory/", directory, name="directory"),
    path("directory/new/", directory_new, name="directory_new"),
    path("directory/export/", directory_export, name="directory_export"),
    path("directory/import/", directory_import, name="directory_import"),
    path("directory/<uuid:entry_id>/", directory_entry, name="directory_entry"),
    path("directory/<uuid:entry_id>/edit/", directory_edit, name="directory_edit"),
    path("directory/<uuid:entry_id>/verify/", directory_verify, name="directory_verify"),
    path("directory/<uuid:entry_id>/archive/", directory_archive, name="directory_archive"),
]

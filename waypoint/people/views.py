"""People records: list, search, create, view, edit and timeline.  Every page that shows record data
goes through ``reads.show`` (one read row); every change goes through ``people.actions``."""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.core.concurrency import StaleVersion, previous_result, with_version
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people import actions, history, parts, search
from waypoint.people.access import READERS, SEARCH_WINDOW, assigned_ids, get_person, may_search, people_for
from waypoint.people.events import PersonEvent
from waypoint.people.forms import LANGUAGE_LABELS, PersonForm, SearchForm
from waypoint.people.models import Person


def _list_context(request: AuthenticatedHttpRequest, rows: Any, form: SearchForm, searched: bool) -> dict[str, Any]:
    search.add_labels(request.user, rows)
    return {
        "rows": rows,
        "form": form,
        "searched": searched,
        "mine": assigned_ids(request.user),
        "labelled": search.shows_labels(request.user),
    }


@policy(*READERS)
@require_GET
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = list(people_for(request.user).only(*search.listed_fields(request.user))[: search.LIMIT])
    context = _list_context(request, rows, SearchForm(), False)
    return reads.show(request, "people/list.html", context, event=PersonEvent.LISTED, object_type="person")


def _matches(request: AuthenticatedHttpRequest, query: str) -> list[Person]:
    """Records of the reader's organisation holding every word of ``query``, or whose code it is."""
    found = search.find(request.user, query).only(*search.listed_fields(request.user))
    return list(found[: search.LIMIT])


@policy(*READERS)
@require_POST
def person_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """POST, so a name typed into the search never appears in a URL, history or log.  Over the limit:
    429 and nothing searched.  The read row says how many records were found, never what was typed."""
    with actions.search_turn(request.user):
        form = SearchForm(request.POST, too_many=not may_search(request.user))
        if not form.is_valid():  # nothing searched, no record shown
            throttled = form.has_error(NON_FIELD_ERRORS, "throttled")
            context = _list_context(request, [], form, True)
            response = TemplateResponse(request, "people/list.html", context, status=429 if throttled else 200)
            if throttled:
                response["Retry-After"] = str(int(SEARCH_WINDOW.total_seconds()))
            return response
        rows = _matches(request, form.cleaned_data["wp_find"])
        context = _list_context(request, rows, form, True)
        return reads.show(
            request, "people/list.html", context, event=PersonEvent.SEARCHED, object_type="person", count=len(rows)
        )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def person_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new record.  When its name or alias shares words with records already made (or a word and
    the date of birth), the page first lists those records by code and asks for an explicit "create
    a new record anyway"; everything typed stays in the form."""
    staff = request.user
    form = PersonForm(request.POST or None, org_id=staff.org_id, creating=True, initial={"form_token": uuid.uuid4()})
    if request.method != "POST":
        return TemplateResponse(request, "people/form.html", {"form": form, "creating": True})
    if not form.is_valid():
        return TemplateResponse(request, "people/form.html", {"form": form, "creating": True}, status=400)
    first_submit = previous_result(staff.id, form.cleaned_data.get("form_token"), "person") is None
    if first_submit and (form.cleaned_data.get("name") or form.cleaned_data.get("alias")):
        with actions.search_turn(staff):
            if not may_search(staff):
                form.add_error(
                    None,
                    _(
                        "You have searched many times in the last minute, and a new record is first checked "
                        "against the records already made. Wait a minute, then create it again: what you "
                        "typed is kept."
                    ),
                )
                response = TemplateResponse(request, "people/form.html", {"form": form, "creating": True}, status=429)
                response["Retry-After"] = str(int(SEARCH_WINDOW.total_seconds()))
                return response
            matches = search.likely_duplicates(
                staff, form.cleaned_data.get("name") or "", form.cleaned_data.get("alias") or "",
                form.cleaned_data.get("date_of_birth"),
            )  # fmt: skip
            if matches and not _confirmed(form, matches):
                return _duplicates_page(request, form, matches)
    person, created = actions.create_person(staff, form)
    if created:
        messages.success(request, _("Record %(code)s created.") % {"code": person.reference})
    return redirect("people:detail", person_id=person.id)


def _confirmed(form: PersonForm, matches: list[search.Duplicate]) -> bool:
    """Every match was on the page already and the user ticked "create a new record anyway"."""
    shown = {match.person.reference for match in matches} <= form.matches_seen()
    return shown and bool(form.cleaned_data.get("create_anyway"))


def _duplicates_page(
    request: AuthenticatedHttpRequest, form: PersonForm, matches: list[search.Duplicate]
) -> HttpResponse:
    """The form again, as typed, with the possible matches above it and the confirmation box below.
    Shown again with a message on the box when the user pressed create without ticking it."""
    codes = sorted({match.person.reference for match in matches} | form.matches_seen())
    unticked = bool(form.matches_seen()) and {m.person.reference for m in matches} <= form.matches_seen()
    data = request.POST.copy()
    data["matches_seen"] = ",".join(codes)
    data.pop("create_anyway", None)
    again = PersonForm(data, org_id=request.user.org_id, creating=True)
    again.is_valid()
    status = 200
    if unticked:
        again.add_error("create_anyway", _("Tick this box to create a new record, or open one of the records above."))
        status = 400
    search.add_labels(request.user, [match.person for match in matches])
    context = {"form": again, "creating": True, "matches": matches, "labelled": search.shows_labels(request.user)}
    return reads.show(
        request, "people/form.html", context, event=PersonEvent.DUPLICATES_SHOWN, object_type="person",
        count=len(matches), status=status,
    )  # fmt: skip


@policy(*READERS)
@require_GET
def person_detail(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    by_key = parts.contexts(request, person)
    context = {
        "person": person,
        "language": LANGUAGE_LABELS.get(person.preferred_language, person.preferred_language),
        "assigned": list(person.assigned_staff.all()),
        # Called when the page renders, after this read's row is written, so the list includes it.
        "viewers": functools.partial(history.viewers, person),
        "parts": by_key,
        "sections": parts.sections(request, person, by_key),
    }
    return reads.show(request, "people/detail.html", context, event=PersonEvent.VIEWED, obj=person)


def _edit_page(request: AuthenticatedHttpRequest, form: PersonForm, person: Person, status: int = 200) -> HttpResponse:
    context = {"form": form, "person": person}
    return reads.show(request, "people/form.html", context, event=PersonEvent.VIEWED, obj=person, status=status)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def person_edit(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    org_id = request.user.org_id
    if request.method == "GET":
        return _edit_page(
            request, PersonForm(instance=person, org_id=org_id, initial={"version": person.version}), person
        )
    form = PersonForm(request.POST, instance=person, org_id=org_id)
    if not form.is_valid():
        return _edit_page(request, form, person, status=400)
    try:
        actions.update_person(request.user, form)
    except StaleVersion as stale:
        return _conflict(request, form, stale.current)
    messages.success(request, _("Changes saved."))
    return redirect("people:detail", person_id=person.id)


def _conflict(request: AuthenticatedHttpRequest, form: PersonForm, current: Person) -> HttpResponse:
    """Someone saved first: show their version beside the typed one; nothing is overwritten."""
    retry = PersonForm(with_version(form.data, current.version), instance=current, org_id=current.org_id)
    retry.is_valid()
    context = {"form": retry, "person": current, "conflict": True, "current": current}
    return reads.show(request, "people/form.html", context, event=PersonEvent.CONFLICT, obj=current, status=409)


@policy(*READERS)
@require_GET
def person_timeline(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    context = {"person": person, "entries": history.timeline(person)}
    return reads.show(request, "people/timeline.html", context, event=PersonEvent.TIMELINE_VIEWED, obj=person)

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
from waypoint.core.concurrency import StaleVersion, with_version
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people import actions, history, parts
from waypoint.people.access import READERS, SEARCH_WINDOW, assigned_ids, get_person, may_search, people_for
from waypoint.people.events import PersonEvent
from waypoint.people.forms import LANGUAGE_LABELS, PersonForm, SearchForm
from waypoint.people.models import Person


def _list_context(request: AuthenticatedHttpRequest, rows: Any, form: SearchForm, searched: bool) -> dict[str, Any]:
    return {"rows": rows, "form": form, "searched": searched, "mine": assigned_ids(request.user)}


@policy(*READERS)
@require_GET
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = people_for(request.user).only("id", "reference", "updated_at", "estimated_age")[:50]
    context = _list_context(request, rows, SearchForm(), False)
    return reads.show(request, "people/list.html", context, event=PersonEvent.LISTED, object_type="person")


def _matches(request: AuthenticatedHttpRequest, query: str) -> list[Person]:
    """Records of the reader's organisation whose code, or exact (normalised) name or alias, is ``query``."""
    code = "".join(ch for ch in query.upper() if ch.isalnum())
    index = Person.search_index(request.user.org_id, query)
    found = people_for(request.user)
    by_code = found.filter(reference=f"{code[:4]}-{code[4:]}") if len(code) == 8 else found.none()
    by_name = found.filter(name_index=index) | found.filter(alias_index=index) if index else found.none()
    return list((by_code | by_name).distinct()[:50])


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
    staff = request.user
    form = PersonForm(request.POST or None, org_id=staff.org_id, initial={"form_token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        person, created = actions.create_person(staff, form)
        if created:
            messages.success(request, _("Record %(code)s created.") % {"code": person.reference})
        return redirect("people:detail", person_id=person.id)
    return TemplateResponse(request, "people/form.html", {"form": form, "creating": True})


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

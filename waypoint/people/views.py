"""People records: list, search, create, view, edit and timeline.  Every read is audited once."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.contact.models import ContactRules
from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.core.concurrency import StaleVersion, lock_for_update, previous_result, remember_result, with_version
from waypoint.core.crypto import blind_index
from waypoint.core.models import AuditEvent
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role, Staff
from waypoint.people.access import READERS, get_person, people_for, record_object_ids
from waypoint.people.events import PersonEvent
from waypoint.people.forms import LANGUAGE_LABELS, PersonForm, SearchForm
from waypoint.people.models import Person
from waypoint.plans.events import PlanEvent
from waypoint.plans.models import SafetyPlan
from waypoint.printing.events import PrintEvent
from waypoint.referrals.events import ServiceEvent
from waypoint.referrals.models import ServiceRecord

RECORD_EVENTS = [PersonEvent.CREATED, PersonEvent.UPDATED]
VIEW_EVENTS = [
    PersonEvent.VIEWED,
    PersonEvent.TIMELINE_VIEWED,
    *RECORD_EVENTS,
    EncounterEvent.STARTED,
    EncounterEvent.VIEWED,
    EncounterEvent.UPDATED,
    EncounterEvent.CLOSED,
    EncounterEvent.AMENDED,
    PlanEvent.STARTED,
    PlanEvent.VIEWED,
    PlanEvent.UPDATED,
    PlanEvent.VERSIONS_VIEWED,
    PrintEvent.PLAN_PRINTED,
    PrintEvent.CARD_PRINTED,
    PrintEvent.REFUSED,
    PrintEvent.MEMORISE_VIEWED,
    ServiceEvent.VIEWED,
    ServiceEvent.ADDED,
    ServiceEvent.UPDATED,
]


def _list_context(request: AuthenticatedHttpRequest, rows: Any, form: SearchForm, searched: bool) -> dict[str, Any]:
    links = Person.assigned_staff.through.objects.filter(staff_id=request.user.id)
    mine = set(links.values_list("person_id", flat=True))
    return {"rows": rows, "form": form, "searched": searched, "mine": mine}


@policy(*READERS)
@require_GET
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = people_for(request.user).only("id", "reference", "updated_at", "estimated_age")[:50]
    return TemplateResponse(request, "people/list.html", _list_context(request, rows, SearchForm(), False))


@policy(*READERS)
@require_POST
def person_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """POST, so a name typed into the search never appears in a URL, history or log."""
    form = SearchForm(request.POST)
    rows: list[Person] = []
    if form.is_valid():
        query = form.cleaned_data["query"]
        code = "".join(ch for ch in query.upper() if ch.isalnum())
        index = blind_index(query, "person.name")
        found = people_for(request.user)
        by_code = found.filter(reference=f"{code[:4]}-{code[4:]}") if len(code) == 8 else found.none()
        by_name = found.filter(name_index=index) | found.filter(alias_index=index) if index else found.none()
        rows = list((by_code | by_name).distinct()[:50])
        audit.record_for(request, PersonEvent.SEARCHED, object_type="person")
    return TemplateResponse(request, "people/list.html", _list_context(request, rows, form, True))


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def person_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    form = PersonForm(request.POST or None, org_id=staff.org_id, initial={"form_token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data.get("form_token")
        earlier = previous_result(staff.id, token, "person")
        if earlier is not None:
            return redirect("people:detail", person_id=earlier)
        person = form.save(commit=False)
        person.org_id = staff.org_id
        person.created_by_id = staff.id
        person.save()
        form.save_m2m()
        if not person.assigned_staff.exists() and staff.has_role(Role.PROVIDER):
            person.assigned_staff.add(staff)
        remember_result(staff.id, token, "person", person.id)
        audit.record_for(request, PersonEvent.CREATED, person)
        messages.success(request, _("Record %(code)s created.") % {"code": person.reference})
        return redirect("people:detail", person_id=person.id)
    return TemplateResponse(request, "people/form.html", {"form": form, "creating": True})


def _viewers(person: Person, limit: int = 20) -> list[dict[str, Any]]:
    rows = AuditEvent.objects.filter(
        object_id__in=record_object_ids(person), org_id=person.org_id, event__in=VIEW_EVENTS
    )[:limit]
    names = dict(Staff.objects.filter(org_id=person.org_id).values_list("id", "display_name"))
    return [
        {"at": row.at, "who": names.get(row.actor_id, "—"), "event": audit.label(row.event)}  # type: ignore[arg-type]
        for row in rows
    ]


@policy(*READERS)
@require_GET
def person_detail(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    audit.record_for(request, PersonEvent.VIEWED, person)
    context = {
        "person": person,
        "language": LANGUAGE_LABELS.get(person.preferred_language, person.preferred_language),
        "assigned": list(person.assigned_staff.all()),
        "viewers": _viewers(person),
        "rules": ContactRules.objects.filter(person=person).first(),
        "plan": SafetyPlan.objects.filter(person=person).only("id", "version", "review_on").first(),
        "services": ServiceRecord.objects.filter(person=person),
    }
    return TemplateResponse(request, "people/detail.html", context)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def person_edit(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    staff = request.user
    if request.method == "GET":
        audit.record_for(request, PersonEvent.VIEWED, person)
        form = PersonForm(instance=person, org_id=staff.org_id, initial={"version": person.version})
        return TemplateResponse(request, "people/form.html", {"form": form, "person": person})
    form = PersonForm(request.POST, instance=person, org_id=staff.org_id)
    if not form.is_valid():
        return TemplateResponse(request, "people/form.html", {"form": form, "person": person}, status=400)
    try:
        with transaction.atomic():
            lock_for_update(Person, person.pk, form.cleaned_data.get("version") or 0)
            saved = form.save(commit=False)
            saved.version = person.version + 1 if person.version else 1
            saved.save()
            form.save_m2m()
            audit.record_for(request, PersonEvent.UPDATED, saved)
    except StaleVersion as stale:
        return _conflict(request, form, stale.current)
    messages.success(request, _("Changes saved."))
    return redirect("people:detail", person_id=person.id)


def _conflict(request: AuthenticatedHttpRequest, form: PersonForm, current: Person) -> HttpResponse:
    """Someone saved first: show their version beside the typed one; nothing is overwritten."""
    audit.record_for(request, PersonEvent.CONFLICT, current)
    retry = PersonForm(with_version(form.data, current.version), instance=current, org_id=current.org_id)
    retry.is_valid()
    context = {"form": retry, "person": current, "conflict": True, "current": current}
    return TemplateResponse(request, "people/form.html", context, status=409)


@policy(*READERS)
@require_GET
def person_timeline(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    audit.record_for(request, PersonEvent.TIMELINE_VIEWED, person)
    names = dict(Staff.objects.filter(org_id=person.org_id).values_list("id", "display_name"))
    events = AuditEvent.objects.filter(object_id=person.id, org_id=person.org_id, event__in=RECORD_EVENTS)
    entries = [
        {"at": e.at, "who": names.get(e.actor_id, "—"), "what": audit.label(e.event)}  # type: ignore[arg-type]
        for e in events[:200]
    ]
    for encounter in Encounter.objects.filter(person=person)[:200]:
        what = _("%(mode)s encounter") % {"mode": encounter.get_mode_display()}
        entries.append(
            {"at": encounter.started_at, "who": names.get(encounter.lead_id, "—"), "what": what, "encounter": encounter}
        )
    plan = SafetyPlan.objects.filter(person=person).first()
    if plan is not None:
        for version in plan.versions.defer("content_json")[:200]:
            what = _("Safety plan, version %(number)s") % {"number": version.number}
            entries.append(
                {"at": version.saved_at, "who": names.get(version.author_id, "—"), "what": what, "plan": plan}
            )
    entries.sort(key=lambda entry: entry["at"], reverse=True)
    return TemplateResponse(request, "people/timeline.html", {"person": person, "entries": entries})

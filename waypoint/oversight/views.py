"""Audit viewer for auditors and org admins: filter by record, staff member, event and date."""

from __future__ import annotations

import datetime
import uuid

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import Encounter
from waypoint.orgs.models import Role, Staff
from waypoint.oversight.forms import AuditFilterForm
from waypoint.people.access import record_object_ids
from waypoint.people.models import Person

PAGE_SIZE = 50


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@policy(Role.AUDITOR, Role.ORG_ADMIN)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, Staff)
    org_id = request.user.org_id
    form = AuditFilterForm(request.GET or None, org_id=org_id)
    rows = AuditEvent.objects.filter(org_id=org_id)
    unknown_reference = False
    if form.is_valid():
        data = form.cleaned_data
        if data["reference"]:
            person = Person.objects.filter(org_id=org_id, reference=data["reference"]).only("id").first()
            unknown_reference = person is None
            rows = rows.filter(object_id__in=record_object_ids(person) if person else [uuid.UUID(int=0)])
        if data["staff"]:
            rows = rows.filter(actor_id=data["staff"])
        if data["event"]:
            rows = rows.filter(event=data["event"])
        if data["start"]:
            rows = rows.filter(at__gte=_day_start(data["start"]))
        if data["end"]:
            rows = rows.filter(at__lt=_day_start(data["end"] + datetime.timedelta(days=1)))
    else:
        rows = rows.none() if form.is_bound else rows
    page = Paginator(rows.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    names = dict(Staff.objects.filter(org_id=org_id).values_list("id", "display_name"))
    object_ids = {row.object_id for row in page if row.object_id}
    codes = dict(Person.objects.filter(org_id=org_id, id__in=object_ids).values_list("id", "reference"))
    encounters = Encounter.objects.filter(org_id=org_id, id__in=object_ids).values_list("id", "person__reference")
    codes.update(dict(encounters))
    entries = [
        {
            "row": row,
            "who": names.get(row.actor_id, "—") if row.actor_id else "—",  # type: ignore[arg-type]
            "what": audit.label(row.event),
            "reference": codes.get(row.object_id, ""),  # type: ignore[arg-type]
        }
        for row in page
    ]
    audit.record_for(request, audit.Event.AUDIT_VIEWED, object_type="audit")
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "entries": entries,
        "query": query.urlencode(),
        "unknown_reference": unknown_reference,
    }
    return TemplateResponse(request, "oversight/audit_log.html", context)

"""Audit viewer for auditors and org admins: filter by record, staff member, event and date."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.core.models import AuditEvent
from waypoint.orgs.access import staff_names
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.oversight import actions
from waypoint.oversight.access import READERS, audit_rows_for
from waypoint.oversight.forms import AuditFilterForm
from waypoint.people import parts
from waypoint.people.access import person_by_reference, references

PAGE_SIZE = 50
NOTHING = uuid.UUID(int=0)  # matches no row: a reference that is not one of this organisation's records


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _filtered(rows: QuerySet[AuditEvent], org_id: uuid.UUID, data: dict[str, Any]) -> tuple[QuerySet[AuditEvent], bool]:
    """The rows the filter asks for, and whether its reference code names no record."""
    unknown_reference = False
    if data["reference"]:
        person = person_by_reference(org_id, data["reference"])
        unknown_reference = person is None
        rows = rows.filter(object_id__in=parts.record_object_ids(person) if person else [NOTHING])
    if data["staff"]:
        rows = rows.filter(actor_id=data["staff"])
    if data["event"]:
        rows = rows.filter(event=data["event"])
    if data["start"]:
        rows = rows.filter(at__gte=_day_start(data["start"]))
    if data["end"]:
        rows = rows.filter(at__lt=_day_start(data["end"] + datetime.timedelta(days=1)))
    return rows, unknown_reference


def _entries(page: Page[AuditEvent], org_id: uuid.UUID) -> list[dict[str, Any]]:
    """Each row with who did it and the reference code of the record it concerns (ids only)."""
    names = staff_names(org_id)
    object_ids = {row.object_id for row in page if row.object_id}
    owners = parts.owners(org_id, object_ids)  # an encounter, a plan... -> its person
    codes = references(org_id, object_ids | set(owners.values()))
    return [
        {
            "row": row,
            "who": names.get(row.actor_id, "—") if row.actor_id else "—",
            "what": audit.label(row.event),
            "reference": codes.get(owners.get(row.object_id, row.object_id), "") if row.object_id else "",
        }
        for row in page
    ]


@policy(*READERS)
@require_GET
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    org_id = request.user.org_id
    form = AuditFilterForm(request.GET or None, org_id=org_id)
    rows, unknown_reference = audit_rows_for(request.user), False
    if form.is_valid():
        rows, unknown_reference = _filtered(rows, org_id, form.cleaned_data)
    elif form.is_bound:
        rows = rows.none()
    page = Paginator(rows.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = _entries(page, org_id)
    actions.record_audit_view(request.user)
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

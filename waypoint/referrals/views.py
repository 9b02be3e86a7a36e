"""The ledger of services a person already receives elsewhere: list, add, edit.

Shown on the person page and before any service is added to a plan ("avoid recreating the
wheel").  Reads and writes are audited against the person's record."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waypoint.core import audit
from waypoint.core.access import deny, policy
from waypoint.core.concurrency import StaleVersion, lock_for_update, previous_result, remember_result, with_version
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.plans.models import SafetyPlan
from waypoint.referrals.events import ServiceEvent
from waypoint.referrals.forms import ServiceForm
from waypoint.referrals.models import ServiceRecord


def _context(person: Any, **extra: Any) -> dict[str, Any]:
    return {
        "person": person,
        "services": ServiceRecord.objects.filter(person=person),
        "plan": SafetyPlan.objects.filter(person=person).only("id").first(),
        **extra,
    }


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def service_list(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    staff = request.user
    data = request.POST if request.method == "POST" else None
    form = ServiceForm(data, initial={"form_token": uuid.uuid4()})
    if request.method == "GET":
        audit.record_for(request, ServiceEvent.VIEWED, person)
        return TemplateResponse(request, "referrals/services.html", _context(person, form=form))
    if not form.is_valid():
        return TemplateResponse(request, "referrals/services.html", _context(person, form=form), status=400)
    token = form.cleaned_data.get("form_token")
    if previous_result(staff.id, token, "service") is None:
        record = form.save(commit=False)
        record.org_id, record.person, record.created_by_id = person.org_id, person, staff.id
        record.save()
        remember_result(staff.id, token, "service", record.id)
        audit.record_for(request, ServiceEvent.ADDED, person)
        messages.success(request, _("Service added to the ledger."))
    return redirect("referrals:services", person_id=person.id)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def service_edit(request: AuthenticatedHttpRequest, person_id: uuid.UUID, service_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    record = ServiceRecord.objects.filter(pk=service_id, person=person, org_id=person.org_id).first()
    if record is None:
        deny(request, "service", service_id)
    if request.method == "GET":
        audit.record_for(request, ServiceEvent.VIEWED, person)
        form = ServiceForm(instance=record, initial={"version": record.version})
        return TemplateResponse(
            request, "referrals/service_form.html", {"person": person, "form": form, "record": record}
        )
    form = ServiceForm(request.POST, instance=record)
    context = {"person": person, "form": form, "record": record}
    if not form.is_valid():
        return TemplateResponse(request, "referrals/service_form.html", context, status=400)
    try:
        with transaction.atomic():
            current = lock_for_update(ServiceRecord, record.pk, form.cleaned_data.get("version") or 0)
            saved = form.save(commit=False)
            saved.version = current.version + 1
            saved.save()
            audit.record_for(request, ServiceEvent.UPDATED, person)
    except StaleVersion as stale:
        retry = ServiceForm(with_version(form.data, stale.current.version), instance=stale.current)
        retry.is_valid()
        context.update({"form": retry, "conflict": True, "current": stale.current})
        return TemplateResponse(request, "referrals/service_form.html", context, status=409)
    messages.success(request, _("Changes saved."))
    return redirect("referrals:services", person_id=person.id)

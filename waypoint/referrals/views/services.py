"""The ledger of services a person already receives elsewhere: list, add, edit.  A service's provider
may be picked from the directory (its name is then the listing's, unless one is typed).

Shown on the person page and before any service is added to a plan ("avoid recreating the
wheel").  Reads and writes are audited against the person's record: every page goes through
``reads.show`` (error re-renders and conflicts included), every change through ``referrals.actions``."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.core.concurrency import StaleVersion, with_version
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.models import Person
from waypoint.plans.access import plans_for
from waypoint.referrals import actions
from waypoint.referrals.access import entries_for, get_service, services_for
from waypoint.referrals.events import ServiceEvent
from waypoint.referrals.forms import ServiceForm


def _ledger(request: AuthenticatedHttpRequest, person: Person, form: ServiceForm, status: int = 200) -> HttpResponse:
    """The ledger page: the person's services, the plan (for the crumbs) and the form to add one."""
    context = {
        "person": person,
        "services": services_for(request.user).filter(person=person),
        "plan": plans_for(request.user).filter(person=person).only("id").first(),
        "form": form,
    }
    return reads.show(request, "referrals/services.html", context, event=ServiceEvent.VIEWED, obj=person, status=status)


def _edit_page(request: AuthenticatedHttpRequest, person: Person, status: int = 200, **context: Any) -> HttpResponse:
    context["person"] = person
    return reads.show(
        request, "referrals/service_form.html", context, event=ServiceEvent.VIEWED, obj=person, status=status
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def service_list(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    if request.method == "GET":
        return _ledger(
            request, person, ServiceForm(initial={"form_token": uuid.uuid4()}, entries=entries_for(request.user))
        )
    form = ServiceForm(request.POST, entries=entries_for(request.user))
    if not form.is_valid():
        return _ledger(request, person, form, status=400)
    if actions.add_service(request.user, person, form) is not None:
        messages.success(request, _("Service added to the ledger."))
    return redirect("referrals:services", person_id=person.id)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def service_edit(request: AuthenticatedHttpRequest, person_id: uuid.UUID, service_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    record = get_service(request, person.id, service_id)
    if request.method == "GET":
        form = ServiceForm(instance=record, initial={"version": record.version}, entries=entries_for(request.user))
        return _edit_page(request, person, form=form, record=record)
    form = ServiceForm(request.POST, instance=record, entries=entries_for(request.user))
    if not form.is_valid():
        return _edit_page(request, person, status=400, form=form, record=record)
    try:
        actions.update_service(request.user, person, form)
    except StaleVersion as stale:
        retry = ServiceForm(
            with_version(form.data, stale.current.version), instance=stale.current, entries=entries_for(request.user)
        )
        retry.is_valid()
        return _edit_page(request, person, status=409, form=retry, record=record, conflict=True, current=stale.current)
    messages.success(request, _("Changes saved."))
    return redirect("referrals:services", person_id=person.id)

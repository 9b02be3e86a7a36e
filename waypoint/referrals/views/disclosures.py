"""The disclosure log: record a compelled disclosure (a mandated report, a court order, a subpoena)
and read one.  Every page goes through ``reads.show`` (one read row, error re-renders included);
the record and its follow-up to tell the person are written by ``actions.disclosures``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waypoint.contact.access import tasks_for
from waypoint.contact.actions import ContactRefused
from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.models import Person
from waypoint.referrals.access import get_disclosure
from waypoint.referrals.actions.disclosures import record_disclosure
from waypoint.referrals.events import DisclosureEvent
from waypoint.referrals.forms.disclosures import DisclosureForm


def _form_page(
    request: AuthenticatedHttpRequest, person: Person, form: DisclosureForm, status: int = 200, problem: str = ""
) -> HttpResponse:
    context = {"person": person, "form": form, "problem": problem}
    return reads.show(
        request, "referrals/disclosure_form.html", context, event=DisclosureEvent.VIEWED, obj=person, status=status
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def disclosure_new(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    if request.method == "GET":
        initial = {"form_token": uuid.uuid4(), "disclosed_on": timezone.localdate(), "tell": "yes"}
        return _form_page(request, person, DisclosureForm(initial=initial))
    form = DisclosureForm(request.POST)
    if not form.is_valid():
        return _form_page(request, person, form, status=400)
    try:
        disclosure = record_disclosure(request.user, person, form.cleaned_data)
    except ContactRefused as refused:
        return _form_page(request, person, form, status=409, problem=str(refused))
    messages.success(request, _("Disclosure recorded."))
    return redirect("referrals:disclosure", person_id=person.id, disclosure_id=disclosure.id)


@policy(*READERS)
@require_GET
def disclosure_detail(
    request: AuthenticatedHttpRequest, person_id: uuid.UUID, disclosure_id: uuid.UUID
) -> HttpResponse:
    person = get_person(request, person_id)
    disclosure = get_disclosure(request, person.id, disclosure_id)
    task = tasks_for(request.user).filter(pk=disclosure.task_id).first() if disclosure.task_id else None
    context = {"person": person, "disclosure": disclosure, "task": task}
    return reads.show(request, "referrals/disclosure.html", context, event=DisclosureEvent.VIEWED, obj=disclosure)


urlpatterns = [
    path("people/<uuid:person_id>/disclosures/new/", disclosure_new, name="disclosure_new"),
    path("people/<uuid:person_id>/disclosures/<uuid:disclosure_id>/", disclosure_detail, name="disclosure"),
]

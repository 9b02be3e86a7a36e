"""Referrals: the person's "Referrals and releases" page, a new referral (with the services ledger
shown first, so nothing is repeated and they are not asked to tell their story again), a referral
with its history, moving it through its lifecycle, and a completed referral into the ledger.

Every page goes through ``reads.show`` (error re-renders and conflicts included); every change is
one call to ``actions.referrals``.  Ids in the query string (?entry=, ?encounter=, ?plan=) are looked
up through the access helpers among this person's own things: anything else is ignored."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.core.concurrency import StaleVersion
from waypoint.encounters.access import encounters_for
from waypoint.encounters.models import Encounter, NeedKind
from waypoint.orgs.access import staff_names
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.models import Person
from waypoint.plans.access import plan_of, plans_for
from waypoint.referrals.access import (
    disclosures_for,
    entries_for,
    get_referral,
    referrals_for,
    releases_for,
    services_for,
)
from waypoint.referrals.actions.referrals import (
    ReferralRefused,
    add_to_ledger,
    change_status,
    create_referral,
    refuse_for_release,
)
from waypoint.referrals.events import ReferralEvent
from waypoint.referrals.forms.referrals import MOVE_LABELS, ReferralForm, StatusForm, entry_label, release_label
from waypoint.referrals.models import NEXT_STATUS, Referral, ReferralStatus, ReleaseItem, ServiceKind, SharingMode

# The encounter's emergency needs, as the needs a referral asks for.
NEED_FOR = {
    NeedKind.INJURIES: ServiceKind.MEDICAL,
    NeedKind.MEDICATIONS: ServiceKind.MEDICAL,
    NeedKind.SHELTER: ServiceKind.SHELTER,
    NeedKind.FOOD_WATER: ServiceKind.FOOD,
    NeedKind.OTHER: ServiceKind.OTHER,
}


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


# --- The person's referrals and releases --------------------------------------------------------


@policy(*READERS)
@require_http_methods(["GET"])
def person_referrals(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Referrals and releases: the services ledger, referrals, releases and disclosures of one record."""
    person = get_person(request, person_id)
    context = {
        "person": person,
        "plan": plan_of(request.user, person),
        "services": services_for(request.user).filter(person=person),
        "referrals": referrals_for(request.user).filter(person=person).select_related("entry"),
        "releases": list(releases_for(request.user).filter(person=person).select_related("entry").defer("scan")),
        "disclosures": disclosures_for(request.user).filter(person=person),
    }
    return reads.show(request, "referrals/person.html", context, event=ReferralEvent.VIEWED, obj=person)


# --- A new referral ------------------------------------------------------------------------------


def _source_encounter(request: AuthenticatedHttpRequest, person: Person) -> Encounter | None:
    wanted = _uuid(request.GET.get("encounter"))
    return encounters_for(request.user).filter(person=person, pk=wanted).first() if wanted else None


def _source_plan_id(request: AuthenticatedHttpRequest, person: Person) -> uuid.UUID | None:
    wanted = _uuid(request.GET.get("plan"))
    found = plans_for(request.user).filter(person=person, pk=wanted).values_list("id", flat=True) if wanted else []
    return next(iter(found), None)


def _suggested(encounter: Encounter | None) -> list[str]:
    if encounter is None:
        return []
    kinds = [NEED_FOR.get(need.kind) for need in encounter.needs.all()]
    return [str(kind) for kind in kinds if kind is not None]


def _new_form(request: AuthenticatedHttpRequest, person: Person, encounter: Encounter | None) -> ReferralForm:
    options: dict[str, Any] = {
        "person_id": person.id,
        "entries": entries_for(request.user),
        "releases": releases_for(request.user).filter(person=person).defer("scan"),
        "suggested": _suggested(encounter),
    }
    if request.method == "POST":
        return ReferralForm(request.POST, **options)
    initial: dict[str, Any] = {"form_token": uuid.uuid4()}
    wanted = _uuid(request.GET.get("entry"))
    entry = entries_for(request.user).filter(pk=wanted).first() if wanted else None
    if entry is not None:
        initial["entry"] = entry.pk
    return ReferralForm(initial=initial, **options)


def _new_page(
    request: AuthenticatedHttpRequest,
    person: Person,
    form: ReferralForm,
    encounter: Encounter | None,
    status: int = 200,
) -> HttpResponse:
    entry = form.cleaned_data.get("entry") if form.is_bound and hasattr(form, "cleaned_data") else None
    context = {
        "person": person,
        "plan": plan_of(request.user, person),
        "services": services_for(request.user).filter(person=person),
        "form": form,
        "encounter": encounter,
        "refused_entry": entry if form.ask_for_release else None,
    }
    return reads.show(
        request, "referrals/referral_new.html", context, event=ReferralEvent.VIEWED, obj=person, status=status
    )


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def referral_new(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    encounter = _source_encounter(request, person)
    form = _new_form(request, person, encounter)
    if request.method == "GET":
        return _new_page(request, person, form, encounter)
    if not form.is_valid():
        if form.refused_for_release:
            refuse_for_release(request.user, person)
        return _new_page(request, person, form, encounter, status=400)
    try:
        referral = create_referral(
            request.user, person, form.cleaned_data,
            source_encounter_id=encounter.id if encounter else None,
            source_plan_id=_source_plan_id(request, person),
        )  # fmt: skip
    except ReferralRefused as refused:  # the release changed since the form was checked
        refuse_for_release(request.user, person)
        form.add_error(refused.field, refused.message)
        return _new_page(request, person, form, encounter, status=400)
    if referral is None:  # the same form sent twice: the first made it
        messages.info(request, _("That referral was already made."))
        return redirect("referrals:person", person_id=person.id)
    messages.success(request, _("Referral made. It is a draft until you mark it sent."))
    return redirect("referrals:referral", person_id=person.id, referral_id=referral.id)


# --- One referral --------------------------------------------------------------------------------


def _referral_page(
    request: AuthenticatedHttpRequest,
    person: Person,
    referral: Referral,
    form: StatusForm | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    names = staff_names(person.org_id)
    changes = [(change, names.get(change.by_id, "")) for change in referral.changes.all()]
    moves = [(value, MOVE_LABELS[ReferralStatus(value)]) for value in NEXT_STATUS.get(referral.status, ())]
    context = {
        "person": person,
        "plan": plan_of(request.user, person),
        "referral": referral,
        "entry": referral.entry,
        "entry_label": entry_label(referral.entry),
        "release_label": release_label(referral.release) if referral.release else "",
        "items": [ReleaseItem(i).label for i in referral.items or () if i in ReleaseItem.values],
        "changes": changes,
        "created_by": names.get(referral.created_by_id, ""),
        "moves": moves,
        "form": form or StatusForm(initial={"version": referral.version}),
        "shares_under_release": referral.sharing == SharingMode.RELEASE,
        "may_add_to_ledger": referral.status == ReferralStatus.COMPLETED and referral.ledger_entry_id is None,
        **extra,
    }
    return reads.show(
        request, "referrals/referral.html", context, event=ReferralEvent.VIEWED, obj=referral, status=status
    )


@policy(*READERS)
@require_http_methods(["GET"])
def referral_detail(request: AuthenticatedHttpRequest, person_id: uuid.UUID, referral_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    return _referral_page(request, person, get_referral(request, person.id, referral_id))


@policy(*READERS)
@require_http_methods(["POST"])
def referral_status(request: AuthenticatedHttpRequest, person_id: uuid.UUID, referral_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    referral = get_referral(request, person.id, referral_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _referral_page(request, person, referral, form, status=400)
    data = form.cleaned_data
    try:
        change_status(request.user, referral, status=data["status"], reason=data["reason"], version=data["version"])
    except StaleVersion as stale:
        current = get_referral(request, person.id, stale.current.pk)
        retry = StatusForm(initial={"version": current.version, "reason": data["reason"]})
        return _referral_page(request, person, current, retry, status=409, conflict=True)
    except ReferralRefused as refused:
        form.add_error(refused.field, refused.message)
        return _referral_page(request, person, referral, form, status=400)
    messages.success(request, _("Status changed."))
    return redirect("referrals:referral", person_id=person.id, referral_id=referral.id)


@policy(*READERS)
@require_http_methods(["POST"])
def referral_ledger(request: AuthenticatedHttpRequest, person_id: uuid.UUID, referral_id: uuid.UUID) -> HttpResponse:
    person = get_person(request, person_id)
    referral = get_referral(request, person.id, referral_id)
    try:
        record = add_to_ledger(request.user, referral)
    except ReferralRefused as refused:
        messages.error(request, str(refused.message))
        return redirect("referrals:referral", person_id=person.id, referral_id=referral.id)
    if record is None:
        messages.info(request, _("This referral is already in the services ledger."))
    else:
        messages.success(request, _("Added to the services ledger."))
    return redirect("referrals:referral", person_id=person.id, referral_id=referral.id)


urlpatterns = [
    path("people/<uuid:person_id>/referrals/", person_referrals, name="person"),
    path("people/<uuid:person_id>/referrals/new/", referral_new, name="referral_new"),
    path("people/<uuid:person_id>/referrals/<uuid:referral_id>/", referral_detail, name="referral"),
    path("people/<uuid:person_id>/referrals/<uuid:referral_id>/status/", referral_status, name="referral_status"),
    path("people/<uuid:person_id>/referrals/<uuid:referral_id>/ledger/", referral_ledger, name="referral_ledger"),
]

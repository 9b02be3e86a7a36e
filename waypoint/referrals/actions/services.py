"""Every change to the services ledger.  Each function is one atomic transaction that writes its own
audit row, against the person's record (the ledger is part of it)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from waypoint.core import audit
from waypoint.core.concurrency import lock_for_update, previous_result, remember_result
from waypoint.orgs.models import Staff
from waypoint.people.models import Person
from waypoint.referrals.events import ServiceEvent
from waypoint.referrals.forms import ServiceForm
from waypoint.referrals.models import ServiceRecord


def add_service(staff: Staff, person: Person, form: ServiceForm) -> ServiceRecord | None:
    """Add a service the person receives; a second submit of the same form (same token) adds nothing
    and returns None, also when both submits arrive at once (the loser's insert of the same token
    fails and is rolled back whole, never a 500)."""
    try:
        return _add_once(staff, person, form)
    except IntegrityError:
        if previous_result(staff.id, form.cleaned_data.get("form_token"), "service") is None:
            raise
        return None


@transaction.atomic
def _add_once(staff: Staff, person: Person, form: ServiceForm) -> ServiceRecord | None:
    token = form.cleaned_data.get("form_token")
    if previous_result(staff.id, token, "service") is not None:
        return None
    record = form.save(commit=False)
    record.org_id, record.person, record.created_by_id = person.org_id, person, staff.id
    record.save()
    remember_result(staff.id, token, "service", record.id)
    audit.record_by(staff, ServiceEvent.ADDED, person)
    return record


@transaction.atomic
def update_service(staff: Staff, person: Person, form: ServiceForm) -> ServiceRecord:
    """Save the edited service over the version it was opened at.  Raises ``StaleVersion`` (with the
    saved service) when someone saved in between: nothing is overwritten."""
    current = lock_for_update(ServiceRecord, form.instance.pk, form.cleaned_data.get("version") or 0)
    record = form.save(commit=False)
    record.version = current.version + 1
    record.save()
    audit.record_by(staff, ServiceEvent.UPDATED, person)
    return record

"""Every change to a person's record.  Each function is one atomic transaction that writes its own
audit row; the record pages (and later the API) call these instead of writing rows themselves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from waypoint.core import audit
from waypoint.core.concurrency import lock_for_update, previous_result, remember_result
from waypoint.orgs.models import Role, Staff
from waypoint.people.events import PersonEvent
from waypoint.people.forms import PersonForm
from waypoint.people.models import Person


def create_person(staff: Staff, form: PersonForm) -> tuple[Person, bool]:
    """A new record in the staff member's organisation; a provider who assigns nobody is assigned.
    A second submit of the same form (same token) creates nothing and returns the first record:
    ``(person, created)``, also when both submits arrive at once (the loser's insert of the same
    token fails and is rolled back whole; it then returns the winner's record, never a 500)."""
    try:
        return _create_once(staff, form)
    except IntegrityError:
        earlier = previous_result(staff.id, form.cleaned_data.get("form_token"), "person")
        if earlier is None:
            raise
        return Person.objects.get(pk=earlier), False


@transaction.atomic
def _create_once(staff: Staff, form: PersonForm) -> tuple[Person, bool]:
    token = form.cleaned_data.get("form_token")
    earlier = previous_result(staff.id, token, "person")
    if earlier is not None:
        return Person.objects.get(pk=earlier), False
    person = form.save(commit=False)
    person.org_id, person.created_by_id = staff.org_id, staff.id
    person.save()
    form.save_m2m()
    if not person.assigned_staff.exists() and staff.has_role(Role.PROVIDER):
        person.assigned_staff.add(staff)
    remember_result(staff.id, token, "person", person.id)
    audit.record_by(staff, PersonEvent.CREATED, person)
    return person, True


@transaction.atomic
def update_person(staff: Staff, form: PersonForm) -> Person:
    """Save the edited record over the version it was opened at.  Raises ``StaleVersion`` (with the
    saved record) when someone saved in between: nothing is overwritten."""
    current = lock_for_update(Person, form.instance.pk, form.cleaned_data.get("version") or 0)
    person = form.save(commit=False)
    person.version = current.version + 1
    person.save()
    form.save_m2m()
    audit.record_by(staff, PersonEvent.UPDATED, person)
    return person


@contextmanager
def search_turn(staff: Staff) -> Iterator[None]:
    """One search at a time per staff member: the count of their recent searches (read by the page)
    and the search's own audit row (written by the page) fall in one transaction, with the staff
    row locked, so requests sent together cannot all see room under the limit."""
    with transaction.atomic():
        Staff.objects.select_for_update().filter(pk=staff.pk).exists()
        yield

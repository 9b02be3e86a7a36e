"""Every change to the directory.  Each function is one atomic transaction that writes its own audit
row (the listing's id, or a count for an import or export; never a listing's words).  The built-in
hotline is refused here too, whatever a caller passes."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from waypoint.core import audit
from waypoint.core.concurrency import lock_for_update, previous_result, remember_result
from waypoint.orgs.models import Staff
from waypoint.referrals.events import DirectoryEvent
from waypoint.referrals.forms.directory import DirectoryEntryForm
from waypoint.referrals.models import DirectoryEntry

OBJECT_TYPE = "directoryentry"


class BuiltinListing(Exception):
    """The built-in hotline cannot be changed."""


def _refuse_builtin(entry: DirectoryEntry) -> None:
    if entry.builtin or entry.org_id is None:
        raise BuiltinListing()


def add_entry(staff: Staff, form: DirectoryEntryForm) -> DirectoryEntry | None:
    """Add a listing to the staff member's organisation; a second submit of the same form (same
    token) adds nothing and returns None, also when both arrive at once."""
    try:
        return _add_once(staff, form)
    except IntegrityError:
        if previous_result(staff.id, form.cleaned_data.get("form_token"), OBJECT_TYPE) is None:
            raise
        return None


@transaction.atomic
def _add_once(staff: Staff, form: DirectoryEntryForm) -> DirectoryEntry | None:
    token = form.cleaned_data.get("form_token")
    if previous_result(staff.id, token, OBJECT_TYPE) is not None:
        return None
    entry = form.save(commit=False)
    entry.org_id, entry.created_by_id = staff.org_id, staff.id
    entry.verified_by_id = staff.id if entry.last_verified_on else None
    entry.save()
    remember_result(staff.id, token, OBJECT_TYPE, entry.id)
    audit.record_by(staff, DirectoryEvent.ADDED, entry)
    return entry


@transaction.atomic
def update_entry(staff: Staff, form: DirectoryEntryForm) -> DirectoryEntry:
    """Save the edited listing over the version it was opened at.  Raises ``StaleVersion`` (with
    the saved listing) when someone saved in between: nothing is overwritten.  A new last-verified
    day is credited to the editor."""
    current = lock_for_update(DirectoryEntry, form.instance.pk, form.cleaned_data.get("version") or 0)
    _refuse_builtin(current)
    entry = form.save(commit=False)
    day = form.cleaned_data.get("last_verified_on")
    if day is None:
        entry.verified_by_id = None
    elif day != current.last_verified_on:
        entry.verified_by_id = staff.id
    if form.cleaned_data.get("restore"):
        entry.archived = False
    entry.version = current.version + 1
    entry.save()
    audit.record_by(staff, DirectoryEvent.UPDATED, entry)
    return entry


@transaction.atomic
def verify_entry(staff: Staff, entry: DirectoryEntry) -> DirectoryEntry:
    """The details were checked with the service today, by this staff member."""
    _refuse_builtin(entry)
    entry = DirectoryEntry.objects.select_for_update().get(pk=entry.pk)
    entry.last_verified_on, entry.verified_by_id = timezone.localdate(), staff.id
    entry.version += 1
    entry.save(update_fields=["last_verified_on", "verified_by_id", "version", "updated_at"])
    audit.record_by(staff, DirectoryEvent.VERIFIED, entry)
    return entry


@transaction.atomic
def archive_entry(staff: Staff, entry: DirectoryEntry) -> DirectoryEntry:
    """Hide the listing from the directory and from choosing a service (referrals and releases that
    name it keep it)."""
    _refuse_builtin(entry)
    entry = DirectoryEntry.objects.select_for_update().get(pk=entry.pk)
    entry.archived = True
    entry.version += 1
    entry.save(update_fields=["archived", "version", "updated_at"])
    audit.record_by(staff, DirectoryEvent.ARCHIVED, entry)
    return entry


@transaction.atomic
def import_entries(staff: Staff, forms: list[DirectoryEntryForm]) -> int:
    """Add every checked row of an import, all or nothing; one audit row with the count."""
    entries = []
    for form in forms:
        entry = form.save(commit=False)
        entry.org_id, entry.created_by_id = staff.org_id, staff.id
        entry.verified_by_id = staff.id if entry.last_verified_on else None
        entries.append(entry)
    DirectoryEntry.objects.bulk_create(entries)
    audit.record_by(staff, DirectoryEvent.IMPORTED, object_type=OBJECT_TYPE, count=len(entries))
    return len(entries)


@transaction.atomic
def record_export(staff: Staff, count: int) -> None:
    """An export of the organisation's listings was made (how many, never which)."""
    audit.record_by(staff, DirectoryEvent.EXPORTED, object_type=OBJECT_TYPE, count=count)

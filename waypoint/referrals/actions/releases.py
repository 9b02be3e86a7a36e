"""Every change to releases of information, each one atomic with its own audit row: recording a
release (idempotent by the form's token; a directory listing's name and ways to reach it are
stored with it as they were when it was signed), recording that one was refused (the consenting party
matched someone who may be harming the person: nothing saved, the refusal audited and committed),
revoking one (at once, also orally; also when expired), and the printed copy and the scan being
opened.

Audit rows hold ids and codes only: never the recipient, the items, the names or the note."""

from __future__ import annotations

import base64
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone

from waypoint.core import audit
from waypoint.core.concurrency import previous_result, remember_result
from waypoint.orgs.models import Staff
from waypoint.people.models import Person
from waypoint.referrals import sharing
from waypoint.referrals.events import ReleaseEvent
from waypoint.referrals.forms.releases import ReleaseForm
from waypoint.referrals.models import DirectoryEntry, Release, ReleaseItem

TOKEN_KIND = "release"  # noqa: S105 (the kind of object an idempotency key names)


def record_release(
    staff: Staff, person: Person, form: ReleaseForm, *, source_encounter_id: uuid.UUID | None = None
) -> uuid.UUID:
    """Save the release the form describes and return its id.  A second submit of the same form
    (same token) saves nothing and returns the first one's id, also when both arrive at once."""
    try:
        return _record_once(staff, person, form, source_encounter_id)
    except IntegrityError:
        earlier = previous_result(staff.id, form.cleaned_data.get("form_token"), TOKEN_KIND)
        if earlier is None:
            raise
        return earlier


def listing_details(entry: DirectoryEntry) -> str:
    """How to reach a directory listing, one way a line, as stored with a release signed for it."""
    ways = (entry.phone, entry.text_number, entry.email, entry.website, entry.address)
    return "\n".join(way.strip() for way in ways if way and way.strip())


@transaction.atomic
def _record_once(staff: Staff, person: Person, form: ReleaseForm, source_encounter_id: uuid.UUID | None) -> uuid.UUID:
    token = form.cleaned_data.get("form_token")
    earlier = previous_result(staff.id, token, TOKEN_KIND)
    if earlier is not None:
        return earlier
    data = form.cleaned_data
    entry = data.get("entry")
    items = [item for item in ReleaseItem.values if item in set(data["items"])]
    signature = form.signature()
    scan_bytes = signature.pop("scan_bytes", b"")
    release = Release(
        org_id=person.org_id,
        person=person,
        entry=entry,
        # A directory listing's name and ways to reach it, as they were when it was signed: the
        # listing may be edited later, the release still names what the person agreed to.
        recipient_name=entry.name if entry else data["recipient_name"].strip(),
        recipient_details=listing_details(entry) if entry else data["recipient_details"].strip(),
        items=items,
        documents=data["documents"].strip() if ReleaseItem.DOCUMENTS in items else "",
        purpose=data["purpose"].strip(),
        benefits_risks=data["benefits_risks"].strip(),
        language=data["language"],
        signed_on=data["signed_on"],
        scan=base64.b64encode(scan_bytes).decode("ascii") if scan_bytes else "",
        expires_at=sharing.expires_at_end_of(data["valid_until"]),
        source_encounter_id=source_encounter_id,
        recorded_by_id=staff.id,
        **form.consenting(),
        **signature,
    )
    release.save()
    remember_result(staff.id, token, TOKEN_KIND, release.id)
    audit.record_by(staff, ReleaseEvent.RECORDED, release)
    return release.id


def record_refusal(staff: Staff, person: Person) -> None:
    """A release that could not be recorded because the consenting party matched someone who may be
    harming the person.  Nothing is saved; the refusal is audited (against the person) and committed
    at once, whatever happens to the request afterwards."""
    with transaction.atomic(durable=True):
        audit.record_by(staff, ReleaseEvent.REFUSED, person)


@transaction.atomic
def revoke_release(staff: Staff, release: Release, how: str, note: str = "") -> bool:
    """Revoke at once (from this moment nothing more is shared under it), also when it has already
    expired.  Returns False, changing nothing, when it was already revoked."""
    current = Release.objects.select_for_update().defer("scan").get(pk=release.pk)
    if current.revoked_at is not None:
        return False
    current.revoked_at, current.revoked_by_id = timezone.now(), staff.id
    current.revoked_how, current.revoked_note = how, note.strip()
    current.save(update_fields=["revoked_at", "revoked_by_id", "revoked_how", "revoked_note"])
    audit.record_by(staff, ReleaseEvent.REVOKED, current)
    return True


def record_print(staff: Staff, release: Release) -> None:
    """The filled copy is about to be printed: its audit row commits first, the PDF renders after."""
    with transaction.atomic(durable=True):
        audit.record_by(staff, ReleaseEvent.FORM_PRINTED, release)


def record_scan_opened(staff: Staff, release: Release) -> None:
    with transaction.atomic(durable=True):
        audit.record_by(staff, ReleaseEvent.SCAN_VIEWED, release)

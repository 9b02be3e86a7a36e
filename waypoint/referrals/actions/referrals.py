"""Every change to a referral: making one, moving it through its lifecycle, and turning a completed
one into an entry of the services ledger.  Each is one atomic transaction writing its own audit row
(ids and codes only: never the reason typed or the need).

A referral under a release is checked by ``sharing.decide`` when it is made and again, under the
release's row lock, when it is marked sent: a release revoked or expired in between refuses the move
(the refusal is audited and committed; the referral stays as it was).  An anonymous referral or a
warm hand-off needs no release and is never refused for want of one."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core import audit
from waypoint.core.concurrency import StaleVersion, previous_result, remember_result
from waypoint.people.models import Person
from waypoint.referrals import sharing
from waypoint.referrals.events import ReferralEvent, ShareEvent
from waypoint.referrals.models import (
    NEXT_STATUS,
    Referral,
    ReferralChange,
    ReferralStatus,
    Release,
    ServiceKind,
    ServiceRecord,
    ServiceStatus,
    SharingMode,
)

IDEMPOTENCY_TYPE = "referral"


class ReferralRefused(Exception):
    """Nothing was changed: ``message`` says why (shown to the user next to the field)."""

    def __init__(self, message: Any, field: str = "status") -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def create_referral(
    staff: Any,
    person: Person,
    data: dict[str, Any],
    *,
    source_encounter_id: uuid.UUID | None = None,
    source_plan_id: uuid.UUID | None = None,
) -> Referral | None:
    """Make a draft referral from a valid ``ReferralForm``'s cleaned data.  A second submit of the same
    form (same token) makes nothing and returns None, also when both arrive at once.  Raises
    ``ReferralRefused`` when a release-mode referral's release no longer allows it."""
    try:
        return _create_once(staff, person, data, source_encounter_id, source_plan_id)
    except IntegrityError:
        if previous_result(staff.id, data.get("form_token"), IDEMPOTENCY_TYPE) is None:
            raise
        return None


@transaction.atomic
def _create_once(
    staff: Any,
    person: Person,
    data: dict[str, Any],
    source_encounter_id: uuid.UUID | None,
    source_plan_id: uuid.UUID | None,
) -> Referral | None:
    token = data.get("form_token")
    if previous_result(staff.id, token, IDEMPOTENCY_TYPE) is not None:
        return None
    entry = data["entry"]
    mode = data["sharing"]
    release: Release | None = None
    items: list[str] = []
    if mode == SharingMode.RELEASE:
        chosen = data.get("release")
        release = _locked_release(chosen.id, person.org_id) if chosen else None
        items = sorted(set(data.get("items") or ()))
        decision = sharing.decide(release, person_id=person.id, entry_id=entry.id, items=items, at=timezone.now())
        if not decision.allowed:
            raise ReferralRefused(decision.message, field="release")
    referral = Referral.objects.create(
        org_id=person.org_id, person=person, entry=entry, need=data["need"], reason=data.get("reason") or "",
        sharing=mode, release=release, items=items, status=ReferralStatus.DRAFT,
        source_encounter_id=source_encounter_id, source_plan_id=source_plan_id, created_by_id=staff.id,
    )  # fmt: skip
    ReferralChange.objects.create(referral=referral, status=ReferralStatus.DRAFT, by_id=staff.id)
    remember_result(staff.id, token, IDEMPOTENCY_TYPE, referral.id)
    audit.record_by(staff, ReferralEvent.CREATED, referral)
    return referral


def _locked_release(release_id: uuid.UUID, org_id: uuid.UUID) -> Release | None:
    """The release locked for this transaction, with its listing (``decide`` compares the listing's
    name with the one signed for); never its scan."""
    found = Release.objects.select_for_update(of=("self",)).select_related("entry").defer("scan")
    return found.filter(pk=release_id, org_id=org_id).first()


@transaction.atomic
def refuse_for_release(staff: Any, person: Person) -> None:
    """A new referral's form was refused because of its release (none for that listing, expired,
    revoked, another recipient, items it does not list): nothing was made, and the refused attempt to
    share is audited against the person (ids only)."""
    audit.record_by(staff, ShareEvent.REFUSED, person)


SENT_REFUSED = _(
    "It cannot be sent under this release: %(why)s Make it an anonymous referral, or record a new release with them."
)


def change_status(
    staff: Any,
    referral: Referral,
    *,
    status: str,
    reason: str = "",
    version: int,
    now: datetime.datetime | None = None,
) -> Referral:
    """Move the referral to ``status`` over the version it was opened at.  Raises ``StaleVersion``
    (with the saved referral) when it changed in between, ``ReferralRefused`` for a move that
    ``NEXT_STATUS`` does not allow, a decline without a reason, or a release-mode referral whose
    release no longer holds when it is sent (that refusal is audited and kept)."""
    refused: Any = None
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if current.version != version:
            raise StaleVersion(current)
        if status not in NEXT_STATUS.get(current.status, ()):
            raise ReferralRefused(
                _("A referral that is “%(now)s” cannot become “%(next)s”.") % _labels(current, status)
            )
        if status == ReferralStatus.DECLINED and not reason.strip():
            raise ReferralRefused(_("Say why the service declined."), field="reason")
        if status == ReferralStatus.SENT and current.sharing == SharingMode.RELEASE:
            release = _locked_release(current.release_id, current.org_id) if current.release_id else None
            decision = sharing.decide(
                release, person_id=current.person_id, entry_id=current.entry_id, items=current.items or (),
                at=now or timezone.now(),
            )  # fmt: skip
            if not decision.allowed:
                audit.record_by(staff, ShareEvent.REFUSED, release if release is not None else current)
                refused = SENT_REFUSED % {"why": decision.message}
        if refused is None:
            current.status = status
            current.version += 1
            current.save(update_fields=["status", "version", "updated_at"])
            ReferralChange.objects.create(referral=current, status=status, reason=reason.strip(), by_id=staff.id)
            audit.record_by(staff, ReferralEvent.STATUS_CHANGED, current)
    if refused is not None:
        raise ReferralRefused(refused)
    return current


def _labels(referral: Referral, status: str) -> dict[str, Any]:
    nxt = ReferralStatus(status).label if status in ReferralStatus.values else status
    return {"now": ReferralStatus(referral.status).label, "next": nxt}


@transaction.atomic
def add_to_ledger(staff: Any, referral: Referral) -> ServiceRecord | None:
    """The completed referral's service, added to the person's ledger (provided by its directory
    listing, from today).  Once only: a second call adds nothing and returns None.  Raises
    ``ReferralRefused`` for a referral that is not completed."""
    current = Referral.objects.select_for_update().select_related("entry").get(pk=referral.pk)
    if current.ledger_entry_id is not None:
        return None
    if current.status != ReferralStatus.COMPLETED:
        raise ReferralRefused(_("Only a completed referral can be added to the services ledger."))
    need = ServiceKind(current.need).label if current.need in ServiceKind.values else current.need
    record = ServiceRecord.objects.create(
        org_id=current.org_id, person_id=current.person_id, provider=str(current.entry.display_name),
        service=str(need), status=ServiceStatus.COMPLETED, entry=current.entry, started_on=timezone.localdate(),
        created_by_id=staff.id,
    )  # fmt: skip
    current.ledger_entry = record
    current.version += 1
    current.save(update_fields=["ledger_entry", "version", "updated_at"])
    audit.record_by(staff, ReferralEvent.TO_LEDGER, current)
    return record

"""Sending information about a person to a recipient: only through ``sharing.decide``.

One short top-level transaction locks the referral row (when sharing through one) and the release
row (so a revocation or a status change recorded at the same moment either lands first and refuses
this share, or after it), asks ``sharing.referral_refusal`` (a withdrawn or declined referral shares
nothing; a referral shares only the items it lists) and ``decide`` with the clock read inside the
lock, and writes either the ``Share`` log row with its audit row, or the refusal's audit row.  A
refusal is committed before ``ShareRefused`` is raised, so refused attempts stay in the audit log.
A second submit of the same form (same ``form_token``) shares nothing more and returns the first
share, also when both arrive at once.  What is shared is rendered after the commit, outside any
transaction, from the items logged here."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from waypoint.core import audit
from waypoint.core.concurrency import previous_result, remember_result
from waypoint.people.models import Person
from waypoint.referrals import sharing
from waypoint.referrals.events import ReleaseEvent, ShareEvent
from waypoint.referrals.models import Referral, Release, Share, SharingMode

TOKEN_KIND = "share"  # noqa: S105  (the idempotency key's object type, not a secret)


class ShareRefused(Exception):
    """Nothing was shared: ``decision.message`` says why."""

    def __init__(self, decision: sharing.Decision) -> None:
        super().__init__(str(decision.refusal))
        self.decision = decision

    @property
    def message(self) -> Any:
        return self.decision.message


def share(
    staff: Any,
    person: Person,
    *,
    release_id: uuid.UUID | None,
    entry_id: uuid.UUID | None,
    items: Iterable[str],
    referral: Referral | None = None,
    as_pdf: bool = False,
    now: datetime.datetime | None = None,
    token: uuid.UUID | None = None,
) -> Share:
    """Share ``items`` about ``person`` with directory entry ``entry_id`` (None: the named outside
    party of the release) under release ``release_id``; with a ``referral``, its recipient and its
    release (as saved, under its row lock) are used whatever was passed.  Raises ``ShareRefused``
    (after logging the refusal).  With a ``token`` (the form's), a second call returns the first
    share and writes nothing."""
    wanted = sorted(set(items))
    try:
        return _share_once(staff, person, release_id, entry_id, wanted, referral, as_pdf, now, token)
    except IntegrityError:
        earlier = previous_result(staff.id, token, TOKEN_KIND)
        if earlier is None:
            raise
        return _repeated(earlier)


def _share_once(
    staff: Any,
    person: Person,
    release_id: uuid.UUID | None,
    entry_id: uuid.UUID | None,
    wanted: list[str],
    referral: Referral | None,
    as_pdf: bool,
    now: datetime.datetime | None,
    token: uuid.UUID | None,
) -> Share:
    with transaction.atomic(durable=True):
        earlier = previous_result(staff.id, token, TOKEN_KIND)
        if earlier is not None:
            return _repeated(earlier)
        decision = sharing.ALLOWED
        if referral is not None:
            referral = Referral.objects.select_for_update().get(pk=referral.pk, person_id=person.id)
            entry_id, release_id = referral.entry_id, referral.release_id
            refusal = sharing.referral_refusal(referral, wanted)
            decision = sharing.Decision(refusal) if refusal is not None else sharing.ALLOWED
        release = (
            Release.objects.select_for_update(of=("self",)).select_related("entry").defer("scan")
            .filter(pk=release_id, org_id=person.org_id).first()
            if release_id is not None
            else None
        )  # fmt: skip
        if decision.allowed:
            decision = sharing.decide(
                release, person_id=person.id, entry_id=entry_id, items=wanted, at=now or timezone.now()
            )
        if not decision.allowed:
            audit.record_by(staff, ShareEvent.REFUSED, release if release is not None else person)
            refused = True
        else:
            assert release is not None
            record = Share.objects.create(
                org_id=person.org_id, person=person, referral=referral, release=release, entry_id=release.entry_id,
                mode=SharingMode.RELEASE, items=wanted, as_pdf=as_pdf, by_id=staff.id,
            )  # fmt: skip
            remember_result(staff.id, token, TOKEN_KIND, record.id)
            audit.record_by(staff, ShareEvent.MADE, record)
            refused = False
    if refused:
        raise ShareRefused(decision)
    return record


def _repeated(share_id: uuid.UUID) -> Share:
    """The share a first submit of the same form made, marked ``repeated`` (nothing new was shared:
    showing it again is a read, see ``record_shown_again``)."""
    record = Share.objects.select_related("release").defer("release__scan").get(pk=share_id)
    record.repeated = True  # type: ignore[attr-defined]
    return record


def record_shown_again(staff: Any, record: Share) -> None:
    """A share shown again to its sender (a second submit of the same form): the response shows the
    record's data, so it writes one read row of the release, as any page that shows it does."""
    with transaction.atomic():
        audit.record_by(staff, ReleaseEvent.VIEWED, record.release)


def refuse_unheld(staff: Any, person: Person, release: Release | None) -> None:
    """A share asked by someone who may not hold the record's secrets (neither assigned to it nor a
    supervisor): nothing is shared; the refusal is audited (ids only)."""
    with transaction.atomic():
        audit.record_by(staff, ShareEvent.REFUSED, release if release is not None else person)

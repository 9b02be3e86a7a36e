"""Sending information about a person to a recipient: only through ``sharing.decide``.

One short top-level transaction locks the release row (so a revocation recorded at the same moment
either lands first and refuses this share, or after it), asks ``decide`` with the clock read inside
the lock, and writes either the ``Share`` log row with its audit row, or the refusal's audit row.
A refusal is committed before ``ShareRefused`` is raised, so refused attempts stay in the audit log.
What is shared is rendered after the commit, outside any transaction, from the items logged here."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from waypoint.core import audit
from waypoint.people.models import Person
from waypoint.referrals import sharing
from waypoint.referrals.events import ShareEvent
from waypoint.referrals.models import Referral, Release, Share, SharingMode


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
) -> Share:
    """Share ``items`` about ``person`` with directory entry ``entry_id`` (None: the named outside
    party of the release) under release ``release_id``; with a ``referral``, its recipient and its
    release are used whatever was passed.  Raises ``ShareRefused`` (after logging the refusal)."""
    wanted = sorted(set(items))
    if referral is not None:
        entry_id, release_id = referral.entry_id, referral.release_id
    with transaction.atomic(durable=True):
        release = (
            Release.objects.select_for_update().filter(pk=release_id, org_id=person.org_id).first()
            if release_id is not None
            else None
        )
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
            audit.record_by(staff, ShareEvent.MADE, record)
            refused = False
    if refused:
        raise ShareRefused(decision)
    return record

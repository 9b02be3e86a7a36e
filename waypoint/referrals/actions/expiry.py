"""Scheduled: releases of information past their expiry are marked expired.

Whether a share is allowed never depends on this mark (``sharing.decide`` reads ``expires_at`` with
the clock at the moment of the share); the mark is what lists, the timeline and the audit log read,
and it records that the organisation's releases ran out.  Run by the ``contact_due`` command."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from waypoint.core import audit
from waypoint.referrals.events import ReleaseEvent
from waypoint.referrals.models import Release


@transaction.atomic
def mark_expired(now: datetime.datetime | None = None) -> int:
    """Mark every release whose ``expires_at`` has passed (and not yet marked) as expired; one audit
    row per organisation with how many.  Returns how many were marked."""
    now = now or timezone.now()
    counts: dict[Any, int] = {}
    due = Release.objects.select_for_update().filter(expires_at__lte=now, expired_marked=False).only("id", "org_id")
    ids = []
    for release in due:
        ids.append(release.id)
        counts[release.org_id] = counts.get(release.org_id, 0) + 1
    if ids:
        Release.objects.filter(id__in=ids).update(expired_marked=True)
    for org_id, count in counts.items():
        audit.record(ReleaseEvent.EXPIRED, org_id=org_id, object_type="release", count=count)
    return len(ids)

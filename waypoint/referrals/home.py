"""This app's section of the home page: releases of information about to expire (within 14 days,
not revoked) of the people assigned to the signed-in provider, so they can talk with the person
about renewing before it lapses.  Each row shows the record's reference code (never the name), the
recipient and the last day it holds, with a link to the release.  A list with rows writes one read
audit row with its count (which recipients a person consented to is record data)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from waypoint.core import audit
from waypoint.core.registry import HomePanel, home_panels
from waypoint.orgs.models import Role
from waypoint.referrals import sharing
from waypoint.referrals.access import releases_for
from waypoint.referrals.events import ReleaseEvent
from waypoint.referrals.models import EXPIRING_SOON_DAYS

LISTED = 30


def _expiring(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    if not user.has_role(Role.PROVIDER):
        return None
    now = timezone.now()
    releases = (
        releases_for(user)
        .filter(
            person__assigned_staff=user,
            revoked_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + datetime.timedelta(days=EXPIRING_SOON_DAYS),
        )
        .select_related("person", "entry")
        .defer("scan")
        .order_by("expires_at")
    )
    rows = [{"release": release, "until": sharing.last_day(release)} for release in releases[:LISTED]]
    if not rows:
        return None  # nothing to renew: no panel
    audit.record_for(request, ReleaseEvent.VIEWED, object_type="release", count=len(rows))
    return {"rows": rows}


def register() -> None:
    home_panels.register("releases_expiring", HomePanel("referrals/home_releases.html", 30, _expiring))

"""Staff orientation: the one rule for who is oriented, the forms of the orientation pages, and the
banner's cheap check.

The first guide asks organisations to orient staff "to the policy change and why it's important".
A staff member is oriented when they confirmed the current ``ORIENTATION_VERSION`` within their
organisation's ``orientation_every_days``; until then they see a banner on every page and cannot run
a separation (``waypoint.encounters.separation_actions`` asks ``oriented`` afresh, in the database).

Defends against: confirming for someone else (the confirm form has no staff field; the action takes
only the signed-in staff member); a banner that costs a query on every page (its answer is kept in the
session for a few minutes, keyed by the staff member, the version and the interval, so an admin's
change of interval or a new version is seen at once).  Does not defend against: a staff member who
clicks "I have read this" without reading; the orientation is a prompt, not a test."""

from __future__ import annotations

import datetime
import time
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Max, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm
from waypoint.core.urls_util import safe_next
from waypoint.orgs.models import ORIENTATION_VERSION, OrientationConfirmation, Staff

INTERVAL_MIN_DAYS = 30
INTERVAL_MAX_DAYS = 3 * 365
BANNER_RECHECK_SECONDS = 300  # a confirmation made in another session shows within five minutes
SESSION_KEY = "wp_orientation"
# Pages where the banner is not shown: the orientation itself, and the sign-in steps.
NO_BANNER = frozenset(
    {"orgs:orientation", "orgs:login", "orgs:login_code", "orgs:mfa_setup", "orgs:activate", "orgs:step_up"}
)


# --- The rule ------------------------------------------------------------------------------------


def due_at(confirmed_at: datetime.datetime | None, every_days: int) -> datetime.datetime | None:
    """When a staff member who last confirmed the current version at ``confirmed_at`` is due again
    (None: never confirmed it, so due now).  The one rule; everything else asks it."""
    return None if confirmed_at is None else confirmed_at + datetime.timedelta(days=every_days)


def is_current(due: datetime.datetime | None, now: datetime.datetime) -> bool:
    return due is not None and now < due


def last_confirmed(staff: Staff) -> datetime.datetime | None:
    """When ``staff`` last confirmed the current version (one query)."""
    rows = OrientationConfirmation.objects.filter(staff_id=staff.pk, version=ORIENTATION_VERSION)
    latest: datetime.datetime | None = rows.aggregate(latest=Max("confirmed_at"))["latest"]
    return latest


def staff_due_at(staff: Staff) -> datetime.datetime | None:
    return due_at(last_confirmed(staff), staff.org.orientation_every_days)


def oriented(staff: Staff, now: datetime.datetime | None = None) -> bool:
    """Whether ``staff`` confirmed the current orientation within the organisation's interval."""
    return is_current(staff_due_at(staff), now or timezone.now())


def last_confirmed_by_staff(staff_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, datetime.datetime]:
    """Staff id -> their latest confirmation of the current version, for many staff in one query."""
    rows = (
        OrientationConfirmation.objects.filter(staff_id__in=list(staff_ids), version=ORIENTATION_VERSION)
        .values("staff_id")
        .annotate(latest=Max("confirmed_at"))
    )
    return {row["staff_id"]: row["latest"] for row in rows}


@dataclass(frozen=True)
class StaffRow:
    """One active staff member on the admin's orientation page."""

    staff: Staff
    confirmed_at: datetime.datetime | None
    due: datetime.datetime | None
    current: bool


def staff_rows(staff: QuerySet[Staff], every_days: int, now: datetime.datetime | None = None) -> list[StaffRow]:
    """Each of ``staff`` with when they last confirmed and when they are due again (two queries,
    whatever the number of staff); those not oriented first."""
    members = list(staff.order_by("display_name"))
    latest = last_confirmed_by_staff(member.pk for member in members)
    moment = now or timezone.now()
    rows = []
    for member in members:
        due = due_at(latest.get(member.pk), every_days)
        rows.append(StaffRow(member, latest.get(member.pk), due, is_current(due, moment)))
    return sorted(rows, key=lambda row: row.current)


def all_oriented(staff: QuerySet[Staff], every_days: int, now: datetime.datetime | None = None) -> bool:
    return all(row.current for row in staff_rows(staff, every_days, now))


# --- The banner ----------------------------------------------------------------------------------


def remember(request: HttpRequest, staff: Staff, due: datetime.datetime | None) -> None:
    """Keep the staff member's due time in their session (after a check, or their own confirmation)."""
    request.session[SESSION_KEY] = {
        "key": [str(staff.pk), ORIENTATION_VERSION, staff.org.orientation_every_days],
        "due": due.timestamp() if due else None,
        "checked": time.time(),
    }


def banner_due(request: HttpRequest) -> bool:
    """Whether this page shows the "please read the orientation" banner.  No query while the answer
    kept in the session is fresh (the organisation is loaded with the user already)."""
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in NO_BANNER:
        return False
    cached = getattr(request, "_wp_orientation_due", None)
    if cached is not None:
        return bool(cached)
    kept = request.session.get(SESSION_KEY)
    key = [str(user.pk), ORIENTATION_VERSION, user.org.orientation_every_days]
    now = time.time()
    if isinstance(kept, dict) and kept.get("key") == key and 0 <= now - kept.get("checked", 0) < BANNER_RECHECK_SECONDS:
        due_ts = kept.get("due")
    else:
        due = staff_due_at(user)
        remember(request, user, due)
        due_ts = due.timestamp() if due else None
    shown = due_ts is None or now >= float(due_ts)
    request._wp_orientation_due = shown  # type: ignore[attr-defined]
    return shown


def back_to(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after confirming: a local path without control or invisible characters, or ""."""
    if not candidate or any(unicodedata.category(char) in {"Cc", "Cf", "Cs"} for char in candidate):
        return ""
    return safe_next(request, candidate, "")


# --- Forms ---------------------------------------------------------------------------------------


class IntervalForm(SafeForm):
    orientation_every_days = forms.IntegerField(
        label=_("Staff read the orientation again every (days)"),
        help_text=_("Between 30 and 1095 days. 365 is once a year."),
        min_value=INTERVAL_MIN_DAYS,
        max_value=INTERVAL_MAX_DAYS,
        error_messages={
            "required": _("Enter a number of days between 30 and 1095."),
            "invalid": _("Enter a whole number of days, like 365."),
            "min_value": _("Enter at least 30 days."),
            "max_value": _("Enter at most 1095 days (three years)."),
        },
    )

"""The one access rule for staff records: org admins of the same organisation; everyone else 404.

Also the small reads the sign-in and account pages need (a user's own sessions and recovery codes),
so no view builds its own queryset."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from waypoint.core.access import deny
from waypoint.orgs.models import LoginThrottle, RecoveryCode, Role, Site, Staff, StaffSession


def staff_for(user: Any) -> QuerySet[Staff]:
    """The staff of the user's organisation, for its org admins; nobody else's."""
    if not user.is_authenticated or not user.has_role(Role.ORG_ADMIN):
        return Staff.objects.none()
    return Staff.objects.filter(org_id=user.org_id)


def get_staff(request: HttpRequest, staff_id: uuid.UUID | str) -> Staff:
    found = staff_for(request.user).filter(pk=staff_id).first()
    if found is None:
        deny(request, "staff", staff_id)
    return found


def staff_names(org_id: uuid.UUID) -> dict[uuid.UUID, str]:
    """Staff id -> display name in one organisation (who did what, in the record's history)."""
    return dict(Staff.objects.filter(org_id=org_id).values_list("id", "display_name"))


def staff_name(org_id: uuid.UUID, staff_id: uuid.UUID) -> str:
    """One staff member's display name in one organisation ("" when not one of theirs)."""
    return Staff.objects.filter(org_id=org_id, pk=staff_id).values_list("display_name", flat=True).first() or ""


def site_names(org_id: uuid.UUID) -> list[str]:
    """The names of one organisation's sites (names a voicemail must not say, among others)."""
    return list(Site.objects.filter(org_id=org_id).values_list("name", flat=True))


def staff_by_login(username: str) -> Staff | None:
    """The account with this sign-in name, if any (sign-in audits failures against it)."""
    return Staff.objects.filter(username=Staff.normalize_login(username)).first()


def own_sessions(staff: Staff) -> QuerySet[StaffSession]:
    return StaffSession.objects.filter(staff_id=staff.pk).order_by("-last_seen_at")


def recovery_codes_left(staff: Staff) -> int:
    return RecoveryCode.objects.filter(staff=staff, used_at__isnull=True).count()


def recovery_codes_outdated(staff: Staff) -> bool:
    """Unused recovery codes of the older, shorter kind remain (the account page asks to replace them)."""
    return RecoveryCode.legacy_left(staff)


def sign_in_paused_until(staff: Staff) -> datetime | None:
    """The latest running sign-in pause on this staff member's name, from any client (for the admin
    page that can unlock it); None when nothing is locked."""
    name_key = LoginThrottle.key_for(staff.username)
    rows = LoginThrottle.objects.filter(Q(key=name_key) | Q(name_key=name_key), locked_until__gt=timezone.now())
    latest: datetime | None = rows.aggregate(latest=Max("locked_until"))["latest"]
    return latest

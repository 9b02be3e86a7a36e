"""The access rules of this app; everyone outside them gets 404, as if the thing did not exist.

- The services ledger, referrals, releases, shares and disclosures are parts of a person's record:
  the record's readers (providers and supervisors of its organisation) only.
- The directory: the organisation's own listings plus the built-in hotline, readable by providers,
  supervisors and org admins, changed by supervisors and org admins.  The hotline cannot be changed
  by anyone.  Another organisation's listings are 404 to everyone."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.orgs.models import Role
from waypoint.people.access import people_for
from waypoint.referrals.models import DirectoryEntry, Disclosure, Referral, Release, ServiceRecord, Share

DIRECTORY_READERS = (Role.PROVIDER, Role.SUPERVISOR, Role.ORG_ADMIN)
DIRECTORY_EDITORS = (Role.SUPERVISOR, Role.ORG_ADMIN)


def services_for(user: Any) -> QuerySet[ServiceRecord]:
    if not user.is_authenticated:
        return ServiceRecord.objects.none()
    return ServiceRecord.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_service(request: HttpRequest, person_id: Any, service_id: uuid.UUID | str) -> ServiceRecord:
    try:
        return services_for(request.user).get(pk=service_id, person_id=person_id)
    except (ServiceRecord.DoesNotExist, ValueError):
        deny(request, "service", service_id)


# --- The directory -------------------------------------------------------------------------------


def entries_for(user: Any, *, archived: bool = False) -> QuerySet[DirectoryEntry]:
    """The listings this user may see: the built-in hotline and their organisation's own (archived
    ones only when asked, for the editors' list)."""
    if not user.is_authenticated or not user.has_role(*DIRECTORY_READERS):
        return DirectoryEntry.objects.none()
    entries = DirectoryEntry.objects.filter(Q(builtin=True) | Q(org_id=user.org_id))
    return entries if archived else entries.filter(archived=False)


def may_edit_directory(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(*DIRECTORY_EDITORS))


def get_entry(request: HttpRequest, entry_id: uuid.UUID | str, *, editable: bool = False) -> DirectoryEntry:
    """A listing this user may see; with ``editable``, one they may change (never the hotline)."""
    entries = entries_for(request.user, archived=True)
    if editable:
        entries = entries.filter(builtin=False) if may_edit_directory(request.user) else entries.none()
    try:
        return entries.get(pk=entry_id)
    except (DirectoryEntry.DoesNotExist, ValueError, ValidationError):
        deny(request, "directoryentry", entry_id)


# --- Parts of the person's record ----------------------------------------------------------------


def referrals_for(user: Any) -> QuerySet[Referral]:
    if not user.is_authenticated:
        return Referral.objects.none()
    return Referral.objects.filter(org_id=user.org_id, person__in=people_for(user))


def releases_for(user: Any) -> QuerySet[Release]:
    if not user.is_authenticated:
        return Release.objects.none()
    return Release.objects.filter(org_id=user.org_id, person__in=people_for(user))


def shares_for(user: Any) -> QuerySet[Share]:
    if not user.is_authenticated:
        return Share.objects.none()
    return Share.objects.filter(org_id=user.org_id, person__in=people_for(user))


def disclosures_for(user: Any) -> QuerySet[Disclosure]:
    if not user.is_authenticated:
        return Disclosure.objects.none()
    return Disclosure.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_referral(request: HttpRequest, person_id: Any, referral_id: uuid.UUID | str) -> Referral:
    try:
        referrals = referrals_for(request.user).select_related("entry", "release").defer("release__scan")
        return referrals.get(pk=referral_id, person_id=person_id)
    except (Referral.DoesNotExist, ValueError, ValidationError):
        deny(request, "referral", referral_id)


def get_release(
    request: HttpRequest, person_id: Any, release_id: uuid.UUID | str, *, with_scan: bool = False
) -> Release:
    """A release of this person's record (its scan, large, is loaded only ``with_scan``)."""
    releases = releases_for(request.user).select_related("entry")
    if not with_scan:
        releases = releases.defer("scan")
    try:
        return releases.get(pk=release_id, person_id=person_id)
    except (Release.DoesNotExist, ValueError, ValidationError):
        deny(request, "release", release_id)


def get_disclosure(request: HttpRequest, person_id: Any, disclosure_id: uuid.UUID | str) -> Disclosure:
    try:
        return disclosures_for(request.user).get(pk=disclosure_id, person_id=person_id)
    except (Disclosure.DoesNotExist, ValueError, ValidationError):
        deny(request, "disclosure", disclosure_id)

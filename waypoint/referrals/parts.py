"""This app's part of a person's record: the "Services, referrals and releases" section of the record
page (the services ledger, referrals, releases of information by state, compelled disclosures, with
links to the referrals hub and the directory); the ids of its referrals, releases, shares and
disclosures (reads and changes of them are about the record); the app's events "who viewed this
record" lists; and the timeline's entries (a referral made and each change of its status, a release
recorded, revoked or expired, a share made, a disclosure recorded), each a translated label only:
never a recipient's name, a reason or what was shared."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from waypoint.people.parts import RecordPart, TimelineEntry, record_parts
from waypoint.referrals.access import disclosures_for, referrals_for, releases_for, services_for
from waypoint.referrals.events import DisclosureEvent, ReferralEvent, ReleaseEvent, ServiceEvent, ShareEvent
from waypoint.referrals.models import (
    Disclosure,
    Referral,
    ReferralChange,
    ReferralStatus,
    Release,
    ReleaseState,
    RevokedHow,
    Share,
)

TIMELINE_LIMIT = 200
STATE_ORDER = [ReleaseState.EXPIRING, ReleaseState.VALID, ReleaseState.EXPIRED, ReleaseState.REVOKED]


def _ids(person: Any) -> list[uuid.UUID]:
    """One query for the ids of the person's referrals, releases, disclosures and shares."""
    referrals = Referral.objects.filter(person=person).order_by().values_list("id", flat=True)
    others = [
        Release.objects.filter(person=person).order_by().values_list("id", flat=True),
        Disclosure.objects.filter(person=person).order_by().values_list("id", flat=True),
        Share.objects.filter(person=person).order_by().values_list("id", flat=True),
    ]
    return list(referrals.union(*others, all=True))


def _owners(org_id: uuid.UUID, object_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    ids = list(object_ids)
    if not ids:
        return {}
    rows = Referral.objects.filter(org_id=org_id, id__in=ids).order_by().values_list("id", "person_id")
    others = [
        model.objects.filter(org_id=org_id, id__in=ids).order_by().values_list("id", "person_id")
        for model in (Release, Disclosure, Share)
    ]
    return dict(rows.union(*others, all=True))


def _referral_entries(person: Any) -> list[TimelineEntry]:
    entries = []
    referrals = Referral.objects.filter(person=person).only("id", "created_at", "created_by_id", "need")
    for referral in referrals[:TIMELINE_LIMIT]:
        entries.append(
            TimelineEntry(
                at=referral.created_at,
                who_id=referral.created_by_id,
                what=_("Referral made · %(need)s") % {"need": referral.get_need_display()},
                url=reverse("referrals:referral", args=[person.id, referral.id]),
            )
        )
    changes = ReferralChange.objects.filter(referral__person=person).exclude(status=ReferralStatus.DRAFT)
    for change in changes.only("id", "referral_id", "status", "at", "by_id")[:TIMELINE_LIMIT]:
        entries.append(
            TimelineEntry(
                at=change.at,
                who_id=change.by_id,
                what=_("Referral: %(status)s") % {"status": change.get_status_display()},
                url=reverse("referrals:referral", args=[person.id, change.referral_id]),
            )
        )
    return entries


def _release_entries(person: Any) -> list[TimelineEntry]:
    now = timezone.now()
    entries = []
    fields = ("id", "recorded_at", "recorded_by_id", "revoked_at", "revoked_by_id", "revoked_how", "expires_at")
    for release in Release.objects.filter(person=person).only(*fields)[:TIMELINE_LIMIT]:
        url = reverse("referrals:release", args=[person.id, release.id])
        recorded = _("Release of information recorded")
        entries.append(TimelineEntry(at=release.recorded_at, who_id=release.recorded_by_id, what=recorded, url=url))
        if release.revoked_at is not None:
            how = RevokedHow(release.revoked_how).label if release.revoked_how in RevokedHow.values else ""
            entries.append(
                TimelineEntry(
                    at=release.revoked_at,
                    who_id=release.revoked_by_id,
                    what=_("Release of information revoked"),
                    url=url,
                    note=how,
                )
            )
        if release.expires_at <= now and (release.revoked_at is None or release.revoked_at > release.expires_at):
            entries.append(
                TimelineEntry(at=release.expires_at, who_id=None, what=_("Release of information expired"), url=url)
            )
    return entries


def _share_entries(person: Any) -> list[TimelineEntry]:
    shares = Share.objects.filter(person=person).only("id", "at", "by_id", "release_id", "as_pdf")[:TIMELINE_LIMIT]
    return [
        TimelineEntry(
            at=record.at,
            who_id=record.by_id,
            what=_("Information shared under a release"),
            url=reverse("referrals:release", args=[person.id, record.release_id]) if record.release_id else "",
            note=_("PDF") if record.as_pdf else _("Page"),
        )
        for record in shares
    ]


def _disclosure_entries(person: Any) -> list[TimelineEntry]:
    disclosures = Disclosure.objects.filter(person=person).only("id", "kind", "created_at", "created_by_id")
    return [
        TimelineEntry(
            at=disclosure.created_at,
            who_id=disclosure.created_by_id,
            what=_("Disclosure recorded · %(kind)s") % {"kind": disclosure.get_kind_display()},
            url=reverse("referrals:disclosure", args=[person.id, disclosure.id]),
        )
        for disclosure in disclosures[:TIMELINE_LIMIT]
    ]


def _timeline(person: Any) -> list[TimelineEntry]:
    return [
        *_referral_entries(person),
        *_release_entries(person),
        *_share_entries(person),
        *_disclosure_entries(person),
    ]


def _context(request: HttpRequest, person: Any) -> dict[str, Any]:
    now = timezone.now()
    releases = list(releases_for(request.user).filter(person=person).select_related("entry").defer("scan"))
    releases.sort(key=lambda release: STATE_ORDER.index(ReleaseState(release.state(now))))
    return {
        "services": services_for(request.user).filter(person=person),
        "referrals": list(referrals_for(request.user).filter(person=person).select_related("entry")),
        "releases": releases,
        "disclosures": list(disclosures_for(request.user).filter(person=person)),
    }


EVENTS = frozenset(
    {
        *ServiceEvent,
        *ReferralEvent,
        *(event for event in ReleaseEvent if event != ReleaseEvent.EXPIRED),  # EXPIRED is a count per organisation
        *ShareEvent,
        *DisclosureEvent,
    }
)

PART = RecordPart(
    key="services",
    order=40,
    object_ids=_ids,
    events=EVENTS,
    timeline=_timeline,
    template="referrals/_services_section.html",
    context=_context,
    owners=_owners,
    # Retention: a share points to its referral and release, a referral to its release and ledger
    # entry.  Directory entries are the organisation's (and the shared hotline's), never a record's.
    # A disclosure's what, to whom and legal basis are the log of a compelled disclosure: kept
    # with the record, only the reason for not telling them is narrative.
    purge_models=(
        ("referrals.Share", "person_id"),
        ("referrals.ReferralChange", "referral__person_id"),
        ("referrals.Referral", "person_id"),
        ("referrals.Release", "person_id"),
        ("referrals.ServiceRecord", "person_id"),
        ("referrals.Disclosure", "person_id"),
    ),
    narrative=(
        ("referrals.ServiceRecord", "person_id", ("notes",), "updated_at"),
        ("referrals.Referral", "person_id", ("reason",), "created_at"),
        ("referrals.ReferralChange", "referral__person_id", ("reason",), "at"),
        ("referrals.Release", "person_id", ("revoked_note",), "recorded_at"),
        ("referrals.Disclosure", "person_id", ("not_telling_reason",), "created_at"),
    ),
    activity=(
        ("referrals.ServiceRecord", "person_id", "updated_at"),
        ("referrals.Referral", "person_id", "updated_at"),
        ("referrals.ReferralChange", "referral__person_id", "at"),
        ("referrals.Release", "person_id", "recorded_at"),
        ("referrals.Release", "person_id", "revoked_at"),
        ("referrals.Share", "person_id", "at"),
        ("referrals.Disclosure", "person_id", "created_at"),
    ),
)


def register() -> None:
    record_parts.register(PART.key, PART)

"""The one decision on whether something about a person may be shared with a recipient.

Defends against: sharing with nobody's written consent (no release, or a release of another person
or organisation); sharing after the release expired (``expires_at`` is the first moment it no longer
holds: allowed one second before, refused at that moment and after), or once it is revoked (refused
from the moment the revocation is recorded, whatever the clock says); sharing with a recipient
other than the one the release names, or with a directory listing renamed since the release was
signed (its name then is kept on the release); sharing items the release does not list.  Nothing else may
decide this: ``actions.shares.share`` calls ``decide`` under the release's row lock and logs the
result either way.

Does not defend against: what the recipient does with what they received, or a provider who reads
the record aloud on the phone; the release form and the share page say so.

Consent is never a condition of service: an anonymous referral or a warm hand-off with the person
present needs no release, and shares nothing (``decide`` is not asked for them)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.referrals.models import Referral, ReferralStatus, Release, ReleaseItem


class Refusal(StrEnum):
    NO_RELEASE = "no_release"
    OTHER_PERSON = "other_person"
    NOT_YET = "not_yet"
    REVOKED = "revoked"
    EXPIRED = "expired"
    OTHER_RECIPIENT = "other_recipient"
    NO_ITEMS = "no_items"
    UNKNOWN_ITEMS = "unknown_items"
    OUTSIDE_RELEASE = "outside_release"
    RECIPIENT_CHANGED = "recipient_changed"
    # Asked by the share action of a referral, not by ``decide`` (see ``referral_refusal``).
    OUTSIDE_REFERRAL = "outside_referral"
    REFERRAL_CLOSED = "referral_closed"


MESSAGES: dict[Refusal, Any] = {
    Refusal.NO_RELEASE: _(
        "There is no release for this recipient. Make the referral anonymous, or as a warm hand-off."
    ),
    Refusal.OTHER_PERSON: _("That release is not this person's."),
    Refusal.NOT_YET: _("That release was signed later than this share."),
    Refusal.REVOKED: _("That release was revoked. Nothing can be shared under it."),
    Refusal.EXPIRED: _("That release has expired. Nothing can be shared under it; record a new one with them."),
    Refusal.OTHER_RECIPIENT: _("That release names another recipient."),
    Refusal.NO_ITEMS: _("Choose what to share."),
    Refusal.UNKNOWN_ITEMS: _("Choose what to share from the list."),
    Refusal.OUTSIDE_RELEASE: _("Only what the release lists can be shared."),
    Refusal.RECIPIENT_CHANGED: _(
        "This listing changed after the release was signed. Check with the person and record a new release."
    ),
    Refusal.OUTSIDE_REFERRAL: _("Only what the referral lists can be shared."),
    Refusal.REFERRAL_CLOSED: _("This referral was withdrawn or declined: nothing is shared."),
}


@dataclass(frozen=True)
class Decision:
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def message(self) -> Any:
        return "" if self.refusal is None else MESSAGES[self.refusal]


ALLOWED = Decision()


def signed_from(release: Release) -> datetime.datetime:
    """The first moment the release holds: the start of the day it was signed (local time)."""
    start = datetime.datetime.combine(release.signed_on, datetime.time.min)
    return timezone.make_aware(start) if timezone.is_naive(start) else start


def decide(
    release: Release | None,
    *,
    person_id: uuid.UUID,
    entry_id: uuid.UUID | None,
    items: Iterable[str],
    at: datetime.datetime,
) -> Decision:
    """May ``items`` about person ``person_id`` go to the directory entry ``entry_id`` (None: the
    named outside party of the release itself) at moment ``at``, under ``release``?"""
    wanted = set(items)
    if release is None:
        return Decision(Refusal.NO_RELEASE)
    if release.person_id != person_id:
        return Decision(Refusal.OTHER_PERSON)
    if release.revoked_at is not None:
        return Decision(Refusal.REVOKED)
    if at >= release.expires_at:
        return Decision(Refusal.EXPIRED)
    if at < signed_from(release):
        return Decision(Refusal.NOT_YET)
    if release.entry_id != entry_id:
        return Decision(Refusal.OTHER_RECIPIENT)
    if recipient_changed(release):
        return Decision(Refusal.RECIPIENT_CHANGED)
    if not wanted:
        return Decision(Refusal.NO_ITEMS)
    if not wanted <= set(ReleaseItem.values):
        return Decision(Refusal.UNKNOWN_ITEMS)
    if not wanted <= set(release.items or ()):
        return Decision(Refusal.OUTSIDE_RELEASE)
    return ALLOWED


def recipient_changed(release: Release) -> bool:
    """The directory listing the release names was renamed after it was signed: the snapshot of its
    name kept on the release (``recipient_name``) is no longer its name.  Releases recorded before the
    snapshot was kept (an empty one) and the built-in hotline (never edited; its name is translated)
    are not checked.  Reads ``release.entry``: callers select it with the release."""
    snapshot = str(release.recipient_name or "").strip()
    if release.entry_id is None or not snapshot:
        return False
    entry = release.entry
    return entry is not None and not entry.builtin and snapshot != str(entry.name or "").strip()


CLOSED_REFERRAL = frozenset({ReferralStatus.WITHDRAWN, ReferralStatus.DECLINED})


def referral_refusal(referral: Referral, items: Iterable[str]) -> Refusal | None:
    """What a referral itself refuses, before its release is asked: a withdrawn or declined referral
    shares nothing, and a referral shares only the items it lists."""
    if referral.status in CLOSED_REFERRAL:
        return Refusal.REFERRAL_CLOSED
    if not set(items) <= set(referral.items or ()):
        return Refusal.OUTSIDE_REFERRAL
    return None


def expires_at_end_of(day: datetime.date) -> datetime.datetime:
    """A release "until 3 March" holds through 3 March: it ends at the first moment of 4 March."""
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(end)


def last_day(release: Release) -> datetime.date:
    """The last day the release holds, as the forms and pages say it ("valid until"): the day before
    ``expires_at`` (its first moment no longer holding) in local time.  The one place this is worked
    out, so every page and PDF gives the same date."""
    return timezone.localtime(release.expires_at - datetime.timedelta(microseconds=1)).date()

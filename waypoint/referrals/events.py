"""Audit event codes of the services ledger, the directory, referrals, releases of information,
shares and compelled disclosures.  Rows hold ids and codes only: never a recipient's name, an item
shared or a reason typed."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class ServiceEvent(StrEnum):
    VIEWED = "services.viewed"
    ADDED = "services.added"
    UPDATED = "services.updated"


class DirectoryEvent(StrEnum):
    ADDED = "directory.added"
    UPDATED = "directory.updated"
    VERIFIED = "directory.verified"
    ARCHIVED = "directory.archived"
    IMPORTED = "directory.imported"  # count = rows imported
    EXPORTED = "directory.exported"  # count = rows exported


class ReferralEvent(StrEnum):
    VIEWED = "referral.viewed"
    CREATED = "referral.created"
    STATUS_CHANGED = "referral.status_changed"
    TO_LEDGER = "referral.to_ledger"


class ReleaseEvent(StrEnum):
    VIEWED = "release.viewed"
    RECORDED = "release.recorded"
    REFUSED = "release.refused"  # a release that could not be recorded (the consenting party)
    REVOKED = "release.revoked"
    FORM_PRINTED = "release.form_printed"
    SCAN_VIEWED = "release.scan_viewed"
    EXPIRED = "release.expired"  # count = releases marked expired by the scheduled command


class ShareEvent(StrEnum):
    MADE = "share.made"
    REFUSED = "share.refused"


class DisclosureEvent(StrEnum):
    VIEWED = "disclosure.viewed"
    RECORDED = "disclosure.recorded"
    UPDATED = "disclosure.updated"  # an encounter's child protective services report saved again


audit.register(
    {
        ServiceEvent.VIEWED: _("Services ledger viewed"),
        ServiceEvent.ADDED: _("Service added to the ledger"),
        ServiceEvent.UPDATED: _("Service in the ledger changed"),
        DirectoryEvent.ADDED: _("Directory listing added"),
        DirectoryEvent.UPDATED: _("Directory listing changed"),
        DirectoryEvent.VERIFIED: _("Directory listing verified"),
        DirectoryEvent.ARCHIVED: _("Directory listing archived"),
        DirectoryEvent.IMPORTED: _("Directory imported"),
        DirectoryEvent.EXPORTED: _("Directory exported"),
        ReferralEvent.VIEWED: _("Referral viewed"),
        ReferralEvent.CREATED: _("Referral made"),
        ReferralEvent.STATUS_CHANGED: _("Referral status changed"),
        ReferralEvent.TO_LEDGER: _("Completed referral added to the services ledger"),
        ReleaseEvent.VIEWED: _("Release of information viewed"),
        ReleaseEvent.RECORDED: _("Release of information recorded"),
        ReleaseEvent.REFUSED: _("Release not recorded: signer not allowed"),
        ReleaseEvent.REVOKED: _("Release of information revoked"),
        ReleaseEvent.FORM_PRINTED: _("Release form printed"),
        ReleaseEvent.SCAN_VIEWED: _("Signed release scan opened"),
        ReleaseEvent.EXPIRED: _("Releases of information expired"),
        ShareEvent.MADE: _("Information shared under a release"),
        ShareEvent.REFUSED: _("Sharing refused"),
        DisclosureEvent.VIEWED: _("Disclosure viewed"),
        DisclosureEvent.RECORDED: _("Compelled disclosure recorded"),
        DisclosureEvent.UPDATED: _("Compelled disclosure changed"),
    },
    reads=[
        ServiceEvent.VIEWED,
        ReferralEvent.VIEWED,
        ReleaseEvent.VIEWED,
        ReleaseEvent.FORM_PRINTED,  # a filled copy of a release shows record data, like a printed plan
        ReleaseEvent.SCAN_VIEWED,
        DisclosureEvent.VIEWED,
    ],
)

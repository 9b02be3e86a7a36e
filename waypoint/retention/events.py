"""Audit event codes of retention: the policy, closing and reopening records, legal holds, purges.
Purge rows name the record by id only; counts are how many fields or rows went."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class RetentionEvent(StrEnum):
    POLICY_SAVED = "retention.policy_saved"
    RECORD_CLOSED = "record.closed"
    RECORD_REOPENED = "record.reopened"
    HOLD_SET = "record.hold_set"
    HOLD_LIFTED = "record.hold_lifted"
    PURGED = "record.purged"  # the whole record; the count is how many rows went
    NARRATIVE_PURGED = "record.narrative_purged"  # the count is how many text fields were cleared
    ANSWERS_PURGED = "record.answers_purged"  # the count is how many safety-check answers went
    PURGE_RUN = "retention.purge_run"  # one per organisation and run; the count is how many records changed
    DRY_RUN = "retention.dry_run"  # a dry run (or the preview page); the count is how many records it would change
    KEEPING_VIEWED = "record.keeping_viewed"  # the record's "Keeping this record" page (a read)


audit.register(
    {
        RetentionEvent.POLICY_SAVED: _("Retention periods saved"),
        RetentionEvent.RECORD_CLOSED: _("Record closed"),
        RetentionEvent.RECORD_REOPENED: _("Record reopened"),
        RetentionEvent.HOLD_SET: _("Legal hold set"),
        RetentionEvent.HOLD_LIFTED: _("Legal hold lifted"),
        RetentionEvent.PURGED: _("Record removed at the end of its retention period"),
        RetentionEvent.NARRATIVE_PURGED: _("Notes removed at the end of their retention period"),
        RetentionEvent.ANSWERS_PURGED: _("Safety-check answers removed at the end of their retention period"),
        RetentionEvent.PURGE_RUN: _("Retention purge run"),
        RetentionEvent.DRY_RUN: _("Retention purge previewed"),
        RetentionEvent.KEEPING_VIEWED: _("Record's keeping page viewed"),
    },
    reads=[RetentionEvent.KEEPING_VIEWED],
)

"""Cross-cutting tables: the audit chain, its head, idempotency keys and the per-record keys."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One append-only audit row: ids and an event code, never free text or field values."""

    seq = models.BigIntegerField()  # per organisation: each organisation has its own chain
    at = models.DateTimeField()
    org_id = models.UUIDField(null=True, db_index=True)
    actor_id = models.UUIDField(null=True, db_index=True)
    event = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=20, blank=True)
    object_id = models.UUIDField(null=True, db_index=True)
    count = models.PositiveIntegerField(null=True, blank=True)  # e.g. a search's result count; never a value
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["org_id", "at"]), models.Index(fields=["object_id", "seq"])]
        constraints = [
            models.UniqueConstraint(fields=["org_id", "seq"], name="audit_seq_per_org"),
            # NULLs are distinct in a unique index: the system chain needs its own.
            models.UniqueConstraint(fields=["seq"], condition=models.Q(org_id=None), name="audit_seq_system"),
        ]

    def __str__(self) -> str:
        return f"{self.seq} {self.event}"


class AuditHead(models.Model):
    """One row per chain (per organisation, and one for the system) holding its last sequence number
    and hash; locking it orders that chain's writers only.  Triggers let it move forward only."""

    org_id = models.UUIDField(null=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    # The anchor: rows up to trimmed_seq were removed (``audit.trim``); trimmed_hash is the hash of the
    # last removed row, which the first remaining row links to.  Triggers let it move forward only.
    trimmed_seq = models.BigIntegerField(default=0)
    trimmed_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        # The system chain's head (no organisation) is row 1, made by migration 0002.
        constraints = [models.UniqueConstraint(fields=["org_id"], name="audit_head_per_org")]


class IdempotencyKey(models.Model):
    """Remembers a form submission so a double submit returns the first result."""

    staff_id = models.UUIDField()
    key = models.UUIDField()
    object_type = models.CharField(max_length=20)
    object_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff_id", "key"], name="idempotency_unique")]


class RecordKey(models.Model):
    """One person's record key (``waypoint.core.record_keys``): 32 random bytes, stored only wrapped
    by the key ring.  Deleting the row shreds every copy of that record's ciphertext.  Backups leave
    this table out; its rows go to the record-key file instead."""

    id = models.UUIDField(primary_key=True)  # the record's id: a Person's id
    org_id = models.UUIDField(db_index=True)
    wrapped = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)  # kept as it was by a restore

    def __str__(self) -> str:
        return f"record key {self.id}"

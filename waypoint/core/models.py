"""Cross-cutting tables: the audit chain, its head, and idempotency keys."""

from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One append-only audit row: ids and an event code, never free text or field values."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    org_id = models.UUIDField(null=True, db_index=True)
    actor_id = models.UUIDField(null=True, db_index=True)
    event = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=20, blank=True)
    object_id = models.UUIDField(null=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["org_id", "at"]), models.Index(fields=["object_id", "seq"])]

    def __str__(self) -> str:
        return f"{self.seq} {self.event}"


class AuditHead(models.Model):
    """A single row holding the chain's last sequence number and hash; locking it orders writers."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class IdempotencyKey(models.Model):
    """Remembers a form submission so a double submit returns the first result."""

    staff_id = models.UUIDField()
    key = models.UUIDField()
    object_type = models.CharField(max_length=20)
    object_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff_id", "key"], name="idempotency_unique")]

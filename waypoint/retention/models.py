"""Retention: how long the organisation keeps each kind of data, and legal holds.

A period left empty means "keep until the organisation decides": nothing of that kind is purged.
The purge itself is ``waypoint.retention.actions`` (called by ``manage.py purge``)."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from waypoint.orgs.models import Organisation

MAX_DAYS = 36_500  # a hundred years: anything longer is a typing mistake, not a decision
MIN_AUDIT_DAYS = 365  # an access review needs at least a year of who saw what


class RetentionPolicy(models.Model):
    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="retention_policy")
    narrative_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)]
    )
    safety_answers_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)]
    )
    closed_record_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(MAX_DAYS)]
    )
    audit_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(MIN_AUDIT_DAYS), MaxValueValidator(MAX_DAYS)]
    )
    updated_by_id = models.UUIDField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(narrative_days__isnull=True) | Q(narrative_days__gte=1))
                & (Q(safety_answers_days__isnull=True) | Q(safety_answers_days__gte=1))
                & (Q(closed_record_days__isnull=True) | Q(closed_record_days__gte=1))
                & (Q(audit_days__isnull=True) | Q(audit_days__gte=MIN_AUDIT_DAYS)),
                name="retention_periods_positive",
            )
        ]

    def __str__(self) -> str:
        return f"retention {self.org_id}"


class LegalHold(models.Model):
    """While active (not lifted), nothing of the record is purged, whole or narrative."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="legal_holds")
    set_by_id = models.UUIDField()
    set_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(lifted_at__isnull=True), name="legal_hold_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"hold {self.id}"

    @property
    def active(self) -> bool:
        return self.lifted_at is None

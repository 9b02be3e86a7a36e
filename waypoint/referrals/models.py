"""Services the person already receives elsewhere (the "avoid recreating the wheel" ledger).

Shown before any service is added to a plan, so nobody repeats what is done and the person is not
asked to tell their story again.  Names of providers and contacts are encrypted."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import EncryptedTextField
from waypoint.orgs.models import Organisation
from waypoint.people.models import Person


class ServiceStatus(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    PLANNED = "planned", _("Planned")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class ServiceRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="service_records")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="service_records")
    provider = EncryptedTextField()
    service = EncryptedTextField()
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.ONGOING)
    contact_person = EncryptedTextField(blank=True)
    notes = EncryptedTextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "-started_on", "-created_at"]

    def __str__(self) -> str:
        return f"service {self.id}"

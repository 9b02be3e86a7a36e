"""A person's contact rules: how staff may reach them safely.  The phone safety check fills the
first three (what to do if disconnected, if someone else comes on the line, how to identify
ourselves); per-channel permissions arrive with the contact-safety capability.  Deny by default:
nothing here means "allowed"."""

from __future__ import annotations

from django.db import models

from waypoint.core.fields import EncryptedTextField
from waypoint.people.models import Person


class ContactRules(models.Model):
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="contact_rules")
    identify_as = EncryptedTextField(blank=True)
    if_someone_answers = EncryptedTextField(blank=True)
    disconnection_plan = EncryptedTextField(blank=True)
    source_encounter_id = models.UUIDField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_id = models.UUIDField(null=True, blank=True)

"""A person's contact rules: how staff may reach them safely.  The phone safety check fills the
first three (what to do if disconnected, if someone else comes on the line, how to identify
ourselves); the safety plan's permissions item sets voicemail, text, e-mail and chat.  Deny by
default: "unknown" means not allowed, and nothing here means "allowed" unless it says so.

Follow-up tasks come from the plan's follow-up item: what to do (encrypted) and when."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import EncryptedCharField, EncryptedTextField
from waypoint.orgs.models import Organisation, Staff
from waypoint.people.models import Person


class Channel(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked (treated as not allowed)")
    ALLOWED = "allowed", _("Allowed")
    NOT_ALLOWED = "not_allowed", _("Not allowed")


CHANNELS = ["voicemail", "text", "email", "chat"]


class ContactRules(models.Model):
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="contact_rules")
    identify_as = EncryptedTextField(blank=True)
    if_someone_answers = EncryptedTextField(blank=True)
    disconnection_plan = EncryptedTextField(blank=True)
    # Encrypted: which channels are safe tells how closely the person is watched.
    voicemail = EncryptedCharField(max_length=12, choices=Channel.choices, default=Channel.UNKNOWN)
    text = EncryptedCharField(max_length=12, choices=Channel.choices, default=Channel.UNKNOWN)
    email = EncryptedCharField(max_length=12, choices=Channel.choices, default=Channel.UNKNOWN)
    chat = EncryptedCharField(max_length=12, choices=Channel.choices, default=Channel.UNKNOWN)
    source_encounter_id = models.UUIDField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_id = models.UUIDField(null=True, blank=True)

    def allows(self, channel: str) -> bool:
        return getattr(self, channel, Channel.UNKNOWN) == Channel.ALLOWED


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class FollowUpTask(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="follow_up_tasks")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="follow_up_tasks")
    plan_id = models.UUIDField(null=True, blank=True)
    what = EncryptedTextField()
    due_on = models.DateField()
    status = models.CharField(max_length=6, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assigned_to = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_on"]

    def __str__(self) -> str:
        return f"task {self.id}"

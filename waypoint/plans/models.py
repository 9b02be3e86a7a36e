"""The survivor-led safety plan: one living plan per person, saved as numbered versions.

The whole content (stage, four domains with current and future steps, the eleven resources items)
is one encrypted JSON document.  Every save writes a new ``PlanVersion`` holding the full content,
who saved it and which sections changed, so any two versions can be compared side by side.  Saves
are per section: a save based on an older version goes through when nobody changed that section
in between, and otherwise becomes a conflict that shows both texts (nothing is overwritten)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import EncryptedTextField
from waypoint.encounters.models import Encounter
from waypoint.orgs.models import Organisation, Staff
from waypoint.people.models import Person
from waypoint.plans.spec import empty_content


class Carry(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked yet")
    SAFE = "safe", _("Safe to carry a paper copy")
    UNSAFE = "unsafe", _("Not safe to carry anything on paper")


class Layout(models.TextChoices):
    PLAIN = "plain", _("Plain")
    DISCREET = "discreet", _("Discreet: no organisation name and a neutral title")


class SafetyPlan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="safety_plans")
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="safety_plan")
    source_encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT)
    content_json = EncryptedTextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    review_on = models.DateField(null=True, blank=True)
    carry = models.CharField(max_length=8, choices=Carry.choices, default=Carry.UNKNOWN)
    carry_recorded_at = models.DateTimeField(null=True, blank=True)
    carry_recorded_by_id = models.UUIDField(null=True, blank=True)
    print_sections = models.JSONField(default=list, blank=True)  # section keys only, never text
    memorise_items = models.JSONField(default=list, blank=True)  # item keys only, never text
    last_check_in_at = models.DateTimeField(null=True, blank=True)
    last_check_in_by_id = models.UUIDField(null=True, blank=True)
    created_by_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"plan {self.person_id}"

    @property
    def content(self) -> dict[str, Any]:
        stored = json.loads(self.content_json) if self.content_json else {}
        merged = empty_content()
        merged.update({key: value for key, value in stored.items() if key in merged})
        return merged

    def set_content(self, content: dict[str, Any]) -> None:
        self.content_json = json.dumps(content, ensure_ascii=False, sort_keys=True)


class PlanVersion(models.Model):
    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(Staff, on_delete=models.PROTECT)
    saved_at = models.DateTimeField(auto_now_add=True)
    sections = models.JSONField(default=list)  # section keys that changed, never text
    content_json = EncryptedTextField()

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_number_per_plan_version")]

    def __str__(self) -> str:
        return f"version {self.number}"

    @property
    def content(self) -> dict[str, Any]:
        merged = empty_content()
        merged.update(json.loads(self.content_json))
        return merged

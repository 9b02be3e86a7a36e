"""The survivor-led safety plan: one living plan per person, saved as numbered versions.

The whole content (stage, four domains with current and future steps, the eleven resources items)
is one encrypted JSON document.  Every save writes a new ``PlanVersion`` holding the full content,
who saved it and which sections changed, so any two versions can be compared side by side.  Saves
are per section: a save based on an older version goes through when nobody changed that section
in between, and otherwise becomes a conflict that shows both texts (nothing is overwritten).

What a report must count without decrypting lives in plain columns beside the text: the stage and
the review date on the plan, and per domain and per item a ``PlanSectionFacts`` row (how many steps,
in which state; the item's status).  Only numbers and codes, never a word typed about the person;
the plan's actions keep them in step with the content in the same transaction as each save."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField
from waypoint.encounters.models import Encounter
from waypoint.orgs.models import Organisation, Staff
from waypoint.people.models import Person
from waypoint.plans.spec import ActionStatus, ItemStatus, Stage, Timeframe, empty_content


class Carry(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked yet")
    SAFE = "safe", _("Safe to carry a paper copy")
    UNSAFE = "unsafe", _("Not safe to carry anything on paper")


class Layout(models.TextChoices):
    PLAIN = "plain", _("Plain")
    DISCREET = "discreet", _("Discreet: no organisation name and a neutral title")


class SafetyPlan(models.Model):
    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="safety_plans")
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="safety_plan")
    source_encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT)
    content_json = EncryptedTextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.STAYING)  # a plain copy for reports
    review_on = models.DateField(null=True, blank=True)
    carry = EncryptedCharField(max_length=8, choices=Carry.choices, default=Carry.UNKNOWN)
    carry_recorded_at = models.DateTimeField(null=True, blank=True)
    carry_recorded_by_id = models.UUIDField(null=True, blank=True)
    print_sections = EncryptedJSONField(default=list, blank=True)  # section keys only, never text
    memorise_items = EncryptedJSONField(default=list, blank=True)  # item keys only, never text
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
    record_key_via = "plan.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
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


class SectionKind(models.TextChoices):
    DOMAIN = "domain", _("Area of safety")
    ITEM = "item", _("Resources and next steps item")


class PlanSectionFacts(models.Model):
    """Counts for one domain or item of a plan, in plain columns (a report reads these, never the
    text).  Domains: steps per time frame and per status; items: their status."""

    plan = models.ForeignKey(SafetyPlan, on_delete=models.CASCADE, related_name="facts")
    section = models.CharField(max_length=40)  # a section key of the spec, never text
    kind = models.CharField(max_length=8, choices=SectionKind.choices)
    steps_current = models.PositiveSmallIntegerField(default=0)
    steps_future = models.PositiveSmallIntegerField(default=0)
    to_do = models.PositiveSmallIntegerField(default=0)
    doing = models.PositiveSmallIntegerField(default=0)
    done = models.PositiveSmallIntegerField(default=0)
    stopped = models.PositiveSmallIntegerField(default=0)
    item_status = models.CharField(max_length=16, choices=ItemStatus.choices, blank=True)  # "" for a domain

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "section"], name="one_facts_row_per_plan_section")]

    def __str__(self) -> str:
        return f"facts {self.section}"


def section_facts(section: str, value: dict[str, Any]) -> dict[str, Any]:
    """The plain columns for one domain or item section (``section`` is ``domain:...`` or
    ``resource:...``): counts and codes computed from its content."""
    if section.startswith("domain:"):
        steps = {timeframe: value.get(timeframe) or [] for timeframe in Timeframe.values}
        statuses = [step.get("status") for timeframe_steps in steps.values() for step in timeframe_steps]
        return {
            "kind": SectionKind.DOMAIN,
            "steps_current": len(steps[Timeframe.CURRENT]),
            "steps_future": len(steps[Timeframe.FUTURE]),
            **{status: statuses.count(status) for status in ActionStatus.values},
            "item_status": "",
        }
    zero = dict.fromkeys(["steps_current", "steps_future", *ActionStatus.values], 0)
    return {"kind": SectionKind.ITEM, **zero, "item_status": value.get("status") or ItemStatus.NOT_DISCUSSED}

"""Saving a plan: one section at a time, each save a new numbered version.

A save names the version it was based on.  If someone saved since, the save still goes through
when that person did not touch the same section; if they did, ``SectionConflict`` carries the
saved section so the screen can show both texts.  Nothing is ever overwritten silently."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from waypoint.encounters.models import Encounter
from waypoint.orgs.models import Staff
from waypoint.people.models import Person
from waypoint.plans.models import PlanVersion, SafetyPlan
from waypoint.plans.spec import OVERVIEW, empty_content


class SectionConflict(Exception):
    def __init__(self, plan: SafetyPlan, saved: Any) -> None:
        super().__init__("The section changed since it was opened")
        self.plan = plan
        self.saved = saved


def start_plan(person: Person, staff: Staff, encounter: Encounter | None = None) -> tuple[SafetyPlan, bool]:
    """The person's plan, created (version 1, empty) when there is none yet."""
    existing = SafetyPlan.objects.filter(person=person).first()
    if existing is not None:
        return existing, False
    plan = SafetyPlan(org_id=person.org_id, person=person, source_encounter=encounter, created_by_id=staff.id)
    plan.set_content(empty_content())
    plan.save()
    PlanVersion.objects.create(plan=plan, number=1, author=staff, sections=[], content_json=plan.content_json)
    return plan, True


def save_section(plan_id: Any, section: str, value: Any, base_version: int, staff: Staff) -> tuple[SafetyPlan, bool]:
    """Write one section; returns the plan and whether anything changed.  Call inside a transaction."""
    assert transaction.get_connection().in_atomic_block
    plan = SafetyPlan.objects.select_for_update().get(pk=plan_id)
    content = plan.content
    if plan.version != base_version:
        base = PlanVersion.objects.filter(plan=plan, number=base_version).first()
        if base is None or base.content.get(section) != content.get(section):
            raise SectionConflict(plan, content.get(section))
    if content.get(section) == value:
        return plan, False
    content[section] = value
    plan.set_content(content)
    plan.version += 1
    if section == OVERVIEW:
        review = value.get("review_on") or ""
        plan.review_on = datetime.date.fromisoformat(review) if review else None
    plan.save()
    PlanVersion.objects.create(
        plan=plan, number=plan.version, author=staff, sections=[section], content_json=plan.content_json
    )
    return plan, True

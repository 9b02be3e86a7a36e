"""Every change to a safety plan.  Each function is one atomic transaction that writes its rows and
its own audit row; the plan screens, ``seed_demo`` and the API to come call these.

Saving is per section, each save a new numbered version.  A save names the version it was based
on.  If someone saved since, the save still goes through when that person did not touch the same
section; if they did, ``SectionConflict`` carries the saved section so the screen can show both
texts.  Nothing is ever overwritten silently.  Each save also keeps the plan's plain facts (stage,
review date, step counts, item status) in step with the encrypted content."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waypoint.contact import actions as contact_actions
from waypoint.contact.models import TaskSource
from waypoint.core import audit
from waypoint.encounters.models import Encounter
from waypoint.orgs.models import Staff
from waypoint.people.models import Person
from waypoint.plans.events import PlanEvent
from waypoint.plans.models import PlanSectionFacts, PlanVersion, SafetyPlan, section_facts
from waypoint.plans.spec import (
    OVERVIEW,
    SECTION_KEYS,
    ItemStatus,
    Stage,
    empty_content,
    item_holds_content,
    item_section,
)


class SectionConflict(Exception):
    def __init__(self, plan: SafetyPlan, saved: Any) -> None:
        super().__init__("The section changed since it was opened")
        self.plan = plan
        self.saved = saved


class ItemRefused(Exception):
    """A resources item that is not "Filled in" but holds something written (or adds follow-up
    tasks): nothing is saved, and the message says what to do."""


# --- Rows (no audit row of their own: the actions below add it) ---------------------------------


def _store_facts(plan: SafetyPlan, section: str, value: Any) -> None:
    """The plain facts of one section (the overview's, stage and review date, are on the plan row)."""
    if section != OVERVIEW:
        PlanSectionFacts.objects.update_or_create(plan=plan, section=section, defaults=section_facts(section, value))


def _apply_overview(plan: SafetyPlan, value: dict[str, Any]) -> None:
    review = value.get("review_on") or ""
    plan.review_on = datetime.date.fromisoformat(review) if review else None
    plan.stage = value.get("stage") or Stage.STAYING


def create_plan(person: Person, staff: Staff, encounter: Encounter | None = None) -> tuple[SafetyPlan, bool]:
    """The person's plan, created (version 1, empty, with its facts) when there is none yet.  Writes
    no audit row: ``start_plan`` is the audited action; test fixtures build worlds with this."""
    existing = SafetyPlan.objects.filter(person=person).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        plan = SafetyPlan(org_id=person.org_id, person=person, source_encounter=encounter, created_by_id=staff.id)
        content = empty_content()
        plan.set_content(content)
        plan.save()
        PlanVersion.objects.create(plan=plan, number=1, author=staff, sections=[], content_json=plan.content_json)
        PlanSectionFacts.objects.bulk_create(
            PlanSectionFacts(plan=plan, section=section, **section_facts(section, content[section]))
            for section in SECTION_KEYS
            if section != OVERVIEW
        )
    return plan, True


def write_section(plan_id: Any, section: str, value: Any, base_version: int, staff: Staff) -> tuple[SafetyPlan, bool]:
    """Write one section, its version and its facts; returns the plan and whether anything changed.
    Runs inside the caller's transaction and writes no audit row (``save_section`` does both)."""
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
        _apply_overview(plan, value)
    plan.save()
    PlanVersion.objects.create(
        plan=plan, number=plan.version, author=staff, sections=[section], content_json=plan.content_json
    )
    _store_facts(plan, section, value)
    return plan, True


# --- Actions -------------------------------------------------------------------------------------


def start_plan(staff: Staff, person: Person, encounter: Encounter | None = None) -> tuple[SafetyPlan, bool]:
    """Start the person's plan once; a second start, even in the same moment, opens the first."""
    try:
        with transaction.atomic():
            plan, created = create_plan(person, staff, encounter)
            if created:
                audit.record_by(staff, PlanEvent.STARTED, plan)
    except IntegrityError:  # a colleague started it in the same moment: open theirs
        return SafetyPlan.objects.get(person=person), False
    return plan, created


@transaction.atomic
def save_section(
    staff: Staff, plan: SafetyPlan, section: str, value: Any, base_version: int
) -> tuple[SafetyPlan, bool]:
    """Save one section as a new version (``SectionConflict`` when it changed since ``base_version``);
    an unchanged section writes nothing."""
    saved, changed = write_section(plan.pk, section, value, base_version, staff)
    if changed:
        audit.record_by(staff, PlanEvent.UPDATED, saved)
    return saved, changed


@transaction.atomic
def save_item(
    staff: Staff,
    plan: SafetyPlan,
    item: str,
    value: dict[str, Any],
    base_version: int,
    new_tasks: Iterable[tuple[str, datetime.date, str, uuid.UUID | None]] = (),
    rules: RulesEdit | None = None,
) -> tuple[SafetyPlan, bool]:
    """Save a resources item with what it does beyond the plan, all or nothing: a filled-in item that
    edits contact rules (permissions, device) writes them through the one rules action, over the
    rules version the page showed (``RulesChanged`` otherwise); each new follow-up row becomes a
    task on a channel the rules allow (``ContactRefused`` otherwise).  Only a "Filled in" item may
    hold fields, contacts, services or new tasks (``ItemRefused`` otherwise, before anything is
    written): "Not discussed" must never hide a contact nobody agreed to."""
    new_tasks = list(new_tasks)
    if value.get("status") != ItemStatus.FILLED and (item_holds_content(value) or new_tasks):
        raise ItemRefused(not_filled_message(value.get("status")))
    saved, changed = save_section(staff, plan, item_section(item), value, base_version)
    if rules is not None and value.get("status") == ItemStatus.FILLED:
        contact_actions.record_rules(staff, saved.person, rules.changes, base_version=rules.base_version)
    for what, due_on, channel, token in new_tasks:
        contact_actions.add_task(
            staff, saved.person, due_on=due_on, channel=channel, what=what, source=TaskSource.PLAN,
            plan_id=saved.id, token=token,
        )  # fmt: skip
    return saved, changed


def not_filled_message(status: Any) -> str:
    label = dict(ItemStatus.choices).get(status, ItemStatus.NOT_DISCUSSED.label)
    message = _("Marked “%(status)s”, but it still holds text. Choose “Filled in” to keep it, or clear it first.")
    return message % {"status": label}


@dataclass(frozen=True)
class RulesEdit:
    """The contact-rule fields a plan item's form posted, and the rules version the page was opened
    at.  Saving some rules confirms nothing else (the before-you-call panel confirms them all)."""

    changes: Mapping[str, Any]
    base_version: int | None


@transaction.atomic
def record_check_in(staff: Staff, plan: SafetyPlan) -> SafetyPlan:
    """The first reminder, acted on: safety details and quick-exit steps confirmed with the person."""
    current = SafetyPlan.objects.select_for_update().get(pk=plan.pk)
    current.last_check_in_at, current.last_check_in_by_id = timezone.now(), staff.id
    current.save(update_fields=["last_check_in_at", "last_check_in_by_id", "updated_at"])
    audit.record_by(staff, PlanEvent.CHECK_IN, current)
    return current

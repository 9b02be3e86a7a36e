"""Plan facts in plain columns: the stage, the review date and, per domain and per item, how many
steps and in which state.  They match the encrypted content after every save and after the
back-fill of existing plans, and hold only numbers and codes, never text typed about the person."""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from tests.test_plans import FILLED_ITEMS, domain_data, item_data, save_domain
from waypoint.plans.models import PlanSectionFacts, SafetyPlan
from waypoint.plans.spec import DOMAIN_KEYS, ITEM_KEYS, ActionStatus, ItemStatus, Stage, domain_section, item_section

COUNTS = ["steps_current", "steps_future", "to_do", "doing", "done", "stopped"]
STEP_TEXTS = ["Hide the spare key under the blue pot", "Call Ana from the library", "Pack the insulin"]


def expected_facts(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The facts as a report would count them from the decrypted content (written independently of
    the code under test)."""
    expected: dict[str, dict[str, Any]] = {}
    for key in DOMAIN_KEYS:
        value = content[domain_section(key)]
        steps = value["current"] + value["future"]
        expected[domain_section(key)] = {
            "kind": "domain",
            "steps_current": len(value["current"]),
            "steps_future": len(value["future"]),
            **{
                status: sum(step["status"] == status for step in steps)
                for status in ("to_do", "doing", "done", "stopped")
            },
            "item_status": "",
        }
    for key in ITEM_KEYS:
        expected[item_section(key)] = {
            "kind": "item",
            **dict.fromkeys(COUNTS, 0),
            "item_status": content[item_section(key)]["status"],
        }
    return expected


def stored_facts(plan: SafetyPlan) -> dict[str, dict[str, Any]]:
    rows = PlanSectionFacts.objects.filter(plan=plan).values("section", "kind", *COUNTS, "item_status")
    return {row.pop("section"): row for row in rows}


def assert_facts_match(plan: SafetyPlan) -> None:
    plan.refresh_from_db()
    content = plan.content
    assert stored_facts(plan) == expected_facts(content)
    assert plan.stage == content["overview"]["stage"]
    assert (plan.review_on.isoformat() if plan.review_on else "") == content["overview"]["review_on"]


def fill_plan(client: Client, plan: SafetyPlan) -> int:
    """Steps in every state, items filled or declined, a stage and a review date; returns the version."""
    current = [
        {"text": STEP_TEXTS[0], "status": "to_do"},
        {"text": STEP_TEXTS[1], "status": "doing", "idea": "together"},
        {"text": "Done already", "status": "done"},
    ]
    future = [{"text": STEP_TEXTS[2], "status": "stopped"}, {"text": "Later", "status": "to_do"}]
    assert save_domain(client, plan, "physical", domain_data(1, current, future)).status_code == 302
    assert save_domain(client, plan, "emotional", domain_data(2, [], future)).status_code == 302
    url = reverse("plans:item", args=[plan.id, "medications"])
    assert client.post(url, item_data("m", 3, **FILLED_ITEMS["medications"])).status_code == 302
    url = reverse("plans:item", args=[plan.id, "privacy"])
    assert client.post(url, {"version": 4, "status": "declined"}).status_code == 302
    today = timezone.localdate().isoformat()
    url = reverse("plans:overview", args=[plan.id])
    assert client.post(url, {"version": 5, "stage": "leaving", "review_on": today}).status_code == 302
    return 6


def test_a_new_plan_has_facts_for_every_domain_and_item(world_a: OrgWorld) -> None:
    facts = stored_facts(world_a.plan)
    assert sorted(facts) == sorted([*(domain_section(k) for k in DOMAIN_KEYS), *(item_section(k) for k in ITEM_KEYS)])
    assert_facts_match(world_a.plan)
    assert world_a.plan.stage == Stage.STAYING


def test_facts_follow_every_save(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    version = fill_plan(client, plan)
    assert_facts_match(plan)
    physical = stored_facts(plan)[domain_section("physical")]
    assert physical == {
        "kind": "domain", "steps_current": 3, "steps_future": 2, "to_do": 2, "doing": 1, "done": 1, "stopped": 1,
        "item_status": "",
    }  # fmt: skip
    assert stored_facts(plan)[item_section("medications")]["item_status"] == ItemStatus.FILLED
    assert stored_facts(plan)[item_section("privacy")]["item_status"] == ItemStatus.DECLINED
    assert plan.stage == Stage.LEAVING
    # Steps removed, and a stage back: the facts follow.
    assert save_domain(client, plan, "physical", domain_data(version, [{"text": "Only one"}])).status_code == 302
    url = reverse("plans:overview", args=[plan.id])
    assert client.post(url, {"version": version + 1, "stage": "after", "review_on": ""}).status_code == 302
    assert_facts_match(plan)
    assert plan.stage == Stage.AFTER and plan.review_on is None


def test_refused_and_conflicting_saves_leave_the_facts_alone(world_a: OrgWorld) -> None:
    first, second = sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)
    plan = world_a.plan
    assert save_domain(first, plan, "physical", domain_data(1, [{"text": "First"}])).status_code == 302
    before = stored_facts(plan)
    assert save_domain(second, plan, "physical", domain_data(1, [{"text": "A"}, {"text": "B"}])).status_code == 409
    assert save_domain(second, plan, "physical", domain_data(2, [{"text": "x", "idea": ""}])).status_code == 400
    assert stored_facts(plan) == before
    assert_facts_match(plan)


def test_the_back_fill_gives_the_same_facts(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    fill_plan(client, plan)
    plan.refresh_from_db()
    saved = stored_facts(plan)
    # A plan from before the facts existed: no rows, the stage column at its default.
    PlanSectionFacts.objects.filter(plan=plan).delete()
    SafetyPlan.objects.filter(pk=plan.pk).update(stage=Stage.STAYING)
    migration = importlib.import_module("waypoint.plans.migrations.0002_plan_facts")
    migration.backfill(apps, None)
    assert stored_facts(plan) == saved
    assert_facts_match(plan)
    migration.backfill(apps, None)  # running it again changes nothing
    assert stored_facts(plan) == saved


def test_facts_hold_no_free_text(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    fill_plan(client, plan)
    rows = list(PlanSectionFacts.objects.filter(plan=plan).values())
    sections = {*(domain_section(k) for k in DOMAIN_KEYS), *(item_section(k) for k in ITEM_KEYS)}
    for row in rows:
        assert row["section"] in sections and row["kind"] in ("domain", "item")
        assert row["item_status"] in ("", *ItemStatus.values)
        assert all(isinstance(row[name], int) for name in COUNTS)
    dumped = repr(rows) + repr(SafetyPlan.objects.filter(pk=plan.pk).values("stage", "review_on").get())
    for text in [*STEP_TEXTS, "Insulin", "Clinic on Main St", "Monthly"]:
        assert text not in dumped
    assert set(ActionStatus.values) <= set(COUNTS)  # one column per step status

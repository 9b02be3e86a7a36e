"""The safety plan: start, four domains x current/future, the eleven resources items, versions,
comparison, conflicts, the services ledger, reminders and follow-up tasks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, sign_in
from waypoint.contact.actions import record_rules
from waypoint.contact.guard import may_use
from waypoint.contact.models import ContactRules, FollowUpTask, Permission
from waypoint.core.models import AuditEvent
from waypoint.people.models import Person
from waypoint.plans.models import PlanVersion, SafetyPlan
from waypoint.plans.spec import (
    CONTACT_ROWS,
    DOMAIN_KEYS,
    ITEM_BY_KEY,
    ITEM_KEYS,
    ITEMS,
    domain_section,
    item_section,
)
from waypoint.referrals.models import ServiceRecord


def domain_data(version: int, current: list[dict[str, str]], future: list[dict[str, str]] | None = None) -> dict:
    data: dict[str, Any] = {"version": version}
    for prefix, steps in (("current", current), ("future", future or [])):
        data[f"{prefix}-TOTAL_FORMS"] = len(steps)
        data[f"{prefix}-INITIAL_FORMS"] = 0
        data[f"{prefix}-MIN_NUM_FORMS"] = 0
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for number, step in enumerate(steps):
            for key, value in {"status": "to_do", "idea": "person", **step}.items():
                data[f"{prefix}-{number}-{key}"] = value
    return data


def item_data(item: str, version: int, **fields: Any) -> dict[str, Any]:
    return {"version": version, "status": "filled", **fields}


def rules_data(person: Person, how: str = "in_person") -> dict[str, Any]:
    """What a plan item that edits contact rules posts besides them: how they were confirmed with the
    person, and the rules' version when the page was opened (0 while the person has no rules)."""
    rules = ContactRules.objects.filter(person=person).first()
    return {"rules_how": how, "rules_version": rules.version if rules is not None else 0}


def post_item(client: Client, plan: SafetyPlan, item: str, data: dict[str, Any]) -> Any:
    """Post a resources item as its page would: an item that edits contact rules also sends how they
    were confirmed and the rules' current version."""
    extra = rules_data(plan.person) if ITEM_BY_KEY[item].rules else {}
    return client.post(reverse("plans:item", args=[plan.id, item]), {**extra, **data})


def allow_channels(world: OrgWorld, *channels: str) -> ContactRules:
    """Contact rules saying contact after today is safe, on these channels only (as if agreed in person)."""
    changes = {"safe_to_contact": "yes", **dict.fromkeys(channels, Permission.ALLOWED)}
    return record_rules(world.provider, world.person, changes, how="in_person")


def channel_permissions(page: str) -> dict[str, tuple[str, str]]:
    """The channel table of a page as {channel: (recorded permission, usable yes/no)}."""
    rows = re.findall(
        r'data-channel="(\w+)" data-usable="(yes|no)">\s*<th scope="row">.*?</th>\s*'
        r'<td class="permission permission-(\w+)">',
        page,
        re.S,
    )
    return {channel: (permission, usable) for channel, usable, permission in rows}


def save_domain(client: Client, plan: SafetyPlan, domain: str, data: dict) -> Any:
    return client.post(reverse("plans:domain", args=[plan.id, domain]), data)


FILLED_ITEMS: dict[str, dict[str, Any]] = {
    "immediate_help": {"contact_0_name": "Ana", "contact_0_number": "555-0101", "notes": "Call after 6"},
    "medications": {"what": "Insulin", "where": "Clinic on Main St", "refills": "Monthly"},
    "permissions": {
        "rule_safe_to_contact": "yes", "rule_call": "allowed", "rule_voicemail": "not_allowed", "rule_text": "allowed",
        "rule_email": "unknown", "rule_chat": "not_allowed", "rule_text_number": "555-0103",
    },
    "privacy": {"concerns": "He reads my texts", "safe_spaces": "The library"},
    "self_soothing": {"tools": "Music, counting breaths"},
    "services": {"notes": "Keep the counsellor"},
    "necessities": {
        "food": "Food bank on Fridays", "water": "Yes", "shelter": "Friend's couch", "clothing": "Needs a coat",
    },
    "device": {
        "rule_phone_from_exploiter": "yes", "rule_phone_seen_by_exploiter": "unsure", "rule_device_shared": "no",
        "rule_safe_word": "blue", "rule_battery_plan": "Charger at work",
    },
    "risks": {"risks": "He knows where I work", "response": "Change shift"},
    "support_network": {"contact_0_name": "Sister", "contact_0_number": "555-0102"},
    "follow_up": {
        "plan": "Call in a week", "task_0_what": "Check on the coat", "task_0_due": "2099-01-01",
        "task_0_channel": "text",
    },
}  # fmt: skip


def test_start_plan_from_an_encounter_once(client: Client, world_a: OrgWorld) -> None:
    person = Person.objects.create(org=world_a.org, estimated_age=25)
    sign_in(client, world_a.provider)
    page = client.get(reverse("plans:for_person", args=[person.id]))
    assert page.status_code == 200 and b"Start a safety plan" in page.content
    assert not SafetyPlan.objects.filter(person=person).exists()  # GET never creates
    encounter = world_a.encounter.__class__.objects.create(
        org=world_a.org, person=person, mode="phone", lead=world_a.provider
    )
    first = client.post(reverse("plans:for_person", args=[person.id]), {"encounter": str(encounter.id)})
    second = client.post(reverse("plans:for_person", args=[person.id]))
    plan = SafetyPlan.objects.get(person=person)
    # Started from the encounter: the plan opens with that encounter's suggestions (issue 11, e).
    assert first["Location"] == f"{reverse('plans:detail', args=[plan.id])}?encounter={encounter.id}"
    assert second["Location"] == reverse("plans:detail", args=[plan.id])
    assert plan.source_encounter_id == encounter.id and plan.version == 1
    assert AuditEvent.objects.filter(event="plan.started", object_id=plan.id).count() == 1


def test_start_refuses_an_encounter_of_another_record(client: Client, world_a: OrgWorld) -> None:
    person = Person.objects.create(org=world_a.org, estimated_age=25)
    sign_in(client, world_a.provider)
    response = client.post(reverse("plans:for_person", args=[person.id]), {"encounter": str(world_a.encounter.id)})
    assert response.status_code == 400
    assert not SafetyPlan.objects.filter(person=person).exists()


def test_domain_steps_in_their_words_are_versioned(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    data = domain_data(
        1,
        [{"text": "Keep bandages in my locker", "idea": "person"}, {"text": "Clinic visit", "idea": "provider"}],
        [{"text": "Find a doctor", "idea": "together", "due_on": "2099-05-01"}],
    )
    assert save_domain(client, plan, "physical", data).status_code == 302
    plan.refresh_from_db()
    steps = plan.content[domain_section("physical")]
    assert [s["text"] for s in steps["current"]] == ["Keep bandages in my locker", "Clinic visit"]
    assert steps["current"][1]["idea"] == "provider" and steps["future"][0]["due_on"] == "2099-05-01"
    version = PlanVersion.objects.get(plan=plan, number=2)
    assert version.author_id == world_a.provider.id and version.sections == ["domain:physical"]
    page = client.get(reverse("plans:detail", args=[plan.id])).content.decode()
    assert "Keep bandages in my locker" in page and "Your suggestion" in page


def test_step_needs_whose_idea(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    data = domain_data(1, [{"text": "Hide a phone", "idea": ""}])
    response = save_domain(client, world_a.plan, "communication", data)
    assert response.status_code == 400 and "Say whose idea this step is." in response.content.decode()
    assert PlanVersion.objects.filter(plan=world_a.plan).count() == 1


@pytest.mark.parametrize(
    "text",
    ["x" * 100_000, "a\u202eb", "nul\x00here", "bad \ufffd bytes"],
    ids=["100k", "bidi-override", "nul", "replacement-character"],
)
def test_bad_step_text_is_refused_and_nothing_written(client: Client, world_a: OrgWorld, text: str) -> None:
    sign_in(client, world_a.provider)
    response = save_domain(client, world_a.plan, "physical", domain_data(1, [{"text": text}]))
    assert response.status_code == 400
    assert PlanVersion.objects.filter(plan=world_a.plan).count() == 1


def test_markup_is_stored_literally_and_escaped(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    payload = "<script>alert(1)</script>{{ 7*7 }}'; DROP TABLE x;--"
    save_domain(client, world_a.plan, "emotional", domain_data(1, [{"text": payload}]))
    world_a.plan.refresh_from_db()
    assert world_a.plan.content[domain_section("emotional")]["current"][0]["text"] == payload
    page = client.get(reverse("plans:detail", args=[world_a.plan.id])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_too_many_steps_are_refused(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    steps = [{"text": f"step {n}"} for n in range(13)]
    assert save_domain(client, world_a.plan, "physical", domain_data(1, steps)).status_code == 400


def test_unknown_domain_or_item_is_404(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    assert client.get(reverse("plans:domain", args=[world_a.plan.id, "spiritual"])).status_code == 404
    assert client.get(reverse("plans:item", args=[world_a.plan.id, "weather"])).status_code == 404


def test_all_eleven_items_are_structured_editable_and_versioned(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    assert sorted(FILLED_ITEMS) == sorted(ITEM_KEYS) and len(ITEMS) == 11
    for number, (item, fields) in enumerate(FILLED_ITEMS.items(), start=1):
        extra = {"services": [str(world_a.service.id)]} if item == "services" else {}
        response = post_item(client, plan, item, item_data(item, number, **fields, **extra))
        assert response.status_code == 302, (item, response.content.decode()[:2000])
    plan.refresh_from_db()
    assert plan.version == 12
    content = plan.content
    assert content[item_section("medications")]["fields"]["what"] == "Insulin"
    assert content[item_section("immediate_help")]["contacts"] == [{"name": "Ana", "number": "555-0101", "note": ""}]
    assert content[item_section("services")]["services"] == [str(world_a.service.id)]
    rules = ContactRules.objects.get(person=world_a.person)
    assert (rules.safe_to_contact, rules.call, rules.voicemail, rules.text, rules.email, rules.chat) == (
        "yes",
        "allowed",
        "not_allowed",
        "allowed",
        "unknown",
        "not_allowed",
    )
    assert rules.text_number == "5550103"  # normalised to digits
    assert may_use(rules, "text") and not may_use(rules, "email") and not may_use(rules, "voicemail")
    # The device item's answers are contact rules too, each in its own field; the plan keeps no copy.
    assert (rules.phone_from_exploiter, rules.phone_seen_by_exploiter, rules.device_shared) == ("yes", "unsure", "no")
    assert (rules.safe_word, rules.battery_plan) == ("blue", "Charger at work")
    assert content[item_section("permissions")]["fields"] == {} and content[item_section("device")]["fields"] == {}
    assert "blue" not in repr(content) and "Charger at work" not in repr(content)
    task = next(t for t in FollowUpTask.objects.filter(person=world_a.person) if t.what == "Check on the coat")
    assert task.plan_id == plan.id and task.assigned_to_id == world_a.provider.id
    assert (task.channel, task.source) == ("text", "plan")


@pytest.mark.parametrize("status", ["not_discussed", "declined"])
def test_item_can_be_not_discussed_or_declined(client: Client, world_a: OrgWorld, status: str) -> None:
    sign_in(client, world_a.provider)
    response = client.post(reverse("plans:item", args=[world_a.plan.id, "privacy"]), {"version": 1, "status": status})
    assert response.status_code == 302
    world_a.plan.refresh_from_db()
    assert world_a.plan.content[item_section("privacy")]["status"] == status


def test_filled_item_with_nothing_in_it_is_refused(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    response = client.post(reverse("plans:item", args=[world_a.plan.id, "medications"]), item_data("m", 1))
    assert response.status_code == 400 and "Nothing is filled in" in response.content.decode()


def test_follow_up_task_needs_a_future_due_date(client: Client, world_a: OrgWorld) -> None:
    allow_channels(world_a, "text")
    sign_in(client, world_a.provider)
    url = reverse("plans:item", args=[world_a.plan.id, "follow_up"])
    text = {"task_0_what": "Call", "task_0_channel": "text"}
    assert client.post(url, item_data("f", 1, **text)).status_code == 400
    assert client.post(url, item_data("f", 1, **text, task_0_due="2000-01-01")).status_code == 400
    assert client.post(url, item_data("f", 1, **text, task_0_due="2024-02-30")).status_code == 400
    assert FollowUpTask.objects.filter(person=world_a.person).count() == 1  # the world's own task


def test_follow_up_task_needs_a_channel_the_rules_allow(client: Client, world_a: OrgWorld) -> None:
    """Deny by default: a follow-up row without a channel, or on a channel the person forbade or was
    never asked about, is refused and nothing is written (plan or task)."""
    sign_in(client, world_a.provider)
    url = reverse("plans:item", args=[world_a.plan.id, "follow_up"])
    row = {"task_0_what": "Call", "task_0_due": "2099-01-01"}
    assert client.post(url, item_data("f", 1, **row)).status_code == 400
    assert client.post(url, item_data("f", 1, **row, task_0_channel="text")).status_code == 400  # no rules yet
    allow_channels(world_a, "text")
    record_rules(world_a.provider, world_a.person, {"call": "not_allowed"}, how="in_person")
    for channel in ("call", "email", "voicemail", "carrier-pigeon"):
        assert client.post(url, item_data("f", 1, **row, task_0_channel=channel)).status_code == 400, channel
    world_a.plan.refresh_from_db()
    assert world_a.plan.version == 1
    assert FollowUpTask.objects.filter(person=world_a.person).count() == 1  # the world's own task
    assert client.post(url, item_data("f", 1, **row, task_0_channel="text")).status_code == 302
    assert FollowUpTask.objects.filter(person=world_a.person, plan_id=world_a.plan.id).count() == 2


def test_a_follow_up_on_a_channel_forbidden_since_the_page_opened_saves_nothing(
    client: Client, world_a: OrgWorld
) -> None:
    """The channel is checked again when the plan saves: rules changed meanwhile refuse the whole
    save (no plan version, no task)."""
    allow_channels(world_a, "text")
    sign_in(client, world_a.provider)
    url = reverse("plans:item", args=[world_a.plan.id, "follow_up"])
    assert client.get(url).status_code == 200
    record_rules(world_a.provider, world_a.person, {"text": "not_allowed"}, how="phone")
    row = {"task_0_what": "Call", "task_0_due": "2099-01-01", "task_0_channel": "text"}
    assert client.post(url, item_data("f", 1, **row)).status_code == 400
    world_a.plan.refresh_from_db()
    assert world_a.plan.version == 1
    assert FollowUpTask.objects.filter(person=world_a.person).count() == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"rule_voicemail": "yes-please"},
        {"rule_safe_to_contact": "maybe"},
        {"rule_phone_number": "call me maybe"},
        {"rule_phone_number": "1" * 50},
        {"rule_email_address": "not an address"},
    ],
    ids=["permission", "safe-to-contact", "phone-letters", "phone-50-digits", "email"],
)
def test_channel_values_outside_the_list_are_refused(client: Client, world_a: OrgWorld, bad: dict) -> None:
    sign_in(client, world_a.provider)
    good = {"rule_safe_to_contact": "yes", "rule_voicemail": "allowed", "rule_call": "allowed", "rule_text": "allowed"}
    data = item_data("p", 1, **{**good, **bad})
    assert post_item(client, world_a.plan, "permissions", data).status_code == 400
    assert not ContactRules.objects.filter(person=world_a.person).exists()  # nothing written, not even a row
    world_a.plan.refresh_from_db()
    assert world_a.plan.version == 1


def test_rule_fields_change_only_with_a_filled_in_item(client: Client, world_a: OrgWorld) -> None:
    """Rules are saved only when the item is "Filled in"; changing them under another status is refused
    rather than silently dropped."""
    sign_in(client, world_a.provider)
    data = {"version": 1, "status": "declined", "rule_safe_to_contact": "yes", "rule_text": "allowed"}
    assert post_item(client, world_a.plan, "permissions", data).status_code == 400
    assert not ContactRules.objects.filter(person=world_a.person).exists()
    assert post_item(client, world_a.plan, "permissions", {"version": 1, "status": "declined"}).status_code == 302
    assert not ContactRules.objects.filter(person=world_a.person).exists()


def test_rules_changed_since_the_item_was_opened_conflict(world_a: OrgWorld) -> None:
    """Two providers edit the permissions item over the same rules version: the later save shows the
    rules as they are now (409), keeps what was typed, writes nothing, and saves once re-submitted."""
    first, second = sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)
    plan = world_a.plan
    opened = rules_data(world_a.person)  # both pages opened before any rules existed
    one = item_data("p", 1, rule_safe_to_contact="yes", rule_text="allowed", **opened)
    assert first.post(reverse("plans:item", args=[plan.id, "permissions"]), one).status_code == 302
    version = ContactRules.objects.get(person=world_a.person).version
    two = item_data("p", 2, rule_safe_to_contact="yes", rule_email="allowed", **opened)
    response = second.post(reverse("plans:item", args=[plan.id, "permissions"]), two)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Their contact rules changed since you opened this page" in body
    assert f'name="rules_version" value="{version}"' in body
    assert re.search(r'<input type="radio" name="rule_email" value="allowed"[^>]*\bchecked\b', body)  # kept
    rules = ContactRules.objects.get(person=world_a.person)
    assert (rules.text, rules.email, rules.version) == ("allowed", "unknown", version)
    plan.refresh_from_db()
    assert plan.version == 2
    assert AuditEvent.objects.filter(event="contact.rules_conflict", object_id=plan.id).count() == 1
    retry = {**two, "rules_version": version}
    assert second.post(reverse("plans:item", args=[plan.id, "permissions"]), retry).status_code == 302
    rules.refresh_from_db()
    assert (rules.text, rules.email) == ("unknown", "allowed")  # the deliberate second save


def test_concurrent_edit_of_one_section_conflicts_and_keeps_both(world_a: OrgWorld) -> None:
    first = sign_in(Client(), world_a.provider)
    second = sign_in(Client(), world_a.supervisor)
    plan = world_a.plan
    assert (
        save_domain(first, plan, "physical", domain_data(1, [{"text": "Text of the first provider"}])).status_code
        == 302
    )
    response = save_domain(second, plan, "physical", domain_data(1, [{"text": "Text of the second provider"}]))
    body = response.content.decode()
    assert response.status_code == 409
    assert "Text of the first provider" in body and "Text of the second provider" in body
    plan.refresh_from_db()
    assert plan.content[domain_section("physical")]["current"][0]["text"] == "Text of the first provider"
    assert 'name="version" value="2"' in body  # saving again is a deliberate choice over version 2
    retry = save_domain(second, plan, "physical", domain_data(2, [{"text": "Text of the second provider"}]))
    assert retry.status_code == 302
    assert AuditEvent.objects.filter(event="plan.conflict", object_id=plan.id).count() == 1


def test_edits_of_different_sections_both_go_through(world_a: OrgWorld) -> None:
    first = sign_in(Client(), world_a.provider)
    second = sign_in(Client(), world_a.supervisor)
    plan = world_a.plan
    assert save_domain(first, plan, "physical", domain_data(1, [{"text": "Physical step"}])).status_code == 302
    assert save_domain(second, plan, "emotional", domain_data(1, [{"text": "Emotional step"}])).status_code == 302
    plan.refresh_from_db()
    assert plan.version == 3
    assert plan.content[domain_section("physical")]["current"][0]["text"] == "Physical step"
    assert plan.content[domain_section("emotional")]["current"][0]["text"] == "Emotional step"


def test_randomised_concurrent_saves_lose_nothing(world_a: OrgWorld) -> None:
    """Many saves from stale versions: each either lands or conflicts, and no landed text is lost."""
    import random

    rng = random.Random(7)
    clients = [sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)]
    plan = world_a.plan
    landed: dict[str, str] = {}
    lost = 0
    for trial in range(60):
        plan.refresh_from_db()
        base = max(1, plan.version - rng.randint(0, 2))
        domain = rng.choice(DOMAIN_KEYS)
        text = f"trial {trial}"
        response = save_domain(rng.choice(clients), plan, domain, domain_data(base, [{"text": text}]))
        assert response.status_code in (302, 409)
        if response.status_code == 302:
            landed[domain] = text
        plan.refresh_from_db()
        for key, expected in landed.items():
            lost += plan.content[domain_section(key)]["current"][0]["text"] != expected
    assert lost == 0


def test_versions_and_comparison_show_every_domain_and_item(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    version = 1
    for domain in DOMAIN_KEYS:
        data = domain_data(version, [{"text": f"{domain} now"}], [{"text": f"{domain} later"}])
        assert save_domain(client, plan, domain, data).status_code == 302
        version += 1
    for item, fields in FILLED_ITEMS.items():
        assert post_item(client, plan, item, item_data(item, version, **fields)).status_code == 302
        version += 1
    versions = client.get(reverse("plans:versions", args=[plan.id])).content.decode()
    assert versions.count("<tr>") == version + 1  # header row + one per version
    page = client.get(reverse("plans:compare", args=[plan.id]), {"a": 1, "b": version}).content.decode()
    for domain in DOMAIN_KEYS:
        assert f"{domain} now" in page and f"{domain} later" in page
    for item in ITEMS:
        assert str(item.title) in page
    assert "Insulin" in page and "Food bank on Fridays" in page
    # The safe word and battery plan live in the contact rules, not the plan: no version shows them.
    assert "blue" not in page and "Charger at work" not in page
    assert page.count('class="changed"') >= 4 * 2 + 11


@pytest.mark.parametrize("query", [{"a": "0"}, {"a": "99"}, {"b": "-1"}, {"a": "x"}, {"a": "1" * 30}])
def test_comparing_versions_that_do_not_exist_is_400(client: Client, world_a: OrgWorld, query: dict) -> None:
    sign_in(client, world_a.provider)
    assert client.get(reverse("plans:compare", args=[world_a.plan.id]), query).status_code == 400


def test_overview_stage_and_review_date(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    url = reverse("plans:overview", args=[world_a.plan.id])
    assert client.post(url, {"version": 1, "stage": "leaving", "review_on": "2000-01-01"}).status_code == 400
    assert client.post(url, {"version": 1, "stage": "gone", "review_on": ""}).status_code == 400
    assert client.post(url, {"version": 1, "stage": "leaving", "review_on": "2024-02-30"}).status_code == 400
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert client.post(url, {"version": 1, "stage": "leaving", "review_on": today}).status_code == 302
    world_a.plan.refresh_from_db()
    assert world_a.plan.review_on.isoformat() == today
    assert "Review due" in client.get(reverse("plans:detail", args=[world_a.plan.id])).content.decode()
    home = client.get(reverse("core:home")).content.decode()
    assert reverse("plans:detail", args=[world_a.plan.id]) in home


def test_plan_page_keeps_the_three_reminders_in_view(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(reverse("plans:detail", args=[world_a.plan.id])).content.decode()
    for words in ("Consistently check in", "Avoid recreating the wheel", "Follow the individual"):
        assert words in page
    assert "Shift three times" in page
    assert client.post(reverse("plans:check_in", args=[world_a.plan.id])).status_code == 302
    world_a.plan.refresh_from_db()
    assert world_a.plan.last_check_in_at is not None
    assert AuditEvent.objects.filter(event="plan.check_in", object_id=world_a.plan.id).count() == 1


def test_ledger_is_shown_before_a_service_is_added(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(reverse("plans:item", args=[world_a.plan.id, "services"])).content.decode()
    assert "Canary Clinic A" in page
    assert page.index("Canary Clinic A") < page.index('<form method="post" novalidate')


def test_services_ledger_add_edit_and_bad_input(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    url = reverse("referrals:services", args=[world_a.person.id])
    good = {"provider": "Legal Aid", "service": "Visa help", "status": "ongoing", "started_on": "2026-01-05"}
    assert client.post(url, {**good, "form_token": "7f1d1d4e-0000-4000-8000-000000000001"}).status_code == 302
    assert client.post(url, {**good, "form_token": "7f1d1d4e-0000-4000-8000-000000000001"}).status_code == 302
    assert ServiceRecord.objects.filter(person=world_a.person).count() == 2  # world's own + one (double submit)
    for bad in (
        {**good, "ended_on": "2025-01-01"},
        {**good, "status": "maybe"},
        {**good, "provider": "x" * 100_000},
        {**good, "started_on": "2024-02-30"},
        {**good, "service": ""},
    ):
        assert client.post(url, bad).status_code == 400, bad
    assert ServiceRecord.objects.filter(person=world_a.person).count() == 2
    assert "Legal Aid" in client.get(reverse("people:detail", args=[world_a.person.id])).content.decode()


def test_services_ledger_edit_conflict(world_a: OrgWorld) -> None:
    first, second = sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)
    url = reverse("referrals:service_edit", args=[world_a.person.id, world_a.service.id])
    data = {"provider": "Canary Clinic A", "status": "ongoing", "version": 1}
    assert first.post(url, {**data, "service": "First"}).status_code == 302
    response = second.post(url, {**data, "service": "Second"})
    assert (
        response.status_code == 409 and "First" in response.content.decode() and "Second" in response.content.decode()
    )
    world_a.service.refresh_from_db()
    assert world_a.service.service == "First"


def test_task_done_is_audited_and_other_people_tasks_are_404(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    other = Person.objects.create(org=world_a.org, estimated_age=40)
    foreign = FollowUpTask.objects.create(org=world_a.org, person=other, what="x", due_on="2099-01-01")
    assert client.post(reverse("contact:task_done", args=[world_a.plan.id, foreign.id])).status_code == 404
    assert client.post(reverse("contact:task_done", args=[world_a.plan.id, world_a.task.id])).status_code == 302
    world_a.task.refresh_from_db()
    assert world_a.task.status == "done"
    assert AuditEvent.objects.filter(event="task.done", object_id=world_a.task.id).count() == 1


def test_plan_reads_count_as_reads_of_the_record(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    client.get(reverse("plans:detail", args=[world_a.plan.id]))
    assert AuditEvent.objects.filter(event="plan.viewed", object_id=world_a.plan.id).count() == 1
    page = client.get(reverse("people:detail", args=[world_a.person.id])).content.decode()
    assert "Safety plan viewed" in page


def test_contact_rows_are_limited(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    data = item_data("i", 1, **{f"contact_{CONTACT_ROWS}_name": "Hidden extra"}, contact_0_name="Ana")
    assert client.post(reverse("plans:item", args=[world_a.plan.id, "immediate_help"]), data).status_code == 302
    world_a.plan.refresh_from_db()
    assert [c["name"] for c in world_a.plan.content[item_section("immediate_help")]["contacts"]] == ["Ana"]


def test_check_in_prompt_counts_from_the_last_check_in(client: Client, world_a: OrgWorld) -> None:
    import datetime

    from django.utils import timezone

    from waypoint.plans.views import check_in_seconds

    plan = world_a.plan
    assert check_in_seconds(plan) == 600  # the organisation's interval (10 minutes by default)
    plan.last_check_in_at = timezone.now() - datetime.timedelta(minutes=7)
    assert 170 <= check_in_seconds(plan) <= 180
    plan.last_check_in_at = timezone.now() - datetime.timedelta(hours=2)
    assert check_in_seconds(plan) == 1
    sign_in(client, world_a.provider)
    page = client.get(reverse("plans:domain", args=[plan.id, "physical"])).content.decode()
    assert 'id="check-in-prompt" data-check-in-seconds="600"' in page


def test_no_lost_update_in_1000_randomised_trials(world_a: OrgWorld) -> None:
    """Two or three people open sections at random versions and save in random order.  A save either
    lands or conflicts; a landed save never replaces a section that changed after its base version."""
    import random

    from django.db import transaction

    from waypoint.plans.actions import SectionConflict
    from waypoint.plans.actions import write_section as save_section

    rng = random.Random(2026)
    actors = [world_a.provider, world_a.supervisor, world_a.provider]
    plan = world_a.plan
    sections = [domain_section("physical"), domain_section("emotional")]
    landed, conflicts, lost = 0, 0, 0
    for trial in range(1000):
        plan.refresh_from_db()
        base = rng.randint(max(1, plan.version - 3), plan.version)
        section = rng.choice(sections)
        value = {"current": [{"text": f"t{trial}", "idea": "person", "status": "to_do", "due_on": ""}], "future": []}
        try:
            with transaction.atomic():
                saved, _changed = save_section(plan.pk, section, value, base, rng.choice(actors))
        except SectionConflict:
            conflicts += 1
            continue
        landed += 1
        before = PlanVersion.objects.get(plan=plan, number=saved.version - 1).content[section]
        at_base = PlanVersion.objects.get(plan=plan, number=base).content[section]
        lost += before != at_base  # something changed in this section since the saver's version
    print(f"plan saves: {landed} landed, {conflicts} conflicts, {lost} lost updates in 1000 trials")
    assert lost == 0 and landed > 100 and conflicts > 100


def test_plan_shows_on_the_timeline_home_and_record(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    save_domain(client, world_a.plan, "physical", domain_data(1, [{"text": "A step"}]))
    from django.utils import timezone

    task = FollowUpTask.objects.create(
        org=world_a.org, person=world_a.person, plan_id=world_a.plan.id, what="Secret task text", channel="text",
        due_on=timezone.localdate(), assigned_to=world_a.provider,
    )  # fmt: skip
    timeline = client.get(reverse("people:timeline", args=[world_a.person.id])).content.decode()
    assert "Safety plan, version 2" in timeline and reverse("plans:detail", args=[world_a.plan.id]) in timeline
    home = client.get(reverse("core:home")).content.decode()
    assert "Your follow-ups due" in home and world_a.person.reference in home
    assert reverse("contact:task", args=[task.id]) in home
    assert "Secret task text" not in home  # the home page names the record, never the task text
    data = item_data("p", 2, rule_safe_to_contact="yes", rule_voicemail="not_allowed", rule_text="allowed")
    assert post_item(client, world_a.plan, "permissions", data).status_code == 302
    record = client.get(reverse("people:detail", args=[world_a.person.id])).content.decode()
    channels = channel_permissions(record)
    assert channels["voicemail"] == ("not_allowed", "no") and channels["text"] == ("allowed", "yes")
    assert channels["email"] == ("unknown", "no")  # not asked is not allowed

"""Issue 11, item 10 ("small things found"), the plan's part:

a. a resources item not "Filled in" holds nothing (refused with the typed text kept; old data in
   that state is shown as such and never printed);
b. the version comparison says "Unchanged" for unchanged sections and shows only what changed,
   an empty side as "Empty";
c. read-aloud wording with no text in the person's language says so and offers the interpreter;
d. the person's own words are shown where plan steps and items are written;
e. an encounter's four-area assessment and emergency needs are offered as suggestions, one by one,
   never copied, and a used one records where it came from."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import OrgWorld, make_org, sign_in
from tests.test_plans import domain_data, post_item, save_domain
from tests.test_properties import NASTY, SETTINGS, post
from waypoint.contact.models import FollowUpTask
from waypoint.content.models import ContentSet, language_name, read_aloud_scripts, wording_fallback
from waypoint.content.source import IN_PERSON
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import DomainAssessment, EmergencyNeed, Encounter, Mode
from waypoint.plans import actions
from waypoint.plans.actions import ItemRefused
from waypoint.plans.models import PlanVersion, SafetyPlan
from waypoint.plans.spec import ITEM_BY_KEY, MAX_STEPS, ItemStatus, domain_section, item_holds_content, item_section
from waypoint.printing.layout import card_contacts, memorise_choices

CONTACT = {"contact_0_name": "Ana Canary", "contact_0_number": "555-0199"}


def fresh(plan: SafetyPlan) -> SafetyPlan:
    return SafetyPlan.objects.get(pk=plan.pk)


def read_rows(call: Any) -> tuple[Any, int]:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = call()
    return response, AuditEvent.objects.filter(id__gt=last, event__in=audit.read_events()).count()


# --- a. "Not discussed" holds nothing -------------------------------------------------------------


@pytest.mark.parametrize("status", [ItemStatus.NOT_DISCUSSED, ItemStatus.DECLINED])
def test_a_contact_on_an_item_not_filled_in_is_refused_and_kept_on_the_page(
    client: Client, world_a: OrgWorld, status: str
) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    response = post_item(client, plan, "immediate_help", {"version": plan.version, "status": status, **CONTACT})
    body = response.content.decode()
    assert response.status_code == 400
    assert "still holds text" in body and "Filled in" in body
    assert 'value="Ana Canary"' in body and 'value="555-0199"' in body  # nothing typed is lost
    assert fresh(plan).version == plan.version and PlanVersion.objects.filter(plan=plan).count() == 1


def test_a_field_or_a_task_on_an_item_not_discussed_is_refused(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    medication = {"version": plan.version, "status": "not_discussed", "what": "Insulin"}
    assert post_item(client, plan, "medications", medication).status_code == 400
    tasks = FollowUpTask.objects.count()
    task = {"version": plan.version, "status": "not_discussed", "task_0_what": "Call back", "task_0_due": "2099-01-01"}
    response = post_item(client, plan, "follow_up", task)
    assert response.status_code == 400 and "Call back" in response.content.decode()
    assert FollowUpTask.objects.count() == tasks and fresh(plan).version == plan.version


def test_a_filled_in_item_keeps_its_contact_and_an_empty_not_discussed_item_saves(
    client: Client, world_a: OrgWorld
) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    assert post_item(client, plan, "immediate_help", {"version": 1, "status": "filled", **CONTACT}).status_code == 302
    cleared = {"version": 2, "status": "not_discussed"}
    assert post_item(client, plan, "immediate_help", cleared).status_code == 302
    saved = fresh(plan).content[item_section("immediate_help")]
    assert saved["status"] == "not_discussed" and saved["contacts"] == []


def test_the_action_refuses_content_on_an_item_not_filled_in(world_a: OrgWorld) -> None:
    """Whoever calls it (a screen, a command, the API to come), nothing is written."""
    plan, before = world_a.plan, AuditEvent.objects.count()
    value = {"status": "not_discussed", "fields": {}, "contacts": [{"name": "Ana", "number": "", "note": ""}]}
    with pytest.raises(ItemRefused):
        actions.save_item(world_a.provider, plan, "immediate_help", value, plan.version)
    with pytest.raises(ItemRefused):
        empty = {"status": "declined", "fields": {}, "contacts": []}
        tasks = [("Call", plan.created_at.date(), "call", None)]
        actions.save_item(world_a.provider, plan, "follow_up", empty, plan.version, tasks)
    assert fresh(plan).version == plan.version and AuditEvent.objects.count() == before


PART = st.one_of(st.just(""), st.just("  "), st.text(max_size=8))
ITEM_VALUE = st.fixed_dictionaries(
    {
        "status": st.sampled_from(ItemStatus.values),
        "fields": st.dictionaries(st.sampled_from(["notes", "what", "where"]), PART, max_size=3),
        "contacts": st.lists(st.fixed_dictionaries({"name": PART, "number": PART, "note": PART}), max_size=3),
    }
)


@pytest.fixture
def world_p(db: Any) -> dict[str, OrgWorld]:
    return {"world": make_org("p")}  # in a dict: Hypothesis probes its arguments' attributes


@SETTINGS
@given(value=ITEM_VALUE)
def test_no_item_is_ever_saved_not_filled_in_yet_holding_text(
    world_p: dict[str, OrgWorld], value: dict[str, Any]
) -> None:
    """Over any item state: the save is refused exactly when the item is not filled in and holds
    text, and whatever is stored keeps the rule."""
    world = world_p["world"]
    plan = fresh(world.plan)
    refused = value["status"] != ItemStatus.FILLED and item_holds_content(value)
    try:
        actions.save_item(world.provider, plan, "immediate_help", value, plan.version)
    except ItemRefused:
        assert refused
    else:
        assert not refused
    stored = fresh(plan).content[item_section("immediate_help")]
    assert stored["status"] == ItemStatus.FILLED or not item_holds_content(stored)


def stale_item(world: OrgWorld) -> SafetyPlan:
    """An item saved before the rule: "Not discussed", yet holding a contact."""
    contact = {"name": "Ana Canary", "number": "555-0199", "note": ""}
    value = {"status": "not_discussed", "fields": {"notes": "Old note"}, "contacts": [contact]}
    with transaction.atomic():
        plan, _changed = actions.write_section(
            world.plan.pk, item_section("immediate_help"), value, world.plan.version, world.provider
        )
    return plan


def test_old_data_not_discussed_but_holding_a_contact_is_shown_as_such_and_never_carried(
    client: Client, world_a: OrgWorld
) -> None:
    plan = stale_item(world_a)
    sign_in(client, world_a.provider)
    detail = client.get(reverse("plans:detail", args=[plan.id])).content.decode()
    assert 'data-stale="immediate_help"' in detail and "Ana Canary" in detail and "It is not printed" in detail
    item = client.get(reverse("plans:item", args=[plan.id, "immediate_help"])).content.decode()
    assert 'data-stale="immediate_help"' in item and 'value="Ana Canary"' in item
    # Neither the wallet card nor the things to remember take contacts from an item not filled in.
    assert card_contacts(plan.content) == []
    assert [key for key, _text in memorise_choices(plan.content)] == ["hotline"]
    # Saving it unchanged is refused until they choose: keep it (filled in) or clear it.
    kept = {"version": plan.version, "status": "not_discussed", "notes": "Old note", **CONTACT}
    assert post_item(client, plan, "immediate_help", kept).status_code == 400
    assert post_item(client, plan, "immediate_help", {**kept, "status": "filled"}).status_code == 302
    assert card_contacts(fresh(plan).content)[0]["name"] == "Ana Canary"


# --- b. The comparison says "Unchanged" ------------------------------------------------------------


def test_comparison_shows_only_what_changed_and_says_unchanged_for_the_rest(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    assert save_domain(client, plan, "physical", domain_data(1, [{"text": "Keep the clinic card"}])).status_code == 302
    page = client.get(reverse("plans:compare", args=[plan.id]), {"a": 1, "b": 2}).content.decode()
    assert "No steps" not in page
    changed = re.findall(r'data-section="([^"]+)" data-changed="yes"', page)
    unchanged = re.findall(r'data-section="([^"]+)" data-changed="no"', page)
    assert changed == [domain_section("physical")]
    assert len(unchanged) == 1 + 3 + 11 and domain_section("emotional") in unchanged
    assert "Emotional safety: unchanged" in page
    section = page.split('data-changed="yes"')[1].split("</section>")[0]
    assert section.count('<tr class="changed">') == 1  # current changed; future (empty on both) is not a row
    assert 'data-empty="old"' in section and "1. Keep the clinic card" in section
    assert "1 other field unchanged." in section


def test_comparing_a_version_with_itself_says_nothing_changed(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(reverse("plans:compare", args=[world_a.plan.id]), {"a": 1, "b": 1}).content.decode()
    assert "Nothing changed between these versions." in page
    assert 'data-changed="yes"' not in page and page.count('data-changed="no"') == 16


# --- c. Read-aloud wording in a language with none ----------------------------------------------


def test_scripts_say_when_they_fall_back_to_english(world_a: OrgWorld) -> None:
    spanish = read_aloud_scripts(world_a.org.id, "es", "en")["check_in"]
    assert spanish["fallback"] is False and spanish["lang"] == "es"
    portuguese = read_aloud_scripts(world_a.org.id, "pt", "en")["check_in"]
    assert portuguese["fallback"] is True and portuguese["lang"] == "en" and portuguese["wanted"] == "pt"
    assert portuguese["wanted_name"] == "Portuguese" and portuguese["theirs"] == portuguese["ours"]
    assert language_name("other") == "their language" and language_name("xx") == "their language"


def test_questions_say_when_any_falls_back_to_english(world_a: OrgWorld) -> None:
    """For the safety check's questions (``wording_fallback`` over ``ContentSet.lines``)."""
    questions = ContentSet.current(world_a.org.id, IN_PERSON)
    assert wording_fallback(questions.lines("es"), "es") is None
    assert wording_fallback(questions.lines("vi"), "vi") == {"wanted": "vi", "wanted_name": "Vietnamese"}
    assert {line.language for line in questions.lines("vi")} == {"en"}


def set_language(world: OrgWorld, code: str) -> None:
    world.person.preferred_language = code
    world.person.save()
    Encounter.objects.filter(pk=world.encounter.pk).update(language=code)


def test_the_encounter_page_says_no_wording_and_offers_the_interpreter(client: Client, world_a: OrgWorld) -> None:
    set_language(world_a, "pt")
    sign_in(client, world_a.provider)
    page = client.get(reverse("encounters:detail", args=[world_a.encounter.id])).content.decode()
    assert "No wording in Portuguese: shown in English." in page and 'data-fallback="pt"' in page
    assert reverse("encounters:gate", args=[world_a.encounter.id]) in page
    set_language(world_a, "es")
    page = client.get(reverse("encounters:detail", args=[world_a.encounter.id])).content.decode()
    assert "data-fallback" not in page and "No wording in" not in page


def test_the_plan_page_says_no_wording_and_offers_the_interpreter(client: Client, world_a: OrgWorld) -> None:
    set_language(world_a, "other")
    Encounter.objects.filter(pk=world_a.encounter.pk).update(closed_at=world_a.encounter.started_at)
    sign_in(client, world_a.provider, language="es")
    page = client.get(reverse("plans:detail", args=[world_a.plan.id])).content.decode()
    assert 'data-fallback="other"' in page and '<html lang="es">' in page
    assert reverse("people:edit", args=[world_a.person.id]) in page  # no open encounter: the record's setting


# --- d. Their words where steps are written ------------------------------------------------------


def test_their_words_are_offered_on_the_step_and_item_pages(client: Client, world_a: OrgWorld) -> None:
    world_a.person.their_words = "the boss = the man who holds her passport\nthe house"
    world_a.person.save()
    sign_in(client, world_a.provider)
    query = {"encounter": str(world_a.encounter.id)}
    for url in (
        reverse("plans:domain", args=[world_a.plan.id, "physical"]),
        reverse("plans:item", args=[world_a.plan.id, "support_network"]),
    ):
        page = client.get(url, query).content.decode()
        assert "<dt>the boss</dt><dd>the man who holds her passport</dd>" in page and "<dt>the house</dt>" in page
        assert reverse("encounters:detail", args=[world_a.encounter.id]) in page  # back to the encounter


# --- e. Suggestions from the encounter ----------------------------------------------------------


def assess(world: OrgWorld) -> Encounter:
    encounter = world.encounter
    DomainAssessment.objects.create(encounter=encounter, domain="physical", level="some", note="Bruised wrist")
    DomainAssessment.objects.create(encounter=encounter, domain="emotional", level="none", note="")
    EmergencyNeed.objects.create(encounter=encounter, kind="medications", note="Inhaler ran out")
    EmergencyNeed.objects.create(encounter=encounter, kind="shelter", note="")
    return encounter


def domain_url(world: OrgWorld, domain: str = "physical") -> str:
    return reverse("plans:domain", args=[world.plan.id, domain])


def test_suggestions_are_offered_never_copied(client: Client, world_a: OrgWorld) -> None:
    encounter = assess(world_a)
    sign_in(client, world_a.provider)
    page = client.get(domain_url(world_a), {"encounter": str(encounter.id)}).content.decode()
    assert "Physical safety, some concern: Bruised wrist" in page
    assert "Emergency need: Medications: Inhaler ran out" in page
    assert 'value="current|assessment:physical"' in page and 'value="future|need:medications"' in page
    assert "Shelter" not in page  # shelter belongs to environmental safety
    assert "Bruised wrist</textarea>" not in page  # offered, not put in a row
    detail = client.get(reverse("plans:detail", args=[world_a.plan.id])).content.decode()
    assert 'data-suggestion="need:shelter"' in detail and 'data-suggestion="assessment:emotional"' not in detail
    assert fresh(world_a.plan).version == 1  # nothing copied by looking


def test_using_a_suggestion_fills_a_row_unsaved_and_keeps_what_was_typed(client: Client, world_a: OrgWorld) -> None:
    encounter = assess(world_a)
    sign_in(client, world_a.provider)
    data = {
        **domain_data(1, [{"text": "Typed before"}]),
        "encounter": str(encounter.id),
        "use": "current|assessment:physical",
    }
    response, reads = read_rows(lambda: client.post(domain_url(world_a), data))
    body = response.content.decode()
    assert response.status_code == 200 and reads == 1
    assert "Typed before</textarea>" in body and "Bruised wrist</textarea>" in body
    assert f'value="{encounter.id}/assessment:physical"' in body and 'id="suggestion-added"' in body
    assert fresh(world_a.plan).version == 1 and PlanVersion.objects.filter(plan=world_a.plan).count() == 1
    # The provider chooses whose idea it is and saves: the step keeps where it came from.
    source = f"{encounter.id}/assessment:physical"
    steps = [{"text": "Typed before"}, {"text": "Bruised wrist", "idea": "together", "source": source}]
    saved = {**domain_data(1, steps), "encounter": str(encounter.id)}
    response = client.post(domain_url(world_a), saved)
    assert response.status_code == 302 and response["Location"].endswith(f"?encounter={encounter.id}")
    current = fresh(world_a.plan).content[domain_section("physical")]["current"]
    assert current[1] == {
        "text": "Bruised wrist", "idea": "together", "status": "to_do", "due_on": "",
        "source": f"{encounter.id}/assessment:physical",
    }  # fmt: skip
    assert "source" not in current[0]
    page = client.get(domain_url(world_a), {"encounter": str(encounter.id)}).content.decode()
    assert 'data-suggestion="assessment:physical" data-domain="physical" data-used="yes"' in page
    detail = client.get(reverse("plans:detail", args=[world_a.plan.id])).content.decode()
    assert "From an encounter" in detail


def test_a_suggestion_without_a_choice_of_whose_idea_is_not_saved(client: Client, world_a: OrgWorld) -> None:
    encounter = assess(world_a)
    sign_in(client, world_a.provider)
    steps = [{"text": "Bruised wrist", "idea": "", "source": f"{encounter.id}/assessment:physical"}]
    response = client.post(domain_url(world_a), domain_data(1, steps))
    assert response.status_code == 400 and "Say whose idea this step is." in response.content.decode()
    assert fresh(world_a.plan).version == 1


@pytest.mark.parametrize(
    "use", ["current|assessment:emotional", "later|assessment:physical", "current|need:nothing", "|"]
)
def test_a_suggestion_that_is_not_there_adds_nothing_and_keeps_the_typing(
    client: Client, world_a: OrgWorld, use: str
) -> None:
    encounter = assess(world_a)
    sign_in(client, world_a.provider)
    data = {**domain_data(1, [{"text": "Typed before"}]), "encounter": str(encounter.id), "use": use}
    response, reads = read_rows(lambda: client.post(domain_url(world_a), data))
    body = response.content.decode()
    assert response.status_code == 400 and reads == 1 and 'id="use-error"' in body and "Typed before</textarea>" in body
    assert fresh(world_a.plan).version == 1


def test_a_suggestion_with_no_row_left_adds_nothing(client: Client, world_a: OrgWorld) -> None:
    encounter = assess(world_a)
    sign_in(client, world_a.provider)
    full = [{"text": f"Step {n}"} for n in range(MAX_STEPS)]
    data = {**domain_data(1, full), "encounter": str(encounter.id), "use": "current|assessment:physical"}
    response = client.post(domain_url(world_a), data)
    assert response.status_code == 400 and "no empty row left" in response.content.decode()


def test_another_organisations_encounter_suggests_nothing_and_cannot_be_named_as_a_source(
    client: Client, world_a: OrgWorld, world_b: OrgWorld
) -> None:
    assess(world_b)
    Encounter.objects.filter(pk=world_a.encounter.pk).update(closed_at=world_a.encounter.started_at)
    sign_in(client, world_a.provider)
    page = client.get(domain_url(world_a), {"encounter": str(world_b.encounter.id)}).content.decode()
    assert "Bruised wrist" not in page and "data-encounter=" not in page  # (the id typed is only echoed back)
    steps = [{"text": "Bruised wrist", "source": f"{world_b.encounter.id}/assessment:physical"}]
    response = client.post(domain_url(world_a), domain_data(1, steps))
    assert response.status_code == 400 and "not this person" in response.content.decode()
    bad = [{"text": "x", "source": "not-a-source"}]
    assert client.post(domain_url(world_a), domain_data(1, bad)).status_code == 400
    assert fresh(world_a.plan).version == 1
    # Another organisation's plan stays a plain 404, encounter or not.
    other = reverse("plans:domain", args=[world_b.plan.id, "physical"])
    assert client.get(other, {"encounter": str(world_b.encounter.id)}).status_code == 404


def test_an_open_encounter_is_offered_without_naming_it_and_a_new_plan_opens_with_it(
    client: Client, world_a: OrgWorld
) -> None:
    assess(world_a)
    sign_in(client, world_a.provider)
    page = client.get(domain_url(world_a)).content.decode()
    assert "Bruised wrist" in page  # their encounter still open
    person = world_a.person.__class__.objects.create(org=world_a.org, estimated_age=30)
    encounter = Encounter.objects.create(org=world_a.org, person=person, mode=Mode.PHONE, lead=world_a.provider)
    response = client.post(reverse("plans:for_person", args=[person.id]), {"encounter": str(encounter.id)})
    assert response["Location"].endswith(f"?encounter={encounter.id}")


DOMAIN_FIELDS = [
    "use", "encounter", "version", "current-TOTAL_FORMS", "current-INITIAL_FORMS",
    "current-0-text", "current-0-idea", "current-0-source", "current-0-status",
]  # fmt: skip


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(DOMAIN_FIELDS), st.one_of(NASTY, st.just(str(uuid.uuid4()))), max_size=9))
def test_using_suggestions_never_errors_and_never_saves(world_p: dict[str, OrgWorld], data: dict[str, str]) -> None:
    """Whatever else is posted with a "use" button, the answer is a page and nothing is saved (an
    empty "use" is an ordinary save, which may go through)."""
    world = world_p["world"]
    client = sign_in(Client(), world.provider)
    before = fresh(world.plan).content_json
    response = post(client, f"/plans/{world.plan.id}/domains/physical/", {"use": "current|assessment:physical", **data})
    assert response.status_code in (200, 400) or (response.status_code == 302 and not data.get("use"))
    if response.status_code != 302:
        assert fresh(world.plan).content_json == before


def test_item_specs_unchanged() -> None:
    assert ITEM_BY_KEY["immediate_help"].contacts is not None

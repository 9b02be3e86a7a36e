"""Encounters: start, privacy gate, confidentiality, safety checks stored against their content
version and only as far as the person agrees, comfort log, skip/pause, close and lock."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.contact.actions import record_rules
from waypoint.contact.guard import may_use
from waypoint.contact.models import CHANNELS, ContactRules, FollowUpTask
from waypoint.contact.rules import FIELDS
from waypoint.content.models import ContentSet
from waypoint.content.source import CONTENT, IN_PERSON, PHONE
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import (
    Amendment,
    ChildProtectionReport,
    ComfortEvent,
    DomainAssessment,
    EmergencyNeed,
    Encounter,
    Mode,
    SafetyAnswer,
    StepState,
)
from waypoint.orgs.models import Role


def start(client: Client, world: OrgWorld, mode: str = "in_person") -> Encounter:
    response = client.post(
        f"/people/{world.person.id}/encounters/new/", {"mode": mode, "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 302
    return Encounter.objects.get(pk=response["Location"].split("/")[2])


def pass_gate(client: Client, encounter: Encounter) -> None:
    data = {"gate": "alone", "interpreter": "not_needed", "gender_preference_offered": "on"}
    assert client.post(f"/encounters/{encounter.id}/privacy/", data).status_code == 302


def confirm_confidentiality(client: Client, encounter: Encounter) -> None:
    assert client.post(f"/encounters/{encounter.id}/confidentiality/").status_code == 302


def test_source_wording_is_loaded_word_for_word(db: None) -> None:
    for kind in (IN_PERSON, PHONE):
        content = ContentSet.current(uuid.uuid4(), kind)
        assert content.version == 1 and content.org_id is None
        english = [line.text for line in content.lines("en")]
        assert english == [text for _key, text, _es in CONTENT[kind]]
        assert all(line.language == "es" for line in content.lines("es"))
    assert len(CONTENT[IN_PERSON]) == 4 and len(CONTENT[PHONE]) == 6


def test_start_in_person_encounter(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    assert encounter.lead == world_a.provider and encounter.mode == Mode.IN_PERSON
    assert encounter.language == world_a.person.preferred_language
    assert AuditEvent.objects.filter(event="encounter.started", object_id=encounter.id).count() == 1
    home = as_provider.get("/").content.decode()
    assert f"/encounters/{encounter.id}/" in home


def test_double_submit_starts_one_encounter(as_provider: Client, world_a: OrgWorld) -> None:
    data = {"mode": "phone", "form_token": str(uuid.uuid4())}
    first = as_provider.post(f"/people/{world_a.person.id}/encounters/new/", data)
    second = as_provider.post(f"/people/{world_a.person.id}/encounters/new/", data)
    assert first["Location"] == second["Location"]
    assert Encounter.objects.filter(mode="phone").count() == 1


def test_safety_check_locked_until_gate_and_confidentiality(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    url = f"/encounters/{encounter.id}/safety-check/"
    assert as_provider.get(url).status_code == 302
    assert as_provider.post(url, {"danger_here__answer": "yes"}).status_code == 302  # posting ahead is refused
    assert not SafetyAnswer.objects.exists()
    pass_gate(as_provider, encounter)
    assert as_provider.get(url).status_code == 302
    confirm_confidentiality(as_provider, encounter)
    assert as_provider.get(url).status_code == 200


def test_gate_not_possible_needs_a_reason(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    response = as_provider.post(
        f"/encounters/{encounter.id}/privacy/", {"gate": "not_possible", "interpreter": "not_needed"}
    )
    assert response.status_code == 200 and b"why seeing them alone is not possible" in response.content
    encounter.refresh_from_db()
    assert encounter.gate == ""
    response = as_provider.post(
        f"/encounters/{encounter.id}/privacy/",
        {"gate": "not_possible", "gate_reason": "companion would not leave", "interpreter": "professional"},
    )
    encounter.refresh_from_db()
    assert encounter.gate_passed and encounter.gate_reason == "companion would not leave"


def test_not_alone_keeps_assessment_locked(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    as_provider.post(f"/encounters/{encounter.id}/privacy/", {"gate": "not_alone", "interpreter": "not_needed"})
    confirm_confidentiality(as_provider, encounter)
    assert as_provider.get(f"/encounters/{encounter.id}/safety-check/").status_code == 302


def test_answers_kept_only_with_consent_and_against_their_version(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    pass_gate(as_provider, encounter)
    confirm_confidentiality(as_provider, encounter)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    data = {
        "content_set": str(content.id),
        "danger_here__answer": "no",
        "danger_here__consented": "on",
        "danger_here__note": "feels safe in this room",
        "feel_safer__answer": "yes",  # asked, not agreed to be written down
        "take_resources__answer": "declined",
        "take_resources__consented": "on",
    }
    assert as_provider.post(f"/encounters/{encounter.id}/safety-check/", data).status_code == 302
    answers = {a.question_key: a for a in SafetyAnswer.objects.filter(encounter=encounter)}
    assert answers["danger_here"].answer == "no" and answers["danger_here"].note == "feels safe in this room"
    assert answers["danger_here"].content_set == content
    assert answers["feel_safer"].answer == "" and not answers["feel_safer"].consented  # only that it was asked
    assert answers["take_resources"].answer == "declined"
    assert "contact_after" not in answers
    assert encounter.step_status()["safety_check"].status == "done"  # the step is encrypted


def test_note_without_consent_is_refused(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    pass_gate(as_provider, encounter)
    confirm_confidentiality(as_provider, encounter)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    data = {"content_set": str(content.id), "danger_here__answer": "no", "danger_here__note": "something"}
    response = as_provider.post(f"/encounters/{encounter.id}/safety-check/", data)
    assert response.status_code == 400 and b"Only write a note if they agree" in response.content
    assert not SafetyAnswer.objects.exists()


def test_answers_for_another_version_are_refused(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    pass_gate(as_provider, encounter)
    confirm_confidentiality(as_provider, encounter)
    data = {"content_set": str(uuid.uuid4()), "danger_here__answer": "no", "danger_here__consented": "on"}
    response = as_provider.post(f"/encounters/{encounter.id}/safety-check/", data)
    assert response.status_code == 302
    assert not SafetyAnswer.objects.exists()


def test_phone_check_starts_with_the_hang_up_reminder(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a, mode="phone")
    assert encounter.gate_passed  # no waiting room on the phone
    body = as_provider.get(f"/encounters/{encounter.id}/safe-to-talk/").content.decode()
    assert body.index("free to hang up") < body.index("Is it safe for you to speak with me right now?")
    safe_to_talk(as_provider, encounter)
    confirm_confidentiality(as_provider, encounter)
    body = as_provider.get(f"/encounters/{encounter.id}/safety-check/").content.decode()
    for _key, english, _es in CONTENT[PHONE]:
        assert english.split("?")[0] in body


def test_read_aloud_in_the_persons_language_beside_the_providers(world_a: OrgWorld) -> None:
    world_a.person.preferred_language = "es"
    world_a.person.save()
    client = sign_in(Client(), world_a.provider)
    encounter = start(client, world_a)
    body = client.get(f"/encounters/{encounter.id}/confidentiality/").content.decode()
    assert 'lang="es"' in body and "Antes de hablar" in body and "Before we talk" in body


def test_comfort_log_and_skip_with_reason(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    as_provider.post(f"/encounters/{encounter.id}/comfort/", {"kind": "water"})
    as_provider.post(f"/encounters/{encounter.id}/comfort/", {"kind": "bogus"})
    assert list(ComfortEvent.objects.values_list("kind", flat=True)) == ["water"]
    as_provider.post(f"/encounters/{encounter.id}/steps/confidentiality/", {"status": "skipped", "reason": ""})
    assert not StepState.objects.exists()
    as_provider.post(
        f"/encounters/{encounter.id}/steps/confidentiality/", {"status": "paused", "reason": "needs a break"}
    )
    state = StepState.objects.get(encounter=encounter)
    assert state.status == "paused" and state.reason == "needs a break"
    as_provider.post(f"/encounters/{encounter.id}/steps/not-a-step/", {"status": "skipped", "reason": "x"})
    assert StepState.objects.count() == 1


def test_close_locks_the_encounter(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    assert as_provider.get(f"/encounters/{encounter.id}/close/").status_code == 200
    assert as_provider.post(f"/encounters/{encounter.id}/close/").status_code == 302
    encounter.refresh_from_db()
    closed_at = encounter.closed_at
    assert closed_at is not None
    assert as_provider.post(f"/encounters/{encounter.id}/close/").status_code == 302  # closing twice changes nothing
    encounter.refresh_from_db()
    assert encounter.closed_at == closed_at
    as_provider.post(f"/encounters/{encounter.id}/comfort/", {"kind": "water"})
    as_provider.post(f"/encounters/{encounter.id}/privacy/", {"gate": "alone", "interpreter": "not_needed"})
    encounter.refresh_from_db()
    assert not ComfortEvent.objects.exists() and encounter.gate == ""
    assert AuditEvent.objects.filter(event="encounter.closed", object_id=encounter.id).count() == 1


def test_encounter_reads_are_audited_and_on_the_timeline(as_provider: Client, world_a: OrgWorld) -> None:
    before = AuditEvent.objects.filter(event="encounter.viewed").count()
    as_provider.get(f"/encounters/{world_a.encounter.id}/")
    assert AuditEvent.objects.filter(event="encounter.viewed").count() == before + 1
    timeline = as_provider.get(f"/people/{world_a.person.id}/timeline/").content.decode()
    assert f"/encounters/{world_a.encounter.id}/" in timeline


@pytest.mark.parametrize("role", ["front_desk", "auditor", "org_admin"])
def test_roles_without_records_get_404(world_a: OrgWorld, role: str) -> None:
    client = sign_in(Client(), world_a.staff[Role(role)])
    assert client.get(f"/encounters/{world_a.encounter.id}/").status_code == 404


def test_assessment_four_domains(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    url = f"/encounters/{encounter.id}/assessment/"
    assert as_provider.get(url).status_code == 302  # locked by the privacy gate
    pass_gate(as_provider, encounter)
    data = {
        "physical__level": "some",
        "physical__note": "wrist hurts",
        "emotional__level": "urgent",
        "communication__level": "bogus",
    }
    assert as_provider.post(url, data).status_code == 400
    assert not DomainAssessment.objects.exists()
    del data["communication__level"]
    assert as_provider.post(url, data).status_code == 302
    rows = {row.domain: row for row in DomainAssessment.objects.filter(encounter=encounter)}
    assert set(rows) == {"physical", "communication", "environmental", "emotional"}
    assert rows["physical"].level == "some" and rows["physical"].note == "wrist hurts"
    assert rows["environmental"].level == ""


def test_emergency_needs(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    pass_gate(as_provider, encounter)
    url = f"/encounters/{encounter.id}/needs/"
    assert as_provider.post(url, {"shelter__note": "tonight"}).status_code == 400  # a note without the need
    assert (
        as_provider.post(url, {"shelter__needed": "on", "shelter__note": "tonight", "medications__needed": "on"})[
            "Location"
        ]
        == f"/encounters/{encounter.id}/#next-step"  # back on the step list, at the next step
    )
    assert sorted(EmergencyNeed.objects.values_list("kind", flat=True)) == ["medications", "shelter"]
    as_provider.post(url, {"medications__needed": "on"})
    assert list(EmergencyNeed.objects.values_list("kind", flat=True)) == ["medications"]


def test_adult_consent_and_hotline_card(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    assert "consent" in encounter.steps() and "minor" not in encounter.steps()
    assert as_provider.get(f"/encounters/{encounter.id}/child-protection/").status_code == 404
    as_provider.post(f"/encounters/{encounter.id}/consent/", {"consent": "declined"})
    as_provider.post(f"/encounters/{encounter.id}/hotline-card/", {"education": "unsafe"})
    encounter.refresh_from_db()
    assert encounter.consent == "declined" and encounter.education == "unsafe"
    page = as_provider.get(f"/encounters/{encounter.id}/hotline-card/").content.decode()
    assert "1-888-373-7888" in page and "233733" in page


def test_minor_cannot_close_without_child_protection_step(world_a: OrgWorld) -> None:
    world_a.person.estimated_age = 15
    world_a.person.save()
    client = sign_in(Client(), world_a.provider)
    encounter = start(client, world_a)
    assert encounter.is_minor and "minor" in encounter.steps() and "consent" not in encounter.steps()
    assert client.post(f"/encounters/{encounter.id}/close/").status_code == 302
    encounter.refresh_from_db()
    assert encounter.closed_at is None
    url = f"/encounters/{encounter.id}/child-protection/"
    assert client.post(url, {}).status_code == 400
    both = {"agency": "County CPS", "reported_at": "2026-11-23T10:00", "deferred_reason": "x"}
    assert client.post(url, both).status_code == 400
    future = {"agency": "County CPS", "reported_at": "2999-01-01T10:00"}
    assert client.post(url, future).status_code == 400
    told = {"agency": "County CPS", "reported_at": "2026-11-23T10:00", "told_first": "on"}
    assert client.post(url, told).status_code == 400  # who told them?
    good = {**told, "told_by": "the provider", "reference": "R-123"}
    assert client.post(url, good).status_code == 302
    report = ChildProtectionReport.objects.get(encounter=encounter)
    assert report.reference == "R-123" and report.told_first
    assert client.post(f"/encounters/{encounter.id}/close/").status_code == 302
    encounter.refresh_from_db()
    assert encounter.closed_at is not None


def test_deferred_child_protection_step_allows_close(world_a: OrgWorld) -> None:
    world_a.person.estimated_age = 16
    world_a.person.save()
    client = sign_in(Client(), world_a.provider)
    encounter = start(client, world_a)
    client.post(f"/encounters/{encounter.id}/child-protection/", {"deferred_reason": "supervisor calling CPS now"})
    client.post(f"/encounters/{encounter.id}/close/")
    encounter.refresh_from_db()
    assert encounter.closed_at is not None


def safe_to_talk(client: Client, encounter: Encounter, answer: str = "yes") -> str:
    """On a call, the first screen: one click on what they said; returns where it went."""
    content = ContentSet.current(encounter.org_id, PHONE)
    data = {"content_set": str(content.id), "answer": answer}
    response = client.post(f"/encounters/{encounter.id}/safe-to-talk/", data)
    assert response.status_code == 302
    return str(response["Location"])


def phone_ready(client: Client, world: OrgWorld) -> tuple[Encounter, ContentSet]:
    encounter = start(client, world, mode="phone")
    safe_to_talk(client, encounter)
    confirm_confidentiality(client, encounter)
    return encounter, ContentSet.current(world.org.id, PHONE)


def test_not_safe_to_talk_switches_to_cover_and_records_callback(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a, mode="phone")
    location = safe_to_talk(as_provider, encounter, "no")  # the first screen of a call
    assert location == f"/encounters/{encounter.id}/not-safe-to-talk/"
    page = as_provider.get(location).content.decode()
    assert "wrong number" in page and "do not say who you are" in page
    assert 'id="no-channel"' in page and 'name="channel"' not in page  # no rules: no channel can be offered
    as_provider.post(location, {"callback_plan": "Thursday after 6, text first"})
    encounter.refresh_from_db()
    assert encounter.callback_plan == "Thursday after 6, text first"
    assert encounter.step_status()["safety_check"].status == "paused"
    # Still a follow-up (review gap 3): one with no channel; their words stay on the call, and the
    # follow-up's page shows them to the assigned staff and supervisors (second review, finding 3).
    (task,) = FollowUpTask.objects.filter(person=world_a.person).exclude(pk=world_a.task.pk)
    assert task.channel == "" and task.id == encounter.callback_task_id and "Thursday after 6" not in task.what
    page = as_provider.get(f"/follow-ups/{task.id}/").content.decode()
    assert "Thursday after 6, text first" in page and 'id="callback-words"' in page


def test_not_safe_to_talk_schedules_a_follow_up_only_on_an_allowed_channel(
    as_provider: Client, world_a: OrgWorld
) -> None:
    """The callback form offers only the channels the rules allow; choosing one makes a follow-up
    (source "callback") for the chosen day; a channel they did not allow is refused, nothing saved."""
    record_rules(world_a.provider, world_a.person, {"safe_to_contact": "yes", "text": "allowed"}, how="phone")
    encounter = start(as_provider, world_a, mode="phone")
    url = safe_to_talk(as_provider, encounter, "no")
    page = as_provider.get(url).content.decode()
    assert 'value="text"' in page and 'value="call"' not in page and 'value="voicemail"' not in page
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    for refused in ({"channel": "call", "due_on": tomorrow}, {"channel": "text", "due_on": "2000-01-01"}):
        assert as_provider.post(url, {"callback_plan": "Later", **refused}).status_code == 400
    assert FollowUpTask.objects.filter(person=world_a.person).count() == 1  # the world's own task only
    encounter.refresh_from_db()
    assert encounter.callback_plan == ""
    chosen = {"callback_plan": "Text after 6", "channel": "text", "due_on": tomorrow}
    assert as_provider.post(url, chosen).status_code == 302
    (task,) = [t for t in FollowUpTask.objects.filter(person=world_a.person) if t.source == "callback"]
    assert (task.channel, task.due_on.isoformat(), task.assigned_to_id) == ("text", tomorrow, world_a.provider.id)
    assert AuditEvent.objects.filter(event="task.added", object_id=task.id).count() == 1


def test_phone_answers_become_contact_rules(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, content = phone_ready(as_provider, world_a)
    data = {
        "content_set": str(content.id),
        "safe_to_talk__answer": "yes",
        "safe_to_talk__consented": "on",
        "disconnection__consented": "on",
        "disconnection__on_disconnect": "call_back",
        "disconnection__call_back_after": "60",
        "disconnection__perm_call": "allowed",
        "disconnection__perm_voicemail": "not_allowed",
        "disconnection__note": "text 'pizza' and wait",
        "someone_on_line__consented": "on",
        "someone_on_line__someone_answers": "other",
        "someone_on_line__someone_answers_words": "say you are from the pharmacy",
        "someone_on_line__cover_name": "Sam",
        "where_are_you__answer": "yes",
        "where_are_you__note": "",
    }
    assert as_provider.post(f"/encounters/{encounter.id}/safety-check/", data)["Location"] == (
        f"/encounters/{encounter.id}/#next-step"  # back on the step list, at the next step
    )
    rules = ContactRules.objects.get(person=world_a.person)
    assert (rules.on_disconnect, rules.call_back_after) == ("call_back", 60)
    assert (rules.call, rules.voicemail) == ("allowed", "not_allowed")
    assert (rules.someone_answers, rules.someone_answers_words) == ("other", "say you are from the pharmacy")
    assert rules.cover_name == "Sam" and rules.identify_as == ""  # the cover for others, not how we introduce us
    assert rules.source_encounter_id == encounter.id and rules.changed_by_id == world_a.provider.id
    assert rules.confirmed_at is None  # answering some questions confirms nothing else
    # The free-text note is kept with the answer only; it becomes no rule.
    values = {name: getattr(rules, name) for name in FIELDS}
    assert "text 'pizza' and wait" not in repr(values) and rules.to_confirm == {}
    # Not agreed to be written down: where they are, and whether they are safe there, stay unrecorded;
    # nothing was said about contact after today, so no channel may be used yet.
    assert (rules.whereabouts, rules.whereabouts_safe) == ("", "unknown")
    assert rules.safe_to_contact == "not_asked" and not may_use(rules, "call")
    page = as_provider.get(f"/people/{world_a.person.id}/").content.decode()
    assert "say you are from the pharmacy" in page
    assert "Do not call back: calls are not allowed now" in page  # the plan said call back; the rules forbid calls
    record_rules(world_a.provider, world_a.person, {"safe_to_contact": "yes"})
    page = as_provider.get(f"/people/{world_a.person.id}/").content.decode()
    assert "We call back" in page and "after 1 hour" in page.lower()


def test_rule_parts_need_consent_and_must_agree_with_each_other(as_provider: Client, world_a: OrgWorld) -> None:
    """A part recorded without their agreement, a call-back plan without calls allowed, a call-back time
    with another plan, or "something else" without their words: the form again, nothing written."""
    encounter, content = phone_ready(as_provider, world_a)
    base = {"content_set": str(content.id), "safe_to_talk__answer": "yes", "safe_to_talk__consented": "on"}
    consented = {"disconnection__consented": "on"}
    bad = [
        {"disconnection__on_disconnect": "they_call"},  # no consent
        {"where_are_you__answer": "yes", "where_are_you__whereabouts": "At the bus depot"},  # no consent
        {**consented, "disconnection__on_disconnect": "call_back", "disconnection__perm_call": "unknown"},
        {**consented, "disconnection__on_disconnect": "they_call", "disconnection__call_back_after": "30"},
        {"someone_on_line__consented": "on", "someone_on_line__someone_answers": "other"},
        {**consented, "disconnection__perm_call": "sometimes"},
        {**consented, "disconnection__call_back_after": "99999"},
    ]
    for extra in bad:
        response = as_provider.post(f"/encounters/{encounter.id}/safety-check/", {**base, **extra})
        assert response.status_code == 400, extra
    assert not ContactRules.objects.filter(person=world_a.person).exists()
    asked_first = SafetyAnswer.objects.filter(encounter=encounter, question_key="safe_to_talk")  # the first screen
    assert not SafetyAnswer.objects.filter(encounter=encounter).exclude(pk__in=asked_first).exists()


def test_in_person_answers_about_contact_become_rules(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    pass_gate(as_provider, encounter)
    confirm_confidentiality(as_provider, encounter)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    data = {
        "content_set": str(content.id),
        "contact_after__answer": "yes",
        "contact_after__consented": "on",
        "contact_after__best_way": "text",
        "contact_after__perm_text": "allowed",
        "contact_after__perm_call": "not_allowed",
        "contact_after__identify_as": "Sam from the library",
    }
    assert as_provider.post(f"/encounters/{encounter.id}/safety-check/", data).status_code == 302
    rules = ContactRules.objects.get(person=world_a.person)
    assert (rules.safe_to_contact, rules.best_way, rules.text, rules.call) == ("yes", "text", "allowed", "not_allowed")
    assert rules.identify_as == "Sam from the library" and rules.cover_name == ""
    assert rules.confirmed_at is None  # answering some questions confirms nothing else
    assert rules.email == "unknown" and not may_use(rules, "email")  # a way not asked about stays not allowed
    assert may_use(rules, "text") and not may_use(rules, "call")
    assert AuditEvent.objects.filter(event="contact.rules_changed", object_id=world_a.person.id).count() == 1


@pytest.mark.parametrize("answer, expected", [("no", "no"), ("unsure", "not_sure"), ("declined", "not_asked")])
def test_only_a_yes_to_contact_after_today_allows_any_contact(
    as_provider: Client, world_a: OrgWorld, answer: str, expected: str
) -> None:
    encounter = start(as_provider, world_a)
    pass_gate(as_provider, encounter)
    confirm_confidentiality(as_provider, encounter)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    data = {
        "content_set": str(content.id),
        "contact_after__answer": answer,
        "contact_after__consented": "on",
        "contact_after__perm_text": "allowed",
    }
    assert as_provider.post(f"/encounters/{encounter.id}/safety-check/", data).status_code == 302
    rules = ContactRules.objects.get(person=world_a.person)
    assert rules.safe_to_contact == expected and rules.text == "allowed"
    assert not any(may_use(rules, channel) for channel in CHANNELS)


def test_danger_here_shows_emergency_steps_at_once(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    pass_gate(as_provider, encounter)
    confirm_confidentiality(as_provider, encounter)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    data = {"content_set": str(content.id), "danger_here__answer": "yes", "danger_here__consented": "on"}
    response = as_provider.post(f"/encounters/{encounter.id}/safety-check/", data)
    assert response["Location"] == f"/encounters/{encounter.id}/danger/"
    page = as_provider.get(response["Location"]).content.decode()
    assert "911" in page and "Call security" in page


def test_injured_offers_911_and_records_the_choice(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, content = phone_ready(as_provider, world_a)
    data = {"content_set": str(content.id), "injured__answer": "yes", "injured__consented": "on"}
    assert as_provider.post(f"/encounters/{encounter.id}/safety-check/", data)["Location"].endswith("/injured/")
    assert as_provider.post(f"/encounters/{encounter.id}/injured/", {"emergency_call": "maybe"}).status_code == 400
    as_provider.post(f"/encounters/{encounter.id}/injured/", {"emergency_call": "ambulance"})
    encounter.refresh_from_db()
    assert encounter.emergency_call == "ambulance" and encounter.emergency_call_at is not None


def test_amendments_only_after_close_and_keep_the_original(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    url = f"/encounters/{encounter.id}/amendments/"
    as_provider.post(url, {"text": "too early"})
    assert not Amendment.objects.exists()
    as_provider.post(f"/encounters/{encounter.id}/close/")
    as_provider.post(url, {"text": ""})
    assert not Amendment.objects.exists()
    as_provider.post(url, {"text": "The break was at 10:40, not 10:30."})
    amendment = Amendment.objects.get()
    assert amendment.by_id == world_a.provider.id
    page = as_provider.get(f"/encounters/{encounter.id}/").content.decode()
    assert "10:40, not 10:30" in page
    assert AuditEvent.objects.filter(event="encounter.amended").count() == 1


def test_check_in_prompt_uses_the_org_interval(as_provider: Client, world_a: OrgWorld) -> None:
    page = as_provider.get(f"/encounters/{world_a.encounter.id}/").content.decode()
    assert 'data-check-in-seconds="600"' in page  # default 10 minutes
    assert 'data-shortcut="grounding"' in page and 'data-shortcut="breathing"' in page and "accesskey" not in page


def test_age_that_contradicts_an_open_minor_encounter_is_refused(world_a: OrgWorld) -> None:
    from tests.test_people import person_data

    Encounter.objects.filter(pk=world_a.encounter.pk).update(closed_at=timezone.now())  # the adult-branch one
    world_a.person.estimated_age = 15
    world_a.person.save()
    client = sign_in(Client(), world_a.provider)
    encounter = start(client, world_a)
    assert encounter.is_minor
    person = world_a.person
    person.refresh_from_db()
    response = client.post(f"/people/{person.id}/edit/", person_data(version=person.version, estimated_age="30"))
    assert response.status_code == 400 and "contradicts the minor status" in response.content.decode()
    person.refresh_from_db()
    assert person.estimated_age == 15
    assert (
        client.post(f"/people/{person.id}/edit/", person_data(version=person.version, estimated_age="16"))["Location"]
        == f"/people/{person.id}/"
    )


def test_encounter_reads_show_on_the_record_and_in_the_audit_filter(world_a: OrgWorld) -> None:
    sign_in(Client(), world_a.supervisor).get(f"/encounters/{world_a.encounter.id}/")
    page = sign_in(Client(), world_a.provider).get(f"/people/{world_a.person.id}/").content.decode()
    assert "Supervisor.A" in page and "Encounter viewed" in page
    auditor = sign_in(Client(), world_a.auditor)
    response = auditor.get("/oversight/audit/", {"reference": world_a.person.reference, "event": "encounter.viewed"})
    entries = response.context["entries"]
    assert len(entries) == 1 and entries[0]["reference"] == world_a.person.reference


def test_step_pages_of_a_closed_encounter_offer_no_save(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    as_provider.post(f"/encounters/{encounter.id}/close/")
    for path in ["privacy/", "confidentiality/", "injured/", "consent/", "hotline-card/"]:
        body = as_provider.get(f"/encounters/{encounter.id}/{path}").content.decode()
        assert "closed and locked" in body, path
        assert 'type="submit" class="button"' not in body.split("<main")[1].split("</main>")[0], path

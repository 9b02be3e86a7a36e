"""Contact rules, follow-ups and attempts through the pages: the happy path, every denial and the bad
input of issue 10.  Every answer is distinct and checked by its own field, so a value that lands in
the wrong field fails here."""

from __future__ import annotations

import datetime
import re
import uuid
from html import unescape
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, make_staff, sign_in
from tests.test_encounters import confirm_confidentiality, pass_gate, phone_ready, safe_to_talk, start
from waypoint.contact import actions
from waypoint.contact.models import ContactAttempt, ContactRules, FollowUpTask, TaskSource, TaskStatus
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role

PHARMACY = "the pharmacy about a refill"


def in_person_check(client: Client, world: OrgWorld, **parts: str) -> Any:
    encounter = start(client, world)
    pass_gate(client, encounter)
    confirm_confidentiality(client, encounter)
    content = ContentSet.current(world.org.id, IN_PERSON)
    data = {"content_set": str(content.id), **{f"contact_after__{k}": v for k, v in parts.items()}}
    return client.post(reverse("encounters:safety_check", args=[encounter.id]), data)


TEXT_ONLY = {
    "answer": "yes", "consented": "on", "best_way": "text", "perm_text": "allowed", "perm_voicemail": "not_allowed",
    "perm_call": "not_allowed", "identify_as": PHARMACY, "note": "text only, no voicemail, say it's the pharmacy",
}  # fmt: skip


def rules_of(world: OrgWorld) -> ContactRules:
    return ContactRules.objects.get(person=world.person)


def allow_text(world: OrgWorld, **more: str) -> ContactRules:
    changes = {"safe_to_contact": "yes", "text": "allowed", "text_number": "555 010 1234", **more}
    return actions.record_rules(world.provider, world.person, changes, how="in_person")


# --- Capture: the in-person and phone checks ------------------------------------------------------


def test_in_person_answer_is_recorded_as_its_parts(as_provider: Client, world_a: OrgWorld) -> None:
    assert in_person_check(as_provider, world_a, **TEXT_ONLY).status_code == 302
    rules = rules_of(world_a)
    assert (rules.safe_to_contact, rules.best_way, rules.text, rules.voicemail, rules.call) == (
        "yes", "text", "allowed", "not_allowed", "not_allowed",
    )  # fmt: skip
    assert rules.identify_as == PHARMACY  # the cover only, never the whole answer
    assert (rules.email, rules.chat, rules.post, rules.visit) == ("unknown",) * 4  # not asked stays not asked
    assert rules.changed_by_id == world_a.provider.id and rules.cover_name == ""
    assert rules.confirmed_at is None  # some answers are not every rule read back: nothing confirmed


def test_parts_without_consent_are_refused_and_nothing_is_written(as_provider: Client, world_a: OrgWorld) -> None:
    response = in_person_check(as_provider, world_a, **{**TEXT_ONLY, "consented": "", "note": ""})
    assert response.status_code == 400
    assert "Only record this if they agree it is written down." in response.content.decode()
    assert not ContactRules.objects.filter(person=world_a.person).exists()


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"perm_text": "maybe"}, "Select a valid choice"),
        ({"best_way": "pigeon"}, "Select a valid choice"),
        ({"identify_as": "x" * 201}, "Ensure this value has at most 200 characters"),
        ({"identify_as": "Sam\u202eevil"}, "Remove invisible or control characters"),
    ],
)
def test_bad_parts_are_refused(as_provider: Client, world_a: OrgWorld, parts: dict[str, str], message: str) -> None:
    response = in_person_check(as_provider, world_a, **{**TEXT_ONLY, **parts})
    assert response.status_code == 400 and message in response.content.decode()
    assert not ContactRules.objects.filter(person=world_a.person).exists()


def phone_post(client: Client, world: OrgWorld, data: dict[str, str]) -> Any:
    encounter, content = phone_ready(client, world)
    body = {"content_set": str(content.id), "safe_to_talk__answer": "yes", "safe_to_talk__consented": "on", **data}
    return client.post(reverse("encounters:safety_check", args=[encounter.id]), body)


def test_phone_answers_become_their_own_rules(as_provider: Client, world_a: OrgWorld) -> None:
    data = {
        "disconnection__consented": "on", "disconnection__on_disconnect": "call_back",
        "disconnection__call_back_after": "15", "disconnection__perm_call": "allowed",
        "disconnection__perm_voicemail": "not_allowed",
        "someone_on_line__consented": "on", "someone_on_line__someone_answers": "say_cover",
        "someone_on_line__cover_name": "Sam from the library",
        "where_are_you__answer": "no", "where_are_you__consented": "on", "where_are_you__whereabouts": "bus depot",
    }  # fmt: skip
    assert phone_post(as_provider, world_a, data).status_code == 302
    rules = rules_of(world_a)
    assert (rules.on_disconnect, rules.call_back_after, rules.call, rules.voicemail) == (
        "call_back", 15, "allowed", "not_allowed",
    )  # fmt: skip
    assert (rules.someone_answers, rules.cover_name, rules.identify_as) == ("say_cover", "Sam from the library", "")
    assert (rules.whereabouts, rules.whereabouts_safe) == ("bus depot", "no")
    assert rules.safe_to_contact == "not_asked" and rules.confirmed_at is None


@pytest.mark.parametrize(
    "data",
    [
        {"disconnection__consented": "on", "disconnection__on_disconnect": "call_back"},  # calls not allowed
        {"disconnection__consented": "on", "disconnection__call_back_after": "60"},  # a time without call-back
        {"someone_on_line__consented": "on", "someone_on_line__someone_answers": "other"},  # other, no words
        {"where_are_you__whereabouts": "bus depot"},  # where they are, without their agreement
    ],
    ids=["call-back-without-calls", "time-without-call-back", "other-without-words", "whereabouts-no-consent"],
)
def test_contradicting_phone_parts_are_refused(as_provider: Client, world_a: OrgWorld, data: dict[str, str]) -> None:
    assert phone_post(as_provider, world_a, data).status_code == 400
    assert not ContactRules.objects.filter(person=world_a.person).exists()


# --- The rules page ----------------------------------------------------------------------------------


def rules_post(client: Client, world: OrgWorld, version: int = 0, **rules: str) -> Any:
    data = {"version": version, "how": "in_person", **{f"rule_{k}": v for k, v in rules.items()}}
    return client.post(reverse("contact:rules", args=[world.person.id]), data)


def test_rules_page_normalises_numbers_and_keeps_each_value_in_its_field(
    as_provider: Client, world_a: OrgWorld
) -> None:
    response = rules_post(
        as_provider, world_a, safe_to_contact="yes", text="allowed", text_number="(555) 010-1234",
        phone_number="+1 555 010 9999", email_address="sam@example.org", safe_word="kite", danger_word="storm",
        battery_plan="charger in the locker", best_times="weekdays after 6",
    )  # fmt: skip
    assert response.status_code == 302
    rules = rules_of(world_a)
    addresses = (rules.text_number, rules.phone_number, rules.email_address)
    assert addresses == ("5550101234", "+15550109999", "sam@example.org")
    assert (rules.safe_word, rules.danger_word, rules.battery_plan) == ("kite", "storm", "charger in the locker")
    assert rules.best_times == "weekdays after 6" and rules.version == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text_number", "555-CALL-NOW"),
        ("phone_number", "1" * 50),
        ("phone_number", "12"),
        ("phone_number", "+"),
        ("email_address", "not an address"),
        ("call", "sometimes"),
        ("safe_to_contact", "maybe"),
        ("call_back_after", "9999999"),
    ],
)
def test_bad_rule_values_are_refused_and_what_was_typed_is_kept(
    as_provider: Client, world_a: OrgWorld, field: str, value: str
) -> None:
    typed = {"safe_to_contact": "yes", "best_times": "mornings only", field: value}
    response = rules_post(as_provider, world_a, **typed)
    body = response.content.decode()
    assert response.status_code == 400
    assert "mornings only" in body  # nothing typed is lost
    assert not ContactRules.objects.filter(person=world_a.person).exists()


def test_rules_changed_since_the_page_was_opened_conflict_and_keep_what_was_typed(
    as_provider: Client, world_a: OrgWorld
) -> None:
    allow_text(world_a)  # version 2 now; the page below was opened at 0
    response = rules_post(as_provider, world_a, version=0, safe_to_contact="yes", best_times="typed meanwhile")
    body = unescape(response.content.decode())
    assert response.status_code == 409
    assert "Someone changed these rules since you opened this page" in body and "typed meanwhile" in body
    assert rules_of(world_a).best_times == ""  # nothing overwritten
    assert AuditEvent.objects.filter(event="contact.rules_conflict").count() == 1


def test_rules_page_asks_for_a_step_up_before_showing_safe_words(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    session = client.session
    session["wp_step_up_at"] = 0
    session.save()
    response = client.get(reverse("contact:rules", args=[world_a.person.id]))
    assert response.status_code == 302 and response["Location"].startswith("/confirm/")


def test_a_provider_not_assigned_never_sees_the_words(client: Client, world_a: OrgWorld) -> None:
    allow_text(world_a, safe_word="kite", danger_word="storm")
    other = make_staff(world_a.org, "provider2.a", Role.PROVIDER)
    sign_in(client, other)
    page = client.get(reverse("contact:rules", args=[world_a.person.id])).content.decode()
    assert 'name="rule_safe_word"' not in page and "kite" not in page
    panel = client.get(reverse("contact:person", args=[world_a.person.id])).content.decode()
    assert "kite" not in panel and "storm" not in panel and "shown only to their assigned staff" in panel
    # Their save of the other fields leaves the words alone.
    assert rules_post(client, world_a, version=2, safe_to_contact="yes", text="allowed").status_code == 302
    assert rules_of(world_a).safe_word == "kite"


# --- Before you call -----------------------------------------------------------------------------


def panel(client: Client, world: OrgWorld) -> str:
    return unescape(client.get(reverse("contact:person", args=[world.person.id])).content.decode())


def test_panel_shows_tiles_actions_and_script_from_the_right_fields(as_provider: Client, world_a: OrgWorld) -> None:
    allow_text(world_a, identify_as=PHARMACY, voicemail="not_allowed", someone_answers="hang_up")
    page = panel(as_provider, world_a)
    tiles = dict(re.findall(r'<span class="tile-label">(.*?)</span> <span class="tile-value">(.*?)</span>', page))
    assert tiles["Text message"] == "YES" and tiles["Voicemail"] == "NO" and tiles["Phone call"] == "NO"
    assert tiles["Say you are"] == PHARMACY and tiles["If someone else answers"] == "Hang up"
    assert 'href="sms:5550101234"' in page and "tel:" not in page and "mailto:" not in page
    assert 'id="no-voicemail"' in page and 'id="voicemail-script"' not in page
    before = AuditEvent.objects.filter(event="contact.rules_viewed", object_id=world_a.person.id).count()
    panel(as_provider, world_a)
    assert AuditEvent.objects.filter(event="contact.rules_viewed", object_id=world_a.person.id).count() == before + 1


def test_voicemail_script_names_no_organisation_unless_allowed(as_provider: Client, world_a: OrgWorld) -> None:
    allow_text(world_a, call="allowed", voicemail="allowed", phone_number="5550101234", identify_as="Sam")
    page = panel(as_provider, world_a)
    script = re.search(r'<p class="say" id="voicemail-script" lang="(\w+)">(.*?)</p>', page)
    assert script is not None and "Sam" in script.group(2) and world_a.org.name not in script.group(2)
    actions.record_rules(world_a.provider, world_a.person, {"may_name_org": "yes"}, how="phone")
    script = re.search(r'id="voicemail-script" lang="\w+">(.*?)</p>', panel(as_provider, world_a))
    assert script is not None and world_a.org.name in script.group(1)


def test_voicemail_script_is_in_the_persons_language(as_provider: Client, world_a: OrgWorld) -> None:
    world_a.person.preferred_language = "es"
    world_a.person.save()
    allow_text(world_a, call="allowed", voicemail="allowed", phone_number="5550101234", identify_as="Sam")
    script = re.search(r'id="voicemail-script" lang="es">(.*?)</p>', panel(as_provider, world_a))
    assert script is not None and script.group(1).startswith("Hola, soy Sam")


def test_words_need_a_step_up(client: Client, world_a: OrgWorld) -> None:
    allow_text(world_a, safe_word="kite")
    sign_in(client, world_a.provider)
    session = client.session
    session["wp_step_up_at"] = 0
    session.save()
    page = panel(client, world_a)
    assert "kite" not in page and "Show safe words (confirm it is you)" in page
    sign_in(client, world_a.provider)
    assert "kite" in panel(client, world_a)


def test_rules_older_than_30_days_are_flagged(as_provider: Client, world_a: OrgWorld) -> None:
    allow_text(world_a)
    ContactRules.objects.filter(person=world_a.person).update(confirmed_at=timezone.now() - datetime.timedelta(days=31))
    assert 'id="rules-stale"' in panel(as_provider, world_a)


def test_reconfirm_records_who_and_how_and_conflicts_on_changed_rules(as_provider: Client, world_a: OrgWorld) -> None:
    rules = allow_text(world_a)
    url = reverse("contact:reconfirm", args=[world_a.person.id])
    ContactRules.objects.filter(pk=rules.pk).update(confirmed_at=timezone.now() - datetime.timedelta(days=40))
    assert as_provider.post(url, {"version": rules.version, "how": "phone"}).status_code == 302
    fresh = rules_of(world_a)
    assert fresh.confirmed_how == "phone" and timezone.now() - fresh.confirmed_at < datetime.timedelta(minutes=1)
    assert AuditEvent.objects.filter(event="contact.rules_confirmed", object_id=world_a.person.id).exists()
    actions.record_rules(world_a.supervisor, world_a.person, {"text": "not_allowed"}, how="phone")
    response = as_provider.post(url, {"version": rules.version, "how": "phone"})
    assert response.status_code == 409 and "changed since you opened this page" in response.content.decode()
    assert rules_of(world_a).confirmed_by_id == world_a.supervisor.id  # the stale confirmation changed nothing
    assert as_provider.post(url, {"version": "x", "how": "phone"}).status_code == 400
    assert as_provider.post(url, {"version": rules.version, "how": "fax"}).status_code == 400


# --- Follow-ups and attempts ---------------------------------------------------------------------


def task_post(client: Client, world: OrgWorld, **data: Any) -> Any:
    body = {"channel": "text", "due_on": timezone.localdate().isoformat(), "assignee": str(world.provider.id),
            "what": "ask about the coat", "form_token": str(uuid.uuid4()), **data}  # fmt: skip
    return client.post(reverse("contact:task_new", args=[world.person.id]), body)


def test_follow_up_only_on_an_allowed_channel(as_provider: Client, world_a: OrgWorld) -> None:
    before = FollowUpTask.objects.count()
    assert task_post(as_provider, world_a).status_code == 400  # no rules yet: not asked = not allowed
    allow_text(world_a, voicemail="not_allowed")
    for channel in ("voicemail", "call", "email", "fax", ""):
        assert task_post(as_provider, world_a, channel=channel).status_code == 400, channel
    assert task_post(as_provider, world_a, due_on="2000-01-01").status_code == 400
    assert task_post(as_provider, world_a, due_on="2024-02-30").status_code == 400
    assert FollowUpTask.objects.count() == before
    token = str(uuid.uuid4())
    first = task_post(as_provider, world_a, form_token=token)
    second = task_post(as_provider, world_a, form_token=token)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    task = FollowUpTask.objects.get(pk=first["Location"].split("/")[2])
    made = (task.channel, task.assigned_to_id, task.what, task.source)
    assert made == ("text", world_a.provider.id, "ask about the coat", "manual")


def test_assignment_honours_the_interviewer_wish_where_the_organisation_can(
    as_provider: Client, world_a: OrgWorld
) -> None:
    allow_text(world_a)
    world_a.person.interviewer_gender = "female"
    world_a.person.save()
    assert task_post(as_provider, world_a).status_code == 302  # nobody can be offered as female: allowed
    female = make_staff(world_a.org, "female.a", Role.PROVIDER, interviews_as="female")
    response = task_post(as_provider, world_a)
    assert response.status_code == 400 and "They asked for a female interviewer" in response.content.decode()
    assert task_post(as_provider, world_a, assignee=str(female.id)).status_code == 302
    page = as_provider.get(reverse("contact:task_new", args=[world_a.person.id])).content.decode()
    assert f'<option value="{female.id}" selected>' in page  # offered first
    front = world_a.front_desk
    assert task_post(as_provider, world_a, assignee=str(front.id)).status_code == 400  # not someone who reads records


def attempt_post(client: Client, task: FollowUpTask, **data: str) -> Any:
    body = {"channel": "text", "outcome": "someone_else", "note": "", **data}
    return client.post(reverse("contact:attempt", args=[task.id]), body)


def test_attempts_are_checked_against_the_rules_as_they_are_now(as_provider: Client, world_a: OrgWorld) -> None:
    allow_text(world_a, voicemail="not_allowed", call="allowed")
    task = actions.add_task(world_a.provider, world_a.person, due_on=timezone.localdate(), channel="text")
    response = attempt_post(as_provider, task, channel="call", outcome="no_answer", voicemail_left="on")
    assert response.status_code == 400 and "Voicemail is not allowed" in response.content.decode()
    assert attempt_post(as_provider, task, channel="email").status_code == 400
    assert attempt_post(as_provider, task, outcome="nothing").status_code == 400
    assert not ContactAttempt.objects.exists()
    assert attempt_post(as_provider, task).status_code == 302
    attempt = ContactAttempt.objects.get()
    assert (attempt.channel, attempt.outcome, attempt.by_id, attempt.voicemail_left) == (
        "text", "someone_else", world_a.provider.id, False,
    )  # fmt: skip
    assert AuditEvent.objects.filter(event="contact.attempt_logged", object_id=attempt.id).count() == 1
    timeline = as_provider.get(reverse("people:timeline", args=[world_a.person.id])).content.decode()
    assert "Contact attempt · Text message" in timeline and "Someone else answered" in timeline
    record = as_provider.get(reverse("people:detail", args=[world_a.person.id])).content.decode()
    assert "Someone else answered" in record


def test_not_safe_to_talk_on_an_attempt_schedules_the_next_follow_up(as_provider: Client, world_a: OrgWorld) -> None:
    allow_text(world_a)
    task = actions.add_task(world_a.provider, world_a.person, due_on=timezone.localdate(), channel="text")
    response = attempt_post(as_provider, task, outcome="not_safe")
    follow = next(t for t in FollowUpTask.objects.all() if t.source == TaskSource.NOT_SAFE)
    assert response["Location"] == reverse("contact:task", args=[follow.id])
    assert follow.channel == "text" and follow.due_on == timezone.localdate() + datetime.timedelta(days=1)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_not_safe_to_talk_in_a_call_creates_a_follow_up(as_provider: Client, world_a: OrgWorld) -> None:
    allow_text(world_a, identify_as="Ana from the Anti-Trafficking Center", someone_answers="say_cover")
    actions.record_rules(world_a.provider, world_a.person, {"cover_name": PHARMACY})
    encounter, _content = phone_ready(as_provider, world_a)
    cover_url = safe_to_talk(as_provider, encounter, "no")  # asked again: not safe now (issue 11)
    page = unescape(as_provider.get(cover_url).content.decode())
    assert re.search(r'<p class="say">\s*' + re.escape(PHARMACY), page)
    assert "Anti-Trafficking" not in page  # how we introduce ourselves to them is never the cover
    assert '<option value="text" selected>Text message</option>' in page  # the best usable way, chosen already
    assert 'value="voicemail"' not in page
    refused = as_provider.post(cover_url, {"callback_plan": "after 8", "channel": "voicemail", "due_on": ""})
    assert refused.status_code == 400 and "after 8" in refused.content.decode()
    today = timezone.localdate().isoformat()
    chosen = {"callback_plan": "after 8", "channel": "text", "due_on": today}
    assert as_provider.post(cover_url, chosen).status_code == 302
    task = next(t for t in FollowUpTask.objects.all() if t.source == TaskSource.CALLBACK)
    assert (task.channel, task.due_on.isoformat(), task.person_id) == ("text", today, world_a.person.id)
    # Their words about when and how stay on the call; the follow-up's page shows them to the staff
    # who may hold them (the assigned provider here), and its text, read on lists, does not carry them.
    assert task.what == ""
    assert "after 8" in unescape(as_provider.get(f"/follow-ups/{task.id}/").content.decode())


def test_home_lists_due_follow_ups_with_tiles_never_the_text(client: Client, world_a: OrgWorld) -> None:
    allow_text(world_a)
    task = actions.add_task(
        world_a.provider, world_a.person, due_on=timezone.localdate(), channel="text", what="Secret task text"
    )
    home = sign_in(client, world_a.provider).get(reverse("core:home")).content.decode()
    assert reverse("contact:task", args=[task.id]) in home and "Secret task text" not in home
    assert 'data-channel="text">Text: YES' in home and 'data-channel="voicemail">Voicemail: NO' in home
    team = sign_in(Client(), world_a.supervisor).get(reverse("core:home")).content.decode()
    assert "Your team's follow-ups due" in team and reverse("contact:task", args=[task.id]) in team
    desk = sign_in(Client(), world_a.front_desk).get(reverse("core:home")).content.decode()
    assert reverse("contact:task", args=[task.id]) not in desk


def test_contact_due_command_marks_overdue_tasks_and_old_rules(world_a: OrgWorld) -> None:
    allow_text(world_a)
    FollowUpTask.objects.filter(pk=world_a.task.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=2))
    ContactRules.objects.filter(person=world_a.person).update(confirmed_at=timezone.now() - datetime.timedelta(days=31))
    call_command("contact_due")
    assert FollowUpTask.objects.get(pk=world_a.task.pk).overdue and rules_of(world_a).reconfirm_due
    row = AuditEvent.objects.get(event="contact.due_marked")
    assert row.org_id == world_a.org.id and row.count == 2 and row.actor_id is None
    call_command("contact_due")  # nothing changed: no new row
    assert AuditEvent.objects.filter(event="contact.due_marked").count() == 1


def test_a_stale_confirmation_from_a_follow_up_shows_that_follow_up_with_the_new_rules(
    as_provider: Client, world_a: OrgWorld
) -> None:
    rules = allow_text(world_a)
    task = actions.add_task(world_a.provider, world_a.person, due_on=timezone.localdate(), channel="text")
    page = as_provider.get(reverse("contact:task", args=[task.id])).content.decode()
    assert f"by {world_a.provider.display_name} (In person)" in page  # who confirmed them last, and how
    actions.record_rules(world_a.supervisor, world_a.person, {"voicemail": "not_allowed"}, how="phone")
    url = reverse("contact:reconfirm", args=[world_a.person.id])
    response = as_provider.post(url, {"version": rules.version, "how": "phone", "task": str(task.id)})
    body = unescape(response.content.decode())
    assert response.status_code == 409 and "Log this attempt" in body and "changed since you opened" in body
    assert AuditEvent.objects.filter(event="contact.rules_conflict", object_id=task.id).count() == 1
    fresh = rules_of(world_a).version
    ok = as_provider.post(url, {"version": fresh, "how": "phone", "task": str(task.id)})
    assert ok.status_code == 302 and ok["Location"] == reverse("contact:task", args=[task.id])


def test_the_plan_shows_the_rules_words_only_to_those_who_may_hold_them(client: Client, world_a: OrgWorld) -> None:
    from waypoint.plans.actions import save_section

    allow_text(world_a, safe_word="kite", battery_plan="charger at work")
    value = {"status": "filled", "fields": {}, "contacts": []}
    save_section(world_a.provider, world_a.plan, "resource:device", value, world_a.plan.version)
    url = reverse("plans:detail", args=[world_a.plan.id])
    mine = unescape(sign_in(client, world_a.provider).get(url).content.decode())
    assert '<dt>Safe word</dt><dd class="pre">kite</dd>' in mine and "charger at work" in mine
    other = make_staff(world_a.org, "provider3.a", Role.PROVIDER)
    theirs = unescape(sign_in(Client(), other).get(url).content.decode())
    assert "charger at work" in theirs  # the same rules, one source
    assert "kite" not in theirs and "<dt>Safe word</dt>" not in theirs and "Show safe words" not in theirs

"""Issue 10 review, gaps 2, 3, 5, 8 and 9: the callback plan makes one follow-up per call, also
when the rules allow no channel; unticking an answer's agreement takes the rules it set back out
(only those that still hold its value); the phone check's open questions take only their parts;
a "best way" that the same answer does not allow is refused with nothing typed lost."""

from __future__ import annotations

from html import unescape
from typing import Any

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld
from tests.test_encounters import confirm_confidentiality, pass_gate, phone_ready, safe_to_talk, start
from waypoint.contact import intake
from waypoint.contact.actions import add_task, record_rules
from waypoint.contact.models import ContactRules, FollowUpTask, TaskSource, TaskStatus
from waypoint.content.models import ContentSet
from waypoint.content.source import CONTENT, IN_PERSON, PHONE
from waypoint.core.models import AuditEvent
from waypoint.encounters import actions
from waypoint.encounters.models import Encounter, SafetyAnswer


def _callback_tasks(world: OrgWorld) -> list[FollowUpTask]:
    return list(FollowUpTask.objects.filter(person=world.person).exclude(pk=world.task.pk).order_by("created_at"))


def _not_safe_call(client: Client, world: OrgWorld) -> tuple[Encounter, str]:
    encounter = start(client, world, mode="phone")
    return encounter, safe_to_talk(client, encounter, "no")


def _check(client: Client, encounter: Encounter, kind: str, data: dict[str, str]) -> Any:
    content = ContentSet.current(encounter.org_id, kind)
    return client.post(
        reverse("encounters:safety_check", args=[encounter.id]), {"content_set": str(content.id), **data}
    )


def _in_person(client: Client, world: OrgWorld) -> Encounter:
    encounter = start(client, world)
    pass_gate(client, encounter)
    confirm_confidentiality(client, encounter)
    return encounter


# --- Gap 2: one callback follow-up per call --------------------------------------------------------


def test_saving_the_callback_plan_again_makes_no_second_follow_up(as_provider: Client, world_a: OrgWorld) -> None:
    record_rules(world_a.provider, world_a.person, {"safe_to_contact": "yes", "text": "allowed"}, how="phone")
    encounter, url = _not_safe_call(as_provider, world_a)
    today = timezone.localdate().isoformat()
    first = as_provider.post(url, {"callback_plan": "Txt aftr 6", "channel": "text", "due_on": today}, follow=True)
    assert "A follow-up is on the list." in first.content.decode()
    (task,) = _callback_tasks(world_a)
    assert (task.channel, task.source, task.what) == ("text", TaskSource.CALLBACK, "")  # the words stay on the call

    # Reopened: the follow-up is shown, no channel or date is asked again.
    page = as_provider.get(url).content.decode()
    assert 'id="callback-task"' in page and reverse("contact:task", args=[task.id]) in page
    assert 'name="channel"' not in page and 'name="due_on"' not in page
    # A typo corrected, even with a channel posted from a tab opened before: still one follow-up.
    again = {"callback_plan": "Text after 6", "channel": "text", "due_on": today}
    response = as_provider.post(url, again, follow=True)
    assert "no second one" in unescape(response.content.decode())
    assert [t.id for t in _callback_tasks(world_a)] == [task.id]
    encounter.refresh_from_db()
    assert encounter.callback_plan == "Text after 6" and encounter.callback_task_id == task.id
    assert AuditEvent.objects.filter(event="task.added").exclude(object_id=world_a.task.pk).count() == 1


def test_the_action_itself_makes_one_callback_follow_up_per_encounter(world_a: OrgWorld) -> None:
    """Also a follow-up made before the encounter kept its id (it names the encounter) counts."""
    staff, person = world_a.provider, world_a.person
    record_rules(staff, person, {"safe_to_contact": "yes", "text": "allowed"}, how="phone")
    encounter = actions.start_encounter(staff, person, mode="phone", site=None, token=None)
    earlier = add_task(
        staff, person, due_on=timezone.localdate(), channel="text", what="before", source=TaskSource.CALLBACK,
        source_encounter_id=encounter.id,
    )  # fmt: skip
    for words in ("one", "two"):
        actions.record_callback_plan(staff, encounter, words, "text", timezone.localdate())
    assert [t.id for t in _callback_tasks(world_a)] == [earlier.id]
    encounter.refresh_from_db()
    assert encounter.callback_task_id == earlier.id and encounter.callback_plan == "two"
    # With no channel allowed, the same: the one no-channel follow-up, then no other.
    other = actions.start_encounter(staff, person, mode="phone", site=None, token=None)
    record_rules(staff, person, {"text": "not_allowed"})
    for words in ("after six", "after seven"):
        actions.record_callback_plan(staff, other, words)
    assert len(_callback_tasks(world_a)) == 2


# --- Gap 3: no channel allowed, still a follow-up --------------------------------------------------


def test_callback_plan_with_no_channel_allowed_puts_a_no_channel_follow_up_on_the_list(
    as_provider: Client, world_a: OrgWorld
) -> None:
    encounter, url = _not_safe_call(as_provider, world_a)  # no rules recorded yet: the usual first call
    page = unescape(as_provider.get(url).content.decode())
    assert 'id="no-channel"' in page and "no follow-up can be scheduled" not in page
    assert "Saving puts a follow-up with no way of contacting them on the list" in page
    assert 'name="channel"' not in page and 'name="due_on"' in page
    words = "Thursday after 6, from the clinic phone"
    assert (
        as_provider.post(url, {"callback_plan": words, "due_on": timezone.localdate().isoformat()}).status_code == 302
    )
    (task,) = _callback_tasks(world_a)
    encounter.refresh_from_db()
    assert encounter.callback_task_id == task.id and encounter.callback_plan == words
    assert task.channel == "" and task.status == TaskStatus.OPEN and task.due_on == timezone.localdate()
    assert task.assigned_to_id == world_a.provider.id
    assert words not in task.what and "ask how we may contact them" in task.what  # the words stay on the call

    # On the provider's home list (the tiles, never the words).
    home = as_provider.get(reverse("core:home")).content.decode()
    assert reverse("contact:task", args=[task.id]) in home and words not in home
    # The follow-up offers no way of contacting them.
    shown = as_provider.get(reverse("contact:task", args=[task.id])).content.decode()
    assert words in unescape(shown) and 'id="no-channel"' in shown
    assert not any(scheme in shown for scheme in ('href="tel:', 'href="sms:', 'href="mailto:'))
    assert "/attempts/" not in shown  # no attempt form: there is no channel to log one on
    # The record's timeline names it as set from this encounter (though the task does not name it).
    timeline = as_provider.get(f"/people/{world_a.person.id}/timeline/").content.decode()
    assert "Follow-up set from this encounter" in timeline and reverse("contact:task", args=[task.id]) in timeline
    assert words not in timeline
    # Reopened: it is shown, and saving again makes no second one.
    assert 'id="callback-task"' in as_provider.get(url).content.decode()
    as_provider.post(url, {"callback_plan": words + ", or Friday"})
    assert len(_callback_tasks(world_a)) == 1


def test_no_follow_up_now_is_still_a_choice_when_a_channel_is_allowed(as_provider: Client, world_a: OrgWorld) -> None:
    record_rules(world_a.provider, world_a.person, {"safe_to_contact": "yes", "text": "allowed"}, how="phone")
    encounter, url = _not_safe_call(as_provider, world_a)
    assert as_provider.post(url, {"callback_plan": "they will call us", "channel": ""}).status_code == 302
    encounter.refresh_from_db()
    assert _callback_tasks(world_a) == [] and encounter.callback_task_id is None


# --- Gap 5: withdrawing their agreement takes the rules it set back out ----------------------------

WHERE = "At the bus depot on 5th"


def test_unticking_where_are_you_removes_the_whereabouts_it_wrote(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, _content = phone_ready(as_provider, world_a)
    kept = {
        "where_are_you__answer": "yes", "where_are_you__consented": "on", "where_are_you__whereabouts": WHERE,
        "someone_on_line__consented": "on", "someone_on_line__someone_answers": "hang_up",
    }  # fmt: skip
    assert _check(as_provider, encounter, PHONE, kept).status_code == 302
    rules = ContactRules.objects.get(person=world_a.person)
    assert (rules.whereabouts, rules.whereabouts_safe, rules.someone_answers) == (WHERE, "yes", "hang_up")
    row = SafetyAnswer.objects.get(encounter=encounter, question_key="where_are_you")
    assert set(row.rules_written) == {"whereabouts", "whereabouts_safe"}
    with connection.cursor() as cursor:  # the answer keeps a digest of what it wrote, never the words
        cursor.execute("SELECT rules_written FROM encounters_safetyanswer WHERE id = %s", [row.id])
        assert "bus depot" not in str(cursor.fetchone()[0])
    assert WHERE not in repr(row.rules_written)
    page = as_provider.get(reverse("encounters:safety_check", args=[encounter.id])).content.decode()
    assert 'id="holds-rules-where_are_you"' in page and WHERE not in page

    # Saved again as reopened (the parts are not shown again, the box still ticked): nothing changes.
    reopened = {"where_are_you__answer": "yes", "where_are_you__consented": "on", "someone_on_line__consented": "on"}
    assert _check(as_provider, encounter, PHONE, reopened).status_code == 302
    rules.refresh_from_db()
    assert (rules.whereabouts, rules.someone_answers) == (WHERE, "hang_up")
    assert SafetyAnswer.objects.get(encounter=encounter, question_key="someone_on_line").consented

    # They no longer agree: where they are, and whether safe there, go; the other answer stays.
    changed = AuditEvent.objects.filter(event="contact.rules_changed").count()
    withdrawn = {"where_are_you__answer": "yes", "someone_on_line__consented": "on"}
    assert _check(as_provider, encounter, PHONE, withdrawn).status_code == 302
    rules.refresh_from_db()
    assert (rules.whereabouts, rules.whereabouts_safe, rules.someone_answers) == ("", "unknown", "hang_up")
    row.refresh_from_db()
    assert (row.consented, row.answer, row.rules_written) == (False, "", {})
    assert AuditEvent.objects.filter(event="contact.rules_changed").count() == changed + 1


def test_unticking_leaves_a_rule_changed_since_and_resets_only_what_it_wrote(
    as_provider: Client, world_a: OrgWorld
) -> None:
    encounter = _in_person(as_provider, world_a)
    answer = {
        "contact_after__answer": "yes", "contact_after__consented": "on", "contact_after__best_way": "text",
        "contact_after__perm_text": "allowed", "contact_after__perm_voicemail": "not_allowed",
        "contact_after__identify_as": "the pharmacy",
    }  # fmt: skip
    assert _check(as_provider, encounter, IN_PERSON, answer).status_code == 302
    record_rules(world_a.provider, world_a.person, {"identify_as": "Sam", "email": "allowed"})  # edited since
    assert _check(as_provider, encounter, IN_PERSON, {"contact_after__answer": "yes"}).status_code == 302
    rules = ContactRules.objects.get(person=world_a.person)
    # What the answer wrote and the rules still held: back to "not asked" / empty (deny by default).
    assert (rules.safe_to_contact, rules.best_way, rules.text, rules.voicemail) == (
        "not_asked",
        "",
        "unknown",
        "unknown",
    )
    # What was changed since, or never came from this answer, stays.
    assert (rules.identify_as, rules.email) == ("Sam", "allowed")


def test_unticked_then_agreed_again_through_the_action(world_a: OrgWorld) -> None:
    """The action alone: agreed (calls allowed), unticked (back to not asked), agreed again."""
    staff = world_a.provider
    encounter = actions.start_encounter(staff, world_a.person, mode="phone", site=None, token=None)
    content = ContentSet.current(world_a.org.id, PHONE)
    actions.record_safe_to_talk(staff, encounter, content, content.id, "yes")
    actions.confirm_confidentiality(staff, encounter)

    def check(consented: bool, parts: dict[str, Any]) -> str:
        given = {"disconnection": actions.CheckAnswer("", consented, "", parts)}
        actions.record_safety_check(staff, encounter, content, content.id, given)
        return ContactRules.objects.get(person=world_a.person).call

    assert check(True, {"perm_call": "allowed"}) == "allowed"
    assert check(False, {}) == "unknown"
    assert check(True, {"perm_call": "allowed"}) == "allowed"
    assert check(True, {}) == "allowed"  # parts left empty change nothing


# --- Gap 8: the open questions take their parts only -----------------------------------------------


def test_open_phone_questions_offer_no_yes_no_unsure(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, _content = phone_ready(as_provider, world_a)
    page = unescape(as_provider.get(reverse("encounters:safety_check", args=[encounter.id])).content.decode())
    for key in ("disconnection", "someone_on_line"):
        assert f'name="{key}__answer"' not in page, key
        wording = next(english for found, english, _es in CONTENT[PHONE] if found == key)
        assert wording in page  # the guides' question, read aloud word for word
    assert 'name="where_are_you__answer"' in page and 'name="write_down__answer"' in page
    assert 'name="someone_on_line__someone_answers"' in page and 'name="disconnection__on_disconnect"' in page
    assert intake.OPEN_QUESTIONS == {"disconnection", "someone_on_line"}
    # A forged yes is not kept; the parts are.
    data = {
        "someone_on_line__answer": "yes", "someone_on_line__consented": "on",
        "someone_on_line__someone_answers": "wrong_number",
    }  # fmt: skip
    assert _check(as_provider, encounter, PHONE, data).status_code == 302
    row = SafetyAnswer.objects.get(encounter=encounter, question_key="someone_on_line")
    assert (row.answer, row.consented) == ("", True)
    assert ContactRules.objects.get(person=world_a.person).someone_answers == "wrong_number"
    summary = unescape(as_provider.get(reverse("encounters:summary", args=[encounter.id])).content.decode())
    assert "the parts of their answer are in their contact rules" in summary
    # A forged yes alone is nothing said: no row.
    assert _check(as_provider, encounter, PHONE, {"disconnection__answer": "yes"}).status_code == 302
    assert not SafetyAnswer.objects.filter(encounter=encounter, question_key="disconnection").exists()


def test_in_person_contact_question_keeps_its_own_answer(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = _in_person(as_provider, world_a)
    page = as_provider.get(reverse("encounters:safety_check", args=[encounter.id])).content.decode()
    assert 'name="contact_after__answer"' in page  # "Is it safe to contact you after today?" is yes / no


# --- Gap 9: a best way the same answer does not allow ------------------------------------------------


def test_best_way_not_allowed_in_the_same_answer_is_refused_with_nothing_lost(
    as_provider: Client, world_a: OrgWorld
) -> None:
    encounter = _in_person(as_provider, world_a)
    base = {
        "contact_after__answer": "yes", "contact_after__consented": "on",
        "contact_after__identify_as": "Sam from the library", "contact_after__note": "their own words here",
    }  # fmt: skip
    bad = [
        {"contact_after__best_way": "text"},  # text left not asked
        {"contact_after__best_way": "text", "contact_after__perm_text": "unknown"},
        {"contact_after__best_way": "text", "contact_after__perm_text": "not_allowed"},
        {"contact_after__best_way": "voicemail", "contact_after__perm_voicemail": "allowed"},  # calls not allowed
    ]
    for extra in bad:
        response = _check(as_provider, encounter, IN_PERSON, {**base, **extra})
        assert response.status_code == 400, extra
        page = unescape(response.content.decode())
        assert 'id="id_contact_after__best_way_error"' in page, extra
        assert "or choose another best way" in page, extra
        assert "Sam from the library" in page and "their own words here" in page  # nothing typed is lost
        assert 'value="text" selected' in page or 'value="voicemail" selected' in page
    assert not ContactRules.objects.filter(person=world_a.person).exists()
    good = {**base, "contact_after__best_way": "text", "contact_after__perm_text": "allowed"}
    assert _check(as_provider, encounter, IN_PERSON, good).status_code == 302
    rules = ContactRules.objects.get(person=world_a.person)
    assert (rules.best_way, rules.text) == ("text", "allowed")


def test_part_problems_best_way() -> None:
    problems = intake.part_problems
    assert "best_way" in problems("contact_after", {"best_way": "email", "perm_email": "not_allowed"})
    assert "best_way" in problems("contact_after", {"best_way": "voicemail", "perm_voicemail": "allowed"})
    assert not problems("contact_after", {"best_way": "voicemail", "perm_voicemail": "allowed", "perm_call": "allowed"})
    assert not problems("contact_after", {"best_way": "", "perm_text": "not_allowed"})
    assert not problems("contact_after", {"best_way": "post", "perm_post": "allowed"})


def test_no_channel_follow_up_with_no_date_is_due_today(as_provider: Client, world_a: OrgWorld) -> None:
    _encounter, url = _not_safe_call(as_provider, world_a)
    assert as_provider.post(url, {"callback_plan": "", "due_on": ""}).status_code == 302
    (task,) = _callback_tasks(world_a)
    assert task.due_on == timezone.localdate() and task.channel == ""

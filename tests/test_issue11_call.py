"""Issue 11, items 1-3 (and the one-click check of item 8): a call starts with safety; the emergency
page is ready for an emergency; nothing is silently dropped.

1. On a call (phone or video) the first screen is the hang-up reminder and "Is it safe for you to
   speak with me right now?", one click: yes goes on to confidentiality, then the check (where the
   question is shown answered, not asked again); no and not sure go straight to the cover line and
   callback plan.  In person the order is unchanged.  Comfort kinds follow the mode.
2. "In danger here" has steps for a call and for in person, in the reader's language unless the
   organisation wrote its own; no placeholder ever reaches a provider (911 and the hotline until the
   organisation fills its contacts); the org admin's set-up list starts with the contacts until done.
3. The check says before saving what will be kept, the save says how many were kept and how many
   asked only, and the close page counts asked / recorded / not recorded as stored."""

from __future__ import annotations

import re
import uuid
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON, PHONE
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters import actions
from waypoint.encounters.models import ComfortEvent, ComfortKind, Encounter, Mode, SafetyAnswer, Step, StepState
from waypoint.encounters.separation import DEFAULT_PROTOCOL, PHONE_EMERGENCY_STEPS, SeparationProtocol

HANG_UP = "free to hang up"
SAFE_QUESTION = "Is it safe for you to speak with me right now?"
HOTLINE = "1-888-373-7888"
PLACEHOLDER = "(add"


def start(client: Client, world: OrgWorld, mode: str) -> tuple[Encounter, str]:
    """A new encounter in ``mode``, and where starting it led."""
    data = {"mode": mode, "form_token": str(uuid.uuid4())}
    response = client.post(f"/people/{world.person.id}/encounters/new/", data)
    assert response.status_code == 302
    encounter = Encounter.objects.get(pk=response["Location"].split("/")[2])
    return encounter, response["Location"]


def say_safe(client: Client, encounter: Encounter, answer: str) -> Any:
    content = ContentSet.current(encounter.org_id, PHONE)
    return client.post(f"/encounters/{encounter.id}/safe-to-talk/", {"content_set": str(content.id), "answer": answer})


def states(encounter: Encounter) -> dict[str, tuple[str, str]]:
    return {state.step: (state.status, state.reason) for state in StepState.objects.filter(encounter=encounter)}


def main_of(response: Any) -> str:
    return str(response.content.decode().split("<main")[1].split("</main>")[0])


def reads_during(call: Any) -> tuple[Any, int]:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = call()
    return response, AuditEvent.objects.filter(id__gt=last, event__in=audit.read_events()).count()


def ready_in_person(client: Client, world: OrgWorld) -> Encounter:
    encounter, _where = start(client, world, Mode.IN_PERSON)
    data = {"gate": "alone", "interpreter": "not_needed"}
    assert client.post(f"/encounters/{encounter.id}/privacy/", data).status_code == 302
    assert client.post(f"/encounters/{encounter.id}/confidentiality/").status_code == 302
    return encounter


def ready_call(client: Client, world: OrgWorld, mode: str = Mode.PHONE) -> Encounter:
    encounter, _where = start(client, world, mode)
    assert say_safe(client, encounter, "yes").status_code == 302
    assert client.post(f"/encounters/{encounter.id}/confidentiality/").status_code == 302
    return encounter


# --- 1. A call starts with safety -----------------------------------------------------------------


@pytest.mark.parametrize("mode", [Mode.PHONE, Mode.VIDEO])
def test_a_call_starts_with_the_reminder_and_safe_to_talk(as_provider: Client, world_a: OrgWorld, mode: str) -> None:
    encounter, where = start(as_provider, world_a, mode)
    assert where == f"/encounters/{encounter.id}/safe-to-talk/"
    assert encounter.steps()[:3] == [Step.SAFE_TO_TALK, Step.CONFIDENTIALITY, Step.SAFETY_CHECK]
    response, reads = reads_during(lambda: as_provider.get(where))
    body = main_of(response)
    assert response.status_code == 200 and reads == 1
    assert body.index(HANG_UP) < body.index(SAFE_QUESTION)
    assert re.findall(r'name="answer" value="(\w+)"', body) == ["yes", "no", "unsure"]  # one click each
    assert "confidentiality" not in body.split(SAFE_QUESTION)[0].lower()  # nothing of it before the question
    for locked in ("confidentiality/", "safety-check/", "assessment/", "needs/"):
        response = as_provider.get(f"/encounters/{encounter.id}/{locked}")
        assert response.status_code == 302 and response["Location"].startswith(f"/encounters/{encounter.id}/")
    assert as_provider.post(f"/encounters/{encounter.id}/confidentiality/").status_code == 302
    assert Step.CONFIDENTIALITY not in states(encounter)  # posting ahead is refused


def test_yes_goes_to_confidentiality_then_the_check_without_asking_again(
    as_provider: Client, world_a: OrgWorld
) -> None:
    encounter, _where = start(as_provider, world_a, Mode.PHONE)
    response = say_safe(as_provider, encounter, "yes")
    assert response["Location"] == f"/encounters/{encounter.id}/confidentiality/"
    assert states(encounter)[Step.SAFE_TO_TALK] == ("done", "")
    (asked,) = SafetyAnswer.objects.filter(encounter=encounter)
    assert (asked.question_key, asked.answer, asked.consented) == ("safe_to_talk", "", False)  # asked only
    assert AuditEvent.objects.filter(event="encounter.updated", object_id=encounter.id).count() == 1
    assert as_provider.get(response["Location"]).status_code == 200
    assert as_provider.get(f"/encounters/{encounter.id}/safety-check/").status_code == 302  # confidentiality first
    assert as_provider.post(f"/encounters/{encounter.id}/confidentiality/").status_code == 302
    check = as_provider.get(f"/encounters/{encounter.id}/safety-check/")
    body = main_of(check)
    assert check.status_code == 200 and 'name="safe_to_talk__answer"' not in body  # not asked twice
    assert SAFE_QUESTION in body and "Asked at the start of the call" in body
    assert 'name="safe_to_talk__consented"' in body  # whether it may be written down is still theirs
    content = ContentSet.current(world_a.org.id, PHONE)
    data = {"content_set": str(content.id), "safe_to_talk__answer": "no", "safe_to_talk__consented": "on"}
    response = as_provider.post(f"/encounters/{encounter.id}/safety-check/", data)
    assert response["Location"].startswith(f"/encounters/{encounter.id}/#")  # a posted "no" changes nothing
    asked.refresh_from_db()
    assert (asked.answer, asked.consented) == ("yes", True)


@pytest.mark.parametrize("answer", ["no", "unsure"])
def test_no_and_not_sure_go_straight_to_the_cover_line(as_provider: Client, world_a: OrgWorld, answer: str) -> None:
    reason = "Call paused"  # the same neutral words for both: what they said is not kept without consent
    encounter, _where = start(as_provider, world_a, Mode.PHONE)
    response = say_safe(as_provider, encounter, answer)
    assert response["Location"] == f"/encounters/{encounter.id}/not-safe-to-talk/"
    assert states(encounter) == {Step.SAFE_TO_TALK: ("paused", reason)}
    page = main_of(as_provider.get(response["Location"]))
    assert "wrong number" in page and 'name="callback_plan"' in page
    assert f'href="/encounters/{encounter.id}/safe-to-talk/"' in page  # ask again, if it becomes safe
    assert as_provider.get(f"/encounters/{encounter.id}/confidentiality/").status_code == 302  # still locked
    again = main_of(as_provider.get(f"/encounters/{encounter.id}/safe-to-talk/"))
    assert 'id="asked-before"' in again and reason in again
    for page in ("summary", "close"):  # nowhere says what they answered
        shown = main_of(as_provider.get(f"/encounters/{encounter.id}/{page}/"))
        assert "Not safe to talk" not in shown.replace(">Not safe to talk</a>", "") and "Not sure" not in shown
    assert say_safe(as_provider, encounter, "yes")["Location"].endswith("/confidentiality/")
    assert as_provider.get(f"/encounters/{encounter.id}/confidentiality/").status_code == 200


def test_in_person_order_is_unchanged(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, where = start(as_provider, world_a, Mode.IN_PERSON)
    assert where == f"/encounters/{encounter.id}/"
    assert encounter.steps()[:3] == [Step.GATE, Step.CONFIDENTIALITY, Step.SAFETY_CHECK]
    assert as_provider.get(f"/encounters/{encounter.id}/safe-to-talk/").status_code == 404
    assert say_safe(as_provider, encounter, "yes").status_code == 404
    check = f"/encounters/{encounter.id}/safety-check/"
    assert as_provider.get(check).status_code == 302  # privacy first
    assert as_provider.get(f"/encounters/{encounter.id}/confidentiality/").status_code == 200
    data = {"gate": "alone", "interpreter": "not_needed"}
    as_provider.post(f"/encounters/{encounter.id}/privacy/", data)
    assert as_provider.get(check).status_code == 302  # then confidentiality
    as_provider.post(f"/encounters/{encounter.id}/confidentiality/")
    body = main_of(as_provider.get(check))
    assert 'name="danger_here__answer"' in body and "safe_to_talk" not in body


@pytest.mark.parametrize(
    "data",
    [
        {"answer": "maybe"},
        {"answer": ""},
        {},
        {"answer": "yes", "content_set": "not-a-uuid"},
        {"answer": "declined"},  # an answer of the check, not of this one-click question
    ],
)
def test_safe_to_talk_bad_input_says_so_and_writes_nothing(
    as_provider: Client, world_a: OrgWorld, data: dict[str, str]
) -> None:
    encounter, where = start(as_provider, world_a, Mode.PHONE)
    content = ContentSet.current(world_a.org.id, PHONE)
    response, reads = reads_during(lambda: as_provider.post(where, {"content_set": str(content.id), **data}))
    assert response.status_code == 400 and reads == 1
    assert 'id="error-summary"' in main_of(response)
    assert not SafetyAnswer.objects.filter(encounter=encounter).exists() and not states(encounter)


def test_safe_to_talk_against_another_version_is_refused(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, where = start(as_provider, world_a, Mode.PHONE)
    response = as_provider.post(where, {"content_set": str(uuid.uuid4()), "answer": "yes"})
    assert response.status_code == 302 and response["Location"] == where
    assert not states(encounter) and not SafetyAnswer.objects.filter(encounter=encounter).exists()


def test_safe_to_talk_of_a_closed_call_is_read_only(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, where = start(as_provider, world_a, Mode.PHONE)
    as_provider.post(f"/encounters/{encounter.id}/close/")
    assert 'name="answer"' not in main_of(as_provider.get(where))
    assert say_safe(as_provider, encounter, "yes").status_code == 302
    assert not states(encounter)


def test_comfort_kinds_follow_the_mode(as_provider: Client, world_a: OrgWorld) -> None:
    staff = world_a.provider
    call, _where = start(as_provider, world_a, Mode.PHONE)
    room, _where = start(as_provider, world_a, Mode.IN_PERSON)
    for kind in (ComfortKind.WATER, ComfortKind.RESTROOM):
        with pytest.raises(actions.Refused):
            actions.add_comfort_event(staff, call, kind)
    with pytest.raises(actions.Refused):
        actions.add_comfort_event(staff, room, ComfortKind.CALL_BACK)
    actions.add_comfort_event(staff, call, ComfortKind.CALL_BACK)
    actions.add_comfort_event(staff, call, ComfortKind.BREAK_OFFERED)
    actions.add_comfort_event(staff, room, ComfortKind.WATER)
    assert sorted(ComfortEvent.objects.filter(encounter=call).values_list("kind", flat=True)) == [
        "break_offered", "call_back",
    ]  # fmt: skip
    response = as_provider.post(f"/encounters/{call.id}/comfort/", {"kind": "water"})  # through the page
    assert response.status_code == 302
    assert ComfortEvent.objects.filter(encounter=call).count() == 2
    assert "not offered" in as_provider.get(response["Location"]).content.decode()
    call_page = main_of(as_provider.get(f"/encounters/{call.id}/"))
    room_page = main_of(as_provider.get(f"/encounters/{room.id}/"))
    buttons = re.compile(r'name="kind" value="(\w+)"')
    assert {"water", "restroom"}.isdisjoint(buttons.findall(call_page)) and "call_back" in buttons.findall(call_page)
    assert {"water", "restroom"} <= set(buttons.findall(room_page)) and "call_back" not in buttons.findall(room_page)


# --- 2. The emergency page ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_danger_in_person_defaults_and_never_a_placeholder(world_a: OrgWorld, language: str) -> None:
    client = sign_in(Client(), world_a.provider, language=language)
    response = client.get(f"/encounters/{world_a.encounter.id}/danger/")
    body = response.content.decode()
    assert response.status_code == 200 and f'<html lang="{language}">' in body
    page = main_of(response)
    assert PLACEHOLDER not in page and "911" in page and HOTLINE in page
    assert 'data-steps="in_person"' in page and page.count("<li>") >= 3 + 2
    assert 'id="contacts-missing"' in page


def test_default_texts_are_translated_at_display_and_own_text_shown_as_written(world_a: OrgWorld) -> None:
    with mock.patch("waypoint.encounters.separation.gettext", side_effect=lambda text: f"[es] {text}"):
        unsaved = SeparationProtocol.for_org(world_a.org.id)
        assert unsaved.emergency_steps.startswith("[es] Stay with the person")
        assert unsaved.security_contact == ""  # empty, never "(add the number)"
        saved = SeparationProtocol(org=world_a.org, **DEFAULT_PROTOCOL)
        assert saved.shown_lines("emergency_steps")[0] == "[es] Stay with the person if it is safe."
        saved.emergency_steps = "Ring the charge nurse on 4411"
        assert saved.shown_lines("emergency_steps") == ["Ring the charge nurse on 4411"]
    assert all(not value or PLACEHOLDER not in value for value in DEFAULT_PROTOCOL.values())


def test_danger_on_a_call_shows_the_call_steps(world_a: OrgWorld) -> None:
    SeparationProtocol.objects.create(
        org=world_a.org, **{**DEFAULT_PROTOCOL, "security_contact": "Desk 555-0100", "local_police": "PD 555-0111"}
    )
    client = sign_in(Client(), world_a.provider)
    call = ready_call(client, world_a)
    page = main_of(client.get(f"/encounters/{call.id}/danger/"))
    assert 'data-steps="call"' in page and str(PHONE_EMERGENCY_STEPS[0]) in page
    assert "Stay on the line" in page and "Call security." not in page
    assert "PD 555-0111" in page and "Desk 555-0100" not in page  # the building's security is not theirs
    assert "911" in page and HOTLINE in page and 'id="contacts-missing"' not in page
    room = main_of(client.get(f"/encounters/{world_a.encounter.id}/danger/"))
    assert 'data-steps="in_person"' in room and "Desk 555-0100" in room and "Stay on the line" not in room


def test_earlier_placeholders_are_never_shown(world_a: OrgWorld) -> None:
    SeparationProtocol.objects.create(
        org=world_a.org,
        **{
            **DEFAULT_PROTOCOL,
            "security_contact": "Building security: (add the number)",
            "local_police": "Local police non-emergency: (add the number). Emergency: 911",
            "tribal_police": "Tribal law enforcement, if applicable: (add the contact)",
        },
    )
    client = sign_in(Client(), world_a.provider)
    for encounter in (world_a.encounter, ready_call(client, world_a)):
        page = main_of(client.get(f"/encounters/{encounter.id}/danger/"))
        assert PLACEHOLDER not in page and HOTLINE in page and 'id="contacts-missing"' in page


def setup_rows(client: Client) -> list[tuple[str, str]]:
    body = main_of(client.get("/"))
    if 'id="setup"' not in body:
        return []
    section = body.split('id="setup"')[1].split("</section>")[0]
    return re.findall(r'data-setup-done="(\d)">\s*<a href="([^"]+)"', section)


def test_admin_set_up_list_starts_with_the_emergency_contacts(world_a: OrgWorld) -> None:
    admin = sign_in(Client(), world_a.org_admin)
    assert setup_rows(admin)[0] == ("0", "/encounters/separation/protocol/")
    assert setup_rows(sign_in(Client(), world_a.provider)) == []  # for org admins only
    page = main_of(admin.get("/encounters/separation/protocol/"))
    assert PLACEHOLDER not in page and 'id="id_security_contact"' in page
    from tests.test_separation import protocol_data

    refused = admin.post("/encounters/separation/protocol/", protocol_data(security_contact=""))
    assert refused.status_code == 200 and setup_rows(admin)[0][0] == "0"
    before = timezone.now()
    assert admin.post("/encounters/separation/protocol/", protocol_data()).status_code == 302
    assert ("1", "/encounters/separation/protocol/") in setup_rows(admin)
    section = main_of(admin.get("/")).split('id="setup"')[1]
    assert world_a.org_admin.display_name in section and "Done" in section
    assert SeparationProtocol.objects.get(org=world_a.org).reviewed_at >= before
    provider = sign_in(Client(), world_a.provider)
    page = main_of(provider.get(f"/encounters/{world_a.encounter.id}/danger/"))
    assert "Security 555-0100" in page and "PD 555-0111" in page and 'id="contacts-missing"' not in page


URGENT = re.compile(r'<a class="button urgent" href="([^"]+)" data-shortcut="(\w+)"')


def test_help_now_actions_are_in_the_same_place_on_every_encounter_page(as_provider: Client, world_a: OrgWorld) -> None:
    call, _where = start(as_provider, world_a, Mode.PHONE)
    pages = [f"/encounters/{call.id}/{path}" for path in ("", "safe-to-talk/", "not-safe-to-talk/", "danger/")]
    pages += [f"/encounters/{call.id}/injured/", f"/encounters/{call.id}/close/"]
    say_safe(as_provider, call, "yes")
    pages += [f"/encounters/{call.id}/confidentiality/"]
    as_provider.post(f"/encounters/{call.id}/confidentiality/")
    pages += [f"/encounters/{call.id}/safety-check/"]
    for url in pages:
        page = main_of(as_provider.get(url))
        found = URGENT.findall(page)
        assert found == [(f"/encounters/{call.id}/danger/", "danger"), (f"/encounters/{call.id}/injured/", "injured")]
        assert page.index('class="urgent-actions"') < page.index("</h1>") + 200, url  # just under the heading
        assert page.count('data-shortcut="danger"') == 1 and page.count('data-shortcut="injured"') == 1, url
    as_provider.post(f"/encounters/{call.id}/close/")
    assert "urgent-actions" not in main_of(as_provider.get(f"/encounters/{call.id}/"))


# --- 3. Nothing is silently dropped ---------------------------------------------------------------


def keep_hints(page: str) -> dict[str, str]:
    return dict(re.findall(r'id="keep-(\w+)" data-keep="(\w+)"', page))


def counts(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-count="(\w+)">(\d+)<', page))


def test_the_check_says_what_will_be_kept_before_saving(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = ready_in_person(as_provider, world_a)
    url = f"/encounters/{encounter.id}/safety-check/"
    page = main_of(as_provider.get(url))
    assert keep_hints(page) == dict.fromkeys(["danger_here", "feel_safer", "take_resources", "contact_after"], "none")
    assert counts(page) == {"kept": "0", "asked": "0", "none": "4"}
    assert page.index('id="keep-summary"') < page.index('type="submit" class="button"')  # before the save
    assert 'src="/static/check.js"' in page
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    data = {
        "content_set": str(content.id),
        "danger_here__answer": "no",
        "danger_here__consented": "on",
        "feel_safer__answer": "yes",  # not agreed: its answer will not be kept
        "take_resources__answer": "no",
        "take_resources__note": "typed before asking",  # a note without agreement: refused
    }
    response, reads = reads_during(lambda: as_provider.post(url, data))
    page = main_of(response)
    assert response.status_code == 400 and reads == 1
    assert keep_hints(page) == {
        "danger_here": "kept", "feel_safer": "asked", "take_resources": "asked", "contact_after": "none",
    }  # fmt: skip
    assert "The answer will not be kept; only that the question was asked." in page
    assert counts(page) == {"kept": "1", "asked": "2", "none": "1"}
    assert "typed before asking" in page  # nothing typed is lost
    assert not SafetyAnswer.objects.filter(encounter=encounter).exists()  # no partial write


def test_counts_are_honest_after_saving_and_on_the_close_page(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = ready_in_person(as_provider, world_a)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    data = {
        "content_set": str(content.id),
        "danger_here__answer": "no",
        "danger_here__consented": "on",
        "feel_safer__answer": "yes",  # asked, not agreed
        "take_resources__answer": "declined",
        "take_resources__consented": "on",
        "contact_after__consented": "on",  # agreed, but nothing was asked: nothing to keep
    }
    response = as_provider.post(f"/encounters/{encounter.id}/safety-check/", data, follow=True)
    assert "Answers kept: 2. Asked only, answer not kept: 1." in response.content.decode()
    stored = {a.question_key: (a.answer, a.consented) for a in SafetyAnswer.objects.filter(encounter=encounter)}
    assert stored == {"danger_here": ("no", True), "feel_safer": ("", False), "take_resources": ("declined", True)}
    close = main_of(as_provider.get(f"/encounters/{encounter.id}/close/"))
    shown = dict(re.findall(r'data-count="([\w-]+)">[^<]*<strong>(\d+)</strong>', close))
    assert shown == {"asked": "3", "recorded": "2", "not-recorded": "1"}
    again = main_of(as_provider.get(f"/encounters/{encounter.id}/safety-check/"))
    assert "Saved before: asked only" in again  # the asked-only question says so when the check is reopened


def test_consent_once_for_the_whole_check_then_one_click_per_question(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = ready_call(as_provider, world_a)
    content = ContentSet.current(world_a.org.id, PHONE)
    url = f"/encounters/{encounter.id}/safety-check/"
    assert 'name="consent_all"' in main_of(as_provider.get(url))
    data = {
        "content_set": str(content.id),
        "consent_all": "on",
        "disconnection__on_disconnect": "they_call",  # an open question: its parts only, no yes / no
        "write_down__answer": "no",
        "injured__answer": "no",
        "where_are_you__note": "at a friend's",  # their words, covered by the consent given once
    }
    response = as_provider.post(url, data, follow=True)
    assert "Answers kept: 5. Asked only, answer not kept: 0." in response.content.decode()
    stored = {a.question_key: (a.answer, a.consented) for a in SafetyAnswer.objects.filter(encounter=encounter)}
    assert stored == {
        "safe_to_talk": ("yes", True), "disconnection": ("", True), "write_down": ("no", True),
        "injured": ("no", True), "where_are_you": ("", True),
    }  # fmt: skip
    assert SafetyAnswer.objects.get(encounter=encounter, question_key="where_are_you").note == "at a friend's"
    close = main_of(as_provider.get(f"/encounters/{encounter.id}/close/"))
    shown = dict(re.findall(r'data-count="([\w-]+)">[^<]*<strong>(\d+)</strong>', close))
    assert shown == {"asked": "5", "recorded": "5", "not-recorded": "0"}


def test_a_call_that_was_not_safe_counts_the_question_as_asked_only(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, _where = start(as_provider, world_a, Mode.PHONE)
    say_safe(as_provider, encounter, "no")
    close = main_of(as_provider.get(f"/encounters/{encounter.id}/close/"))
    shown = dict(re.findall(r'data-count="([\w-]+)">[^<]*<strong>(\d+)</strong>', close))
    assert shown == {"asked": "1", "recorded": "0", "not-recorded": "1"}


def test_a_call_started_before_this_order_is_not_locked_out(as_provider: Client, world_a: OrgWorld) -> None:
    """A call opened before "safe to talk" came first had confidentiality explained first: its check
    stays open.  A "no" asked now still closes it until asked again."""
    call = Encounter.objects.create(org=world_a.org, person=world_a.person, mode=Mode.PHONE, lead=world_a.provider)
    StepState.objects.create(encounter=call, step=Step.CONFIDENTIALITY, status="done", by_id=world_a.provider.id)
    assert as_provider.get(f"/encounters/{call.id}/safety-check/").status_code == 200
    say_safe(as_provider, call, "no")
    assert as_provider.get(f"/encounters/{call.id}/safety-check/").status_code == 302


# --- 10 (c), on the question pages: no wording in their language is said, never silent ----------


def test_questions_with_no_wording_in_their_language_say_so_and_are_marked_english(
    as_provider: Client, world_a: OrgWorld
) -> None:
    world_a.person.preferred_language = "vi"
    world_a.person.save()
    call = ready_call(as_provider, world_a)
    Encounter.objects.filter(pk=call.pk).update(language="vi")
    page = main_of(as_provider.get(f"/encounters/{call.id}/safety-check/"))
    assert 'data-fallback="vi"' in page and "No wording in Vietnamese: shown in English." in page
    assert 'lang="vi"' not in page  # the English questions are not announced as Vietnamese
    # A call has no privacy step: the interpreter is offered on the record, not on a page that is not there.
    assert f"/people/{world_a.person.id}/edit/" in page and f"/encounters/{call.id}/privacy/" not in page
    page = main_of(as_provider.get(f"/encounters/{call.id}/safe-to-talk/"))
    assert 'data-fallback="vi"' in page
    Encounter.objects.filter(pk=call.pk).update(language="es")
    page = main_of(as_provider.get(f"/encounters/{call.id}/safety-check/"))
    assert "data-fallback" not in page and 'lang="es"' in page


def test_consent_withdrawn_later_keeps_only_that_the_question_was_asked(as_provider: Client, world_a: OrgWorld) -> None:
    """A note kept with their agreement, then the agreement taken back (the box unticked, the note
    cleared): nothing of it stays, only that the question was asked."""
    encounter = ready_in_person(as_provider, world_a)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    url = f"/encounters/{encounter.id}/safety-check/"
    first = {"content_set": str(content.id), "feel_safer__note": "SECRETNOTE", "feel_safer__consented": "on"}
    first |= {"danger_here__answer": "no", "danger_here__consented": "on"}
    assert as_provider.post(url, first).status_code == 302
    assert SafetyAnswer.objects.get(encounter=encounter, question_key="feel_safer").note == "SECRETNOTE"
    encounter.refresh_from_db()
    withdrawn = {"content_set": str(content.id), "danger_here__answer": "no"}  # both boxes unticked, note cleared
    assert as_provider.post(url, withdrawn).status_code == 302
    stored = {a.question_key: (a.answer, a.consented, a.note) for a in SafetyAnswer.objects.filter(encounter=encounter)}
    assert stored == {"feel_safer": ("", False, ""), "danger_here": ("", False, "")}
    assert "SECRETNOTE" not in main_of(as_provider.get(url))


def test_a_call_begun_before_safe_to_talk_came_first_is_asked_it_not_given_a_yes(
    as_provider: Client, world_a: OrgWorld
) -> None:
    encounter = Encounter.objects.create(org=world_a.org, person=world_a.person, mode=Mode.PHONE, lead=world_a.provider)
    StepState.objects.create(encounter=encounter, step="confidentiality", status="done", by_id=world_a.provider.id)
    url = f"/encounters/{encounter.id}/safety-check/"
    page = main_of(as_provider.get(url))
    assert "Asked at the start of the call" not in page and 'name="safe_to_talk__answer"' in page
    content = ContentSet.current(world_a.org.id, PHONE)
    assert as_provider.post(url, {"content_set": str(content.id), "safe_to_talk__consented": "on"}).status_code == 302
    stored = SafetyAnswer.objects.filter(encounter=encounter, question_key="safe_to_talk").first()
    assert stored is None or stored.answer == ""  # no invented "yes"

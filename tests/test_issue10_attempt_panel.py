"""Issue 10 review, gap 10: an attempt can be logged from the "Contact this person" page, on no
follow-up.  The form offers only the channels the rules allow now and voicemail only where it is
allowed; the action checks again under the rules' lock; "not safe to talk" still makes the next
day's follow-up; the attempt shows on the contact page, the record and the timeline; a refused post
shows the page again with the message and everything typed, and writes nothing."""

from __future__ import annotations

import datetime
import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from tests.test_issue10_review_a import form_with
from waypoint.contact import actions
from waypoint.contact.actions import ContactRefused
from waypoint.contact.events import ContactEvent
from waypoint.contact.models import ContactAttempt, ContactRules, FollowUpTask, Outcome, TaskSource
from waypoint.core import audit
from waypoint.core.models import AuditEvent

NOTE = "Rang from the panel, she said the bus was late"
CALLS = {"safe_to_contact": "yes", "call": "allowed", "voicemail": "allowed", "phone_number": "5550107777"}
TEXTS = {"safe_to_contact": "yes", "text": "allowed", "text_number": "5550101234", "best_way": "text"}


def rules(world: OrgWorld, **changes: str) -> ContactRules:
    return actions.record_rules(world.provider, world.person, changes, how="in_person")


def page_url(world: OrgWorld) -> str:
    return reverse("contact:person", args=[world.person.id])


def post_url(world: OrgWorld) -> str:
    return reverse("contact:person_attempt", args=[world.person.id])


def attempt_section(page: str) -> str:
    found = re.search(r'<section aria-labelledby="attempt-h">(.*?)</section>', page, re.S)
    assert found is not None, "no attempt section on the contact page"
    return found.group(1)


def the_form(client: Client, world: OrgWorld) -> dict[str, Any]:
    """The attempt form of the contact page, as a browser would post it unchanged."""
    return form_with(client.get(page_url(world)).content.decode(), "form_token")


def writes() -> int:
    """Audit rows that are not reads (every change writes one)."""
    return AuditEvent.objects.exclude(event__in=audit.read_events()).count()


def reads_since(last: int) -> list[str]:
    return list(AuditEvent.objects.filter(id__gt=last, event__in=audit.read_events()).values_list("event", flat=True))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


# --- The form ----------------------------------------------------------------------------------


def test_the_contact_page_offers_only_the_channels_allowed_now(as_provider: Client, world_a: OrgWorld) -> None:
    rules(world_a, **TEXTS, call="not_allowed", email="unknown")
    last = last_id()
    response = as_provider.get(page_url(world_a))
    assert response.status_code == 200
    assert reads_since(last) == [ContactEvent.RULES_VIEWED]  # still exactly one read row
    section = attempt_section(unescape(response.content.decode()))
    assert "Log an attempt" in section
    offered = re.findall(r'name="channel" value="([^"]+)"', section)
    assert offered == ["text"]
    assert re.search(r'name="channel" value="text"[^>]*checked', section)  # their best way, and the only one
    outcomes = re.findall(r'name="outcome" value="([^"]+)"', section)
    assert outcomes == ["reached", "no_answer", "not_safe", "someone_else", "wrong_number"]
    assert 'name="voicemail_left"' not in section  # voicemail not allowed: no such box
    assert 'name="close_task"' not in section  # no follow-up to close
    assert 'name="note"' in section and 'name="form_token"' in section
    assert f'action="{post_url(world_a)}"' in section


def test_voicemail_is_offered_only_where_it_is_allowed(as_provider: Client, world_a: OrgWorld) -> None:
    rules(world_a, **CALLS)
    section = attempt_section(unescape(as_provider.get(page_url(world_a)).content.decode()))
    assert 'name="voicemail_left"' in section
    rules(world_a, voicemail="not_allowed")
    section = attempt_section(unescape(as_provider.get(page_url(world_a)).content.decode()))
    assert 'name="voicemail_left"' not in section


def test_no_rules_means_no_form_and_a_plain_do_not_try(as_provider: Client, world_a: OrgWorld) -> None:
    section = attempt_section(unescape(as_provider.get(page_url(world_a)).content.decode()))
    assert "<form" not in section and 'name="channel"' not in section
    assert "Their contact rules allow no way of reaching them now." in section


# --- Logging --------------------------------------------------------------------------------------


def test_an_attempt_from_the_contact_page_is_logged_on_no_follow_up(world_a: OrgWorld) -> None:
    rules(world_a, **CALLS)
    client = sign_in(Client(), world_a.provider)
    form = the_form(client, world_a)
    before = writes()
    response = client.post(post_url(world_a), {**form, "channel": "call", "outcome": "no_answer", "note": NOTE})
    assert response.status_code == 302 and response["Location"] == page_url(world_a)
    attempt = ContactAttempt.objects.get(person=world_a.person)
    assert (attempt.task_id, attempt.channel, attempt.outcome, attempt.note) == (None, "call", "no_answer", NOTE)
    assert attempt.by_id == world_a.provider.id
    assert attempt.rules_version == ContactRules.objects.get(person=world_a.person).version
    assert attempt.next_task_id is None and not attempt.voicemail_left
    assert writes() == before + 1
    assert AuditEvent.objects.get(event=ContactEvent.ATTEMPT_LOGGED).object_id == attempt.id
    assert FollowUpTask.objects.filter(person=world_a.person).count() == 1  # the world's own: no new follow-up

    assert "Attempt logged." in client.get(response["Location"]).content.decode()

    # It shows like any other attempt: on the contact page, the record and the timeline.
    for url in (page_url(world_a), reverse("people:detail", args=[world_a.person.id])):
        page = unescape(client.get(url).content.decode())
        table = re.search(r"<caption[^>]*>Contact attempts</caption>(.*?)</table>", page, re.S)
        assert table and "Phone call" in table.group(1) and "No answer" in table.group(1), url
    timeline = unescape(client.get(reverse("people:timeline", args=[world_a.person.id])).content.decode())
    assert re.search(rf'<a href="{page_url(world_a)}">Contact attempt · Phone call</a> \(No answer\)', timeline)


def test_a_voicemail_left_is_recorded_where_voicemail_is_allowed(world_a: OrgWorld) -> None:
    rules(world_a, **CALLS)
    client = sign_in(Client(), world_a.provider)
    posted = {**the_form(client, world_a), "channel": "call", "outcome": "no_answer", "voicemail_left": "on"}
    assert client.post(post_url(world_a), posted).status_code == 302
    assert ContactAttempt.objects.get(person=world_a.person).voicemail_left is True


def test_a_double_submit_logs_one_attempt(world_a: OrgWorld) -> None:
    rules(world_a, **TEXTS)
    client = sign_in(Client(), world_a.provider)
    posted = {**the_form(client, world_a), "outcome": "reached"}
    first, second = client.post(post_url(world_a), posted), client.post(post_url(world_a), posted)
    assert (first.status_code, second.status_code) == (302, 302)
    assert ContactAttempt.objects.filter(person=world_a.person).count() == 1
    assert AuditEvent.objects.filter(event=ContactEvent.ATTEMPT_LOGGED).count() == 1


def test_not_safe_to_talk_on_no_follow_up_makes_the_next_day_follow_up(world_a: OrgWorld) -> None:
    rules(world_a, **TEXTS)
    client = sign_in(Client(), world_a.provider)
    posted = {**the_form(client, world_a), "outcome": "not_safe"}
    response = client.post(post_url(world_a), posted)
    attempt = ContactAttempt.objects.get(person=world_a.person)
    retry = FollowUpTask.objects.get(pk=attempt.next_task_id)
    assert response.status_code == 302 and response["Location"] == reverse("contact:task", args=[retry.id])
    assert (retry.source, retry.channel, retry.status) == (TaskSource.NOT_SAFE, "text", "open")
    assert retry.due_on == timezone.localdate() + datetime.timedelta(days=1)
    assert retry.assigned_to_id == world_a.provider.id and retry.plan_id is None
    assert attempt.task_id is None
    events = list(AuditEvent.objects.exclude(event__in=audit.read_events()).values_list("event", flat=True))
    assert events.count(ContactEvent.ATTEMPT_LOGGED) == 1 and events.count(ContactEvent.TASK_ADDED) == 1
    page = unescape(client.get(response["Location"]).content.decode())
    assert "Not safe to talk: a new follow-up is set for tomorrow on the same channel." in page


# --- Refusals: the page again, with the message and what was typed, and nothing written -----------


def _refused(client: Client, world: OrgWorld, posted: dict[str, Any], message: str) -> str:
    attempts, tasks, changes, last = ContactAttempt.objects.count(), FollowUpTask.objects.count(), writes(), last_id()
    response = client.post(post_url(world), posted)
    assert response.status_code == 400
    assert reads_since(last) == [ContactEvent.RULES_VIEWED]  # exactly one read row, no write
    assert (ContactAttempt.objects.count(), FollowUpTask.objects.count(), writes()) == (attempts, tasks, changes)
    page = unescape(response.content.decode())
    assert message in page
    assert NOTE in attempt_section(page)  # nothing typed is lost
    return page


def test_a_channel_forbidden_since_the_page_was_opened_is_refused(world_a: OrgWorld) -> None:
    rules(world_a, **TEXTS, **{k: v for k, v in CALLS.items() if k != "safe_to_contact"})
    client = sign_in(Client(), world_a.provider)
    form = the_form(client, world_a)
    rules(world_a, text="not_allowed")  # a colleague records it with them meanwhile
    page = _refused(
        client, world_a, {**form, "channel": "text", "outcome": "reached", "note": NOTE},
        "The contact rules do not allow this way of reaching them. Nothing was saved.",
    )  # fmt: skip
    section = attempt_section(page)
    assert re.findall(r'name="channel" value="([^"]+)"', section) == [
        "call",
        "voicemail",
    ]  # the form as the rules are now


def test_a_channel_forbidden_while_the_post_is_on_its_way_is_refused_by_the_action(
    world_a: OrgWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form was checked against the rules as read by the view; a colleague's change that lands
    just before the action's lock is caught there, and the page says so."""
    rules(world_a, **TEXTS, **{k: v for k, v in CALLS.items() if k != "safe_to_contact"})
    client = sign_in(Client(), world_a.provider)
    form = the_form(client, world_a)
    real = actions.log_contact_attempt

    def racing(staff: Any, person: Any, **kwargs: Any) -> ContactAttempt:
        rules(world_a, text="not_allowed")
        return real(staff, person, **kwargs)

    monkeypatch.setattr(actions, "log_contact_attempt", racing)
    response = client.post(post_url(world_a), {**form, "channel": "text", "outcome": "reached", "note": NOTE})
    assert response.status_code == 400
    page = unescape(response.content.decode())
    section = attempt_section(page)
    assert "The contact rules do not allow this way of reaching them. Nothing was saved." in section
    assert section.count("The contact rules do not allow this way of reaching them.") == 2  # summary and field
    assert NOTE in section and re.findall(r'name="channel" value="([^"]+)"', section) == ["call", "voicemail"]
    assert not ContactAttempt.objects.exists()
    assert not AuditEvent.objects.filter(event=ContactEvent.ATTEMPT_LOGGED).exists()


def test_every_channel_forbidden_since_the_page_was_opened_keeps_the_note(world_a: OrgWorld) -> None:
    rules(world_a, **TEXTS)
    client = sign_in(Client(), world_a.provider)
    form = the_form(client, world_a)
    rules(world_a, safe_to_contact="no")
    page = _refused(
        client, world_a, {**form, "channel": "text", "outcome": "not_safe", "note": NOTE},
        "Their contact rules allow no way of reaching them now.",
    )  # fmt: skip
    assert "Save the attempt" not in attempt_section(page)  # nothing left to save it on


def test_a_voicemail_where_it_is_not_allowed_is_refused(world_a: OrgWorld) -> None:
    rules(world_a, **{**CALLS, "voicemail": "not_allowed"})
    client = sign_in(Client(), world_a.provider)
    posted = {**the_form(client, world_a), "channel": "call", "outcome": "no_answer", "note": NOTE}
    _refused(
        client, world_a, {**posted, "voicemail_left": "on"},
        "Voicemail is not allowed for this person. Nothing was saved.",
    )  # fmt: skip


def test_an_empty_post_is_refused_with_the_errors(world_a: OrgWorld) -> None:
    rules(world_a, **TEXTS)
    client = sign_in(Client(), world_a.provider)
    form = the_form(client, world_a)
    _refused(client, world_a, {"form_token": form["form_token"], "note": NOTE}, "This field is required.")


def test_another_organisations_person_is_404_and_nothing_is_written(world_a: OrgWorld, world_b: OrgWorld) -> None:
    rules(world_b, **TEXTS)
    client = sign_in(Client(), world_a.provider)
    before = (ContactAttempt.objects.count(), FollowUpTask.objects.count())
    response = client.post(post_url(world_b), {"channel": "text", "outcome": "not_safe", "note": NOTE})
    assert response.status_code == 404
    assert (ContactAttempt.objects.count(), FollowUpTask.objects.count()) == before
    assert client.get(post_url(world_a)).status_code == 405  # posts only


# --- The action itself ----------------------------------------------------------------------------


def test_the_action_refuses_what_the_rules_do_not_allow(world_a: OrgWorld) -> None:
    staff, person = world_a.provider, world_a.person
    with pytest.raises(ContactRefused):  # no rules: nothing allowed
        actions.log_contact_attempt(staff, person, channel="call", outcome=Outcome.REACHED)
    rules(world_a, **{**CALLS, "voicemail": "not_allowed"})
    with pytest.raises(ContactRefused):
        actions.log_contact_attempt(staff, person, channel="text", outcome=Outcome.REACHED)
    with pytest.raises(ContactRefused):
        actions.log_contact_attempt(staff, person, channel="call", outcome=Outcome.NO_ANSWER, voicemail_left=True)
    with pytest.raises(ValueError, match="not an outcome"):
        actions.log_contact_attempt(staff, person, channel="call", outcome="sort of")
    assert not ContactAttempt.objects.exists()
    assert not AuditEvent.objects.filter(event=ContactEvent.ATTEMPT_LOGGED).exists()
    rules(world_a, voicemail="allowed", text="allowed")
    with pytest.raises(ContactRefused):  # a voicemail is left on a call, not a text
        actions.log_contact_attempt(staff, person, channel="text", outcome=Outcome.NO_ANSWER, voicemail_left=True)
    attempt = actions.log_contact_attempt(staff, person, channel="call", outcome=Outcome.NO_ANSWER, voicemail_left=True)
    assert attempt.task_id is None and attempt.voicemail_left

"""The contact guard, as properties: random rule sets and random actions find no action allowed on a
channel the rules forbid, "not asked" included.

Three layers are checked against the same oracle (``forbids``, written here from the issue's words,
not from the guard's code): the decision itself (``may_use``) and the links it makes; what the pages
render from it (the channel table, the voicemail script, the home page's tiles); and the actions
that write (a follow-up created, an attempt logged, a voicemail recorded), against the database."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld
from waypoint.contact import actions, display
from waypoint.contact.actions import ContactRefused
from waypoint.contact.guard import channel_rows, link, may_use, usable_channels
from waypoint.contact.models import (
    CHANNELS,
    ContactAttempt,
    ContactChannel,
    ContactRules,
    FollowUpTask,
    Outcome,
    Permission,
    SafeToContact,
    YesNoUnsure,
)

SAFE_VALUES = [*SafeToContact.values, "", "YES", "allowed", "garbage"]
PERMISSIONS = [*Permission.values, "", "yes", "ALLOWED", "allowed ", "garbage"]
ACTIONS = [*CHANNELS, "", "sms", "tel", "phone", "Voicemail", "fax"]
ADDRESSES = st.one_of(st.just(""), st.sampled_from(["+15550101234", "5550101", "a@example.org", "Signal: sam"]))


def forbids(rules: ContactRules, channel: str) -> bool:
    """The issue's rule, written independently of the guard: contact only when the person said it
    is safe after today, only on a channel recorded as allowed ("not asked" and anything unknown
    forbid), and a voicemail only where calls are allowed too (it is left by calling)."""
    if channel not in CHANNELS or rules.safe_to_contact != "yes":
        return True
    if getattr(rules, channel) != "allowed":
        return True
    return channel == "voicemail" and rules.call != "allowed"


@st.composite
def rule_sets(draw: Any) -> ContactRules:
    # Weighted towards "yes" and "allowed", so that allowed channels are common enough to test too.
    rules = ContactRules(safe_to_contact=draw(st.sampled_from(["yes"] * 8 + SAFE_VALUES)))
    for channel in CHANNELS:
        setattr(rules, channel, draw(st.sampled_from(["allowed"] * 5 + PERMISSIONS)))
    for field in ("phone_number", "text_number", "email_address", "chat_address", "post_address", "visit_address"):
        setattr(rules, field, draw(ADDRESSES))
    rules.identify_as = draw(st.sampled_from(["", "Sam", "the pharmacy"]))
    rules.may_name_org = draw(st.sampled_from([*YesNoUnsure.values, ""]))
    return rules


COUNT = {"rule sets": 0, "actions": 0, "allowed on a forbidden channel": 0}


@settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
@given(rules=rule_sets(), action=st.sampled_from(ACTIONS))
def test_no_action_is_allowed_on_a_forbidden_channel(rules: ContactRules, action: str) -> None:
    COUNT["rule sets"] += 1
    for channel in [action, *CHANNELS]:
        COUNT["actions"] += 1
        if forbids(rules, channel):
            COUNT["allowed on a forbidden channel"] += may_use(rules, channel) or bool(link(rules, channel))
            assert not may_use(rules, channel), (channel, vars(rules))
            assert link(rules, channel) == ""
    assert set(usable_channels(rules)) == {c for c in CHANNELS if not forbids(rules, c)}


def test_print_the_guard_figures() -> None:
    """Runs after the property above (file order): the figures for the closing note."""
    print(f"guard property: {COUNT}")
    assert COUNT["rule sets"] >= 1000 and COUNT["allowed on a forbidden channel"] == 0


HREF = re.compile(r'href="(tel|sms|mailto):([^"]*)"')


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(rules=rule_sets())
def test_pages_render_no_action_for_a_forbidden_channel(rules: ContactRules) -> None:
    """The channel table (record page, before-you-call panel, new follow-up) and the voicemail
    script, rendered from random rules: every link is on a usable channel; no script without
    voicemail; the organisation's name only where they said it may be named."""
    html = render_to_string("contact/_channels.html", {"channels": channel_rows(rules)})
    scheme_channel = {"tel": "call", "sms": "text", "mailto": "email"}
    for scheme, _address in HREF.findall(html):
        assert not forbids(rules, scheme_channel[scheme]), (scheme, vars(rules))
    for row in channel_rows(rules):
        assert row.permission in Permission.values  # the permission is always shown beside the address
        assert f'data-channel="{row.channel}" data-usable="{"yes" if row.usable else "no"}"' in html
    script = display.voicemail_script(rules, "Riverside Health", "es")
    assert (script != "") == (not forbids(rules, "voicemail"))
    if script:
        assert ("Riverside Health" in script) == (rules.may_name_org == "yes")
    tiles = {tile.label: tile.yes for tile in display.tiles(rules)}
    for channel in ContactChannel:
        assert tiles[str(channel.label)] is (not forbids(rules, channel))


# --- The actions that write ------------------------------------------------------------------------


def _reset(world: OrgWorld, rules: ContactRules) -> ContactRules:
    ContactAttempt.objects.filter(person=world.person).delete()
    FollowUpTask.objects.filter(person=world.person).exclude(pk=world.task.pk).delete()
    ContactRules.objects.filter(person=world.person).delete()
    rules.person = world.person
    rules.save()
    return rules


@pytest.mark.django_db
def test_follow_ups_and_attempts_refuse_forbidden_channels(world_a: OrgWorld) -> None:
    staff, person, tomorrow = world_a.provider, world_a.person, timezone.localdate() + datetime.timedelta(days=1)
    seen = {"refused": 0, "allowed": 0}

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(rules=rule_sets(), channel=st.sampled_from(ACTIONS), voicemail=st.booleans(), open_it=st.booleans())
    def check(rules: ContactRules, channel: str, voicemail: bool, open_it: bool) -> None:
        if open_it and channel in CHANNELS:
            # Half the draws open the chosen channel, so that both sides are exercised every run
            # (random rules alone allow about one action in eight: too few to count on in 200 draws).
            rules.safe_to_contact = "yes"
            setattr(rules, channel, "allowed")
        rules = _reset(world_a, rules)
        before = FollowUpTask.objects.count()
        if forbids(rules, channel):
            seen["refused"] += 1
            with pytest.raises(ContactRefused):
                actions.add_task(staff, person, due_on=tomorrow, channel=channel)
            assert FollowUpTask.objects.count() == before
            with pytest.raises(ContactRefused):
                actions.log_attempt(staff, world_a.task, channel=channel, outcome=Outcome.REACHED)
            assert not ContactAttempt.objects.filter(person=person).exists()
            return
        seen["allowed"] += 1
        task = actions.add_task(staff, person, due_on=tomorrow, channel=channel)
        left = voicemail and channel == "call"
        if left and forbids(rules, "voicemail"):
            with pytest.raises(ContactRefused):
                actions.log_attempt(staff, task, channel=channel, outcome=Outcome.NO_ANSWER, voicemail_left=True)
            assert not ContactAttempt.objects.filter(task=task).exists()
        else:
            attempt = actions.log_attempt(staff, task, channel=channel, outcome=Outcome.NO_ANSWER, voicemail_left=left)
            assert attempt.voicemail_left == left

    check()
    print(f"follow-ups and attempts on random rules: {seen}")
    assert seen["refused"] > 20 and seen["allowed"] > 20


@pytest.mark.django_db
def test_rules_that_change_after_a_task_was_made_are_checked_again_at_the_attempt(world_a: OrgWorld) -> None:
    staff, person = world_a.provider, world_a.person
    actions.record_rules(staff, person, {"safe_to_contact": "yes", "text": "allowed"}, how="in_person")
    task = actions.add_task(staff, person, due_on=timezone.localdate(), channel="text")
    actions.record_rules(staff, person, {"text": "not_allowed"}, how="phone")
    with pytest.raises(ContactRefused):
        actions.log_attempt(staff, task, channel="text", outcome=Outcome.REACHED)
    actions.record_rules(staff, person, {"text": "unknown"}, how="phone")  # "not asked" forbids as well
    with pytest.raises(ContactRefused):
        actions.log_attempt(staff, task, channel="text", outcome=Outcome.REACHED)
    assert not ContactAttempt.objects.exists()

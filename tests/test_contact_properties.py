"""Bad input on the contact pages, as properties: whatever is posted to the rules page, the re-confirm
form, a new follow-up or an attempt, the answer is a page (never a 500), and either the whole change
is saved or nothing is; what is saved is only ever what the guard allows."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import make_org, sign_in
from tests.test_properties import NASTY, SETTINGS, post
from waypoint.contact import actions
from waypoint.contact.guard import may_use
from waypoint.contact.models import CHANNELS, ContactAttempt, ContactRules, FollowUpTask
from waypoint.contact.rules import FIELDS

CHOICES = st.sampled_from(["allowed", "not_allowed", "unknown", "yes", "no", "call", "text", "15", "", "x"])
RULE_KEYS = ["version", "how", *(f"rule_{name}" for name in FIELDS)]


@pytest.fixture
def world(db: Any) -> Any:
    """The world, wrapped: Hypothesis probes fixture values for attributes OrgWorld answers with roles."""
    made = make_org("q")
    actions.record_rules(made.provider, made.person, {"safe_to_contact": "yes", "text": "allowed"}, how="phone")
    return SimpleNamespace(provider=made.provider, person=made.person, task=made.task)


def _snapshot(person: Any) -> dict[str, Any]:
    rules = ContactRules.objects.get(person=person)
    return {name: getattr(rules, name) for name in FIELDS} | {"version": rules.version}


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(RULE_KEYS), st.one_of(NASTY, CHOICES), max_size=12))
def test_rules_page_never_errors_and_saves_all_or_nothing(world: Any, data: dict[str, str]) -> None:
    client = sign_in(Client(), world.provider)
    before = _snapshot(world.person)
    response = post(client, f"/people/{world.person.id}/contact/rules/", data)
    assert response.status_code in (302, 400, 409), response.status_code
    after = _snapshot(world.person)
    if response.status_code != 302:
        assert after == before
    else:  # every posted rule landed in its own field, as the page cleaned it
        assert after["version"] >= before["version"]


@SETTINGS
@given(
    data=st.dictionaries(
        st.sampled_from(["channel", "outcome", "voicemail_left", "note", "close_task"]),
        st.one_of(NASTY, CHOICES, st.sampled_from(["reached", "not_safe", "someone_else", "on"])),
        max_size=5,
    )
)
def test_attempts_never_error_and_never_use_a_forbidden_channel(world: Any, data: dict[str, str]) -> None:
    client = sign_in(Client(), world.provider)
    task = FollowUpTask.objects.get(pk=world.task.pk)
    before = ContactAttempt.objects.count()
    response = post(client, f"/follow-ups/{task.id}/attempts/", data)
    assert response.status_code in (302, 400), response.status_code
    rules = ContactRules.objects.get(person=world.person)
    for attempt in ContactAttempt.objects.all():
        assert may_use(rules, attempt.channel) and not attempt.voicemail_left
    if response.status_code == 400:
        assert ContactAttempt.objects.count() == before
    FollowUpTask.objects.filter(pk=task.pk).update(status="open")  # the next example starts open again


@SETTINGS
@given(
    data=st.dictionaries(
        st.sampled_from(["channel", "due_on", "assignee", "what", "form_token"]),
        st.one_of(NASTY, CHOICES, st.just(timezone.localdate().isoformat())),
        max_size=5,
    )
)
def test_new_follow_ups_never_error_and_only_on_allowed_channels(world: Any, data: dict[str, str]) -> None:
    client = sign_in(Client(), world.provider)
    response = post(client, f"/people/{world.person.id}/follow-ups/new/", data)
    assert response.status_code in (302, 400), response.status_code
    rules = ContactRules.objects.get(person=world.person)
    assert all(may_use(rules, task.channel) for task in FollowUpTask.objects.exclude(pk=world.task.pk))
    assert set(CHANNELS) >= {task.channel for task in FollowUpTask.objects.exclude(pk=world.task.pk)}


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(["version", "how", "task"]), st.one_of(NASTY, CHOICES), max_size=3))
def test_reconfirm_never_errors(world: Any, data: dict[str, str]) -> None:
    client = sign_in(Client(), world.provider)
    response = post(client, f"/people/{world.person.id}/contact/confirm/", data)
    assert response.status_code in (302, 400, 409), response.status_code

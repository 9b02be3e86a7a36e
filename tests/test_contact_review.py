"""What the security review of issue 10 found, each as a test that failed before its fix: secrets
given to whoever assigns themselves a follow-up, partial saves counted as confirmations, the cover
for others mixed with how we introduce ourselves, line breaks refused in addresses, addresses and
word actions shown to everyone, the home list unaudited, plan follow-ups made twice, notes to
confirm that never cleared."""

from __future__ import annotations

import datetime
import uuid
from html import unescape

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, make_staff, sign_in
from waypoint.contact import actions
from waypoint.contact.models import ContactRules, FollowUpTask
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role


def panel(client: Client, world: OrgWorld) -> str:
    return unescape(client.get(reverse("contact:person", args=[world.person.id])).content.decode())


def secrets_recorded(world: OrgWorld) -> ContactRules:
    changes = {
        "safe_to_contact": "yes", "visit": "allowed", "visit_address": "14 Hidden Lane\nshelter annex",
        "safe_word": "kite", "safe_word_action": "meet at 4 Oak Lane", "danger_word": "storm",
        "danger_word_action": "call the police to 4 Oak Lane", "whereabouts": "Motel room 12",
    }  # fmt: skip
    return actions.record_rules(world.provider, world.person, changes, how="in_person")


def test_a_follow_up_assigned_to_oneself_gives_no_secrets(world_a: OrgWorld) -> None:
    secrets_recorded(world_a)
    stranger = make_staff(world_a.org, "provider4.a", Role.PROVIDER)
    client = sign_in(Client(), stranger)
    data = {"channel": "visit", "due_on": timezone.localdate().isoformat(), "assignee": str(stranger.id),
            "what": "", "form_token": str(uuid.uuid4())}  # fmt: skip
    assert client.post(reverse("contact:task_new", args=[world_a.person.id]), data).status_code == 302
    page = panel(client, world_a)
    for secret in ("kite", "storm", "Motel room 12", "Oak Lane", "Hidden Lane"):
        assert secret not in page, secret
    assert "Hidden" in page  # the visit address is there, but not readable


def test_addresses_and_word_actions_are_secrets_with_line_breaks_kept(as_provider: Client, world_a: OrgWorld) -> None:
    secrets_recorded(world_a)
    page = panel(as_provider, world_a)  # the assigned provider, step-up fresh
    assert "14 Hidden Lane\nshelter annex" in page and "call the police to 4 Oak Lane" in page
    other = sign_in(Client(), make_staff(world_a.org, "provider5.a", Role.PROVIDER))
    record = unescape(other.get(reverse("people:detail", args=[world_a.person.id])).content.decode())
    assert "Hidden Lane" not in record and "Oak Lane" not in record
    data = {"version": ContactRules.objects.get(person=world_a.person).version,
            "rule_post_address": "1 Elm St\r\nApt 4", "rule_safe_to_contact": "yes", "rule_visit": "allowed",
            "rule_visit_address": "14 Hidden Lane\r\nshelter annex"}  # fmt: skip
    response = as_provider.post(reverse("contact:rules", args=[world_a.person.id]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ContactRules.objects.get(person=world_a.person).post_address == "1 Elm St\r\nApt 4"


def test_saving_some_rules_confirms_nothing_else(as_provider: Client, world_a: OrgWorld) -> None:
    old = timezone.now() - datetime.timedelta(days=90)
    rules = actions.record_rules(world_a.provider, world_a.person, {"voicemail": "allowed"}, how="phone")
    ContactRules.objects.filter(pk=rules.pk).update(confirmed_at=old)
    actions.record_rules(world_a.provider, world_a.person, {"battery_plan": "charger at work"})
    assert ContactRules.objects.get(pk=rules.pk).confirmed_at == old
    assert actions.is_stale(ContactRules.objects.get(pk=rules.pk))
    data = {"version": rules.version + 1, "rule_best_times": "mornings", "rule_voicemail": "allowed"}
    assert as_provider.post(reverse("contact:rules", args=[world_a.person.id]), data).status_code == 302
    assert ContactRules.objects.get(pk=rules.pk).confirmed_at == old  # the box was not ticked
    fresh = ContactRules.objects.get(pk=rules.pk)
    confirmed = {"version": fresh.version, "rule_best_times": "mornings", "rule_voicemail": "allowed",
                 "confirm_all": "on", "how": "phone"}  # fmt: skip
    assert as_provider.post(reverse("contact:rules", args=[world_a.person.id]), confirmed).status_code == 302
    assert timezone.now() - ContactRules.objects.get(pk=rules.pk).confirmed_at < datetime.timedelta(minutes=1)
    missing_how = {**confirmed, "version": fresh.version, "how": ""}
    assert as_provider.post(reverse("contact:rules", args=[world_a.person.id]), missing_how).status_code == 400


def test_say_the_cover_needs_a_cover(as_provider: Client, world_a: OrgWorld) -> None:
    data = {"version": 0, "rule_someone_answers": "say_cover", "rule_cover_name": ""}
    response = as_provider.post(reverse("contact:rules", args=[world_a.person.id]), data)
    assert response.status_code == 400 and "Write the cover they chose" in response.content.decode()


def test_notes_to_confirm_clear_once_their_field_is_recorded(world_a: OrgWorld) -> None:
    rules = actions.record_rules(world_a.provider, world_a.person, {"text": "allowed"})
    notes = {"identify_as": "text only, no voicemail, say it's the pharmacy", "disconnection_plan": "wait"}
    ContactRules.objects.filter(pk=rules.pk).update(to_confirm=notes)
    actions.record_rules(world_a.provider, world_a.person, {"identify_as": "the pharmacy"})
    assert ContactRules.objects.get(pk=rules.pk).to_confirm == {"disconnection_plan": "wait"}


def test_the_home_list_of_due_follow_ups_writes_one_read_row(client: Client, world_a: OrgWorld) -> None:
    actions.record_rules(world_a.provider, world_a.person, {"safe_to_contact": "yes", "text": "allowed"})
    actions.add_task(world_a.provider, world_a.person, due_on=timezone.localdate(), channel="text")
    sign_in(client, world_a.provider).get(reverse("core:home"))
    row = AuditEvent.objects.get(event="task.due_listed")
    assert row.actor_id == world_a.provider.id and row.count == 1  # theirs only (the world's task is nobody's)


def test_a_double_submit_of_plan_follow_up_rows_makes_one_task_each(as_provider: Client, world_a: OrgWorld) -> None:
    actions.record_rules(world_a.provider, world_a.person, {"safe_to_contact": "yes", "text": "allowed"})
    url = reverse("plans:item", args=[world_a.plan.id, "follow_up"])
    assert as_provider.post(url, {"version": 1, "status": "filled", "plan": "weekly"}).status_code == 302
    token = str(uuid.uuid4())  # the section is unchanged by the rows: only the token tells the repeat
    data = {"version": 2, "status": "filled", "plan": "weekly", "task_0_what": "call about the coat",
            "task_0_due": timezone.localdate().isoformat(), "task_0_channel": "text", "form_token": token}  # fmt: skip
    before = FollowUpTask.objects.count()
    assert as_provider.post(url, data).status_code == 302
    assert as_provider.post(url, data).status_code == 302  # the same page submitted again
    assert FollowUpTask.objects.count() == before + 1

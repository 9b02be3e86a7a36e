"""Issue 10 review, gap 17: the record page says when, how and by whom the contact rules were last
confirmed with the person (the before-you-call panel already did); gap 12: the home list of due
follow-ups marks those whose rules are due to be confirmed with the person again."""

from __future__ import annotations

import datetime
from html import unescape

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.contact import actions
from waypoint.contact.models import ContactRules, FollowUpTask


def test_record_page_says_who_last_confirmed_the_rules(world_a: OrgWorld) -> None:
    person, provider = world_a.person, world_a.provider
    rules = actions.record_rules(provider, person, {"safe_to_contact": "yes", "text": "allowed"})
    client = sign_in(Client(), world_a.supervisor)
    page = unescape(client.get(f"/people/{person.id}/").content.decode())
    assert "Last confirmed" in page and "Never" in page.split("Last confirmed", 1)[1][:200]

    actions.reconfirm_rules(provider, person, version=rules.version, how="in_person")
    page = unescape(client.get(f"/people/{person.id}/").content.decode())
    line = page.split("Last confirmed", 1)[1][:300]
    assert f"by {provider.display_name} (In person)" in line, line


def test_home_list_marks_follow_ups_whose_rules_are_due_to_be_confirmed(world_a: OrgWorld) -> None:
    """Gap 12: the provider sees, before opening a follow-up, that the person's rules were never
    confirmed with them or not in the last 30 days (the before-you-call panel then asks for it)."""
    person, provider = world_a.person, world_a.provider
    rules = actions.record_rules(provider, person, {"safe_to_contact": "yes", "call": "allowed"})
    task = FollowUpTask.objects.create(
        org=world_a.org, person=person, channel="call", due_on=timezone.localdate(), assigned_to=provider
    )
    client = sign_in(Client(), provider)
    marked = f'data-confirm-first="{task.id}"'
    assert marked in client.get(reverse("core:home")).content.decode()  # never confirmed

    actions.reconfirm_rules(provider, person, version=rules.version, how="phone")
    assert marked not in client.get(reverse("core:home")).content.decode()

    ContactRules.objects.filter(pk=rules.pk).update(confirmed_at=timezone.now() - datetime.timedelta(days=31))
    page = client.get(reverse("core:home")).content.decode()
    assert marked in page and "confirm their rules first" in page

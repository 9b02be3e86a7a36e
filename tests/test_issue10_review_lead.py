"""Issue 10 review, gap 17: the record page says when, how and by whom the contact rules were last
confirmed with the person (the before-you-call panel already did)."""

from __future__ import annotations

from html import unescape

from django.test import Client

from tests.conftest import OrgWorld, sign_in
from waypoint.contact import actions


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

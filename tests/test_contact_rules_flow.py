"""Each answer that becomes a contact rule is shown under its own label, wherever rules are read:
the record page, and the not-safe-to-talk screen of a later call.  A rule read from the wrong field
is the worst bug this product can have, so every answer here is distinct and checked by label."""

from __future__ import annotations

import re
from html import unescape

from django.test import Client

from tests.conftest import OrgWorld
from tests.test_encounters import confirm_confidentiality, pass_gate, phone_ready, start
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON

DISCONNECTED = "text 'blue kite' and wait an hour"
SOMEONE_ELSE = "say it is the pharmacy about a refill"
IDENTIFY_AS = "Sam from the library"


def labelled(page: str) -> dict[str, str]:
    """The contact-rules list of the record page as {label: value}."""
    section = page.split("Contact rules", 1)[1].split("</dl>", 1)[0]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section, re.S)
    return {unescape(label).strip(): unescape(value).strip() for label, value in pairs}


def test_phone_and_in_person_answers_land_under_their_own_labels(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, content = phone_ready(as_provider, world_a)
    phone = {
        "content_set": str(content.id),
        "safe_to_talk__answer": "yes", "safe_to_talk__consented": "on",
        "disconnection__answer": "yes", "disconnection__consented": "on", "disconnection__note": DISCONNECTED,
        "someone_on_line__answer": "yes", "someone_on_line__consented": "on", "someone_on_line__note": SOMEONE_ELSE,
    }  # fmt: skip
    assert as_provider.post(f"/encounters/{encounter.id}/safety-check/", phone).status_code == 302
    visit = start(as_provider, world_a)
    pass_gate(as_provider, visit)
    confirm_confidentiality(as_provider, visit)
    in_person = ContentSet.current(world_a.org.id, IN_PERSON)
    answers = {
        "content_set": str(in_person.id),
        "contact_after__answer": "yes", "contact_after__consented": "on", "contact_after__note": IDENTIFY_AS,
    }  # fmt: skip
    assert as_provider.post(f"/encounters/{visit.id}/safety-check/", answers).status_code == 302

    rules = labelled(as_provider.get(f"/people/{world_a.person.id}/").content.decode())
    assert rules["How to identify ourselves"] == IDENTIFY_AS
    assert rules["If someone else answers"] == SOMEONE_ELSE
    assert rules["If we get disconnected"] == DISCONNECTED
    for channel in ("Voicemail", "Text message", "E-mail", "Chat"):  # nothing was said about them
        assert rules[channel] == "Not asked (treated as not allowed)"

    call, content = phone_ready(as_provider, world_a)
    not_safe = {"content_set": str(content.id), "safe_to_talk__answer": "no", "safe_to_talk__consented": "on"}
    cover = as_provider.get(as_provider.post(f"/encounters/{call.id}/safety-check/", not_safe)["Location"])
    page = unescape(cover.content.decode())
    said = re.search(r'<p class="say">(.*?)</p>', page, re.S)
    assert said is not None and said.group(1).strip() == IDENTIFY_AS
    assert f"If someone else is on the line: {SOMEONE_ELSE}" in page
    assert DISCONNECTED not in said.group(1)

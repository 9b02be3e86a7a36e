"""Each answer that becomes a contact rule is shown under its own label, wherever rules are read:
the record page, and the not-safe-to-talk screen of a later call.  A rule read from the wrong field
is the worst bug this product can have, so every answer here is distinct and checked by label."""

from __future__ import annotations

import re
from html import unescape

from django.test import Client

from tests.conftest import OrgWorld
from tests.test_encounters import confirm_confidentiality, pass_gate, phone_ready, safe_to_talk, start
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON

DISCONNECTED = ("We call back", "after 1 hour")  # how the structured disconnection answer reads
SOMEONE_ELSE = "say it is the pharmacy about a refill"
IDENTIFY_AS = "Sam from the library"
COVER = "Jo, a friend from church"
NOTE = "a note in their words that must become no rule"


def labelled(page: str) -> dict[str, str]:
    """The contact-rules list of the record page as {label: value}, and each channel of its table as
    {channel label: permission}."""
    section = page.split('id="contact-rules-h"', 1)[1]
    summary = section.split("</dl>", 1)[0]
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", summary, re.S)
    found = {unescape(label).strip(): unescape(value).strip() for label, value in pairs}
    table = section.split('<table class="channels">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">(.*?)</th>\s*<td class="permission[^"]*">([^<]*)', table, re.S)
    found |= {unescape(label).strip(): unescape(value).strip() for label, value in rows}
    return found


def test_phone_and_in_person_answers_land_under_their_own_labels(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, content = phone_ready(as_provider, world_a)
    phone = {
        "content_set": str(content.id),
        "safe_to_talk__answer": "yes", "safe_to_talk__consented": "on",
        "disconnection__consented": "on", "disconnection__note": NOTE,
        "disconnection__on_disconnect": "call_back", "disconnection__call_back_after": "60",
        "disconnection__perm_call": "allowed",
        "someone_on_line__consented": "on", "someone_on_line__note": NOTE,
        "someone_on_line__someone_answers": "other", "someone_on_line__someone_answers_words": SOMEONE_ELSE,
    }  # fmt: skip
    assert as_provider.post(f"/encounters/{encounter.id}/safety-check/", phone).status_code == 302
    visit = start(as_provider, world_a)
    pass_gate(as_provider, visit)
    confirm_confidentiality(as_provider, visit)
    in_person = ContentSet.current(world_a.org.id, IN_PERSON)
    answers = {
        "content_set": str(in_person.id),
        "contact_after__answer": "yes", "contact_after__consented": "on", "contact_after__note": NOTE,
        "contact_after__identify_as": IDENTIFY_AS,
    }  # fmt: skip
    assert as_provider.post(f"/encounters/{visit.id}/safety-check/", answers).status_code == 302

    record = as_provider.get(f"/people/{world_a.person.id}/").content.decode()
    rules = labelled(record)
    assert rules["Safe to contact after today"] == "Yes"
    assert rules["How to identify ourselves"] == IDENTIFY_AS
    assert rules["If someone else answers"] == f"Something else, in their words: {SOMEONE_ELSE}"
    disconnected = rules["If we get disconnected"]
    assert disconnected.startswith(DISCONNECTED[0]) and DISCONNECTED[1] in disconnected.lower()
    assert rules["Phone call"] == "Allowed"  # said with the disconnection plan
    for channel in ("Voicemail", "Text message", "E-mail", "Chat or messaging app", "Post", "Home visit"):
        assert rules[channel] == "Not asked (treated as not allowed)"  # nothing was said about them
    assert NOTE not in record  # a note in their words is kept with the answer, never read as a rule

    call, _content = phone_ready(as_provider, world_a)
    cover = as_provider.get(safe_to_talk(as_provider, call, "no"))  # asked again: not safe now (issue 11)
    page = unescape(cover.content.decode())
    said = re.search(r'<p class="say">(.*?)</p>', page, re.S)
    # No cover for anyone else was given: what they told us to say when we contact them is said.
    assert said is not None and said.group(1).strip() == IDENTIFY_AS
    assert f"If someone else is on the line: Something else, in their words: {SOMEONE_ELSE}" in page
    assert DISCONNECTED[0] not in said.group(1) and NOTE not in page

    call, content = phone_ready(as_provider, world_a)
    cover = {
        "content_set": str(content.id), "someone_on_line__consented": "on",
        "someone_on_line__someone_answers": "say_cover", "someone_on_line__cover_name": COVER,
    }  # fmt: skip
    assert as_provider.post(f"/encounters/{call.id}/safety-check/", cover).status_code == 302
    page = unescape(as_provider.get(safe_to_talk(as_provider, call, "no")).content.decode())
    said = re.search(r'<p class="say">(.*?)</p>', page, re.S)
    assert said is not None and said.group(1).strip() == COVER
    # A cover chosen for anyone else wins over how we introduce ourselves to them (which may name us).
    assert f"If someone else is on the line: Say you are: {COVER}" in page and IDENTIFY_AS not in said.group(1)

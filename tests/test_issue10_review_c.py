"""Issue 10 review, gaps 4 (the conflict boxes' "not asked"), 6, 7 and 13: the voicemail script says
the cover for anyone else listening and never an organisation's name they did not allow; it is in
their language or says plainly that it is not; a share's contact section puts the permission beside
every number; a rules conflict shows "not asked" as the guard reads it."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import OrgWorld
from waypoint.contact import actions, display
from waypoint.contact.models import ContactRules
from waypoint.people.forms import LANGUAGE_LABELS
from waypoint.referrals import share_content
from waypoint.referrals.models import ReleaseItem

ORG = "Riverside Health"
VOICEMAIL = {"safe_to_contact": "yes", "call": "allowed", "voicemail": "allowed", "phone_number": "5550101234"}
SCRIPT = re.compile(r'<p class="say" id="voicemail-script" lang="([^"]*)">(.*?)</p>', re.S)


def rules(world: OrgWorld, **changes: str) -> ContactRules:
    return actions.record_rules(world.provider, world.person, changes, how="in_person")


def named(world: OrgWorld, name: str = ORG) -> None:
    world.org.name = name
    world.org.save()


def panel(client: Client, world: OrgWorld) -> str:
    response = client.get(reverse("contact:person", args=[world.person.id]))
    assert response.status_code == 200
    return unescape(response.content.decode())


def script_of(page: str) -> tuple[str, str]:
    found = SCRIPT.search(page)
    assert found is not None, "no voicemail script on the panel"
    return found.group(1), found.group(2)


# --- Gap 6: who the voicemail says we are ---------------------------------------------------------


def test_voicemail_says_the_cover_for_anyone_else_listening(as_provider: Client, world_a: OrgWorld) -> None:
    rules(world_a, **VOICEMAIL, identify_as="Maria", cover_name="a friend, Sam")
    _lang, script = script_of(panel(as_provider, world_a))
    assert script.startswith("Hi, this is a friend, Sam.") and "Maria" not in script


def test_voicemail_uses_how_we_introduce_ourselves_when_no_cover_was_given(
    as_provider: Client, world_a: OrgWorld
) -> None:
    rules(world_a, **VOICEMAIL, identify_as="Maria")
    assert script_of(panel(as_provider, world_a))[1].startswith("Hi, this is Maria.")


@pytest.mark.parametrize("may_name", ["unknown", "no", "unsure"])
@pytest.mark.parametrize(
    "field, said",
    [
        ("identify_as", f"Maria from {ORG}"),
        ("identify_as", "maria from RIVERSIDE   health"),  # any case, any spacing
        ("cover_name", f"Maria from {ORG}"),
        ("identify_as", "Maria from R.H."),  # its short name
    ],
)
def test_a_name_that_says_the_organisation_is_not_spoken_unless_they_allowed_it(
    as_provider: Client, world_a: OrgWorld, may_name: str, field: str, said: str
) -> None:
    named(world_a, f"{ORG} (RH)")
    rules(world_a, **VOICEMAIL, may_name_org=may_name, **{field: said})
    page = panel(as_provider, world_a)
    _lang, script = script_of(page)
    assert "riverside" not in script.lower() and "R.H." not in script and "Maria" not in script
    assert script.startswith("Hi. Just checking in.")  # the neutral hello
    assert 'id="voicemail-name-left-out"' in page  # the provider is told why


def test_the_organisation_is_named_once_when_they_allowed_it(as_provider: Client, world_a: OrgWorld) -> None:
    named(world_a)
    rules(world_a, **VOICEMAIL, may_name_org="yes", identify_as=f"Maria from {ORG}")
    page = panel(as_provider, world_a)
    _lang, script = script_of(page)
    assert script.startswith(f"Hi, this is Maria from {ORG}.") and script.count(ORG) == 1
    assert 'id="voicemail-name-left-out"' not in page


def test_short_names_match_whole_words_only() -> None:
    assert display.names_org("Maria from CAST", "Coalition to Abolish Slavery and Trafficking")
    assert display.names_org("Maria, R.H.", ORG)
    assert not display.names_org("Rhonda", ORG)  # "RH" inside a word is not the short name
    assert not display.names_org("Sam", ORG)
    assert display.names_org("Sam from Waypoint", "Riverside", short_names=["Waypoint"])


# --- Gap 7: the script's language -----------------------------------------------------------------


@pytest.mark.parametrize("language, opens", [("en", "Hi, this is Sam."), ("es", "Hola, soy Sam.")])
def test_the_script_is_in_their_language_when_a_wording_exists(
    as_provider: Client, world_a: OrgWorld, language: str, opens: str
) -> None:
    world_a.person.preferred_language = language
    world_a.person.save()
    rules(world_a, **VOICEMAIL, identify_as="Sam")
    page = panel(as_provider, world_a)
    lang, script = script_of(page)
    assert lang == language and script.startswith(opens)
    assert 'id="voicemail-language"' not in page


@pytest.mark.parametrize("language, theirs", [("fr", "French"), ("ht", "Haitian Creole"), ("other", "their language")])
def test_a_script_not_in_their_language_says_so_and_is_marked_with_its_own(
    as_provider: Client, world_a: OrgWorld, language: str, theirs: str
) -> None:
    world_a.person.preferred_language = language
    world_a.person.save()
    rules(world_a, **VOICEMAIL, identify_as="Sam")
    page = panel(as_provider, world_a)
    lang, script = script_of(page)
    assert lang == "en" and script.startswith("Hi, this is Sam.")  # never lang="fr" on English words
    assert f"There is no voicemail script in {theirs}, so this one is in English." in page
    assert 'lang="other"' not in page and f'lang="{language}"' not in page


def test_with_no_wording_in_theirs_the_script_follows_the_interface_language(world_a: OrgWorld) -> None:
    rules(world_a, **VOICEMAIL, identify_as="Sam")
    person_rules = ContactRules.objects.get(person=world_a.person)
    with translation.override("es"):
        script = display.voicemail_script(person_rules, ORG, "fr")
        assert script.lang == "es" and script.startswith("Hola, soy Sam.") and script.wanted == "fr"
        assert script.lang_name == str(LANGUAGE_LABELS["es"])  # named in the interface's language
    with translation.override("en"):
        script = display.voicemail_script(person_rules, ORG, "fr")
        assert script.lang == "en" and script.wanted_name == "French" and script.lang_name == "English"


def test_no_script_without_voicemail(world_a: OrgWorld) -> None:
    person_rules = rules(world_a, **{**VOICEMAIL, "voicemail": "not_allowed"}, identify_as="Sam")
    script = display.voicemail_script(person_rules, ORG, "fr")
    assert script == "" and not script


# --- Gap 13: the share's contact section ----------------------------------------------------------


def contact_section(world: OrgWorld) -> dict[str, str]:
    return dict(share_content.sections(world.person, [ReleaseItem.CONTACT], None).sections[0].rows)


def test_a_share_puts_the_permission_beside_every_number(world_a: OrgWorld) -> None:
    rules(
        world_a, safe_to_contact="yes", call="allowed", phone_number="5550107777", text="not_allowed",
        text_number="5550108888", email="allowed", email_address="sam@example.org", post="allowed",
        post_address="12 Canary Road", chat="allowed",
    )  # fmt: skip
    rows = contact_section(world_a)
    assert rows["Contact after today"] == "Allowed"
    assert rows["Phone call"] == "Allowed: 5550107777"
    assert rows["E-mail"] == "Allowed: sam@example.org"
    assert rows["Chat or messaging app"] == "Allowed"  # allowed, no address recorded
    assert rows["Post"] == "Allowed; the address is not shared"
    assert rows["Text message"] == "Not allowed: do not use"
    assert rows["Voicemail"] == rows["Home visit"] == "Not allowed: do not use"  # not asked
    text = " ".join(rows.values())
    assert "5550108888" not in text and "12 Canary Road" not in text


@pytest.mark.parametrize("safe", ["no", "not_sure", "not_asked"])
def test_a_share_allows_nothing_when_contact_is_not_safe(world_a: OrgWorld, safe: str) -> None:
    rules(world_a, safe_to_contact=safe, call="allowed", phone_number="5550107777", email="allowed",
          email_address="sam@example.org")  # fmt: skip
    rows = contact_section(world_a)
    assert rows["Contact after today"] == "Not allowed: do not contact them"
    assert rows["Phone call"] == rows["E-mail"] == "Not allowed: do not use"
    assert not any(text.startswith("Allowed") for text in rows.values())
    assert "5550107777" not in " ".join(rows.values()) and "sam@example.org" not in " ".join(rows.values())


# --- Gap 4 (the conflict boxes): "not asked" reads as the guard treats it ------------------------


def test_a_rules_conflict_shows_not_asked_as_not_allowed(as_provider: Client, world_a: OrgWorld) -> None:
    rules(world_a, safe_to_contact="yes", text="allowed", text_number="5550101234")  # version moves on
    data = {"version": 0, "how": "in_person", "rule_safe_to_contact": "yes", "rule_best_times": "mornings"}
    response = as_provider.post(reverse("contact:rules", args=[world_a.person.id]), data)
    assert response.status_code == 409
    body = unescape(response.content.decode())
    box = body[body.index('id="conflict-h"') : body.index("</section>", body.index('id="conflict-h"'))]
    shown = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", box))
    assert shown["Text message"] == "Allowed"
    assert shown["Phone call"] == shown["Voicemail"] == "Not asked (treated as not allowed)"
    assert shown["May we say the organisation's name?"] == "Not asked"
    assert shown["Best days and times"] == "Not recorded"  # a text never typed is simply not recorded


def test_groups_read_not_asked_for_every_unanswered_choice(world_a: OrgWorld) -> None:
    person_rules = rules(world_a, safe_to_contact="not_asked")
    rows = {label: text for group in display.groups(person_rules, secrets=False) for label, text in group.rows}
    assert rows["Safe to contact after today"] == "Not asked (no contact)"
    assert rows["E-mail"] == "Not asked (treated as not allowed)"
    assert "Not recorded" not in {rows[label] for label in ("Phone call", "Home visit", "Post")}

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


def test_taking_back_an_answer_leaves_the_rules_it_only_repeated(world_a: OrgWorld) -> None:
    """Second review, finding 1: rules confirmed on an earlier visit (calls allowed) are repeated by
    today's phone answer; when they then ask for that answer not to be written down, the rules it
    only repeated stay, and what it changed (voicemail) goes back to not asked."""
    from waypoint.content.models import ContentSet
    from waypoint.content.source import PHONE
    from waypoint.encounters import actions as encounter_actions

    staff, person = world_a.provider, world_a.person
    actions.record_rules(staff, person, {"safe_to_contact": "yes", "call": "allowed"}, how="in_person")
    encounter = encounter_actions.start_encounter(staff, person, mode="phone", site=None, token=None)
    content = ContentSet.current(world_a.org.id, PHONE)
    encounter_actions.record_safe_to_talk(staff, encounter, content, content.id, "yes")
    encounter_actions.confirm_confidentiality(staff, encounter)

    def check(consented: bool, parts: dict[str, str]) -> ContactRules:
        given = {"disconnection": encounter_actions.CheckAnswer("", consented, "", parts)}
        encounter_actions.record_safety_check(staff, encounter, content, content.id, given)
        return ContactRules.objects.get(person=person)

    rules = check(True, {"perm_call": "allowed", "perm_voicemail": "allowed"})
    assert (rules.call, rules.voicemail) == ("allowed", "allowed")
    rules = check(False, {})
    assert (rules.safe_to_contact, rules.call, rules.voicemail) == ("yes", "allowed", "unknown")


def test_the_voicemail_script_leaves_out_ordinary_spellings_of_the_organisations_name() -> None:
    """Second review, finding 2: the name check reads accents, punctuation, "&", articles and legal
    suffixes as the same name, and any word of the name that is its own; a site's name counts too."""
    from waypoint.contact.display import names_org

    said = [
        ("Harbor House", "Harbor House, Inc."),
        ("Harbor Project", "The Harbor Project"),
        ("Ana de la Fundacion", "Fundación Esperanza"),
        ("Ana from Riverside", "Riverside Anti-Trafficking Coalition"),
        ("Safe Harbor", "Safe-Harbor"),
        ("St Annes", "St. Anne's"),
        ("R.H.", "Riverside Health (RH)"),
    ]
    for text, org in said:
        assert names_org(text, org), (text, org)
    assert names_org("Ana from Eastside", "Riverside Health", short_names=["Eastside Clinic"])
    for text, org in [("Sam", "Riverside Health"), ("Rhonda", "Riverside Health (RH)"), ("Sam and Tom", "A & B")]:
        assert not names_org(text, org), (text, org)


def test_a_save_from_a_page_opened_before_assignment_keeps_the_safe_word(world_a: OrgWorld) -> None:
    """Second review, finding 4: a provider opens the rules page while not assigned to the record (the
    page has no secret fields), is assigned before saving, and saves a change of best times: the
    safe word, danger word and whereabouts they never saw are not wiped."""
    from tests.conftest import make_staff
    from tests.test_issue10_review_a import form_with
    from waypoint.orgs.models import Role

    person = world_a.person
    actions.record_rules(
        world_a.provider, person,
        {"safe_to_contact": "yes", "call": "allowed", "safe_word": "blue kite", "danger_word": "red door",
         "whereabouts": "aunt's flat"},
        how="in_person",
    )  # fmt: skip
    other = make_staff(world_a.org, "provider6.a", Role.PROVIDER)
    client = sign_in(Client(), other)
    url = reverse("contact:rules", args=[person.id])
    opened = form_with(client.get(url).content.decode(), "rule_best_times")
    assert "rule_safe_word" not in opened
    person.assigned_staff.add(other)
    response = client.post(url, {**opened, "rule_best_times": "mornings"})
    assert response.status_code == 302, response.status_code  # best times saved
    rules = ContactRules.objects.get(person=person)
    assert (rules.safe_word, rules.danger_word, rules.whereabouts) == ("blue kite", "red door", "aunt's flat")
    assert rules.best_times == "mornings"


def test_a_callback_follow_up_shows_their_words_only_to_those_who_hold_them(world_a: OrgWorld) -> None:
    """Second review, finding 3: the callback plan's words ("when and how") are read, like on the
    call's summary, only by the assigned staff and supervisors; the follow-up's text, which any
    reader of the record sees on lists and the plan, does not carry them."""
    from tests.conftest import make_staff
    from waypoint.encounters import actions as encounter_actions
    from waypoint.orgs.models import Role

    staff, person = world_a.provider, world_a.person
    actions.record_rules(staff, person, {"safe_to_contact": "yes", "text": "allowed"}, how="phone")
    encounter = encounter_actions.start_encounter(staff, person, mode="phone", site=None, token=None)
    words = "Thursday after six, a text first 7c1f"
    encounter_actions.record_callback_plan(staff, encounter, words, "text", timezone.localdate())
    task = FollowUpTask.objects.get(pk=encounter_actions.callback_task(encounter).id)
    assert words not in task.what

    url = reverse("contact:task", args=[task.id])
    for holder in (staff, world_a.supervisor):
        page = unescape(sign_in(Client(), holder).get(url).content.decode())
        assert words in page, holder.username
    reader = make_staff(world_a.org, "provider7.a", Role.PROVIDER)
    page = unescape(sign_in(Client(), reader).get(url).content.decode())
    assert words not in page and 'id="callback-words-held"' in page


def test_the_voicemail_script_does_not_say_a_site_name_they_did_not_allow(world_a: OrgWorld) -> None:
    """A cover naming one of the organisation's sites ("Ana from Site A") is not spoken while they
    have not allowed naming us; once they allow it, it is."""
    person = world_a.person
    rules = actions.record_rules(
        world_a.provider, person,
        {"safe_to_contact": "yes", "call": "allowed", "voicemail": "allowed", "phone_number": "555 010 7777",
         "identify_as": f"Ana from {world_a.site.name}"},
        how="phone",
    )  # fmt: skip
    client = sign_in(Client(), world_a.provider)
    url = reverse("contact:person", args=[person.id])
    page = unescape(client.get(url).content.decode())
    assert 'id="voicemail-name-left-out"' in page and f"this is Ana from {world_a.site.name}" not in page
    actions.record_rules(world_a.provider, person, {"may_name_org": "yes"}, base_version=rules.version)
    page = unescape(client.get(url).content.decode())
    assert f"Ana from {world_a.site.name}" in page and 'id="voicemail-name-left-out"' not in page


def test_a_cover_page_that_offered_no_channel_keeps_its_promise_if_one_was_allowed_meanwhile(
    world_a: OrgWorld,
) -> None:
    """Second review, finding 7: the not-safe-to-talk page was opened while their rules allowed no
    channel (it promised a follow-up with none); a colleague allows texting before the save: the
    save still puts that follow-up on the list instead of silently making none."""
    from tests.test_issue10_review_b import _callback_tasks, _not_safe_call

    client = sign_in(Client(), world_a.provider)
    _encounter, url = _not_safe_call(client, world_a)
    page = unescape(client.get(url).content.decode())
    assert 'name="channel"' not in page and 'name="due_on"' in page  # the no-channel page
    actions.record_rules(world_a.supervisor, world_a.person, {"safe_to_contact": "yes", "text": "allowed"})
    posted = {"callback_plan": "Friday, after work", "due_on": timezone.localdate().isoformat()}
    assert client.post(url, posted).status_code == 302
    (task,) = _callback_tasks(world_a)
    assert task.channel == "" and "ask how we may contact them" in task.what

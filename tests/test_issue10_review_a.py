"""Issue 10 review, gaps 1, 4, 11, 14, 15 and 18 (second point): saving again after a rules conflict
keeps a colleague's change, the plan page shows every channel with its permission as the guard
decides it, a double submit logs one attempt, a follow-up on a channel the rules no longer allow
says so, the home list says how many follow-ups it leaves out, and "they confirmed the rules" with
no rules recorded writes nothing."""

from __future__ import annotations

import datetime
import re
from html import unescape
from html.parser import HTMLParser
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.contact import actions
from waypoint.contact.actions import ContactRefused
from waypoint.contact.models import ContactAttempt, ContactRules, FollowUpTask
from waypoint.core.models import AuditEvent

# --- Posting a page's form as a browser would -----------------------------------------------------


class _Forms(HTMLParser):
    """Every form of a page as the browser would post it unchanged: text inputs, hidden inputs,
    checked radios and boxes, textareas and selected options."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "data": {}}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        data = self._form["data"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    data[name] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                data[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            data[name] = ""
        elif tag == "select" and name:
            self._select = name
            data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            data[self._select] = a.get("value", "")

    def handle_data(self, text: str) -> None:
        if self._form is not None and self._textarea:
            self._form["data"][self._textarea] += text

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea and self._form is not None:
            value = self._form["data"][self._textarea]
            self._form["data"][self._textarea] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def form_with(page: str, field: str) -> dict[str, Any]:
    """The posted data of the page's form that has a field named ``field``."""
    parser = _Forms()
    parser.feed(page)
    found = [form["data"] for form in parser.forms if field in form["data"]]
    assert len(found) == 1, f"{len(found)} forms with {field}"
    return dict(found[0])


def rules_of(world: OrgWorld) -> ContactRules:
    return ContactRules.objects.get(person=world.person)


def agreed(world: OrgWorld, **more: str) -> ContactRules:
    changes = {
        "safe_to_contact": "yes", "call": "allowed", "voicemail": "allowed", "phone_number": "555 010 7777",
        "best_times": "evenings", **more,
    }  # fmt: skip
    return actions.record_rules(world.provider, world.person, changes, how="in_person")


# --- Gap 1: saving again after a conflict keeps the colleague's change ----------------------------


def test_rules_page_second_save_after_a_conflict_keeps_the_other_tabs_change(world_a: OrgWorld) -> None:
    agreed(world_a)
    tab_a, tab_b = sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)
    url = reverse("contact:rules", args=[world_a.person.id])
    opened = form_with(tab_a.get(url).content.decode(), "rule_voicemail")
    assert opened["rule_voicemail"] == "allowed" and opened["rules_opened"]

    other = form_with(tab_b.get(url).content.decode(), "rule_voicemail")
    assert tab_b.post(url, {**other, "rule_voicemail": "not_allowed"}).status_code == 302
    assert rules_of(world_a).voicemail == "not_allowed"

    first = tab_a.post(url, {**opened, "rule_best_times": "weekday mornings"})
    assert first.status_code == 409
    page = unescape(first.content.decode())
    again = form_with(page, "rule_voicemail")
    assert again["rule_voicemail"] == "not_allowed"  # untouched: refilled from the saved rules
    assert again["rule_best_times"] == "weekday mornings"  # theirs: kept
    assert again["version"] == str(rules_of(world_a).version)
    assert again["rules_opened"] != opened["rules_opened"]
    yours = re.search(r'<ul id="conflict-yours">(.*?)</ul>', page, re.S)
    assert yours and "Best days and times" in yours.group(1) and "Voicemail" not in yours.group(1)
    assert "the rules as saved now say: evenings" in page
    assert rules_of(world_a).best_times == "evenings"  # nothing written by the conflict

    assert tab_a.post(url, again).status_code == 302
    rules = rules_of(world_a)
    assert (rules.voicemail, rules.best_times) == ("not_allowed", "weekday mornings")


def test_a_field_both_tabs_changed_is_marked_and_the_provider_decides(world_a: OrgWorld) -> None:
    agreed(world_a)
    tab_a, tab_b = sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)
    url = reverse("contact:rules", args=[world_a.person.id])
    opened = form_with(tab_a.get(url).content.decode(), "rule_voicemail")
    other = form_with(tab_b.get(url).content.decode(), "rule_voicemail")
    assert tab_b.post(url, {**other, "rule_voicemail": "not_allowed", "rule_text": "allowed"}).status_code == 302

    first = tab_a.post(url, {**opened, "rule_voicemail": "unknown"})
    assert first.status_code == 409
    page = unescape(first.content.decode())
    again = form_with(page, "rule_voicemail")
    assert (again["rule_voicemail"], again["rule_text"]) == ("unknown", "allowed")
    assert "the rules as saved now say: Not allowed" in page
    assert tab_a.post(url, again).status_code == 302
    rules = rules_of(world_a)
    assert (rules.voicemail, rules.text) == ("unknown", "allowed")


def test_only_the_fields_changed_reach_the_rules_action(world_a: OrgWorld, monkeypatch: Any) -> None:
    agreed(world_a)
    client = sign_in(Client(), world_a.provider)
    url = reverse("contact:rules", args=[world_a.person.id])
    opened = form_with(client.get(url).content.decode(), "rule_voicemail")
    seen: list[dict[str, Any]] = []
    record = actions.record_rules

    def spy(staff: Any, person: Any, changes: Any, **kw: Any) -> Any:
        seen.append(dict(changes))
        return record(staff, person, changes, **kw)

    monkeypatch.setattr(actions, "record_rules", spy)
    assert client.post(url, {**opened, "rule_best_times": "after 8"}).status_code == 302
    assert seen == [{"best_times": "after 8"}]


def test_the_opened_values_carry_no_readable_personal_data(world_a: OrgWorld) -> None:
    agreed(world_a, safe_word="heron", chat_address="signal sam99")
    client = sign_in(Client(), world_a.provider)
    opened = form_with(client.get(reverse("contact:rules", args=[world_a.person.id])).content.decode(), "rules_opened")
    token = opened["rules_opened"]
    for value in ("5550107777", "evenings", "heron", "sam99", "allowed"):
        assert value not in token


def test_a_forged_record_of_the_opened_values_is_a_plain_full_save(world_a: OrgWorld) -> None:
    agreed(world_a)
    client = sign_in(Client(), world_a.provider)
    url = reverse("contact:rules", args=[world_a.person.id])
    opened = form_with(client.get(url).content.decode(), "rule_voicemail")
    forged = {**opened, "rules_opened": opened["rules_opened"][:-3] + "xyz", "rule_best_times": "noon"}
    assert client.post(url, forged).status_code == 302
    assert rules_of(world_a).best_times == "noon"


def test_plan_item_second_save_after_a_conflict_keeps_the_other_tabs_change(world_a: OrgWorld) -> None:
    agreed(world_a)
    tab_a, tab_b = sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)
    url = reverse("plans:item", args=[world_a.plan.id, "permissions"])
    opened = form_with(tab_a.get(url).content.decode(), "rule_voicemail")
    assert opened["rule_voicemail"] == "allowed" and opened["rules_opened"]

    # The other tab saves voicemail "not allowed" on the rules page.
    rules_url = reverse("contact:rules", args=[world_a.person.id])
    other = form_with(tab_b.get(rules_url).content.decode(), "rule_voicemail")
    assert tab_b.post(rules_url, {**other, "rule_voicemail": "not_allowed"}).status_code == 302

    first = tab_a.post(url, {**opened, "status": "filled", "rule_best_times": "weekday mornings"})
    assert first.status_code == 409
    page = unescape(first.content.decode())
    assert "Their contact rules changed since you opened this page" in page
    yours = re.search(r'<ul id="conflict-yours">(.*?)</ul>', page, re.S)
    assert yours and "Best days and times" in yours.group(1) and "Voicemail" not in yours.group(1)
    again = form_with(page, "rule_voicemail")
    assert (again["rule_voicemail"], again["rule_best_times"]) == ("not_allowed", "weekday mornings")
    assert again["rules_version"] == str(rules_of(world_a).version)

    assert tab_a.post(url, again).status_code == 302
    rules = rules_of(world_a)
    assert (rules.voicemail, rules.best_times) == ("not_allowed", "weekday mornings")


# --- Gap 4: the plan page's ways to reach them, as the guard decides ------------------------------


def _fill_permissions(world: OrgWorld) -> None:
    client = sign_in(Client(), world.provider)
    url = reverse("plans:item", args=[world.plan.id, "permissions"])
    data = form_with(client.get(url).content.decode(), "rule_voicemail")
    assert client.post(url, {**data, "status": "filled"}).status_code == 302


def plan_page(world: OrgWorld) -> str:
    client = sign_in(Client(), world.provider)
    return unescape(client.get(reverse("plans:detail", args=[world.plan.id])).content.decode())


def channel_cells(page: str) -> dict[str, tuple[str, str, str]]:
    """{channel: (permission, usable, address)} of the channel tables of a page."""
    rows = re.findall(
        r'data-channel="(\w+)" data-usable="(yes|no)">\s*<th scope="row">.*?</th>\s*'
        r'<td class="permission permission-(\w+)">.*?</td>\s*<td class="pre">(.*?)</td>',
        page,
        re.S,
    )
    return {channel: (permission, usable, address) for channel, usable, permission, address in rows}


def test_plan_page_shows_a_number_whose_channel_was_not_asked_with_not_asked_beside_it(world_a: OrgWorld) -> None:
    actions.record_rules(
        world_a.provider, world_a.person, {"safe_to_contact": "yes", "phone_number": "+1 555 010 4242"}
    )
    _fill_permissions(world_a)
    page = plan_page(world_a)
    cells = channel_cells(page)
    assert cells["call"] == ("unknown", "no", "+15550104242")
    assert cells["voicemail"][:2] == ("unknown", "no")
    assert "Not asked (treated as not allowed)" in page
    assert "tel:" not in page


def test_plan_page_shows_safe_to_contact_no_overriding_an_allowed_channel(world_a: OrgWorld) -> None:
    actions.record_rules(
        world_a.provider, world_a.person,
        {"safe_to_contact": "no", "text": "allowed", "text_number": "555 010 1234"},
    )  # fmt: skip
    _fill_permissions(world_a)
    page = plan_page(world_a)
    cells = channel_cells(page)
    assert cells["text"] == ("allowed", "no", "5550101234")
    assert "They have not said contact after today is safe." in page
    assert re.search(r"<dt>Safe to contact after today</dt><dd[^>]*>No</dd>", page)
    assert "sms:" not in page


# --- Gap 11: a double submit logs one attempt -----------------------------------------------------


def _text_task(world: OrgWorld) -> FollowUpTask:
    actions.record_rules(
        world.provider, world.person, {"safe_to_contact": "yes", "text": "allowed", "text_number": "5550101234"}
    )
    return actions.add_task(
        world.provider, world.person, due_on=timezone.localdate(), channel="text", assignee=world.provider
    )


def test_a_double_submit_of_the_attempt_form_logs_one_attempt(world_a: OrgWorld) -> None:
    task = _text_task(world_a)
    client = sign_in(Client(), world_a.provider)
    form = form_with(client.get(reverse("contact:task", args=[task.id])).content.decode(), "form_token")
    assert form["form_token"]
    posted = {**form, "channel": "text", "outcome": "no_answer", "close_task": "on"}
    url = reverse("contact:attempt", args=[task.id])
    first, second = client.post(url, posted), client.post(url, posted)
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"]
    assert ContactAttempt.objects.filter(task=task).count() == 1
    assert AuditEvent.objects.filter(event="contact.attempt_logged").count() == 1


def test_a_double_submit_of_not_safe_to_talk_makes_one_next_day_follow_up(world_a: OrgWorld) -> None:
    task = _text_task(world_a)
    token = "7d2c5d0e-7a59-4a0e-9d6d-3f1f5f1a2b3c"
    for _ in range(2):
        actions.log_attempt(world_a.provider, task, channel="text", outcome="not_safe", token=token)  # type: ignore[arg-type]
    assert ContactAttempt.objects.filter(person=world_a.person).count() == 1
    assert [t.source for t in FollowUpTask.objects.filter(person=world_a.person)].count("not_safe") == 1


# --- Gap 14: a follow-up on a way the rules no longer allow says so ------------------------------


def test_a_follow_up_whose_channel_is_no_longer_allowed_is_marked_everywhere(world_a: OrgWorld) -> None:
    task = _text_task(world_a)
    client = sign_in(Client(), world_a.provider)
    pages = {
        "task": reverse("contact:task", args=[task.id]),
        "contact": reverse("contact:person", args=[world_a.person.id]),
        "record": reverse("people:detail", args=[world_a.person.id]),
        "home": reverse("core:home"),
    }
    for name, url in pages.items():
        assert "no longer allowed by their rules" not in client.get(url).content.decode(), name
    actions.record_rules(world_a.provider, world_a.person, {"text": "not_allowed"})
    for name, url in pages.items():
        page = client.get(url).content.decode()
        assert "no longer allowed by their rules" in page, name
        assert "sms:" not in page, name


# --- Gap 15: the home list says how many it leaves out --------------------------------------------


def _due_tasks(world: OrgWorld, count: int) -> None:
    actions.record_rules(world.provider, world.person, {"safe_to_contact": "yes", "call": "allowed"})
    day = timezone.localdate() - datetime.timedelta(days=3)
    for _ in range(count):
        FollowUpTask.objects.create(
            org=world.org, person=world.person, channel="call", due_on=day, assigned_to=world.provider
        )


def test_home_list_says_how_many_more_follow_ups_are_due(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    _due_tasks(world_a, 30)
    page = client.get(reverse("core:home")).content.decode()
    assert 'id="follow-ups-more"' not in page
    _due_tasks(world_a, 1)
    with CaptureQueriesContext(connection) as one_more:
        page = client.get(reverse("core:home")).content.decode()
    assert "1 more follow-up due is not listed here" in page
    _due_tasks(world_a, 12)
    with CaptureQueriesContext(connection) as many_more:
        page = client.get(reverse("core:home")).content.decode()
    assert "13 more follow-ups due are not listed here" in page
    assert len(many_more) == len(one_more)  # one count, not a query per row


# --- Gap 18: "they confirmed the rules" with no rules recorded ------------------------------------


def test_confirming_rules_that_do_not_exist_is_refused_and_writes_nothing(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    url = reverse("contact:reconfirm", args=[world_a.person.id])
    response = client.post(url, {"version": 0, "how": "phone"})
    assert response.status_code == 400
    assert "Record the rules with them first" in unescape(response.content.decode())
    assert not ContactRules.objects.filter(person=world_a.person).exists()
    assert not AuditEvent.objects.filter(event="contact.rules_confirmed").exists()
    try:
        actions.reconfirm_rules(world_a.provider, world_a.person, version=0, how="in_person")
    except ContactRefused:
        pass
    else:
        raise AssertionError("confirmed rules that do not exist")
    assert not ContactRules.objects.filter(person=world_a.person).exists()


def test_confirming_from_a_follow_up_with_no_rules_stays_on_the_follow_up(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    task = world_a.task
    response = client.post(
        reverse("contact:reconfirm", args=[world_a.person.id]), {"version": 0, "how": "phone", "task": str(task.id)}
    )
    page = unescape(response.content.decode())
    assert response.status_code == 400 and "Log this attempt" in page and "Record the rules with them first" in page
    assert not ContactRules.objects.filter(person=world_a.person).exists()

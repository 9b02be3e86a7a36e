"""Issue 9, items 1 and 12: the browser is told not to remember anything typed about a person, and
the name search is throttled per staff member and audited with its result count, never its terms.

Autofill: every form class of the apps that take a person's data is made and rendered (fields added
after construction included), and every page a provider, supervisor or front-desk member can open is
parsed; any text input or text area without ``autocomplete="off"`` fails, with its name.  The browser
itself is checked in tests/browser/test_autofill.py (a persistent Chromium profile)."""

from __future__ import annotations

import datetime
import importlib
import inspect
import uuid
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from tests.test_issue9_signin import committed_staff, pg_only, run_together  # noqa: F401  (fixture)
from tests.test_read_audit import advance
from tests.test_sweeps import CASES
from waypoint.contact import intake
from waypoint.contact.forms import group_names
from waypoint.contact.rules import FIELDS
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.people import access as people_access
from waypoint.people.events import PersonEvent
from waypoint.plans.spec import ITEMS
from waypoint.referrals.models import DirectoryEntry, Release

# --------------------------------------------------------------------------------------------------
# Autofill: form classes

FORM_MODULES = [
    "waypoint.people.forms",
    "waypoint.encounters.forms",
    "waypoint.encounters.separation_forms",
    "waypoint.plans.forms",
    "waypoint.referrals.forms.services",
    "waypoint.referrals.forms.directory",
    "waypoint.referrals.forms.referrals",
    "waypoint.referrals.forms.releases",
    "waypoint.referrals.forms.disclosures",
    "waypoint.printing.forms",
    "waypoint.oversight.forms",
    "waypoint.content.views",  # the wording editor's form lives with its views
    "waypoint.contact.forms",
]
CHOICES = [("a", "A"), ("b", "B")]


def form_classes() -> list[type[forms.BaseForm]]:
    found = []
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == name:
                found.append(value)
    return found


def instances(cls: type[forms.BaseForm], world: OrgWorld) -> Iterator[forms.BaseForm]:
    """Every shape of a form class: each plan item for ``ItemForm``, bound and unbound."""
    keyword = {
        "org_id": world.org.id,
        # two plain questions and every question whose parts become contact rules (text parts included)
        "questions": [("q1", "Question one"), ("q2", "Question two"), *((k, k) for k in sorted(intake.QUESTIONS))],
        "choices": CHOICES,
        "channels": CHOICES,
        "assignees": CHOICES,
        "voicemail": True,
        "names": list(FIELDS),
        "keys": ["greeting"],
        "english": {"greeting": "Hello"},
        "person_id": world.person.id,
        "person": world.person,
        "org": world.org,
        "entries": DirectoryEntry.objects.filter(org=world.org),
        "releases": Release.objects.filter(person=world.person),
    }
    wanted = [p for p in inspect.signature(cls.__init__).parameters.values() if p.kind is p.KEYWORD_ONLY]
    kwargs = {p.name: keyword[p.name] for p in wanted if p.name in keyword}
    missing = [p.name for p in wanted if p.name not in keyword and p.name != "item" and p.default is p.empty]
    assert not missing, f"{cls.__name__} needs {missing}: add them to this sweep"
    shapes: list[dict[str, Any]] = [{}]
    if "item" in {p.name for p in wanted}:  # each plan item, with the contact-rule fields it edits
        shapes = [{"item": item, "rule_names": group_names(item.rules)} for item in ITEMS]
    for shape in shapes:
        yield cls(**kwargs, **shape)
        yield cls({"version": "1"}, **kwargs, **shape)


class Fields(HTMLParser):
    """Every form, input, text area and select of a page, with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str | None]] = []
        self.controls: list[tuple[str, dict[str, str | None], int]] = []  # (tag, attrs, form number)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.forms.append(dict(attrs))
        elif tag in {"input", "textarea", "select"}:
            self.controls.append((tag, dict(attrs), len(self.forms) - 1))


NOT_TYPED = {"hidden", "submit", "button", "reset", "image", "radio", "checkbox", "file"}
# The idle lock's sign-in dialog (base.html) holds the staff member's own credentials, named for
# what they are so password managers fill them; it takes no person's data.
CREDENTIALS = {"resume-username": "username", "resume-password": "current-password", "resume-code": "one-time-code"}


def typed(tag: str, attrs: dict[str, str | None]) -> bool:
    """Controls whose values a browser offers again later: text of any kind, never choices."""
    return tag == "textarea" or (tag == "input" and (attrs.get("type") or "text").lower() not in NOT_TYPED)


def remembered(html: str) -> list[str]:
    """The typed controls of ``html`` that the browser may remember."""
    parser = Fields()
    parser.feed(html)
    wrong = []
    for tag, attrs, _form in parser.controls:
        if not typed(tag, attrs):
            continue
        expected = CREDENTIALS.get(attrs.get("id") or "", "off")
        if attrs.get("autocomplete") != expected:
            wrong.append(f"<{tag} name={attrs.get('name')!r} autocomplete={attrs.get('autocomplete')!r}>")
    return wrong


def test_the_form_sweep_covers_every_form_class() -> None:
    names = {cls.__name__ for cls in form_classes()}
    assert {"PersonForm", "SearchForm", "ItemForm", "StepForm", "ServiceForm", "RunForm", "SafetyCheckForm"} <= names
    assert {"RulesForm", "TaskForm", "AttemptForm", "ReconfirmForm", "CallbackForm"} <= names
    assert len(names) >= 25


def test_every_widget_of_every_person_data_form_says_autocomplete_off(world_a: OrgWorld) -> None:
    wrong = []
    checked = 0
    for cls in form_classes():
        for form in instances(cls, world_a):
            for bound in form:
                checked += 1
                value = bound.field.widget.attrs.get("autocomplete")
                if value != "off":
                    wrong.append(f"{cls.__name__}.{bound.name}: autocomplete={value!r}")
                wrong += [f"{cls.__name__}.{bound.name}: {bad}" for bad in remembered(str(bound))]
    print(f"form fields checked: {checked}; remembered: {len(wrong)}")
    assert wrong == []


def test_fields_added_by_a_formset_are_covered_too() -> None:
    from waypoint.plans.forms import step_formset

    formset = step_formset("current", [{"text": "x", "idea": "person", "status": "to_do", "due_on": ""}])
    wrong = [f"{bound.html_name}" for form in formset.forms for bound in form if remembered(str(bound))]
    assert wrong == []
    assert 'autocomplete="off"' in str(formset.forms[0]["DELETE"])


# --------------------------------------------------------------------------------------------------
# Autofill: rendered pages

# Pages whose main template another helper owns: their inputs are checked, their <form> tags are
# listed in the D1 report (templates/plans/**, templates/printing/**, templates/orgs/**).
OTHERS_TEMPLATES = ("plans/", "printing/", "orgs/")


def pages(world: OrgWorld) -> list[str]:
    """Every page of the record apps (sign-in and staff pages take staff data, not a person's)."""
    urls = [
        reverse(name, kwargs=case[1](world))
        for name, case in CASES.items()
        if case[0] == "get" and not name.startswith("orgs:")
    ]
    urls += [reverse("plans:item", kwargs={"plan_id": world.plan.id, "item": item.key}) for item in ITEMS]
    for domain in ("physical", "emotional", "financial", "legal", "digital"):
        urls.append(reverse("plans:domain", kwargs={"plan_id": world.plan.id, "domain": domain}))
    return urls


def sweep_pages(client: Client, urls: list[str]) -> tuple[int, list[str]]:
    seen, wrong = 0, []
    for url in urls:
        response = client.get(url)
        if response.status_code >= 500:
            wrong.append(f"{url}: {response.status_code}, not parsed")
            continue
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        seen += 1
        html = response.content.decode()
        wrong += [f"{url}: {bad}" for bad in remembered(html)]
        template = response.templates[0].name if response.templates else ""
        if template.startswith(OTHERS_TEMPLATES):
            continue
        parser = Fields()
        parser.feed(html)
        with_text = {
            form for tag, attrs, form in parser.controls if typed(tag, attrs) and attrs.get("id") not in CREDENTIALS
        }
        for number in sorted(with_text):
            if number >= 0 and parser.forms[number].get("autocomplete") != "off":
                wrong.append(f"{url} ({template}): <form action={parser.forms[number].get('action')!r}> lacks it")
    return seen, wrong


@pytest.mark.parametrize("state", ["as made", "advanced"])
def test_no_page_lets_the_browser_remember_typed_text(world_a: OrgWorld, state: str) -> None:
    if state == "advanced":
        advance(world_a)  # privacy settled: the safety check, assessment and needs forms render
    seen, wrong = 0, []
    for role in ("provider", "supervisor", "front_desk"):
        client = sign_in(Client(raise_request_exception=False), getattr(world_a, role))
        count, bad = sweep_pages(client, pages(world_a))
        seen += count
        wrong += [f"{role} {line}" for line in bad]
    print(f"pages parsed ({state}): {seen}; controls the browser may remember: {len(wrong)}")
    assert seen >= 60
    assert wrong == []


def test_the_search_field_has_a_name_no_other_site_uses(as_provider: Client) -> None:
    parser = Fields()
    parser.feed(as_provider.get("/people/").content.decode())
    search = [a for tag, a, _form in parser.controls if typed(tag, a) and a.get("id") not in CREDENTIALS]
    assert [attrs.get("name") for attrs in search] == ["wp_find"]
    assert search[0].get("autocomplete") == "off"


def test_the_exit_page_says_what_autofill_and_the_printer_keep(as_provider: Client) -> None:
    page = as_provider.get(reverse("core:exit_info")).content.decode()
    assert "autofill" in page and "another website" in page
    assert "printer" in page and "history" in page and "private window" in page


# --------------------------------------------------------------------------------------------------
# Search: throttle and audit


def search(client: Client, text: str) -> Any:
    return client.post("/people/search/", {"wp_find": text})


def searches_of(staff: Any) -> Any:
    return AuditEvent.objects.filter(actor_id=staff.id, event=PersonEvent.SEARCHED)


def test_search_is_throttled_per_staff_member(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    for _ in range(people_access.SEARCHES_PER_MINUTE):
        assert search(client, "Canary Name A").status_code == 200
    rows_before = AuditEvent.objects.count()
    refused = search(client, "Canary Name A")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert list(refused.context["rows"]) == []  # nothing searched
    assert world_a.person.reference not in refused.content.decode()
    assert "You have searched many times in the last minute" in refused.content.decode()
    assert AuditEvent.objects.count() == rows_before  # no read row: nothing was shown
    colleague = sign_in(Client(), world_a.supervisor)
    assert search(colleague, "Canary Name A").status_code == 200  # the limit is per staff member


def test_the_limit_counts_searches_made_through_any_server_process(world_a: OrgWorld) -> None:
    """The count comes from the audit rows, so searches served by another process count too."""
    for _ in range(people_access.SEARCHES_PER_MINUTE):
        audit.record_by(world_a.provider, PersonEvent.SEARCHED, object_type="person", count=0)
    client = sign_in(Client(), world_a.provider)
    assert search(client, "Canary Name A").status_code == 429


def test_the_window_slides(world_a: OrgWorld, monkeypatch: Any) -> None:
    for _ in range(people_access.SEARCHES_PER_MINUTE):
        audit.record_by(world_a.provider, PersonEvent.SEARCHED, object_type="person", count=0)
    client = sign_in(Client(), world_a.provider)
    assert search(client, "Canary Name A").status_code == 429
    later = timezone.now() + datetime.timedelta(seconds=61)
    monkeypatch.setattr(people_access.timezone, "now", lambda: later)
    assert search(client, "Canary Name A").status_code == 200


def test_the_limit_is_a_setting(world_a: OrgWorld, settings: Any) -> None:
    settings.WAYPOINT_SEARCHES_PER_MINUTE = 2
    client = sign_in(Client(), world_a.provider)
    assert [search(client, "x").status_code for _ in range(3)] == [200, 200, 429]


def test_a_throttled_search_with_bad_input_is_still_never_a_500(world_a: OrgWorld, settings: Any) -> None:
    settings.WAYPOINT_SEARCHES_PER_MINUTE = 0
    client = sign_in(Client(), world_a.provider)
    assert client.post("/people/search/", {}).status_code == 429
    assert client.post("/people/search/", {"wp_find": "\x00" * 500}).status_code == 429


def test_each_search_is_one_row_with_its_result_count_and_never_its_terms(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    search(client, "  canary   NAME a ")
    search(client, "Nobody By This Name")
    search(client, world_a.person.reference)
    rows = list(searches_of(world_a.provider).order_by("seq"))
    assert [row.count for row in rows] == [1, 0, 1]
    assert {row.object_type for row in rows} == {"person"} and {row.object_id for row in rows} == {None}
    for row in rows:
        values = " ".join(str(getattr(row, f.attname)) for f in AuditEvent._meta.concrete_fields)
        for term in ("canary", "Nobody", world_a.person.reference, world_a.person.reference.replace("-", "")):
            assert term.lower() not in values.lower()
    assert audit.label(PersonEvent.SEARCHED) != audit.label(PersonEvent.LISTED)


def test_invalid_searches_write_no_row_and_do_not_count(world_a: OrgWorld, settings: Any) -> None:
    settings.WAYPOINT_SEARCHES_PER_MINUTE = 1
    client = sign_in(Client(), world_a.provider)
    for _ in range(5):
        assert client.post("/people/search/", {"wp_find": ""}).status_code == 200
    assert searches_of(world_a.provider).count() == 0
    assert search(client, "Canary Name A").status_code == 200


def test_search_uses_the_organisation_s_own_name_index(world_a: OrgWorld, monkeypatch: Any) -> None:
    """The search asks for the word hashes of the reader's organisation (issue 9 item 9; since issue
    11 the index holds one keyed hash per word, ``waypoint.people.tokens``)."""
    from waypoint.people import search as people_search
    from waypoint.people import tokens

    seen: list[tuple[uuid.UUID, str]] = []
    original: Callable[[uuid.UUID, str], list[str]] = tokens.word_digests

    def spy(org_id: uuid.UUID, text: str) -> list[str]:
        seen.append((org_id, text))
        return original(org_id, text)

    monkeypatch.setattr(people_search.tokens, "word_digests", spy)
    client = sign_in(Client(), world_a.provider)
    assert list(search(client, "Canary Name A").context["rows"]) == [world_a.person]
    assert seen == [(world_a.org.id, "Canary Name A")]


def test_the_audit_log_shows_how_many_results_a_search_found(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    search(client, "Nobody By This Name")
    search(client, world_a.person.reference)
    page = sign_in(Client(), world_a.auditor).get(reverse("oversight:audit_log")).content.decode()
    assert "(0 results)" in page and "(1 result)" in page
    assert "Nobody" not in page


@pg_only
def test_searches_sent_together_cannot_pass_the_limit(committed_staff: Any, settings: Any) -> None:  # noqa: F811
    """The count and the search's row are one locked step: 12 at once under a limit of 5 let 5 in."""
    from waypoint.core import audit
    from waypoint.people import actions
    from waypoint.people.access import may_search

    settings.WAYPOINT_SEARCHES_PER_MINUTE = 5

    def one(_index: int) -> bool:
        with actions.search_turn(committed_staff):
            if not may_search(committed_staff):
                return False
            audit.record_by(committed_staff, PersonEvent.SEARCHED, object_type="person", count=0)
            return True

    assert run_together(12, one).count(True) == 5

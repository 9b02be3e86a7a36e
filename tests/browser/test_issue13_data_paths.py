"""Issue 13: organisation settings followed from where an org admin types them to every place they are
used, once in English and once in Spanish.

1. Minors and jurisdiction (``orgs:jurisdiction``): minor age 16, a mandated-report agency and how to
   reach it, "a young person may agree to services alone".  A record with an estimated age of 17 is
   then not a minor (its record page says so, no jurisdiction panel, its encounter has the consent
   step, its release form no panel); a record aged 15 is: its record page, the child protective
   services step of its encounter and its release form show the panel with the agency, the number
   and the consent rule (``templates/orgs/jurisdiction_panel.html``).
2. Discretion (``orgs:discretion``): the tab name is every signed-in page's title and the header's
   brand, while a signed-out page (the login page after signing out) keeps the neutral default; the
   steps for a call are on a phone encounter's danger page, while an in-person danger page keeps the
   separation protocol's; Exit goes to the organisation's exit page (answered inside the browser:
   nothing reaches the network).
3. The see-alone policy's own text (``encounters:see_alone_policy``), turned on: on the staff
   orientation and read aloud at the Privacy step of a new in-person encounter.

Typed values never appear in an address or a title (the tab name only in the title).  axe-core
(0 violations) and Exit first in tab order on every Waypoint page visited.  Every setting changed is
put back at the end (the browser tests share one server).  Interface words are looked up in the
Spanish catalogue (``helpers.translate``), never written here in Spanish."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser.helpers import (
    METRICS,
    CodeBook,
    mint_sessions,
    require_chromium,
    save_new_record,
    set_language,
    submit,
    translate,
    trigger_exit,
)
from tests.browser.test_accessibility import Sweep
from tests.browser.test_encounters import pass_gate, path_of, reset_language, session_page, start_encounter
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

ADMIN = "orgadmin.a"
PROVIDER = "provider.a"
SESSION_COOKIE = "wp_session"

JURISDICTION = "/settings/jurisdiction/"
DISCRETION = "/settings/discretion/"
POLICY = "/encounters/see-alone-policy/"
ORIENTATION = "/orientation/"

MINOR_AGE = "16"
AGENCY = "Canary County Children's Services"
AGENCY_CONTACT = "555-0199"
TAB_NAME = "Appointments"
PHONE_STEPS = ["Canary step one", "Canary step two"]
EXIT_PAGE = "https://example.org/canary-exit"
POLICY_TEXT = "Canary policy text"
# What the admin types: never in an address; only the tab name may be in a title.
TYPED = [AGENCY, AGENCY_CONTACT, *PHONE_STEPS, EXIT_PAGE, "canary-exit", POLICY_TEXT, "Canary"]
NEUTRAL_PAGE = "<!DOCTYPE html><html lang='en'><head><title>News</title></head><body><p>News</p></body></html>"

# templates/orgs/jurisdiction_panel.html
PANEL_HEADING = "Rules for young people here"
PANEL_AGE = "Under %(age)s counts as a minor here."
PANEL_AGENCY = "Mandated reports go to %(agency)s: %(contact)s."
PANEL_ALONE = "A young person may agree to services on their own here."
PANEL_NEVER = "Someone who may be harming them can never sign."

PROTOCOL_STEPS = """
import json
from django.utils import translation
from waypoint.encounters.separation import SeparationProtocol
from waypoint.orgs.models import Staff
org_id = Staff.objects.get(username={admin!r}).org_id
with translation.override({language!r}):
    print("STEPS " + json.dumps(SeparationProtocol.for_org(org_id).shown_lines("emergency_steps")))
"""


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="module")
def admin_session() -> dict[str, Any]:
    return {}


class Visits:
    """Every Waypoint page the test looks at: axe and Exit first (``Sweep``), and nothing the admin
    typed in its address or its title."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.sweep = Sweep()

    def clean(self, page: Any, label: str, tab_name_allowed: bool = True) -> None:
        address = unquote(page.url)
        title = page.title()
        for typed in [*TYPED, TAB_NAME]:
            assert typed.casefold() not in address.casefold(), f"{label}: {typed!r} is in the address {page.url}"
        for typed in [*TYPED, *([] if tab_name_allowed else [TAB_NAME])]:
            assert typed.casefold() not in title.casefold(), f"{label}: {typed!r} is in the title {title!r}"

    def check(self, page: Any, label: str, tab_name_allowed: bool = True) -> None:
        self.clean(page, label, tab_name_allowed)
        self.sweep.check(page, label)

    def go(self, page: Any, path: str, label: str) -> None:
        page.goto(f"{self.server.url}{path}")
        assert path_of(page) == urlsplit(path).path, f"{label}: {path} led to {page.url}"
        self.check(page, label)


def checked(page: Any, name: str) -> str | None:
    found = page.locator(f"main input[type=radio][name={name}]:checked")
    return str(found.get_attribute("value")) if found.count() else None


def saved_here(page: Any, path: str, what: str) -> None:
    assert path_of(page) == path, f"{what} was not saved: {page.url}"
    assert page.locator("#error-summary").count() == 0, page.inner_text("main")[:1500]
    assert page.locator(".messages .message-success").count() == 1, page.inner_text("main")[:1500]


# --- The admin's three pages: read what is there, type, put back -------------------------------


def read_jurisdiction(page: Any) -> dict[str, Any]:
    return {
        "minor_age": page.input_value("#id_minor_age"),
        "agency": page.input_value("#id_mandated_report_agency"),
        "contact": page.input_value("#id_mandated_report_contact"),
        "alone": checked(page, "minor_may_consent_alone"),
        "signer": checked(page, "minor_release_consent"),
        "release_max_days": page.input_value("#id_release_max_days"),
    }


def write_jurisdiction(page: Any, server: LiveServer, values: dict[str, Any]) -> None:
    page.goto(f"{server.url}{JURISDICTION}")
    page.fill("#id_minor_age", values["minor_age"])
    page.fill("#id_mandated_report_agency", values["agency"])
    page.fill("#id_mandated_report_contact", values["contact"])
    if values["alone"] is not None:
        page.check(f"input[name=minor_may_consent_alone][value={values['alone']}]")
    if values["signer"] is not None:
        page.check(f"input[name=minor_release_consent][value={values['signer']}]")
    page.fill("#id_release_max_days", values["release_max_days"])
    submit(page)
    saved_here(page, JURISDICTION, "minors and jurisdiction")


def read_discretion(page: Any) -> dict[str, str]:
    return {
        "exit_url": page.input_value("#id_exit_url"),
        "tab_title": page.input_value("#id_tab_title"),
        "phone_steps": page.input_value("#id_phone_emergency_steps"),
    }


def write_discretion(page: Any, server: LiveServer, values: dict[str, str]) -> None:
    page.goto(f"{server.url}{DISCRETION}")
    page.fill("#id_exit_url", values["exit_url"])
    page.fill("#id_tab_title", values["tab_title"])
    page.fill("#id_phone_emergency_steps", values["phone_steps"])
    submit(page)
    saved_here(page, DISCRETION, "discretion")


def read_policy(page: Any) -> dict[str, Any]:
    sites = page.eval_on_selector_all(
        "main input[type=radio][name^=site_]:checked", "rs => rs.map(r => [r.name, r.value])"
    )
    return {"on": checked(page, "see_alone"), "text": page.input_value("#id_see_alone_text"), "sites": dict(sites)}


def write_policy(page: Any, server: LiveServer, values: dict[str, Any]) -> None:
    page.goto(f"{server.url}{POLICY}")
    if values["on"] is not None:
        page.check(f"input[name=see_alone][value={values['on']}]")
    page.fill("#id_see_alone_text", values["text"])
    for name, value in values["sites"].items():
        page.check(f"input[name='{name}'][value={value}]")
    submit(page)
    saved_here(page, POLICY, "the see-alone policy")


# --- Provider pages ---------------------------------------------------------------------------------


def new_record(page: Any, server: LiveServer, name: str, age: int, language: str) -> str:
    page.goto(f"{server.url}/people/new/")
    page.fill("#id_name", name)
    page.fill("#id_estimated_age", str(age))
    page.select_option("#id_preferred_language", language)
    save_new_record(page)
    found = re.fullmatch(r"/people/([0-9a-f-]{36})/", path_of(page))
    assert found, f"the record was not created: {page.url} {page.inner_text('main')[:800]}"
    return found.group(1)


def minor_answer(page: Any, language: str) -> str:
    """The record page's "Minor" line."""
    answer = page.evaluate(
        """(label) => {
             const dt = [...document.querySelectorAll('main dl.summary dt')].find(d => d.textContent.trim() === label);
             return dt && dt.nextElementSibling ? dt.nextElementSibling.textContent.trim() : null;
           }""",
        translate(language, "Minor"),
    )
    assert answer is not None, "the record page has no Minor line"
    return str(answer)


def panel_says(page: Any, language: str, where: str) -> None:
    """The jurisdiction panel is on this page and says what the admin set."""
    panel = page.locator("#jurisdiction-panel")
    assert panel.count() == 1, f"{where}: no jurisdiction panel"
    text = " ".join(panel.inner_text().split())
    expected = [
        translate(language, PANEL_HEADING),
        translate(language, PANEL_AGE) % {"age": MINOR_AGE},
        translate(language, PANEL_AGENCY) % {"agency": AGENCY, "contact": AGENCY_CONTACT},
        translate(language, PANEL_ALONE),
        translate(language, PANEL_NEVER),
    ]
    for words in expected:
        assert " ".join(words.split()) in text, f"{where}: {words!r} not in the panel: {text!r}"
    assert page.locator("#jurisdiction-agency-missing").count() == 0, where


def steps_shown(page: Any, kind: str) -> list[str]:
    listed = page.locator(f"main ol.big-steps[data-steps={kind}] > li")
    assert listed.count() >= 1, f"no {kind} steps on {page.url}: {page.inner_text('main')[:1200]}"
    return [" ".join(t.split()) for t in listed.all_inner_texts()]


def protocol_steps(server: LiveServer, language: str) -> list[str]:
    """The separation protocol's in-person steps as the server shows them in ``language``."""
    result = server.manage("shell", "-c", PROTOCOL_STEPS.format(admin=ADMIN, language=language))
    line = next(x for x in result.stdout.splitlines() if x.startswith("STEPS "))
    return [" ".join(step.split()) for step in json.loads(line[len("STEPS ") :])]


def minted_page(contexts: Any, server: LiveServer, key: str, language: str) -> tuple[Any, Any]:
    """A provider.a page on a session made on the server (sign-out and Exit end it, so never the
    shared one, and no second-factor code is spent)."""
    context, state = contexts.new()
    context.add_cookies([{"name": SESSION_COOKIE, "value": key, "url": server.url}])
    page = context.new_page()
    page.goto(f"{server.url}/")
    assert path_of(page) == "/", f"the minted session was refused: {page.url}"
    set_language(page, language)
    return page, state


@pytest.mark.parametrize("language", ["en", "es"])
def test_organisation_settings_reach_every_place_they_are_used(
    contexts: Any,
    wp_server: LiveServer,
    codes: CodeBook,
    provider_session: dict[str, Any],
    admin_session: dict[str, Any],
    language: str,
) -> None:
    visits = Visits(wp_server)
    tag = secrets.token_hex(3)
    admin = session_page(contexts, wp_server, codes, admin_session, ADMIN)
    set_language(admin, language)
    restore: list[tuple[Any, Any, str, dict[str, Any]]] = []  # (write, read, page, what was there)
    provider: Any = None
    finished = False
    try:
        # ---- 1. Minors and jurisdiction -------------------------------------------------------
        visits.go(admin, JURISDICTION, "jurisdiction settings")
        restore.append((write_jurisdiction, read_jurisdiction, JURISDICTION, read_jurisdiction(admin)))
        write_jurisdiction(
            admin,
            wp_server,
            {
                "minor_age": MINOR_AGE,
                "agency": AGENCY,
                "contact": AGENCY_CONTACT,
                "alone": "True",
                "signer": None,
                "release_max_days": admin.input_value("#id_release_max_days"),
            },
        )
        visits.check(admin, "jurisdiction settings saved")
        assert admin.input_value("#id_minor_age") == MINOR_AGE
        assert admin.input_value("#id_mandated_report_agency") == AGENCY
        panel_says(admin, language, "the settings page's preview")

        provider = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
        set_language(provider, language)

        older = new_record(provider, wp_server, f"Prueba Diecisiete {tag}", 17, language)
        visits.check(provider, "record aged 17")
        assert minor_answer(provider, language) == translate(language, "No")
        assert provider.locator("#jurisdiction-panel").count() == 0, "a 17-year-old is not a minor at 16"
        assert AGENCY not in provider.inner_text("main")
        older_in_person = start_encounter(provider, wp_server, older, "in_person")
        visits.check(provider, "encounter aged 17")
        assert provider.locator("main a[href$='/consent/']").count() >= 1, "an adult's encounter asks for consent"
        assert provider.locator("main a[href$='/child-protection/']").count() == 0
        visits.go(provider, f"/people/{older}/releases/new/", "release form aged 17")
        assert provider.locator("#jurisdiction-panel").count() == 0

        younger = new_record(provider, wp_server, f"Prueba Quince {tag}", 15, language)
        visits.check(provider, "record aged 15")
        assert minor_answer(provider, language) == translate(language, "Yes, under %(age)s") % {"age": MINOR_AGE}
        panel_says(provider, language, "a minor's record")
        minor_encounter = start_encounter(provider, wp_server, younger, "in_person")
        visits.check(provider, "encounter aged 15")
        assert provider.locator("main a[href$='/child-protection/']").count() >= 1, "a minor's encounter"
        visits.go(provider, f"{minor_encounter}privacy/", "privacy (minor)")
        pass_gate(provider, wp_server, minor_encounter)
        visits.go(provider, f"{minor_encounter}child-protection/", "child protection step")
        panel_says(provider, language, "the child protective services step")
        visits.go(provider, f"/people/{younger}/releases/new/", "release form aged 15")
        panel_says(provider, language, "a minor's release form")
        METRICS[f"issue 13 data paths ({language}): jurisdiction panel on record, step, release"] = "yes"

        # ---- 2. Discretion ------------------------------------------------------------------
        visits.go(admin, DISCRETION, "discretion settings")
        restore.append((write_discretion, read_discretion, DISCRETION, read_discretion(admin)))
        write_discretion(
            admin, wp_server, {"exit_url": EXIT_PAGE, "tab_title": TAB_NAME, "phone_steps": "\n".join(PHONE_STEPS)}
        )
        visits.check(admin, "discretion settings saved")
        assert admin.title() == TAB_NAME

        for path, label in (("/", "home"), (f"/people/{older}/", "record")):
            visits.go(provider, path, label)
            assert provider.title() == TAB_NAME, f"{label}: the tab says {provider.title()!r}"
            assert provider.inner_text("header a.brand").strip() == TAB_NAME

        phone = start_encounter(provider, wp_server, older, "phone")
        visits.check(provider, "safe to talk (phone)")
        visits.go(provider, f"{phone}danger/", "danger, phone")
        assert steps_shown(provider, "call") == PHONE_STEPS
        visits.go(provider, f"{older_in_person}danger/", "danger, in person")
        in_person = steps_shown(provider, "in_person")
        assert in_person == protocol_steps(wp_server, language), in_person
        assert not set(PHONE_STEPS) & set(in_person)
        assert "Canary" not in provider.inner_text("main")

        keys, _people = mint_sessions(wp_server, PROVIDER, 2)
        leaving, _state = minted_page(contexts, wp_server, keys[0], language)
        visits.check(leaving, "home (second session)")
        assert leaving.title() == TAB_NAME
        with leaving.expect_navigation():
            leaving.locator("header form[action='/logout/'] button").click()
        assert path_of(leaving) == "/login/", leaving.url
        # Signed out, nobody's organisation is known: the neutral default, in the page's language.
        assert leaving.title() == translate(str(leaving.get_attribute("html", "lang")), "Notes")
        assert leaving.inner_text("header a.brand").strip() == leaving.title()
        visits.check(leaving, "login after signing out", tab_name_allowed=False)

        exiting, state = minted_page(contexts, wp_server, keys[1], language)
        exiting.route(
            "https://example.org/**",
            lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=NEUTRAL_PAGE),
        )
        visits.go(exiting, f"/people/{older}/", "record (before Exit)")
        trigger_exit(exiting, state, "click")
        exiting.wait_for_url(EXIT_PAGE, timeout=10_000)
        assert exiting.url == EXIT_PAGE
        METRICS[f"issue 13 data paths ({language}): tab name, steps for a call, exit page followed"] = "yes"

        # ---- 3. The see-alone policy's own text ----------------------------------------------
        visits.go(admin, POLICY, "see-alone policy")
        restore.append((write_policy, read_policy, POLICY, read_policy(admin)))
        write_policy(admin, wp_server, {"on": "on", "text": POLICY_TEXT, "sites": {}})
        visits.check(admin, "see-alone policy saved")
        assert admin.input_value("#id_see_alone_text") == POLICY_TEXT

        visits.go(provider, ORIENTATION, "orientation")
        assert provider.inner_text("#policy-text").strip() == POLICY_TEXT
        assert translate(language, "Your organisation's policy:") in provider.inner_text("main")
        gate = start_encounter(provider, wp_server, older, "in_person")
        visits.check(provider, "encounter with the policy on")
        visits.go(provider, f"{gate}privacy/", "privacy, policy on")
        said = provider.locator("section[aria-labelledby=see-alone-policy]")
        assert said.count() == 1, provider.inner_text("main")[:1500]
        assert POLICY_TEXT in said.inner_text()
        METRICS[f"issue 13 data paths ({language}): own policy text on orientation and privacy"] = "yes"
        finished = True
    finally:
        try:
            for write, _read, _path, values in reversed(restore):
                write(admin, wp_server, values)
            # Put back as it was, read in the same language (the default policy text is shown in it).
            for _write, read, path, values in restore if finished else []:
                admin.goto(f"{wp_server.url}{path}")
                assert read(admin) == values, f"{path} was not put back"
        finally:
            reset_language(admin, wp_server)
            if provider is not None:
                reset_language(provider, wp_server)
    METRICS[f"issue 13 data paths ({language}): pages checked by axe"] = len(visits.sweep.checked)
    print(f"issue 13 data paths ({language}): axe pages checked {len(visits.sweep.checked)}")
    visits.sweep.report(f"issue 13 data paths ({language})")

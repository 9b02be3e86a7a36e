"""Issue 12, item 3, in Chromium, in English and in Spanish: from a demo person's encounter (the
consent step), record a release of information for a directory listing with a typed signature,
reaching every field by keyboard; see it valid on the release list; revoke it orally; see it
revoked.  axe-core and Exit-first on every page of the flow, the form's error re-render included.

Interface words are looked up with ``translate`` (the msgid while the Spanish catalogue lacks
them); states are also checked by their data attribute, which does not depend on the language."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

import pytest

from tests.browser.helpers import CodeBook, demo_person, require_chromium, set_language, tab_to, translate
from tests.browser.test_accessibility import Sweep
from tests.browser.test_encounters import (
    explain_confidentiality,
    pass_gate,
    path_of,
    reset_language,
    session_page,
    start_encounter,
)
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

PROVIDER = "provider.a"
HOTLINE = "00000000-0000-4000-8000-000000007888"
RECORD = "main form button[type=submit]:not([name=preview])"


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


def choose_listing(page: Any) -> str:
    """A local listing of the organisation when the demo has one, else the built-in hotline."""
    values = page.eval_on_selector_all("#id_entry option", "options => options.map(o => o.value)")
    local = [value for value in values if value and value != HOTLINE]
    chosen = local[0] if local else HOTLINE
    page.select_option("#id_entry", chosen)
    return str(page.eval_on_selector(f"#id_entry option[value='{chosen}']", "o => o.textContent.trim()"))


def fill_by_keyboard(page: Any, name: str, tag: str) -> None:
    """Every part of the form reached with Tab, in order, and filled from the keyboard."""
    tab_to(page, "#id_entry")
    tab_to(page, "#id_items_0")
    page.keyboard.press("Space")
    tab_to(page, "#id_purpose")
    page.keyboard.type(f"Legal advice {tag}")
    tab_to(page, "#id_benefits_risks")
    page.keyboard.type("They can help with papers; a letter could reach the house")
    tab_to(page, "#id_valid_until")
    page.fill("#id_valid_until", (datetime.date.today() + datetime.timedelta(days=30)).isoformat())
    tab_to(page, "main form button[name=preview]")
    tab_to(page, "#id_text_shown")
    page.keyboard.press("Space")
    tab_to(page, "#id_signed_how_0")
    tab_to(page, "#id_signed_name")
    page.keyboard.type(name)
    tab_to(page, "#id_signed_on")
    tab_to(page, RECORD)


@pytest.mark.parametrize("language", ["en", "es"])
def test_record_see_and_revoke_a_release(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], language: str
) -> None:
    tag = secrets.token_hex(3)
    sweep = Sweep()
    person = demo_person(wp_server, "María Núñez")
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    try:
        set_language(page, language)
        encounter = start_encounter(page, wp_server, person["id"], "in_person")
        pass_gate(page, wp_server, encounter)
        explain_confidentiality(page, wp_server, encounter)

        # The consent step: their releases and the way to record one.
        page.goto(f"{wp_server.url}{encounter}consent/")
        assert path_of(page) == f"{encounter}consent/", page.url
        sweep.check(page, "consent step")
        assert translate(language, "What they decided about sharing") in page.inner_text("main")
        with page.expect_navigation():
            page.click("#record-release")
        form_path = path_of(page)
        assert form_path == f"/people/{person['id']}/releases/new/", page.url
        sweep.check(page, "release form")
        assert page.locator(".release-text[lang=es]").count() == 1  # her language, not the interface's
        assert page.is_checked("input[name=language][value=es]")
        told = "The recipient will also be told who you are (your name), along with what is listed here."
        assert translate("es", told) in page.inner_text(".release-text")

        # Recorded without a signature first: refused, with the message next to the field.
        listing = choose_listing(page)
        with page.expect_navigation():
            page.click(RECORD)
        assert page.locator("#error-summary").is_visible() and page.locator("#id_signed_name_error").count() == 1
        sweep.check(page, "release form with errors")

        # Then by keyboard, from the top of the form.
        page.goto(f"{wp_server.url}{encounter}consent/")
        with page.expect_navigation():
            page.click("#record-release")
        choose_listing(page)
        page.focus("#id_entry")
        page.keyboard.press("Shift+Tab")
        fill_by_keyboard(page, person["name"], tag)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert path_of(page) == f"{encounter}consent/", f"not recorded: {page.url} {page.inner_text('main')[:800]}"

        # Valid on the list, in words.
        row = page.locator("table.release-list tr.release-row", has_text=listing).first
        assert row.get_attribute("data-state") in ("valid", "expiring")
        assert translate(language, "Valid") in row.inner_text()
        sweep.check(page, "consent step with the release")

        # Its page, and an oral revocation.
        with page.expect_navigation():
            row.locator("a").click()
        sweep.check(page, "release")
        assert translate(language, "Valid") in page.inner_text("#release-state")
        assert f"Legal advice {tag}" in page.inner_text("main")
        page.check("input[name=how][value=oral]")
        with page.expect_navigation():
            page.click("main form button.button")
        state = page.inner_text("#release-state")
        assert translate(language, "Revoked") in state, state
        assert page.locator("input[name=how]").count() == 0
        sweep.check(page, "revoked release")

        page.goto(f"{wp_server.url}{encounter}consent/")
        revoked = page.locator("table.release-list tr.release-row[data-state=revoked]", has_text=listing)
        assert revoked.count() >= 1
        assert translate(language, "Revoked") in revoked.first.inner_text()
    finally:
        reset_language(page, wp_server)
    sweep.report(f"releases ({language})")

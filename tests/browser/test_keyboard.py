"""Keyboard only, in Spanish: create a record with Tab, typing, Space and Enter, then find it with the
search form and open it."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import (
    READERS,
    REFERENCE,
    CodeBook,
    press_and_wait,
    require_chromium,
    set_language,
    sign_in,
    tab_to,
)
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser


def test_create_and_find_a_record_with_the_keyboard_in_spanish(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    page, _state = new_page()
    sign_in(page, wp_server, codes, codes.pick(READERS))
    name = f"Zoë Teclado {secrets.token_hex(3).upper()}"
    notes = "Registro creado solo con el teclado."
    try:
        # Language: the header's button, reached with Tab and pressed with Enter.
        tab_to(page, "form.language button[value=es]")
        press_and_wait(page, "Enter")
        assert page.get_attribute("html", "lang") == "es"

        tab_to(page, "main a[href='/people/new/']")
        press_and_wait(page, "Enter")
        assert urlsplit(page.url).path == "/people/new/"
        assert page.get_attribute("html", "lang") == "es"

        tab_to(page, "#id_name")
        page.keyboard.type(name)
        tab_to(page, "#id_estimated_age")
        page.keyboard.type("29")
        tab_to(page, "#id_preferred_language")
        page.keyboard.press("ArrowDown")  # English -> Spanish
        assert page.input_value("#id_preferred_language") == "es"
        tab_to(page, "#id_interpreter_needed")
        page.keyboard.press("Space")
        assert page.is_checked("#id_interpreter_needed")
        tab_to(page, "#id_interpreter_language")
        page.keyboard.type("español")
        tab_to(page, "#id_notes")
        page.keyboard.type(notes)
        tab_to(page, "main form button[type=submit]")
        press_and_wait(page, "Enter")

        path = urlsplit(page.url).path
        assert path.startswith("/people/") and path != "/people/new/", f"record not created: {page.url}"
        heading = page.inner_text("h1")
        found = REFERENCE.search(heading)
        assert found, f"no reference code in {heading!r}"
        reference = found.group(0)
        assert page.locator(".messages").is_visible()

        tab_to(page, "details.name-reveal summary")
        page.keyboard.press("Enter")
        assert page.eval_on_selector("details.name-reveal", "d => d.open")
        assert name in page.inner_text("details.name-reveal")
        assert notes in page.inner_text("main")

        # Find it again by name with the search form.
        tab_to(page, "nav a[href='/people/']")
        press_and_wait(page, "Enter")
        tab_to(page, "#id_wp_find")
        page.keyboard.type(name.upper().replace(" ", "  "))  # capitals and extra spaces do not matter
        press_and_wait(page, "Enter")
        assert urlsplit(page.url).path == "/people/search/"
        assert page.get_attribute("html", "lang") == "es"
        codes_found = page.eval_on_selector_all("main table a.code", "links => links.map(a => a.textContent.trim())")
        assert codes_found == [reference], f"search by name found {codes_found}, expected {reference}"

        tab_to(page, "main table a.code")
        press_and_wait(page, "Enter")
        assert urlsplit(page.url).path == path

        # And by reference code.
        tab_to(page, "nav a[href='/people/']")
        press_and_wait(page, "Enter")
        tab_to(page, "#id_wp_find")
        page.keyboard.type(reference.lower())
        press_and_wait(page, "Enter")
        codes_found = page.eval_on_selector_all("main table a.code", "links => links.map(a => a.textContent.trim())")
        assert codes_found == [reference]
    finally:
        page.goto(f"{wp_server.url}/account/")
        set_language(page, "en")

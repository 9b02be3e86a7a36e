"""The directory in the browser (issue 12, item 1), once in English and once in Spanish.

1. A provider opens the directory from the navigation, filters by need (legal), language ("Spanish",
   typed "español" in Spanish) and population (adults), and finds "Servicios Legales Comunitarios"
   (a demo listing) with the built-in hotline still first; the medical clinic is filtered out; the
   unfiltered list flags the listing not verified for 12 months.  A provider is offered no change.
2. A supervisor adds a listing (services and populations as checkboxes, languages typed), sees it
   flagged as never verified, marks it verified today, and the flag is gone and their name shown.
   An empty name is refused (400, the form again with its error); a CSV with a formula is refused
   with its row and column, and nothing is imported.
3. axe-core finds nothing, and Exit is first in tab order, on every directory page and state above.

Interface words are looked up in the compiled catalogue (``helpers.translate``): until the Spanish
translation is done the server shows English and so does the lookup; afterwards both are Spanish."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.helpers import METRICS, CodeBook, require_chromium, set_language, sign_in, submit, translate
from tests.browser.test_accessibility import Sweep
from tests.browser.test_encounters import reset_language
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

LANGUAGES = ["en", "es"]
LEGAL = "Servicios Legales Comunitarios"  # seed_demo's listings
CLINIC = "Northside Medical Clinic"
STALE = "Workers' Rights Centre"
HOTLINE = "National Human Trafficking Hotline"
FLAG = "Not verified in the last 12 months"
SPANISH_TYPED = {"en": "Spanish", "es": "español"}


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def listing_names(page: Any) -> list[str]:
    return [
        n.strip()
        for n in page.eval_on_selector_all(
            "article.directory-listing .listing-name", "hs => hs.map(h => h.textContent)"
        )
    ]


def listing(page: Any, name: str) -> Any:
    return page.locator("article.directory-listing", has=page.locator(".listing-name", has_text=name))


def filter_directory(page: Any, language: str) -> None:
    page.select_option("#id_need", "legal")
    page.fill("#id_language", SPANISH_TYPED[language])
    page.select_option("#id_population", "adults")
    with page.expect_navigation():
        page.click("form.directory-filters button[type=submit]")


def test_provider_finds_a_spanish_speaking_legal_service_for_adults(
    contexts: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    page, _state = contexts.page()
    sign_in(page, wp_server, codes, "provider.a")
    sweep = Sweep()
    try:
        for language in LANGUAGES:
            page.goto(f"{wp_server.url}/")
            set_language(page, language)
            nav = page.locator("#nav-directory")
            assert nav.inner_text().strip() == translate(language, "Directory")
            with page.expect_navigation():
                nav.click()
            assert path_of(page) == "/directory/"
            assert page.inner_text("h1").strip() == translate(language, "Directory of services")
            names = listing_names(page)
            assert names[0] == translate(language, HOTLINE) and {LEGAL, CLINIC, STALE} <= set(names)
            assert listing(page, STALE).locator("[data-tag=stale]").inner_text().strip() == translate(language, FLAG)
            assert listing(page, LEGAL).locator("[data-tag=stale]").count() == 0
            assert page.locator("main a[href$='/edit/'], main [data-action]").count() == 0  # a provider changes nothing
            sweep.check(page, "directory")

            filter_directory(page, language)
            query = parse_qs(urlsplit(page.url).query)
            assert query["need"] == ["legal"] and query["population"] == ["adults"]
            names = listing_names(page)
            assert names[0] == translate(language, HOTLINE), names
            assert LEGAL in names and CLINIC not in names and STALE not in names, names
            legal = listing(page, LEGAL)
            assert translate(language, "Legal help") in legal.inner_text()
            sweep.check(page, "directory filtered")

            with page.expect_navigation():
                legal.locator(".listing-name a").click()
            assert page.locator("article.directory-listing .listing-name").inner_text().strip() == LEGAL
            assert "555-0142" in page.inner_text("main")
            sweep.check(page, "directory listing")
            METRICS[f"directory: provider found the Spanish legal service for adults ({language})"] = "yes"
    finally:
        reset_language(page, wp_server)
    sweep.report("directory pages (provider)")


def test_supervisor_adds_and_verifies_a_listing(contexts: Any, wp_server: LiveServer, codes: CodeBook) -> None:
    page, _state = contexts.page()
    sign_in(page, wp_server, codes, "supervisor.a")
    url = wp_server.url
    sweep = Sweep()
    try:
        for language in LANGUAGES:
            page.goto(f"{url}/directory/")
            set_language(page, language)
            sweep.check(page, "directory (editor)")
            with page.expect_navigation():
                page.click("main a[href='/directory/new/']")
            sweep.check(page, "new listing")
            submit(page)  # nothing typed: refused
            assert page.locator("#error-summary").is_visible() and page.locator("#id_name_error").is_visible()
            sweep.check(page, "new listing with errors")

            name = f"Centro de Prueba {language.upper()} {secrets.token_hex(3)}"
            page.fill("#id_name", name)
            page.check("input[name=services][value=legal]")
            page.check("input[name=services][value=immigration]")
            page.check("input[name=populations][value=adults]")
            page.fill("#id_languages", "Spanish, English")
            page.fill("#id_hours", "Mon-Fri 9-5")
            page.check("#id_warm_transfer")
            page.fill("#id_phone", "+1 (555) 010-0150")
            submit(page)
            assert path_of(page).startswith("/directory/") and path_of(page) != "/directory/new/", page.url
            assert page.locator("article.directory-listing .listing-name").inner_text().strip() == name
            assert page.locator("[data-tag=stale]").inner_text().strip() == translate(language, FLAG)
            assert translate(language, "Listing added to the directory.") in page.inner_text(".messages")
            sweep.check(page, "listing, never verified")

            with page.expect_navigation():
                page.click("button[data-action=verify]")
            assert page.locator("[data-tag=stale]").count() == 0
            assert "Supervisor A" in page.inner_text("[data-verified]")
            assert translate(language, "Marked as verified today.") in page.inner_text(".messages")
            sweep.check(page, "listing, verified")

            with page.expect_navigation():
                page.click("main a[href$='/edit/']")
            assert page.input_value("#id_languages") == "Spanish, English"
            sweep.check(page, "edit listing")

            page.goto(f"{url}/directory/import/")
            sweep.check(page, "import")
            csv_text = 'name,hours\r\nFine,9-5\r\n=HYPERLINK("http://x.example"),9-5\r\n'
            page.set_input_files(
                "#id_upload", files=[{"name": "d.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
            )
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                submit(page)
            assert answer.value.status == 400
            errors = page.inner_text("#import-errors")
            assert translate(language, "Nothing was imported") in errors and "3" in errors and "name" in errors
            sweep.check(page, "import with errors")
            page.goto(f"{url}/directory/?q=Fine")
            assert "Fine" not in listing_names(page)
            METRICS[f"directory: supervisor added and verified a listing ({language})"] = "yes"
    finally:
        reset_language(page, wp_server)
    METRICS["directory pages checked by axe (en + es)"] = len(sweep.checked)
    METRICS["directory pages: axe violations"] = len(sweep.violations)
    sweep.report("directory pages (supervisor)")

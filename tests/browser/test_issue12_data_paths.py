"""Issue 12: two pieces of a person's data followed from where they are typed to every place they are
used, once in English and once in Spanish.

1. "People who may be harming or controlling them", typed on a young person's record, shows on no
   list or record page, and decides the release form: the same name typed as the guardian, with a
   kinship word in front, is refused with the neutral message (nothing on the page says why, nothing
   is saved, what was typed stays); another guardian is recorded and the release is valid.
2. A compelled disclosure typed on the disclosure form is on the record page, the referrals page and
   the timeline; its follow-up to tell the person is on the provider's home page (by the record's
   reference code, never the text) and opens with the neutral words, never what was disclosed.

Interface words are looked up in the Spanish catalogue (``helpers.translate``)."""

from __future__ import annotations

import datetime
import re
import secrets
from typing import Any

import pytest

from tests.browser.helpers import (
    METRICS,
    CodeBook,
    require_chromium,
    save_new_record,
    set_language,
    translate,
)
from tests.browser.test_accessibility import Sweep
from tests.browser.test_encounters import path_of, reset_language, session_page
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

PROVIDER = "provider.a"
LEGAL = "Servicios Legales Comunitarios"  # seed_demo's listing
NEUTRAL = "This person cannot sign this release. Nothing was saved. Talk with your supervisor before going on."
TELL = "Tell them about a disclosure the law required"
RECORD = "main form button[type=submit]:not([name=preview])"


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


def go(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def young_record(page: Any, url: str, tag: str, harm: str, language: str) -> str:
    page.goto(f"{url}/people/new/")
    page.fill("#id_name", f"Lucía Prueba {tag}")
    page.fill("#id_estimated_age", "15")
    page.fill("#id_harm_names", harm)
    page.select_option("#id_preferred_language", language)
    save_new_record(page)
    found = re.fullmatch(r"/people/([0-9a-f-]{36})/", path_of(page))
    assert found, f"the record was not created: {page.url}"
    return found.group(1)


def fill_release(page: Any, guardian: str) -> None:
    legal = page.eval_on_selector_all(
        "#id_entry option", f"os => os.filter(o => o.textContent.includes({LEGAL!r})).map(o => o.value)"
    )
    assert legal, "the legal service is not offered on the release form"
    page.select_option("#id_entry", legal[0])
    page.check("input[name=items][value=contact]")
    page.fill("#id_purpose", "Legal advice about her papers")
    page.fill("#id_benefits_risks", "They can help with her papers; a letter to the house could be seen")
    page.fill("#id_valid_until", (datetime.date.today() + datetime.timedelta(days=30)).isoformat())
    page.check("#id_text_shown")
    page.fill("#id_guardian_name", guardian)
    page.fill("#id_guardian_relationship", "tío")
    page.check("#id_guardian_not_harming")
    page.check("input[name=signed_how][value=typed]")
    page.fill("#id_signed_name", guardian)


@pytest.mark.parametrize("language", ["en", "es"])
def test_harm_names_and_a_disclosure_followed_through(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], language: str
) -> None:
    sweep = Sweep()
    url = wp_server.url
    tag = secrets.token_hex(3)
    harm = f"Ramón Vega{tag}"
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    try:
        set_language(page, language)
        person_id = young_record(page, url, tag, harm, language)
        record = f"/people/{person_id}/"
        reference = re.search(r"[B-Z2-9]{4}-[B-Z2-9]{4}", page.inner_text("h1"))
        assert reference, page.inner_text("h1")

        # 1. Where the name is not: the lists and the record's pages.
        for path in ("/people/", record, f"{record}referrals/", f"{record}timeline/"):
            page.goto(f"{url}{path}")
            assert f"Vega{tag}" not in page.content(), path

        # ... and where it decides: the guardian "tío Ramón Vega…" is refused, neutrally.
        page.goto(f"{url}{record}releases/new/")
        assert page.locator("#id_guardian_name").count() == 1, "a minor's release asks for the guardian"
        sweep.check(page, "release form (minor)")
        fill_release(page, f"tío {harm}")
        go(page, RECORD)
        assert path_of(page) == f"{record}releases/new/", page.url
        main = page.inner_text("main")
        assert translate(language, NEUTRAL) in main
        assert page.locator(".error-summary").count() == 1
        for word in ("harm", "dañ", "exploit"):
            assert word not in page.inner_text(".error-summary").lower()
        assert page.input_value("#id_guardian_name") == f"tío {harm}"  # nothing typed is lost
        sweep.check(page, "release refused (neutral)")
        page.goto(f"{url}{record}referrals/")
        assert translate(language, "No releases of information.") in page.inner_text("main")

        # Another guardian signs: recorded, valid.
        page.goto(f"{url}{record}releases/new/")
        fill_release(page, f"Ana Vega{tag}")
        go(page, RECORD)
        assert re.fullmatch(rf"{record}releases/[0-9a-f-]{{36}}/", path_of(page)), page.inner_text("main")[:800]
        assert translate(language, "Valid") in page.inner_text("#release-state")

        # 2. A compelled disclosure, told to the person through a follow-up.
        page.goto(f"{url}{record}disclosures/new/")
        sweep.check(page, "disclosure form")
        page.select_option("#id_kind", "court_order")
        page.fill("#id_what", f"Dates of visits {tag}")
        page.fill("#id_to_whom", f"Juzgado {tag}")
        page.fill("#id_legal_basis", "Court order")
        page.fill("#id_disclosed_on", datetime.date.today().isoformat())
        page.check("input[name=tell][value=yes]")
        go(page, "main form button.button")
        assert re.fullmatch(rf"{record}disclosures/[0-9a-f-]{{36}}/", path_of(page)), page.inner_text("main")[:800]
        sweep.check(page, "disclosure")
        for path in (record, f"{record}referrals/"):
            page.goto(f"{url}{path}")
            assert f"Juzgado {tag}" in page.inner_text("main"), path
        page.goto(f"{url}{record}timeline/")
        kind = translate(language, "Court order")
        assert translate(language, "Disclosure recorded · %(kind)s") % {"kind": kind} in page.inner_text("main")

        page.goto(f"{url}/")
        due = page.locator("section[aria-labelledby=follow-ups-due-h] a.code", has_text=reference.group(0))
        assert due.count() == 1, page.inner_text("main")[:1500]
        assert f"Dates of visits {tag}" not in page.content() and f"Juzgado {tag}" not in page.content()
        with page.expect_navigation():
            due.first.click()
        task = page.inner_text("main")
        assert translate(language, TELL) in task
        assert f"Dates of visits {tag}" not in task and f"Juzgado {tag}" not in task
        sweep.check(page, "tell follow-up")
        METRICS[f"issue 12 data paths ({language}): harm name refused neutrally, disclosure on home"] = "yes"
    finally:
        reset_language(page, wp_server)
    METRICS[f"issue 12 data paths ({language}): pages checked by axe"] = len(sweep.checked)
    sweep.report(f"issue 12 data paths ({language})")

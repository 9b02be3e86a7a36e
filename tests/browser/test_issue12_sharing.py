"""Issue 12, item 4, in Chromium, in English and in Spanish: with a release for a directory listing
("Servicios Legales Comunitarios", contact details and services), a referral under it sharing only
the contact details; its share page previews only that item; shared as a page, the recipient's page
shows only that item with the release's dates; then the release is revoked orally and the next
share is refused (409) with the message and what to do instead.  axe-core and Exit-first on each
page of the flow.

Interface words are looked up with ``translate`` (the msgid while the Spanish catalogue lacks them);
the items are found by their ``data-item`` attributes, which do not depend on the language."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from tests.browser.helpers import CodeBook, demo_person, require_chromium, set_language, translate
from tests.browser.test_accessibility import Sweep
from tests.browser.test_autofill import step_up_if_asked
from tests.browser.test_encounters import path_of, reset_language, session_page
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

PROVIDER = "provider.a"
LISTING = "Servicios Legales Comunitarios"
SUBMIT = "main form button[type=submit]:not([name=preview])"
REVOKED = "That release was revoked. Nothing can be shared under it."


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


def choose_listing(page: Any) -> None:
    """The listing's option (its label may add what it offers or the languages)."""
    value = page.eval_on_selector_all(
        "#id_entry option", f"options => options.filter(o => o.textContent.includes({LISTING!r})).map(o => o.value)"
    )
    assert value, "the demo listing is missing"
    page.select_option("#id_entry", value[0])


def record_release(page: Any, server: LiveServer, person_id: str, signed_name: str) -> str:
    """A release for the listing covering contact details and services; returns its path."""
    page.goto(f"{server.url}/people/{person_id}/releases/new/")
    choose_listing(page)
    for item in ("contact", "services"):
        page.check(f"input[name=items][value={item}]")
    page.fill("#id_purpose", "Legal advice")
    page.fill("#id_benefits_risks", "They can help with papers")
    page.fill("#id_valid_until", (datetime.date.today() + datetime.timedelta(days=30)).isoformat())
    page.check("#id_text_shown")
    page.check("input[name=signed_how][value=typed]")
    page.fill("#id_signed_name", signed_name)
    with page.expect_navigation():
        page.click(SUBMIT)
    page.goto(f"{server.url}/people/{person_id}/")
    valid = page.eval_on_selector_all(
        "tr.release-row",
        """rows => rows.filter(r => ['valid', 'expiring'].includes(r.dataset.state))
                      .map(r => r.querySelector('a').getAttribute('href'))""",
    )
    assert valid, "no valid release on the record page"
    return str(valid[0])


def make_referral(page: Any, server: LiveServer, person_id: str, release_path: str) -> str:
    """A referral to the listing under the release, sharing the contact details only; returns its path."""
    release_id = release_path.rstrip("/").rsplit("/", 1)[1]
    page.goto(f"{server.url}/people/{person_id}/referrals/new/")
    choose_listing(page)
    page.check("input[name=need][value=legal]")
    page.check("input[name=sharing][value=release]")
    page.check(f"input[name=release][value='{release_id}']")
    page.check("input[name=items][value=contact]")
    with page.expect_navigation():
        page.click(SUBMIT)
    found = re.fullmatch(rf"/people/{person_id}/referrals/[0-9a-f-]{{36}}/", path_of(page))
    assert found, f"referral not made: {page.url} {page.inner_text('main')[:1200]}"
    return path_of(page)


def items_shown(page: Any, scope: str) -> list[str]:
    return list(page.eval_on_selector_all(f"{scope} [data-item]", "nodes => nodes.map(n => n.dataset.item)"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_share_only_the_released_items_then_refused_after_oral_revocation(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], language: str
) -> None:
    sweep = Sweep()
    person = demo_person(wp_server, "Rosa")
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    try:
        set_language(page, language)
        release = record_release(page, wp_server, person["id"], "Rosa")
        referral = make_referral(page, wp_server, person["id"], release)
        share_path = f"{referral}share/"

        # The share page: the referral, the release, only the contact details offered and previewed.
        page.goto(f"{wp_server.url}{share_path}")
        assert path_of(page) == share_path
        sweep.check(page, "share page")
        assert items_shown(page, "section.preview") == ["contact"]
        offered = page.eval_on_selector_all("input[name=items]", "boxes => boxes.map(b => b.value)")
        assert offered == ["contact"]
        assert LISTING in page.inner_text("main")

        # Shared as a page: only that item, under the release's dates; the step-up if it is asked.
        with page.expect_navigation():
            page.click("button[name=as][value=page]")
        if step_up_if_asked(page, wp_server, codes, PROVIDER):
            with page.expect_navigation():
                page.click("button[name=as][value=page]")
        main = page.inner_text("main")
        assert translate(language, "Information shared with consent") in main, main[:800]
        assert items_shown(page, "main") == ["contact"]
        sweep.check(page, "shared page")

        # Revoked orally on the release page.
        page.goto(f"{wp_server.url}{release}")
        page.check("input[name=how][value=oral]")
        with page.expect_navigation():
            page.click("main form button.button")
        assert page.locator("input[name=how]").count() == 0

        # The next share is refused, with the message and what to do instead.
        page.goto(f"{wp_server.url}{share_path}")
        assert not items_shown(page, "section.preview")  # nothing would be shared: no preview
        sweep.check(page, "share page after revocation")
        with page.expect_navigation() as navigation:
            page.click("button[name=as][value=page]")
        if step_up_if_asked(page, wp_server, codes, PROVIDER):
            with page.expect_navigation() as navigation:
                page.click("button[name=as][value=page]")
        assert navigation.value.status == 409
        summary = page.inner_text("#error-summary")
        assert translate(language, REVOKED) in summary, summary
        assert page.locator(f"#error-summary a[href^='/people/{person['id']}/releases/new/']").count() == 1
        sweep.check(page, "share refused")
    finally:
        reset_language(page, wp_server)
    sweep.report(f"sharing ({language})")

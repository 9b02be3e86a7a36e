"""Issue 12, "Done when" (browser), in Chromium, once in English and once in Spanish: provider.a

1. opens the Directory from the main navigation and filters it by need (legal), language ("Spanish",
   typed "español" in the Spanish run) and population (adults): "Servicios Legales Comunitarios" is
   listed, the English-only medical clinic is not;
2. opens a demo person's record (María Núñez), goes to their "Referrals and releases" page and to
   "Make a referral": the services ledger comes first (its heading is above the form in the page's
   order) and shows the ledger's rows (one is added on the services page first, so there is a row);
3. records a release of information for that service only (contact details and services; purpose;
   benefits and risks; a typed signature with her recorded name; 30 days): the release list shows
   it valid;
4. makes a referral to that service for a legal need, sharing under that release the contact
   details and the services; its share page previews only those two sections (no plan, no safety
   check), and shared as a page the recipient's page holds only those two sections;
5. revokes the release orally on its page: the release list shows it revoked;
6. shares again from the referral: refused (409) with sharing.MESSAGES[Refusal.REVOKED]; nothing is
   shared, and the record (the release's "Shared under this release" table and the timeline) shows
   one share.

axe-core (0 violations) and Exit first in tab order on every page the flow visits.  Interface words
are looked up with ``helpers.translate`` (the msgid while the Spanish catalogue lacks them); the
rest is found by ids, names, values, data attributes and URLs."""

from __future__ import annotations

import datetime
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.helpers import METRICS, CodeBook, demo_person, require_chromium, set_language, translate
from tests.browser.test_accessibility import Sweep
from tests.browser.test_autofill import step_up_if_asked
from tests.browser.test_encounters import path_of, reset_language, session_page
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

PROVIDER = "provider.a"
PERSON = "María Núñez"  # an adult of the first demo organisation, with a recorded name
LEGAL = "Servicios Legales Comunitarios"  # seed_demo's listings
CLINIC = "Northside Medical Clinic"  # English only, medical: must be filtered out
SPANISH_TYPED = {"en": "Spanish", "es": "español"}
RELEASED = ["contact", "services"]
NEVER = ("plan_physical", "plan_communication", "plan_environmental", "plan_emotional", "safety_check", "documents")
REVOKED = "That release was revoked. Nothing can be shared under it."  # sharing.MESSAGES[Refusal.REVOKED]
SHARED_TIMELINE = "Information shared under a release"  # parts._share_entries
UUID = "[0-9a-f-]{36}"
RECORD_RELEASE = "main form button[type=submit]:not([name=preview])"


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


def go(page: Any, selector: str) -> Any:
    """Click a link or button and wait for the page it leads to; returns the response."""
    with page.expect_navigation() as navigation:
        page.locator(selector).first.click()
    return navigation.value


def items_shown(page: Any, scope: str) -> list[str]:
    return list(page.eval_on_selector_all(f"{scope} [data-item]", "nodes => nodes.map(n => n.dataset.item)"))


def listing_names(page: Any) -> list[str]:
    names = page.eval_on_selector_all("article.directory-listing .listing-name", "hs => hs.map(h => h.textContent)")
    return [name.strip() for name in names]


def release_row(page: Any, release_path: str) -> Any:
    return page.locator("table.release-list tr.release-row", has=page.locator(f"a[href='{release_path}']"))


def confirm_if_asked(page: Any, server: LiveServer, codes: CodeBook, sweep: Sweep, selector: str) -> Any:
    """After a POST that needs a recent step-up: confirm it (axe on that page too) and post again."""
    if path_of(page) != "/confirm/":
        return None
    sweep.check(page, "step-up")
    assert step_up_if_asked(page, server, codes, PROVIDER)
    return go(page, selector)


def shares_on_record(page: Any, server: LiveServer, person_id: str, release_path: str, language: str) -> int:
    """Shares under this release on the timeline (each links to the release)."""
    page.goto(f"{server.url}/people/{person_id}/timeline/")
    links = page.locator(f"main a[href='{release_path}']", has_text=translate(language, SHARED_TIMELINE))
    return int(links.count())


@pytest.mark.parametrize("language", ["en", "es"])
def test_find_release_refer_share_revoke_refused(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], language: str
) -> None:
    sweep = Sweep()
    url = wp_server.url
    tag = secrets.token_hex(3)
    person = demo_person(wp_server, PERSON)
    person_id = person["id"]
    made = refused = 0
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    try:
        set_language(page, language)
        sweep.check(page, "home")

        # 1. The directory, from the main navigation, filtered: need, language, population.
        go(page, "#nav-directory")
        assert path_of(page) == "/directory/", page.url
        sweep.check(page, "directory")
        page.select_option("#id_need", "legal")
        page.fill("#id_language", SPANISH_TYPED[language])
        page.select_option("#id_population", "adults")
        go(page, "form.directory-filters button[type=submit]")
        query = parse_qs(urlsplit(page.url).query)
        assert query.get("need") == ["legal"] and query.get("population") == ["adults"], page.url
        assert query.get("language") == [SPANISH_TYPED[language]], page.url
        names = listing_names(page)
        assert LEGAL in names and CLINIC not in names, names
        legal = page.locator("article.directory-listing", has=page.locator(".listing-name", has_text=LEGAL))
        entry_id = str(legal.get_attribute("data-listing"))
        assert re.fullmatch(UUID, entry_id), entry_id
        sweep.check(page, "directory filtered")
        go(page, f"article[data-listing='{entry_id}'] .listing-name a")
        assert path_of(page) == f"/directory/{entry_id}/", page.url
        sweep.check(page, "directory listing")

        # 2. The person's record; a service in the ledger; "Make a referral": the ledger first.
        page.goto(f"{url}/people/{person_id}/")
        sweep.check(page, "record")
        go(page, f"main a[href='/people/{person_id}/referrals/']")
        hub = f"/people/{person_id}/referrals/"
        assert path_of(page) == hub, page.url
        sweep.check(page, "referrals and releases")
        page.goto(f"{url}/people/{person_id}/services/")
        service = f"Counselling {tag}"
        page.fill("#id_provider", f"Clínica Comunitaria {tag}")
        page.fill("#id_service", service)
        go(page, "main form button.button")
        ledger_rows = page.locator("main table tbody tr").count()
        assert ledger_rows >= 1 and service in page.inner_text("main table"), page.url
        sweep.check(page, "services ledger")

        page.goto(f"{url}{hub}")
        go(page, f"main a[href='/people/{person_id}/referrals/new/']")
        assert path_of(page) == f"/people/{person_id}/referrals/new/", page.url
        ledger_first = page.evaluate(
            """() => {
                 const heading = document.getElementById('ledger-h');
                 const entry = document.getElementById('id_entry');
                 const form = entry ? entry.form : null;
                 if (!heading || !form) { return false; }
                 return !!(heading.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING);
               }"""
        )
        assert ledger_first, "the services ledger is not above the referral form"
        assert page.inner_text("#ledger-h").strip() == translate(language, "Already receiving — check before referring")
        ledger = page.locator("section[aria-labelledby=ledger-h]")
        assert ledger.locator("table tbody tr").count() == ledger_rows
        assert service in ledger.inner_text()
        sweep.check(page, "new referral (ledger first)")

        # 3. A release for that service only: contact details and services, typed signature, 30 days.
        page.goto(f"{url}{hub}")
        go(page, f"main a[href='/people/{person_id}/releases/new/']")
        assert path_of(page) == f"/people/{person_id}/releases/new/", page.url
        sweep.check(page, "release form")
        page.select_option("#id_entry", entry_id)
        for item in RELEASED:
            page.check(f"input[name=items][value={item}]")
        page.fill("#id_purpose", f"Legal advice about papers {tag}")
        page.fill("#id_benefits_risks", "They can help with her papers; a letter to the house could be seen")
        page.fill("#id_valid_until", (datetime.date.today() + datetime.timedelta(days=30)).isoformat())
        page.check("#id_text_shown")
        page.check("input[name=signed_how][value=typed]")
        page.fill("#id_signed_name", person["name"])
        go(page, RECORD_RELEASE)
        found = re.fullmatch(rf"/people/{person_id}/releases/({UUID})/", path_of(page))
        assert found, f"release not recorded: {page.url} {page.inner_text('main')[:1200]}"
        release_path = path_of(page)
        release_id = found.group(1)
        assert translate(language, "Valid") in page.inner_text("#release-state")
        assert LEGAL in page.inner_text("main dl.summary")
        sweep.check(page, "release")
        page.goto(f"{url}{hub}")
        row = release_row(page, release_path)
        assert row.count() == 1 and row.get_attribute("data-state") == "valid", page.inner_text("main")[:1500]
        assert translate(language, "Valid") in row.locator(".release-state").inner_text()
        assert LEGAL in row.inner_text()
        sweep.check(page, "release list (valid)")

        # 4. A referral to that service for a legal need, sharing the released items under it.
        go(page, f"main a[href='/people/{person_id}/referrals/new/']")
        page.check("main input[name=need][value=legal]")
        page.select_option("#id_entry", entry_id)
        page.fill("#id_reason", "Asesoría legal" if language == "es" else "Legal advice")
        page.check("main input[name=sharing][value=release]")
        page.check(f"main input[name=release][value='{release_id}']")
        for item in RELEASED:
            page.check(f"main input[name=items][value={item}]")
        go(page, "main form button[type=submit]")
        found = re.fullmatch(rf"/people/{person_id}/referrals/({UUID})/", path_of(page))
        assert found, f"referral not made: {page.url} {page.inner_text('main')[:1200]}"
        referral_path = path_of(page)
        sweep.check(page, "referral")

        share_path = f"{referral_path}share/"
        go(page, f"main a[href='{share_path}']")
        assert path_of(page) == share_path, page.url
        offered = page.eval_on_selector_all("main input[name=items]", "boxes => boxes.map(b => b.value)")
        assert offered == RELEASED, offered
        preview = items_shown(page, "section.preview")
        assert preview == RELEASED, preview
        assert not set(preview) & set(NEVER)
        assert service in page.inner_text("section.preview [data-item=services]")
        sweep.check(page, "share page (preview)")

        answer = go(page, "button[name=as][value=page]")
        answer = confirm_if_asked(page, wp_server, codes, sweep, "button[name=as][value=page]") or answer
        assert answer.status == 200, f"share answered {answer.status}: {page.inner_text('main')[:1200]}"
        assert page.inner_text("main h1").strip() == translate(language, "Information shared with consent")
        shared = items_shown(page, "main")
        assert shared == RELEASED, shared
        assert not set(shared) & set(NEVER)
        assert service in page.inner_text("main [data-item=services]")
        assert LEGAL in page.inner_text("main dl.summary")
        made += 1
        sweep.check(page, "shared page")

        # 5. Revoked orally, on the release's page; the list shows it revoked.
        page.goto(f"{url}{release_path}")
        assert page.locator("main table tbody tr").count() == 1  # shared under this release: once
        page.check("input[name=how][value=oral]")
        go(page, f"main form[action='{release_path}revoke/'] button.button")
        assert path_of(page) == release_path, page.url
        assert translate(language, "Revoked") in page.inner_text("#release-state")
        assert page.locator("input[name=how]").count() == 0
        sweep.check(page, "release revoked")
        page.goto(f"{url}{hub}")
        row = release_row(page, release_path)
        assert row.count() == 1 and row.get_attribute("data-state") == "revoked"
        assert translate(language, "Revoked") in row.locator(".release-state").inner_text()
        sweep.check(page, "release list (revoked)")

        # 6. Sharing again from the referral: refused, nothing shared; the record shows one share.
        page.goto(f"{url}{referral_path}")
        go(page, f"main a[href='{share_path}']")
        assert not items_shown(page, "main"), "a preview is offered under a revoked release"
        sweep.check(page, "share page (revoked)")
        answer = go(page, "button[name=as][value=page]")
        answer = confirm_if_asked(page, wp_server, codes, sweep, "button[name=as][value=page]") or answer
        assert answer.status == 409, f"share after revocation answered {answer.status}"
        summary = page.inner_text("#error-summary")
        assert translate(language, REVOKED) in summary, summary
        assert not items_shown(page, "main"), "something was shown as shared after the refusal"
        refused += 1
        sweep.check(page, "share refused")

        page.goto(f"{url}{release_path}")
        assert page.locator("main table tbody tr").count() == 1, "the refused share was logged as a share"
        assert shares_on_record(page, wp_server, person_id, release_path, language) == 1
        sweep.check(page, "timeline")
    finally:
        reset_language(page, wp_server)
    print(
        f"issue 12 flow ({language}): pages checked by axe {len(sweep.checked)}, violations {len(sweep.violations)}, "
        f"Exit not first {len(sweep.tab_order)}, shares made {made}, shares refused {refused}"
    )
    METRICS[f"issue 12 flow ({language}): pages checked by axe"] = len(sweep.checked)
    METRICS[f"issue 12 flow ({language}): axe violations"] = len(sweep.violations)
    METRICS[f"issue 12 flow ({language}): pages where Exit is not first"] = len(sweep.tab_order)
    METRICS[f"issue 12 flow ({language}): shares made / refused"] = f"{made} / {refused}"
    sweep.report(f"issue 12 flow ({language})")

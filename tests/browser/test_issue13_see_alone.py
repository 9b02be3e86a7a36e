"""Issue 13, the see-alone policy in the browser, once in English and once in Spanish.

orgadmin.a turns the policy on for the organisation on its page (every site following it); then
provider.a starts an in-person encounter, opens an assessment step by its URL and is sent back to
the privacy step, which says why and reads the policy aloud; records that the person was seen
alone; and the steps after it open.  The admin then reads the adherence report, and turns the policy
off again at the end (other browser tests share this server).  axe-core (0 violations) and Exit
first in tab order on every page visited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import METRICS, CodeBook, demo_person, require_chromium, set_language, sign_in, submit
from tests.browser.helpers import translate as translated
from tests.browser.test_accessibility import Sweep
from tests.browser.test_encounters import path_of, reset_language, session_page, start_encounter
from tests.harness import LiveServer
from waypoint.encounters.policy import DEFAULT_SEE_ALONE_TEXT

require_chromium()
pytestmark = pytest.mark.browser

PROVIDER = "provider.a"
ADMIN = "orgadmin.a"
PERSON = "María Núñez"
POLICY = "/encounters/see-alone-policy/"
ADHERENCE = "/oversight/see-alone/"
# waypoint.encounters.policy.locked_reason: what the privacy step says when a later step was asked for.
LOCKED = (
    "Your organisation sees everyone alone for part of every visit. First record Privacy: "
    "seen alone, or why it is not possible."
)


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


def set_policy(page: Any, server: LiveServer, on: bool) -> None:
    """On the policy page: the organisation on or off, every site following it, Waypoint's text (in
    each reader's language)."""
    page.goto(f"{server.url}{POLICY}")
    page.fill("#id_see_alone_text", "")
    page.check(f"input[name=see_alone][value={'on' if on else 'off'}]")
    for radio in page.locator("main input[type=radio][name^=site_][value=follow]").all():
        radio.check()
    submit(page)
    assert path_of(page) == POLICY, f"the policy was not saved: {page.url}"
    assert page.is_checked(f"input[name=see_alone][value={'on' if on else 'off'}]")


def test_with_the_policy_on_the_assessment_waits_for_privacy(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    sweep = Sweep()
    admin, _state = contexts.page()
    sign_in(admin, wp_server, codes, ADMIN)
    sent_back = opened = 0
    try:
        admin.goto(f"{wp_server.url}{POLICY}")
        sweep.check(admin, "see-alone policy")
        admin.fill("#id_see_alone_text", "Seen alone\u202e reversed")  # a bidi override: refused
        submit(admin)
        assert admin.locator("#error-summary").is_visible() and admin.locator("#id_see_alone_text_error").count()
        sweep.check(admin, "see-alone policy with errors")
        set_policy(admin, wp_server, on=True)

        page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
        person = demo_person(wp_server, PERSON)["id"]
        for language in ("en", "es"):
            set_language(page, language)
            encounter = start_encounter(page, wp_server, person, "in_person")
            for step in ("assessment/", "confidentiality/"):
                page.goto(f"{wp_server.url}{encounter}{step}")
                assert path_of(page) == f"{encounter}privacy/", f"{step} opened without privacy: {page.url}"
                sent_back += 1
            main = page.inner_text("main")
            assert translated(language, LOCKED) in main
            assert translated(language, DEFAULT_SEE_ALONE_TEXT) in main  # the policy, read aloud
            assert page.get_attribute("html", "lang") == language
            sweep.check(page, "privacy, policy on")

            page.check("input[name=gate][value=alone]")
            page.check("input[name=interpreter][value=not_needed]")
            submit(page)
            assert path_of(page) == encounter, f"privacy was not saved: {page.url}"
            for step in ("confidentiality/", "assessment/"):
                page.goto(f"{wp_server.url}{encounter}{step}")
                assert path_of(page) == f"{encounter}{step}", f"{step} did not open after privacy: {page.url}"
                opened += 1
                sweep.check(page, f"{step} after privacy")
        reset_language(page, wp_server)

        for language in ("en", "es"):
            admin.goto(f"{wp_server.url}{ADHERENCE}")
            set_language(admin, language)
            assert admin.locator("svg.chart[role=img]").count() == 1
            assert admin.locator("table[data-adherence-site]").count() >= 2
            sweep.check(admin, "adherence report")
            admin.goto(f"{wp_server.url}{POLICY}")
            sweep.check(admin, "see-alone policy")
    finally:
        set_policy(admin, wp_server, on=False)
        reset_language(admin, wp_server)
    print(f"see-alone: steps sent back to privacy {sent_back}, opened after privacy {opened}")
    METRICS["see-alone (browser): later steps asked for before privacy, sent back to it"] = sent_back
    METRICS["see-alone (browser): axe pages checked"] = len(sweep.checked)
    sweep.report("see-alone policy")
    assert (sent_back, opened) == (4, 4)

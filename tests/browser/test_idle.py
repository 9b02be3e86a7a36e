"""The idle warning: a minute before the 15-minute idle limit the page offers to stay signed in."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.helpers import CodeBook, require_chromium, sign_in
from tests.browser.test_accessibility import AXE, RUN_AXE
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser


def test_idle_warning_after_14_minutes_and_stay_signed_in(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    page, _state = new_page()
    page.clock.install()  # before the first navigation, so waypoint.js schedules on the fake clock
    sign_in(page, wp_server, codes, codes.pick(["auditor.a", "auditor.b", "frontdesk.a", "frontdesk.b"]))
    page.goto(f"{wp_server.url}/account/")
    warning = page.locator("#idle-warning")
    assert warning.is_hidden()

    page.clock.fast_forward("13:50")
    assert warning.is_hidden(), "the warning must not appear before 14 minutes"
    page.clock.fast_forward(15_000)
    warning.wait_for(state="visible", timeout=2000)
    assert page.get_attribute("#idle-warning", "role") == "alertdialog"
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "idle-stay"
    # The Exit button is never covered by the warning.
    exit_box = page.locator("#quick-exit").bounding_box()
    assert exit_box is not None
    top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).id", [exit_box["x"] + 5, exit_box["y"] + exit_box["height"] / 2]
    )
    assert top == "quick-exit", f"something covers the Exit button: {top}"

    with page.expect_response(lambda r: r.url.endswith("/account/") and r.request.headers.get("x-waypoint-keepalive")):
        page.click("#idle-stay")
    warning.wait_for(state="hidden", timeout=2000)
    assert page.url.endswith("/account/"), "staying signed in keeps the same page"

    # The count starts again: no warning 13:50 later, then it comes back after 14 minutes.
    page.clock.fast_forward("13:50")
    assert warning.is_hidden(), "after Stay signed in, the warning must wait another 14 minutes"
    page.clock.fast_forward(15_000)
    warning.wait_for(state="visible", timeout=2000)


def test_idle_limit_locks_a_typed_page_and_the_same_person_resumes_it(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    """At the idle limit a page with typed text removes its content instead of leaving; the session
    really ends on the server; a wrong password keeps it locked; the same person's password and code
    bring the page back with the text, and saving it works with the fresh session."""
    page, _state = new_page()
    page.clock.install()
    username = codes.pick(["provider.a", "provider.b"])
    sign_in(page, wp_server, codes, username)
    page.goto(f"{wp_server.url}/people/new/")
    typed = "Typed before the timeout: met at the clinic, prefers evenings"
    page.fill("#id_notes", typed)
    page.clock.fast_forward("15:01")
    resume = page.locator("#resume")
    resume.wait_for(state="visible", timeout=2000)
    assert page.locator("main").is_hidden(), "the typed page must be hidden while locked"
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "resume-password"
    assert page.url.endswith("/people/new/"), "the page must not navigate away"
    assert page.locator("#id_notes").count() == 0, "the form is removed from the document, not hidden"
    assert typed not in page.content()
    assert page.evaluate("() => localStorage.length + sessionStorage.length") == 0, "nothing in browser storage"
    # The server ends the session at the idle limit (here: for real, by deleting it).
    wp_server.manage(
        "shell", "-c",
        f"from waypoint.orgs.models import StaffSession, Staff; "
        f"StaffSession.objects.filter(staff_id=Staff.objects.get(username='{username}').id).delete()",
    )  # fmt: skip
    assert page.request.get(f"{wp_server.url}/people/", max_redirects=0).status == 302

    page.fill("#resume-password", "not the right password at all")
    page.fill("#resume-code", "000000")
    page.click("#resume-submit")
    page.locator("#resume-error").wait_for(state="visible", timeout=5000)
    assert resume.is_visible() and page.locator("main").is_hidden()
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE)
    assert page.evaluate(RUN_AXE) == [], "the locked page with its error must pass axe"

    page.fill("#resume-password", wp_server.logins[username]["password"])
    page.fill("#resume-code", codes.code(username))
    page.click("#resume-submit")
    resume.wait_for(state="hidden", timeout=5000)
    assert page.locator("main").is_visible() and page.input_value("#id_notes") == typed
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert re.search(r"/people/[0-9a-f-]{36}/$", page.url), page.url
    assert typed in page.content(), "the kept text was saved after signing in again"


def test_idle_limit_leaves_a_page_where_nothing_was_typed(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    page, _state = new_page()
    page.clock.install()
    sign_in(page, wp_server, codes, codes.pick(["auditor.a", "auditor.b", "frontdesk.a", "frontdesk.b"]))
    page.goto(f"{wp_server.url}/account/")
    with page.expect_request(lambda r: "/login/?expired=1" in r.url):
        page.clock.fast_forward("15:01")
    # (The server's own clock has not moved, so its still-valid session sends the login page home.)

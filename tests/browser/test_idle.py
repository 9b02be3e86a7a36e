"""The idle warning: a minute before the 15-minute idle limit the page offers to stay signed in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import CodeBook, require_chromium, sign_in
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

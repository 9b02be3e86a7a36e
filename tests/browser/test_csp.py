"""Content-Security-Policy: no page of the suite causes a violation (each test's guard fails on the
first one; this module checks the detector works and that the suite as a whole saw none)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.helpers import Monitor, require_chromium
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser


def test_csp_detector_sees_a_planted_violation(contexts: Any, wp_server: LiveServer) -> None:
    """An inline script without the nonce is refused, and both the console message and the
    securitypolicyviolation event are caught (on a separate monitor, so the suite total stays clean)."""
    planted = Monitor()
    context, _state = contexts.new(monitor=planted)
    page = context.new_page()
    page.goto(f"{wp_server.url}/about-exit/")
    ran = page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.__planted = 1';
                  document.body.appendChild(s); return window.__planted === 1; }"""
    )
    page.wait_for_timeout(300)
    assert ran is False, "an inline script without the nonce must not run"
    assert any(c.startswith("event ") and "script-src" in c for c in planted.csp), planted.csp
    assert any(c.startswith("console ") for c in planted.csp), planted.csp


def test_no_csp_violations_in_the_whole_suite(suite_monitor: Monitor) -> None:
    """Runs last (conftest moves it): the total over every page every other test opened."""
    print(f"CSP violations in the suite: {len(suite_monitor.csp)} over {suite_monitor.pages_seen} pages")
    assert suite_monitor.csp == [], "\n".join(suite_monitor.csp)
    assert suite_monitor.external == [], "\n".join(suite_monitor.external)
    if suite_monitor.pages_seen == 0:
        pytest.skip("no other browser test ran in this session")

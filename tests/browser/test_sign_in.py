"""Signing in through the UI: password, then a TOTP code; a wrong code is refused next to the field."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import CodeBook, require_chromium, submit
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser


def test_provider_signs_in_with_totp_and_a_wrong_code_is_refused(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    page, _state = new_page()
    username = "provider.a"

    page.goto(f"{wp_server.url}/people/")
    assert urlsplit(page.url).path == "/login/", "a record page must not open without signing in"

    page.fill("#id_username", username)
    page.fill("#id_password", wp_server.logins[username]["password"])
    submit(page)
    assert urlsplit(page.url).path == "/login/code/"

    # A password alone opens nothing.
    page.goto(f"{wp_server.url}/people/")
    assert urlsplit(page.url).path == "/login/"
    page.goto(f"{wp_server.url}/login/code/")
    assert urlsplit(page.url).path == "/login/code/"

    page.fill("#id_code", codes.wrong_code(username))
    submit(page)
    assert urlsplit(page.url).path == "/login/code/", "a wrong code must not sign in"
    error = page.locator("#id_code_error")
    assert error.is_visible()
    assert "did not work" in error.inner_text()
    assert page.locator("#error-summary a[href='#id_code']").count() == 1
    assert page.get_attribute("#id_code", "aria-invalid") == "true"

    page.fill("#id_code", codes.code(username))
    submit(page)
    # Signed in, and back on the page first asked for (the login form carried ?next=/people/).
    assert urlsplit(page.url).path == "/people/", f"the right code must sign in, got {page.url}"
    assert page.locator("nav a[href='/people/']").count() == 1, "a provider's navigation shows Records"
    assert page.locator("#idle-warning").count() == 1 and page.locator("#idle-warning").is_hidden()
    assert page.locator("main table a.code").count() >= 3, "provider.a sees the demo records of org A"


def test_activation_link_code_never_reaches_a_logged_url(contexts: Any, wp_server: LiveServer, codes: CodeBook) -> None:
    """Issue 9 item 10: the invitation link keeps its code after '#'.  Our script posts it from the
    page; no request the browser makes carries it in its URL, and the address bar loses it."""
    import secrets

    from tests.browser.helpers import sign_in

    admin, _state = contexts.page()
    sign_in(admin, wp_server, codes, codes.pick(["orgadmin.a", "orgadmin.b"]))
    admin.goto(f"{wp_server.url}/staff/invite/")
    admin.fill("#id_username", f"fragment.{secrets.token_hex(3)}")
    admin.fill("#id_display_name", "Fragment Test")
    admin.check("input[name=roles][value=auditor]")
    submit(admin)
    link = admin.input_value("#invite-link")
    token = link.split("#", 1)[1]
    assert urlsplit(link).path == "/activate/" and len(token) >= 40

    newcomer, _state = contexts.page()
    sent: list[str] = []
    newcomer.on("request", lambda request: sent.append(request.url))
    newcomer.goto(link)
    newcomer.wait_for_selector("#id_password1")
    assert "#" not in newcomer.url and token not in newcomer.url
    newcomer.fill("#id_password1", "violet canyon harbor lantern 93")
    newcomer.fill("#id_password2", "violet canyon harbor lantern 93")
    submit(newcomer)
    assert urlsplit(newcomer.url).path == "/login/"
    assert sent and not [url for url in sent if token in url]
    if wp_server.log_path.exists():
        assert token not in wp_server.log_path.read_text(errors="replace")

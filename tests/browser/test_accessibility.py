"""Accessibility sweep: axe-core on every page each role can reach, in English and Spanish; Exit first
in tab order on each; no horizontal scrolling at 640 px (1280 px at 200 % zoom)."""

from __future__ import annotations

import datetime
import importlib.util
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import (
    METRICS,
    READERS,
    ROLE_USERS,
    CodeBook,
    person_links,
    require_chromium,
    reveal_name,
    set_language,
    sign_in,
    submit,
)
from tests.harness import LiveServer, totp_now

require_chromium()
pytestmark = pytest.mark.browser


def axe_source() -> str:
    spec = importlib.util.find_spec("axe_playwright_python")
    assert spec is not None and spec.origin, "axe-playwright-python is not installed"
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


AXE = axe_source()
RUN_AXE = """
async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))
  }));
}
"""


@dataclass
class Sweep:
    violations: list[str] = field(default_factory=list)
    tab_order: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def check(self, page: Any, label: str, before_axe: Callable[[Any], None] | None = None) -> None:
        """The page has just loaded: Tab once must land on Exit; then axe-core, with CSP on (the source
        goes in through page.evaluate because a script tag would be refused)."""
        name = f"{label} [{page.get_attribute('html', 'lang')}] {urlsplit(page.url).path}"
        page.keyboard.press("Tab")
        active = page.evaluate("() => document.activeElement ? document.activeElement.id : null")
        if active != "quick-exit":
            self.tab_order.append(f"{name}: first Tab focused {active!r}")
        if before_axe:
            before_axe(page)
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE)
        for violation in page.evaluate(RUN_AXE):
            self.violations.append(
                f"{name}: {violation['id']} ({violation['impact']}) {violation['help']} at {violation['nodes']}"
            )
        self.checked.append(name)

    def report(self, title: str) -> None:
        METRICS.setdefault("axe pages checked", 0)
        METRICS["axe pages checked"] += len(self.checked)
        METRICS.setdefault("axe violations", 0)
        METRICS["axe violations"] += len(self.violations)
        METRICS.setdefault("pages where Exit is not first in tab order", 0)
        METRICS["pages where Exit is not first in tab order"] += len(self.tab_order)
        for line in self.violations + self.tab_order:
            print(line)
        assert self.checked
        assert not self.violations, f"{title}: {len(self.violations)} axe violations\n" + "\n".join(self.violations)
        assert not self.tab_order, f"{title}: Exit is not first in tab order\n" + "\n".join(self.tab_order)


def future_date() -> str:
    return (datetime.date.today() + datetime.timedelta(days=400)).isoformat()


def show_invalid_person_form(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/people/new/")
    page.fill("#id_name", "Prueba Futura")
    page.fill("#id_date_of_birth", future_date())
    submit(page)
    assert page.locator("#error-summary").is_visible(), "a future date of birth must be refused"
    assert page.locator("#id_date_of_birth_error").is_visible()


def role_pages(page: Any, server: LiveServer, role: str) -> list[tuple[str, Callable[[], None], Any]]:
    """(label, how to open it fresh, what to do before axe) for every page this role can reach."""

    def go(path: str) -> Callable[[], None]:
        return lambda: page.goto(server.url + path)

    pages: list[tuple[str, Callable[[], None], Any]] = [("home", go("/"), None)]
    if role in {"provider", "supervisor"}:
        person = urlsplit(person_links(page, server)[0]).path
        pages += [
            ("records", go("/people/"), None),
            ("new record", go("/people/new/"), None),
            ("record", go(person), reveal_name),
            ("edit record", go(person + "edit/"), None),
            ("timeline", go(person + "timeline/"), None),
            ("form with errors", lambda: show_invalid_person_form(page, server), None),
        ]
    if role == "org_admin":
        page.goto(f"{server.url}/staff/")
        member = page.get_attribute("main table a", "href")
        pages += [
            ("staff", go("/staff/"), None),
            ("invite", go("/staff/invite/"), None),
            ("staff member", go(str(member)), None),
            ("settings", go("/settings/"), None),
        ]
    if role in {"org_admin", "auditor"}:
        pages.append(("audit log", go("/oversight/audit/"), None))
    pages += [
        ("account", go("/account/"), None),
        ("sessions", go("/account/sessions/"), None),
        ("about exit", go("/about-exit/"), None),
        ("not found", go("/no-such-page/"), None),
    ]
    return pages


def test_axe_signed_out_pages(new_page: Any, wp_server: LiveServer) -> None:
    page, _state = new_page()
    sweep = Sweep()
    for language in ("en", "es"):
        page.goto(f"{wp_server.url}/login/")
        set_language(page, language)
        for label, path in (("login", "/login/"), ("about exit", "/about-exit/"), ("not found", "/nothing-here/")):
            page.goto(wp_server.url + path)
            sweep.check(page, f"signed out {label}")
        page.goto(f"{wp_server.url}/login/")
        page.fill("#id_username", "nobody.here")
        page.fill("#id_password", "not the password at all")
        submit(page)
        sweep.check(page, "login with error")
        page.fill("#id_username", "frontdesk.b")
        page.fill("#id_password", wp_server.logins["frontdesk.b"]["password"])
        submit(page)
        assert urlsplit(page.url).path == "/login/code/"
        page.reload()
        sweep.check(page, "login code")
    sweep.report("signed out")


@pytest.mark.parametrize("role", list(ROLE_USERS))
def test_axe_every_page_of_each_role(role: str, new_page: Any, wp_server: LiveServer, codes: CodeBook) -> None:
    page, _state = new_page()
    sign_in(page, wp_server, codes, ROLE_USERS[role])
    sweep = Sweep()
    pages = role_pages(page, wp_server, role)
    try:
        for language in ("en", "es"):
            page.goto(f"{wp_server.url}/")
            set_language(page, language)
            for label, open_fresh, before_axe in pages:
                open_fresh()
                assert page.get_attribute("html", "lang") == language
                sweep.check(page, f"{role} {label}", before_axe)
    finally:
        page.goto(f"{wp_server.url}/account/")
        set_language(page, "en")  # the choice is saved on the account; leave it as it was
    sweep.report(role)


# Controls that the fixed Exit button would sit on top of (at the top of the page).
UNDER_EXIT = """() => {
  const exit = document.getElementById('quick-exit').getBoundingClientRect();
  return [...document.querySelectorAll('a, button, input, select, textarea, summary')].filter((el) => {
    if (el.id === 'quick-exit') { return false; }
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) { return false; }
    return !(r.right <= exit.left || r.left >= exit.right || r.bottom <= exit.top || r.top >= exit.bottom);
  }).map((el) => el.outerHTML.slice(0, 80));
}"""


def no_horizontal_scroll(page: Any) -> tuple[int, int]:
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def test_no_horizontal_scrolling_at_200_percent_zoom(contexts: Any, wp_server: LiveServer, codes: CodeBook) -> None:
    overflowing: list[str] = []
    checked = 0

    def check(page: Any, label: str) -> None:
        nonlocal checked
        scroll_width, inner_width = no_horizontal_scroll(page)
        checked += 1
        if scroll_width > inner_width + 1:
            overflowing.append(f"{label} {urlsplit(page.url).path}: scrollWidth {scroll_width} > {inner_width}")
        covered = page.evaluate(UNDER_EXIT)
        if covered:
            overflowing.append(f"{label} {urlsplit(page.url).path}: under the Exit button: {covered}")

    viewport = {"width": 640, "height": 800}
    reader, _state = contexts.page(viewport=viewport)
    reader.goto(f"{wp_server.url}/login/")
    check(reader, "login")
    reader.goto(f"{wp_server.url}/about-exit/")
    check(reader, "about exit")
    sign_in(reader, wp_server, codes, codes.pick(READERS))
    person = urlsplit(person_links(reader, wp_server)[0]).path
    for label, path in (
        ("home", "/"),
        ("records", "/people/"),
        ("new record", "/people/new/"),
        ("edit record", person + "edit/"),
        ("timeline", person + "timeline/"),
        ("account", "/account/"),
        ("sessions", "/account/sessions/"),
        ("not found", "/no-such-page/"),
    ):
        reader.goto(wp_server.url + path)
        check(reader, label)
    reader.goto(wp_server.url + person)
    reveal_name(reader)
    check(reader, "record with name shown")
    show_invalid_person_form(reader, wp_server)
    check(reader, "form with errors")
    plan = ""
    for link in person_links(reader, wp_server):  # the demo data gives one person a started plan
        reader.goto(link + "plan/")
        if urlsplit(reader.url).path.startswith("/plans/"):
            plan = urlsplit(reader.url).path
            break
    assert plan, "no demo person has a safety plan"
    for label, path in (
        ("plan", plan),
        ("plan domain", plan + "domains/communication/"),
        ("plan item: contacts", plan + "resources/immediate_help/"),
        ("plan item: permissions", plan + "resources/permissions/"),
        ("plan item: device", plan + "resources/device/"),
        ("plan item: ledger first", plan + "resources/services/"),
        ("plan item: tasks", plan + "resources/follow_up/"),
        ("plan versions", plan + "versions/"),
        ("plan comparison", plan + "compare/?a=1&b=2"),
        ("print or remember", plan + "print/"),
        ("things to remember", plan + "memorise/"),
    ):
        reader.goto(wp_server.url + path)
        check(reader, label)

    admin, _state = contexts.page(viewport=viewport)
    sign_in(admin, wp_server, codes, codes.pick(["orgadmin.a", "orgadmin.b"]))
    admin.goto(f"{wp_server.url}/staff/")
    member = str(admin.get_attribute("main table a", "href"))
    for label, path in (
        ("staff", "/staff/"),
        ("invite", "/staff/invite/"),
        ("staff member", member),
        ("settings", "/settings/"),
        ("audit log", "/oversight/audit/"),
    ):
        admin.goto(wp_server.url + path)
        check(admin, label)

    METRICS["pages with horizontal scrolling (or a control under Exit) at 640 px"] = f"{len(overflowing)} of {checked}"
    assert not overflowing, "horizontal scrolling at 640 px:\n" + "\n".join(overflowing)


def test_axe_sweep_reports_a_planted_violation(new_page: Any, wp_server: LiveServer) -> None:
    """The sweep itself can fail: an image without a text alternative and a button put before Exit
    are both caught."""
    page, _state = new_page()
    page.goto(f"{wp_server.url}/about-exit/")
    page.evaluate(
        """() => {
      const img = document.createElement('img'); img.src = 'data:,'; document.querySelector('main').appendChild(img);
      const button = document.createElement('button'); button.id = 'planted';
      document.body.insertBefore(button, document.body.firstChild);
    }"""
    )
    sweep = Sweep()
    sweep.check(page, "planted")
    assert any("image-alt" in v for v in sweep.violations), sweep.violations
    assert any("button-name" in v for v in sweep.violations), sweep.violations
    assert sweep.tab_order and "'planted'" in sweep.tab_order[0]


def test_axe_invitation_and_first_sign_in_pages(contexts: Any, wp_server: LiveServer, codes: CodeBook) -> None:
    """The pages between an invitation and a first sign-in: invitation link (admin), activation with
    and without errors, authenticator set-up and recovery codes (newcomer); and the step-up page."""
    admin, _state = contexts.page()
    sign_in(admin, wp_server, codes, codes.pick(["orgadmin.a", "orgadmin.b"]))
    sweep = Sweep()
    try:
        for language in ("en", "es"):
            admin.goto(f"{wp_server.url}/staff/invite/")
            set_language(admin, language)
            username = f"new.{language}.{secrets.token_hex(3)}"
            admin.fill("#id_username", username)
            admin.fill("#id_display_name", f"New {language.upper()}")
            admin.check("input[name=roles][value=provider]")
            submit(admin)
            link = admin.input_value("#invite-link")
            assert urlsplit(link).path.startswith("/activate/")
            sweep.check(admin, "invitation link")
            admin.goto(f"{wp_server.url}/confirm/?next=/account/")
            sweep.check(admin, "step-up")

            newcomer, _state = contexts.page()
            newcomer.goto(link)
            set_language(newcomer, language)
            sweep.check(newcomer, "activate")
            newcomer.fill("#id_password1", "violet canyon harbor lantern 93")
            newcomer.fill("#id_password2", "violet canyon harbor lantern 39")
            submit(newcomer)
            assert newcomer.locator("#id_password2_error").is_visible()
            sweep.check(newcomer, "activate with errors")
            newcomer.fill("#id_password1", "violet canyon harbor lantern 93")
            newcomer.fill("#id_password2", "violet canyon harbor lantern 93")
            submit(newcomer)
            assert urlsplit(newcomer.url).path == "/login/"
            sweep.check(newcomer, "login with message")
            newcomer.fill("#id_username", username)
            newcomer.fill("#id_password", "violet canyon harbor lantern 93")
            submit(newcomer)
            assert urlsplit(newcomer.url).path == "/login/setup/"
            sweep.check(newcomer, "authenticator set-up")
            secret = newcomer.inner_text("code.secret").strip()
            newcomer.fill("#id_code", totp_now(secret))
            submit(newcomer)
            assert newcomer.locator(".codes li, .codes").count() >= 1, "recovery codes are shown after set-up"
            sweep.check(newcomer, "recovery codes")
    finally:
        admin.goto(f"{wp_server.url}/account/")
        set_language(admin, "en")
    sweep.report("invitation and first sign-in")

"""Shared pieces of the browser suite: how Chromium is launched, the guard that keeps every request
on 127.0.0.1 and records CSP violations, TOTP codes that the server has not accepted yet, signing in
through the UI, and the quick-exit probe.

Nothing here touches the test process's database: the server runs in a subprocess
(tests/harness.py) and everything goes through the browser or ``manage.py``."""

from __future__ import annotations

import gettext
import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.harness import LiveServer, totp_now

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXIT_URL = "https://www.bbc.com/weather"  # DEFAULT_EXIT_URL of the demo organisations
STUB_PAGE = "<!DOCTYPE html><html lang='en'><head><title>Weather</title></head><body><p>Weather</p></body></html>"

# Everything the demo data holds about people that must never be on screen after an exit.
# María's contact rules (seed_demo) are person data on her pages too: how we introduce ourselves
# ("Lucía", also the start of her cover) and the number for texts.
DEMO_TEXTS = ["María Núñez", "Lan Nguyen", "Lanny", "Rosa", "Ana Costa", "Sam Reyes", "Demo record."]
DEMO_TEXTS += ["Lucía", "5550100199"]
READERS_A = ["provider.a", "supervisor.a"]
READERS = ["provider.a", "supervisor.a", "provider.b", "supervisor.b"]
ROLE_USERS = {
    "provider": "provider.a",
    "supervisor": "supervisor.a",
    "org_admin": "orgadmin.a",
    "auditor": "auditor.a",
    "front_desk": "frontdesk.a",
}
REFERENCE = re.compile(r"\b[B-DF-HJ-NP-TV-XZ2-9]{4}-[B-DF-HJ-NP-TV-XZ2-9]{4}\b")

# Figures printed at the end of the run (see conftest.pytest_terminal_summary).
METRICS: dict[str, Any] = {}


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            f"BROWSER TESTS NOT RUN: {CHROMIUM} is missing. Install Debian's chromium package "
            "(apt-get install chromium); never `playwright install`.",
            allow_module_level=True,
        )


# --------------------------------------------------------------------------------------------------
# Watching what the pages do


@dataclass
class Monitor:
    """What the pages did that they must not: requests leaving 127.0.0.1, CSP violations (console
    messages and ``securitypolicyviolation`` events) and uncaught script errors."""

    external: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    exit_navigations: list[str] = field(default_factory=list)
    pages_seen: int = 0

    def problems(self) -> list[str]:
        return (
            [f"request to another origin: {u}" for u in self.external]
            + [f"CSP violation: {c}" for c in self.csp]
            + [f"script error: {e}" for e in self.page_errors]
        )


# Runs before any page script: reports every CSP violation event, in every frame.
CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', function (e) {
  try {
    window.__wpCspViolation(JSON.stringify({
      directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
      sample: e.sample, page: location.href
    }));
  } catch (err) { /* binding not ready: the console message still counts */ }
}, true);
"""


def is_local(url: str, server: LiveServer) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "about", "blob"}:
        return True
    return parts.hostname == "127.0.0.1" and parts.port == server.port


class ContextState:
    """Per browser context: has an exit been triggered (only then may the tab go to the exit URL)?"""

    def __init__(self) -> None:
        self.exit_armed = False


def guard_context(context: Any, server: LiveServer, monitor: Monitor) -> ContextState:
    state = ContextState()

    def handle(route: Any) -> None:
        request = route.request
        url = request.url
        allowed = state.exit_armed and url == EXIT_URL and request.resource_type == "document"
        if allowed:
            monitor.exit_navigations.append(url)
        else:
            monitor.external.append(f"{request.method} {url} ({request.resource_type}, exit armed: {state.exit_armed})")
        # Answered here, never sent: nothing leaves the machine.
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=STUB_PAGE)

    context.route(lambda url: not is_local(url, server), handle)
    context.expose_binding("__wpCspViolation", lambda _source, data: monitor.csp.append(f"event {data}"))
    context.add_init_script(CSP_LISTENER)

    def attach(page: Any) -> None:
        monitor.pages_seen += 1

        def on_console(message: Any) -> None:
            if "Content Security Policy" in message.text:
                monitor.csp.append(f"console {message.text} @ {page.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: monitor.page_errors.append(f"{error} @ {page.url}"))

    context.on("page", attach)
    return state


# --------------------------------------------------------------------------------------------------
# Second factor codes


class CodeBook:
    """Spreads sign-ins over the demo users: each user's TOTP step is accepted once and at most one
    step ahead of the server's clock, so about one sign-in per user every 30 seconds.  Codes come
    from ``LiveServer.code_for``, which tracks the steps already used."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server

    def _next_step(self, username: str) -> int:
        return max(int(time.time()) // 30, self.server.used_steps.get(username, 0) + 1)

    def wait_for(self, username: str) -> float:
        """Seconds until a fresh code for this user is acceptable (the server allows now + 1 step)."""
        step = self._next_step(username)
        now = time.time()
        return 0.0 if step <= int(now) // 30 + 1 else (step - 1) * 30 - now

    def pick(self, candidates: list[str]) -> str:
        """The candidate whose next code is usable soonest, preferring codes of the current step."""
        return min(candidates, key=lambda u: (self.wait_for(u), self._next_step(u)))

    def code(self, username: str) -> str:
        started = time.monotonic()
        code = self.server.code_for(username)
        METRICS["sign-ins through the UI"] = METRICS.get("sign-ins through the UI", 0) + 1
        waited = METRICS.get("seconds waited for a fresh TOTP step", 0.0) + time.monotonic() - started
        METRICS["seconds waited for a fresh TOTP step"] = round(waited, 1)
        return code

    def wrong_code(self, username: str) -> str:
        secret = self.server.logins[username]["totp_secret"]
        valid = {totp_now(secret, offset) for offset in (-2, -1, 0, 1, 2)}
        return next(c for c in ("000000", "111111", "123456", "654321") if c not in valid)


# --------------------------------------------------------------------------------------------------
# Pages


def submit(page: Any) -> None:
    """Click the main form's primary button and wait for the next page."""
    with page.expect_navigation():
        page.click("main form button.button")


def save_new_record(page: Any) -> None:
    """Save the new-record form; when it asks whether this is one of the possible matches already
    held (same words of the name, or a word and the date of birth), answer: a new person."""
    submit(page)
    if urlsplit(page.url).path == "/people/new/" and page.locator("input[name=create_anyway]").count():
        page.check("input[name=create_anyway]")
        submit(page)


def sign_in(page: Any, server: LiveServer, codes: CodeBook, username: str) -> None:
    page.goto(f"{server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", server.logins[username]["password"])
    submit(page)
    assert urlsplit(page.url).path == "/login/code/", f"password step failed for {username}: {page.url}"
    page.fill("#id_code", codes.code(username))
    submit(page)
    assert urlsplit(page.url).path == "/", f"sign-in of {username} did not reach home: {page.url}"


LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"


def _catalogue(language: str) -> Any:
    return gettext.translation("django", localedir=str(LOCALE_DIR), languages=[language], fallback=True)


def translate(language: str, msgid: str) -> str:
    """What the server shows for ``msgid`` in ``language``: the compiled catalogue it reads
    (locale/<language>/LC_MESSAGES/django.mo), or the msgid itself while it is not translated yet.
    For checks of interface words that may still be waiting for their Spanish translation."""
    return msgid if language == "en" else str(_catalogue(language).gettext(msgid))


def is_translated(language: str, msgid: str) -> bool:
    """Whether the catalogue has a translation of ``msgid`` (which may be the same word: "NO")."""
    return language == "en" or bool(getattr(_catalogue(language), "_catalog", {}).get(msgid))


def set_language(page: Any, code: str) -> None:
    """Use the header's language button (a POST to /language/ that comes back to this page)."""
    if page.get_attribute("html", "lang") == code:
        return
    with page.expect_navigation():
        page.click(f"form.language button[name=language][value={code}]")
    assert page.get_attribute("html", "lang") == code


def person_links(page: Any, server: LiveServer) -> list[str]:
    page.goto(f"{server.url}/people/")
    hrefs = page.eval_on_selector_all("main table a.code", "links => links.map(a => a.getAttribute('href'))")
    return [server.url + h for h in hrefs]


def reveal_name(page: Any) -> None:
    page.click("details.name-reveal summary")
    assert page.eval_on_selector("details.name-reveal", "d => d.open")


def body_text(page: Any) -> str:
    return str(page.evaluate("() => document.documentElement ? document.documentElement.outerHTML : ''"))


# --------------------------------------------------------------------------------------------------
# Keyboard


def tab_to(page: Any, selector: str, limit: int = 150, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
    seen = []
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        state = page.evaluate(
            "(s) => { const a = document.activeElement;"
            " return [a ? a.matches(s) : false, a ? (a.id || a.tagName + ' ' + (a.getAttribute('href') || '')) : ''] }",
            selector,
        )
        if state[0]:
            return
        seen.append(state[1])
    raise AssertionError(f"{key} never reached {selector}; focus went through {seen}")


def press_and_wait(page: Any, key: str) -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


# --------------------------------------------------------------------------------------------------
# Demo people, read once per server through manage.py (the demo data gives no ids)

PEOPLE_SCRIPT = """
import json
from waypoint.people.models import Person
rows = [
    {"id": str(p.id), "name": p.name, "alias": p.alias, "reference": p.reference, "org": p.org.name,
     "minor": p.is_minor, "language": p.preferred_language}
    for p in Person.objects.select_related("org").order_by("created_at")
]
print("PEOPLE " + json.dumps(rows))
"""
_PEOPLE: dict[int, list[dict[str, Any]]] = {}


def demo_people(server: LiveServer) -> list[dict[str, Any]]:
    if server.port not in _PEOPLE:
        result = server.manage("shell", "-c", PEOPLE_SCRIPT)
        line = next(x for x in result.stdout.splitlines() if x.startswith("PEOPLE "))
        _PEOPLE[server.port] = json.loads(line[len("PEOPLE ") :])
    return _PEOPLE[server.port]


def demo_person(server: LiveServer, label: str) -> dict[str, Any]:
    """A demo person of the first organisation by name or alias (``María Núñez``, ``Lanny``, ``Rosa``)."""
    return next(p for p in demo_people(server) if label in (p["name"], p["alias"]))


# --------------------------------------------------------------------------------------------------
# Quick exit

# Added with page.evaluate just before an exit is triggered.  It reports (console, prefix wp-probe:)
# the event's timeStamp, the "wp-exit-blank" mark and whether the body was hidden at that moment,
# from listeners that run in the same task right after waypoint.js's own handler; and, by wrapping
# fetch, whether the page was already blank when the exit request was sent.
EXIT_PROBE = """
() => {
  const report = (o) => console.log('wp-probe:' + JSON.stringify(o));
  const hidden = () => getComputedStyle(document.body).display === 'none';
  let clickStamp = null, done = false;
  const measure = (kind, stamp) => {
    const marks = performance.getEntriesByName('wp-exit-blank');
    if (done || !marks.length) { return; }
    done = true;
    report({kind: kind, t0: stamp, mark: marks[0].startTime, hidden: hidden()});
  };
  window.addEventListener('click', (e) => { clickStamp = e.timeStamp; }, true);
  document.addEventListener('keydown', (e) => measure('key', e.timeStamp), true);
  const form = document.getElementById('quick-exit-form');
  if (form) { form.addEventListener('submit', () => measure('click', clickStamp)); }
  const realFetch = window.fetch;
  window.fetch = function (resource, init) {
    report({fetch: String(resource), hidden: hidden(),
            marked: performance.getEntriesByName('wp-exit-blank').length > 0});
    return realFetch.apply(this, arguments);
  };
  return true;
}
"""


@dataclass
class ExitProbe:
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blank(self) -> dict[str, Any] | None:
        return next((m for m in self.messages if "mark" in m), None)

    @property
    def fetches(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if "fetch" in m]


def install_probe(page: Any) -> ExitProbe:
    probe = ExitProbe()

    def on_console(message: Any) -> None:
        if message.text.startswith("wp-probe:"):
            probe.messages.append(json.loads(message.text[len("wp-probe:") :]))

    page.on("console", on_console)
    assert page.evaluate(EXIT_PROBE)
    return probe


def trigger_exit(page: Any, state: ContextState, how: str) -> None:
    state.exit_armed = True
    if how == "click":
        page.click("#quick-exit")
    elif how == "shift":
        for _ in range(3):
            page.keyboard.press("Shift")
    elif how == "escape":
        for _ in range(2):
            page.keyboard.press("Escape")
    else:
        raise ValueError(how)


def wait_for_exit(page: Any, timeout: float = 5000) -> None:
    page.wait_for_url(EXIT_URL, timeout=timeout)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# --------------------------------------------------------------------------------------------------
# Sessions made on the server side, for the 20 timed exits (TOTP allows about one sign-in per user
# every 30 seconds; the sign-in itself is covered by test_sign_in and the other exit tests).

MINT = """
import json, time
from importlib import import_module
from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest
from waypoint.orgs.models import Staff
from waypoint.people.models import Person
staff = Staff.objects.get(username={username!r})
keys = []
for _ in range({count}):
    request = HttpRequest()
    request.META["HTTP_USER_AGENT"] = "Chrome Linux"
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    login(request, staff, backend="waypoint.orgs.backends.StaffBackend")
    now = time.time()
    request.session.update({{"wp_auth_at": now, "wp_last_seen": now, "wp_step_up_at": now}})
    request.session["wp_device"] = "Chrome Linux"
    request.session.save()
    keys.append(request.session.session_key)
people = [str(p.id) for p in Person.objects.filter(org_id=staff.org_id)]
print("MINTED " + json.dumps({{"keys": keys, "people": people}}))
"""


def mint_sessions(server: LiveServer, username: str, count: int) -> tuple[list[str], list[str]]:
    result = server.manage("shell", "-c", MINT.format(username=username, count=count))
    line = next(x for x in result.stdout.splitlines() if x.startswith("MINTED "))
    data = json.loads(line[len("MINTED ") :])
    return data["keys"], data["people"]

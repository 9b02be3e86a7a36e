"""The idle lock removes the record from the document, not just from the screen (issue #9, item 2).

While locked, nothing of the record or of what was typed is anywhere in the DOM: not in the markup,
not in field values or attributes, not once the lock class and every style sheet are gone.  What was
typed lives only in the script's memory; after the same person signs in again in the dialog the page
is fetched afresh (one read audit row, as for any page) and the typed values go back into their
fields.  A colleague's valid credentials bring nothing back.  If the record changed so a field is
gone, or the page cannot be fetched, the typed text is shown to copy.  Exit works while locked."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.browser.helpers import (
    CodeBook,
    demo_person,
    require_chromium,
    sign_in,
    trigger_exit,
    wait_for_exit,
)
from tests.browser.test_accessibility import AXE, RUN_AXE
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

READERS_A = ["provider.a", "supervisor.a"]
READERS = ["provider.a", "supervisor.a", "provider.b", "supervisor.b"]

# Everything the document holds as text: markup, every attribute, every field's live value (which the
# markup does not show), and the visible text once the lock class and all style sheets are removed
# (put back afterwards, so the test can go on).
DOM_DUMP = """
() => {
  const parts = [document.documentElement.outerHTML, document.title];
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) { parts.push(attribute.value); }
    if ('value' in element && typeof element.value === 'string') { parts.push(element.value); }
  }
  const root = document.documentElement;
  const locked = root.classList.contains('wp-locked');
  const sheets = Array.from(document.styleSheets);
  root.classList.remove('wp-locked');
  sheets.forEach((sheet) => { sheet.disabled = true; });
  const bare = {text: document.body.innerText, main: document.getElementById('main').innerText};
  sheets.forEach((sheet) => { sheet.disabled = false; });
  if (locked) { root.classList.add('wp-locked'); }
  return {all: parts.join('\\n'), bare: bare.text, main: bare.main, content: document.body.textContent};
}
"""


def canary(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}"


def lock(page: Any) -> None:
    page.clock.fast_forward("15:01")
    page.locator("#resume").wait_for(state="visible", timeout=2000)


def resume_as(page: Any, server: LiveServer, codes: CodeBook, username: str) -> None:
    page.fill("#resume-password", server.logins[username]["password"])
    page.fill("#resume-code", codes.code(username))
    page.click("#resume-submit")


def assert_nothing_in_dom(page: Any, secrets: list[str]) -> None:
    dump = page.evaluate(DOM_DUMP)
    for secret in secrets:
        assert secret not in page.content(), f"{secret!r} is still in the page's markup"
        for where in ("all", "bare", "content"):
            assert secret not in dump[where], f"{secret!r} is still in the document ({where})"
    assert dump["main"].strip() == "", f"main still shows something without CSS: {dump['main'][:200]!r}"
    assert page.evaluate("() => document.getElementById('main').childNodes.length") == 0


def end_server_sessions(server: LiveServer, username: str) -> None:
    server.manage(
        "shell", "-c",
        f"from waypoint.orgs.models import StaffSession, Staff; "
        f"StaffSession.objects.filter(staff_id=Staff.objects.get(username='{username}').id).delete()",
    )  # fmt: skip


def read_rows(server: LiveServer, person_id: str) -> int:
    result = server.manage(
        "shell", "-c",
        f"from waypoint.core.models import AuditEvent; "
        f"print('ROWS', AuditEvent.objects.filter(object_id='{person_id}', event='person.viewed').count())",
    )  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("ROWS "))
    return int(line.split()[1])


def test_lock_removes_the_record_and_only_the_same_person_gets_it_back(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    page, _state = new_page()
    page.clock.install()
    username = codes.pick(READERS_A)
    colleague = next(u for u in READERS_A if u != username)
    sign_in(page, wp_server, codes, username)
    person = demo_person(wp_server, "María Núñez")
    edit_url = f"{wp_server.url}/people/{person['id']}/edit/"
    page.goto(edit_url)
    record_texts = [person["name"], person["alias"], "Demo record."]
    record_texts = [t for t in record_texts if t]
    html = page.content()
    assert all(t in html for t in record_texts), "the edit page shows the record before the lock"

    notes = canary("typed notes <b>kept</b> & safe")
    words = canary("their words typed")
    page.fill("#id_notes", notes)
    page.fill("#id_their_words", words)
    language = page.input_value("#id_preferred_language")
    new_language = "pt" if language != "pt" else "fr"
    page.select_option("#id_preferred_language", new_language)
    interpreter = page.is_checked("#id_interpreter_needed")
    page.set_checked("#id_interpreter_needed", not interpreter)

    lock(page)
    assert page.url == edit_url, "the page must not navigate away"
    assert page.title() == "Notes"
    assert_nothing_in_dom(page, [*record_texts, notes, words])
    assert page.evaluate("() => localStorage.length + sessionStorage.length") == 0, "nothing in browser storage"
    end_server_sessions(wp_server, username)

    # A colleague's valid password and code are refused, and nothing comes back.
    before = read_rows(wp_server, person["id"])
    resume_as(page, wp_server, codes, colleague)
    page.locator("#resume-error").wait_for(state="visible", timeout=5000)
    assert page.locator("#resume").is_visible()
    assert_nothing_in_dom(page, [*record_texts, notes, words])

    # The same person: the page is fetched again (its own read audit row) and the typed values return.
    with page.expect_response(lambda r: r.url == edit_url and r.request.resource_type == "fetch") as answer:
        resume_as(page, wp_server, codes, username)
    assert answer.value.status == 200 and answer.value.request.method == "GET"
    page.locator("#resume").wait_for(state="hidden", timeout=5000)
    assert page.locator("main").is_visible()
    assert page.input_value("#id_name") == person["name"], "the record is back"
    assert page.input_value("#id_notes") == notes
    assert page.input_value("#id_their_words") == words
    assert page.input_value("#id_preferred_language") == new_language
    assert page.is_checked("#id_interpreter_needed") is (not interpreter)
    assert page.locator("#resume-kept").count() == 0, "every typed value found its field"
    assert page.title() != "" and person["name"] not in page.title()
    assert read_rows(wp_server, person["id"]) == before + 1, "the fresh page wrote exactly one read row"
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "main"
    # The page works as before: the idle warning is scheduled again with the fresh session.
    page.clock.fast_forward("14:01")
    page.locator("#idle-warning").wait_for(state="visible", timeout=2000)


def test_typed_text_is_shown_when_its_field_is_gone_or_the_page_cannot_be_fetched(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    page, _state = new_page()
    page.clock.install()
    username = codes.pick(READERS)
    sign_in(page, wp_server, codes, username)
    url = f"{wp_server.url}/people/new/"
    page.goto(url)
    notes = canary("notes whose field went away")
    page.fill("#id_notes", notes)
    lock(page)
    assert notes not in page.content()

    # The record changed meanwhile: the fresh page has no notes field any more.
    def without_notes(route: Any) -> None:
        if route.request.resource_type != "fetch":
            route.continue_()
            return
        response = route.fetch()
        body = response.text().replace('name="notes"', 'name="notes_elsewhere"')
        route.fulfill(response=response, body=body)

    page.route(url, without_notes)
    resume_as(page, wp_server, codes, username)
    kept = page.locator("#resume-kept")
    kept.wait_for(state="visible", timeout=5000)
    assert notes in kept.inner_text(), "the typed text is shown, not lost"
    assert "Notes" in kept.inner_text(), "with the label of the field it was typed in"
    assert page.locator("#id_notes").input_value() == "", "nothing was put in a field of another name"
    page.unroute(url)

    # The page cannot be fetched at all: the typed text is shown to copy.
    words = canary("their words when offline")
    page.fill("#id_their_words", words)
    lock(page)
    assert words not in page.content()
    page.route(url, lambda route: route.abort() if route.request.resource_type == "fetch" else route.continue_())
    resume_as(page, wp_server, codes, username)
    kept.wait_for(state="visible", timeout=5000)
    assert words in kept.inner_text()
    assert page.locator("main h1").inner_text() == "The page could not be opened again"
    assert page.locator("main a").get_attribute("href") == url
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE)
    assert page.evaluate(RUN_AXE) == [], "the page showing the kept text must pass axe"
    page.unroute(url)


def test_a_rejected_submission_is_kept_and_exit_works_while_locked(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    """A form the server sent back with an error holds what was submitted: the lock keeps it, though
    nothing was typed since, and it comes back into the fresh form.  Exit works on the locked page."""
    page, state = new_page()
    page.clock.install()
    username = codes.pick(READERS)
    sign_in(page, wp_server, codes, username)
    url = f"{wp_server.url}/people/new/"
    page.goto(url)
    notes = canary("submitted notes")
    page.fill("#id_notes", notes)
    page.fill("#id_date_of_birth", "2999-01-01")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.input_value("#id_notes") == notes, "the error page shows what was submitted"

    lock(page)
    assert notes not in page.content()
    resume_as(page, wp_server, codes, username)
    page.locator("#resume").wait_for(state="hidden", timeout=5000)
    assert page.input_value("#id_notes") == notes
    assert page.input_value("#id_date_of_birth") == "2999-01-01"

    lock(page)
    trigger_exit(page, state, "shift")
    wait_for_exit(page)


COLLEAGUES = {
    "provider.a": "supervisor.a",
    "supervisor.a": "provider.a",
    "provider.b": "supervisor.b",
    "supervisor.b": "provider.b",
}
COLLEAGUE_SAVE = """
from waypoint.orgs.models import Staff
from waypoint.plans import actions
from waypoint.plans.models import SafetyPlan
plan = SafetyPlan.objects.get(id={plan!r})
step = {{"text": {text!r}, "idea": "person", "status": "to_do", "due_on": ""}}
value = {{"current": [step], "future": []}}
actions.save_section(Staff.objects.get(username={who!r}), plan, "domain:communication", value, plan.version)
"""


def test_a_plan_section_typed_before_the_lock_keeps_its_version_and_the_page_set_up_runs_again(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    """The fresh page carries the colleague's newer save; the restored form keeps the version the
    typed text was based on, so saving it shows the conflict instead of overwriting.  The page's own
    set-up (the timed check-in reminder) runs again for the new content."""
    page, _state = new_page()
    page.clock.install()
    username = codes.pick(READERS)
    sign_in(page, wp_server, codes, username)
    page.goto(f"{wp_server.url}/people/new/")
    page.fill("#id_notes", canary("plan owner"))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    person_url = page.url
    page.goto(f"{person_url}plan/")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    plan_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    section_url = f"{wp_server.url}/plans/{plan_id}/domains/communication/"
    page.goto(section_url)

    typed = canary("step typed before the lock")
    first = page.locator("main form textarea[name$='-text']").first
    prefix = str(first.get_attribute("name"))[: -len("text")]
    first.fill(typed)
    page.check(f"input[name='{prefix}idea'][value=person]")
    lock(page)
    theirs = canary("step a colleague saved meanwhile")
    wp_server.manage("shell", "-c", COLLEAGUE_SAVE.format(plan=plan_id, text=theirs, who=COLLEAGUES[username]))

    resume_as(page, wp_server, codes, username)
    page.locator("#resume").wait_for(state="hidden", timeout=5000)
    assert page.locator(f"textarea[name='{prefix}text']").input_value() == typed
    assert page.is_checked(f"input[name='{prefix}idea'][value=person]")
    prompt = page.locator("#check-in-prompt")
    assert prompt.is_hidden()
    page.clock.fast_forward("10:01")
    prompt.wait_for(state="visible", timeout=2000)

    with page.expect_response(lambda r: r.url == section_url and r.request.method == "POST") as answer:
        with page.expect_navigation():
            page.click("main form button.button[type=submit]")
    assert answer.value.status == 409, f"the stale save must be a conflict, not {answer.value.status}"
    html = page.content()
    assert typed in html and theirs in html, "both versions are on screen, nothing is overwritten"


def test_a_page_woken_from_sleep_past_the_idle_limit_locks_at_once(
    new_page: Any, wp_server: LiveServer, codes: CodeBook
) -> None:
    """Timers stand still while a laptop sleeps; the wall clock does not.  Coming back to the tab
    after the limit locks it then, not a quarter of an hour later."""
    import datetime

    page, _state = new_page()
    page.clock.install()
    sign_in(page, wp_server, codes, codes.pick(READERS))
    page.goto(f"{wp_server.url}/people/new/")
    notes = canary("typed before the laptop slept")
    page.fill("#id_notes", notes)
    now_ms = page.evaluate("() => Date.now()")
    page.clock.set_system_time(datetime.datetime.fromtimestamp(now_ms / 1000 + 16 * 60, tz=datetime.UTC))
    assert page.locator("#resume").is_hidden()  # no timer fired: the clock jumped, as after a sleep
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")
    page.locator("#resume").wait_for(state="visible", timeout=2000)
    assert_nothing_in_dom(page, [notes])

"""Contact rules, the guard and follow-up in the browser (issue 10), once in English and once in
Spanish (the header's language button; the person's preferred language follows it).

1. An in-person safety check records "text only, no voicemail, say it's the pharmacy" as structured
   answers; the record page then offers an ``sms:`` action and no call or voicemail action, with
   "pharmacy" under "How to identify ourselves"; a phone check where it is not safe to talk shows
   "pharmacy" as the cover and schedules a follow-up by text; the provider opens it from the home page
   (channel tiles, never the task's text), sees the tiles, re-confirms the rules by phone, logs
   "someone else answered", and the attempt is on the record page and the timeline (who, when,
   outcome).  A voicemail forged into the attempt form is refused and writes nothing.
2. Where voicemail and calls are allowed the voicemail script is offered, in the person's language,
   and names the organisation only once they said it may be named (the control shows it can).
3. A re-confirmation posted from a page opened before another tab changed the rules answers 409 with
   the conflict message and the new rules, from the contact page and from a follow-up.
4. axe-core and Exit first in tab order on every new page and state, in English and Spanish, no
   horizontal scrolling at 640 px; the attempt form by keyboard alone.

Every page these tests open is also checked by the guard's own rule, from the outside: a ``tel:``,
``sms:`` or ``mailto:`` link exists only in the row of a channel marked usable, the voicemail script
and the "voicemail left" box only where voicemail is usable.

Interface words are looked up in the compiled Spanish catalogue (``helpers.translate``): while a new
string is not translated yet the server shows the English text, and so does the lookup; the figures
count how many such words these tests met.  Everything else is found by ids, values, URLs and data
attributes.  Screenshots go to /tmp/wp-shots/: contact-panel-<lang>.png and follow-up-<lang>.png
(calls, voicemail and texts allowed: the script shows), flow-contact-panel-<lang>.png and
flow-follow-up-<lang>.png (text only, no voicemail, after the attempt)."""

from __future__ import annotations

import datetime
import json
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.browser.helpers import (
    METRICS,
    REFERENCE,
    CodeBook,
    body_text,
    demo_person,
    is_translated,
    press_and_wait,
    require_chromium,
    set_language,
    sign_in,
    submit,
    tab_to,
    translate,
)
from tests.browser.test_accessibility import UNDER_EXIT, Sweep, no_horizontal_scroll
from tests.browser.test_autofill import step_up_if_asked
from tests.browser.test_encounters import (
    CHANNEL_ROWS,
    RULES_SCRIPT,
    answer_question,
    explain_confidentiality,
    pass_gate,
    path_of,
    reset_language,
    safe_to_talk,
    session_page,
    start_encounter,
)
from tests.browser.test_plans import new_record, start_plan_from_record
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

PROVIDER = "provider.a"
PROVIDER_NAME = "Provider A"  # display name given by seed_demo
ORG_NAME = "Riverside Health (demo)"  # provider.a's organisation in seed_demo
LANGUAGES = ["en", "es"]
SHOTS = Path("/tmp/wp-shots")
TASK_PATH = re.compile(r"/follow-ups/[0-9a-f-]{36}/")
NOTE = "text only, no voicemail, say it's the pharmacy"  # what they said, kept as the answer's note
# The same, as the parts of the in-person question.
TEXT_ONLY: dict[str, Any] = {
    "answer": "yes",
    "best_way": "text",
    "perm_text": "allowed",
    "perm_voicemail": "not_allowed",
    "perm_call": "not_allowed",
    "identify_as": "pharmacy",
    "consented": True,
    "note": NOTE,
}

# Figures gathered over the module (printed with the others at the end of the run).
SEEN: dict[str, Any] = {"guarded pages": 0, "forbidden": [], "untranslated": set()}


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


def t(language: str, msgid: str) -> str:
    """The interface word as the server shows it in ``language`` (English while untranslated)."""
    if not is_translated(language, msgid):
        SEEN["untranslated"].add(msgid)
    return translate(language, msgid)


def record_figures() -> None:
    METRICS["contact: pages checked by the guard"] = SEEN["guarded pages"]
    METRICS["contact: actions on channels the rules forbid"] = len(SEEN["forbidden"])
    METRICS["contact: interface words met still untranslated in Spanish"] = len(SEEN["untranslated"])
    if SEEN["untranslated"]:
        METRICS["contact: untranslated words (first 8)"] = " | ".join(sorted(SEEN["untranslated"])[:8])


# --------------------------------------------------------------------------------------------------
# The guard, checked from the outside on every page

GUARD_SCRIPT = """() => {
  const problems = [];
  const schemes = {"tel:": "call", "sms:": "text", "mailto:": "email"};
  const usable = new Set([...document.querySelectorAll("table.channels tr[data-usable=yes]")]
    .map(tr => tr.dataset.channel));
  for (const a of document.querySelectorAll("a[href]")) {
    const href = a.getAttribute("href").trim().toLowerCase();
    const scheme = Object.keys(schemes).find(s => href.startsWith(s));
    if (!scheme) continue;
    const row = a.closest("tr[data-channel]");
    if (!row || row.dataset.channel !== schemes[scheme] || row.dataset.usable !== "yes") {
      problems.push(href + " outside a usable " + schemes[scheme] + " row");
    }
  }
  for (const row of document.querySelectorAll("table.channels tr[data-usable=no]")) {
    if (row.querySelector("a[href]")) problems.push("a link in the row of " + row.dataset.channel + ", not usable");
  }
  const tables = document.querySelectorAll("table.channels").length;
  if (document.getElementById("voicemail-script") && !(tables && usable.has("voicemail"))) {
    problems.push("a voicemail script where voicemail is not usable");
  }
  if (document.querySelector("input[name=voicemail_left]") && !(tables && usable.has("voicemail"))) {
    problems.push("a 'voicemail left' box where voicemail is not usable");
  }
  return problems;
}"""


def guard(page: Any, label: str) -> None:
    """No call, text, e-mail or voicemail action on this page for a channel that is not usable."""
    SEEN["guarded pages"] += 1
    found = [f"{label} {path_of(page)}: {p}" for p in page.evaluate(GUARD_SCRIPT)]
    SEEN["forbidden"] += found
    assert not found, "actions on channels the rules forbid:\n" + "\n".join(found)


# --------------------------------------------------------------------------------------------------
# Small helpers


def open_path(page: Any, server: LiveServer, codes: CodeBook, path: str) -> Any:
    """Open ``path``, confirming it is you first when the page asks for a recent step-up."""
    response = page.goto(server.url + path)
    if step_up_if_asked(page, server, codes, PROVIDER):
        response = page.goto(server.url + path)
    assert path_of(page) == path, f"{path} sent the browser to {page.url}"
    return response


def in_person_check(page: Any, server: LiveServer, person: str, contact_after: dict[str, Any]) -> str:
    """An in-person encounter through the privacy gate and confidentiality to the safety check,
    where the contact question is answered with these parts; returns the encounter's path."""
    encounter = start_encounter(page, server, person, "in_person")
    pass_gate(page, server, encounter)
    explain_confidentiality(page, server, encounter)
    page.goto(f"{server.url}{encounter}safety-check/")
    assert page.locator("#parts-contact_after").is_visible(), "the contact question has no structured parts"
    answer_question(page, "contact_after", contact_after)
    submit(page)
    assert path_of(page) == encounter, f"the safety check was not saved: {page.url}"
    return encounter


def set_rule(page: Any, name: str, value: str) -> None:
    field = page.locator(f"main form [name='rule_{name}']").first
    kind = field.evaluate("e => e.tagName + ':' + (e.type || '')")
    if kind == "INPUT:radio":
        page.check(f"main form input[name='rule_{name}'][value='{value}']")
    elif kind.startswith("SELECT"):
        page.select_option(f"main form select[name='rule_{name}']", value)
    else:
        page.fill(f"main form [name='rule_{name}']", value)


def save_rules(
    page: Any, server: LiveServer, codes: CodeBook, person: str, rules: dict[str, str], confirm: str = ""
) -> None:
    """Change these rules on the rules page and save.  With ``confirm`` (in_person, phone) every rule
    was read back to them: the box is ticked and how chosen, so the rules count as confirmed; without
    it the save changes the rules and confirms nothing."""
    open_path(page, server, codes, f"/people/{person}/contact/rules/")
    for name, value in rules.items():
        set_rule(page, name, value)
    if confirm:
        page.check("#id_confirm_all")
        page.check(f"main form input[name=how][value={confirm}]")
    submit(page)
    assert path_of(page) == f"/people/{person}/contact/", f"the rules were not saved: {page.url}"


TILES = """() => [...document.querySelectorAll("section.before-call ul.tiles li.tile")].map(li => [
  li.querySelector(".tile-label").textContent.trim(), li.querySelector(".tile-value").textContent.trim(),
  li.classList.contains("tile-yes") ? "yes" : li.classList.contains("tile-no") ? "no" : "say"])"""


def tiles(page: Any) -> dict[str, tuple[str, str]]:
    return {label: (value, kind) for label, value, kind in page.evaluate(TILES)}


def channel_rows(page: Any, scope: str = "main") -> dict[str, dict[str, Any]]:
    rows = page.evaluate(CHANNEL_ROWS.replace('"main table.channels', f'"{scope} table.channels'))
    return {row["channel"]: row for row in rows}


def table_rows(page: Any, selector: str) -> list[list[str]]:
    return [
        [" ".join(cell.split()) for cell in row]
        for row in page.eval_on_selector_all(selector, "trs => trs.map(tr => [...tr.cells].map(c => c.textContent))")
    ]


def confirmed_hint(page: Any) -> str:
    """The "Last confirmed ..." line under "Before you call" ("" when the rules were never confirmed
    or not for 30 days: then the panel shows its notice, ``#rules-stale``, instead)."""
    hint = page.locator("section.before-call #rules-confirmed")
    return " ".join(hint.inner_text().split()) if hint.count() else ""


def reference_of(page: Any) -> str:
    match = REFERENCE.search(page.inner_text("h1"))
    assert match, f"no record reference in the heading: {page.inner_text('h1')}"
    return match.group(0)


def shoot(page: Any, name: str) -> str:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return str(path)


def today() -> str:
    return datetime.date.today().isoformat()


def due_today(page: Any, problems: list[str], where: str) -> None:
    """A follow-up's date starts as today.  When the page gives none, that is recorded as a failure of
    the test (asserted at its end), and today is typed as a provider would, so the rest of the flow
    is still checked."""
    value = page.input_value("#id_due_on")
    if value != today():
        written = page.get_attribute("#id_due_on", "value")
        problems.append(
            f"{where} [{page.get_attribute('html', 'lang')}] {path_of(page)}: the due date starts as {value!r}, "
            f"not today ({today()}); the server wrote value={written!r} into the <input type=date>"
        )
        page.fill("#id_due_on", today())


# --------------------------------------------------------------------------------------------------
# 1. From the in-person check to a follow-up, in English and in Spanish


@pytest.mark.parametrize("language", LANGUAGES)
def test_text_only_no_voicemail_say_pharmacy_from_the_check_to_a_logged_attempt(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], language: str
) -> None:
    """The issue's "Done when" in one run per language: structured answers -> text allowed, voicemail
    and calls not allowed, cover "pharmacy" (and the note in no rule); the record page offers sms: and
    no tel: or voicemail action; not safe to talk -> the cover and a follow-up by text today; home ->
    the follow-up with channel tiles and no task text; tiles, re-confirmation (who, how), "someone else
    answered"; a forged voicemail refused with nothing written; the attempt on the record page and the
    timeline; a follow-up's own text only on the follow-up."""
    tag = secrets.token_hex(3)
    callback = f"Un mensaje mañana por la mañana {tag}"  # their callback plan: a text, never on lists
    task_text = f"Ask about the clinic appointment {tag}"
    attempt_note = f"A man answered the text {tag}"
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    shots: list[str] = []
    problems: list[str] = []
    try:
        set_language(page, language)
        person = new_record(page, wp_server, "es" if language == "es" else "en")
        person_path = f"/people/{person}/"
        reference = reference_of(page)

        # In person: privacy gate -> confidentiality -> the safety check, answered in parts.
        in_person_check(page, wp_server, person, TEXT_ONLY)
        # Some rules recorded in a check are not a read-back of every rule: nothing is confirmed yet.
        page.goto(wp_server.url + person_path)
        recorded = page.evaluate(RULES_SCRIPT)
        assert recorded.get(t(language, "Last confirmed")) == t(language, "Never"), recorded

        # The rules page reads every part back in its own field; nothing else took the words.
        open_path(page, wp_server, codes, f"{person_path}contact/rules/")
        for name, value in (
            ("safe_to_contact", "yes"),
            ("best_way", "text"),
            ("text", "allowed"),
            ("voicemail", "not_allowed"),
            ("call", "not_allowed"),
            ("email", "unknown"),
        ):
            assert page.is_checked(f"input[name=rule_{name}][value='{value}']"), f"rule_{name} is not {value}"
        assert page.input_value("#id_rule_identify_as") == "pharmacy"
        values = page.eval_on_selector_all(
            "main form input[type=text], main form textarea", "els => els.map(e => e.value)"
        )
        assert not [v for v in values if "voicemail" in v or "text only" in v], f"the note landed in a rule: {values}"
        page.fill("#id_rule_text_number", "+1 (555) 014-2277")
        page.check("#id_confirm_all")  # every rule read back to them, in person: now they are confirmed
        page.check("main form input[name=how][value=in_person]")
        submit(page)
        assert path_of(page) == f"{person_path}contact/", f"the number was not saved: {page.url}"

        # The record page: text allowed with an sms: action; no call and no voicemail action.
        page.goto(wp_server.url + person_path)
        rows = channel_rows(page, "main section[aria-labelledby=contact-rules-h]")
        assert rows["text"] | {"channel": "text"} == {
            "channel": "text", "usable": "yes", "permission": "permission-allowed", "links": ["sms:+15550142277"],
        }, rows["text"]  # fmt: skip
        assert rows["voicemail"]["permission"] == "permission-not_allowed" and rows["voicemail"]["usable"] == "no"
        assert rows["call"]["permission"] == "permission-not_allowed" and rows["call"]["usable"] == "no"
        assert not rows["voicemail"]["links"] and not rows["call"]["links"]
        assert page.locator("main a[href^='tel:']").count() == 0, "a call action where calls are not allowed"
        assert page.locator("main a[href^='sms:']").count() == 1
        assert page.locator("#voicemail-script").count() == 0
        rules = page.evaluate(RULES_SCRIPT)
        assert rules.get(t(language, "How to identify ourselves")) == "pharmacy", rules
        assert [label for label, text in rules.items() if "pharmacy" in text] == [
            t(language, "How to identify ourselves")
        ], f"the cover is read under another label too: {rules}"
        assert rules.get(t(language, "Safe to contact after today")) == t(language, "Yes"), rules
        guard(page, "record")

        # By phone: not safe to talk -> "pharmacy" is the cover; a follow-up by text, today.
        phone = start_encounter(page, wp_server, person, "phone")
        said = safe_to_talk(page, wp_server, phone, "no")  # a call's first screen (issue 11)
        assert said == f"{phone}not-safe-to-talk/", f"'no' must open the cover screen: {page.url}"
        assert page.inner_text("section.cover #cover-h + p.say").strip() == "pharmacy"
        assert NOTE not in page.inner_text("main"), "the note is read as the cover"
        offered = page.eval_on_selector_all("#id_channel option", "os => os.map(o => o.value)")
        assert offered == ["", "text"], f"the follow-up offers channels the rules forbid: {offered}"
        due_today(page, problems, "not safe to talk")
        guard(page, "not safe to talk")
        page.fill("#id_callback_plan", callback)
        page.select_option("#id_channel", "text")
        submit(page)
        assert path_of(page) == phone, f"the callback plan was not saved: {page.url}"

        # Home: the follow-up is listed with the channel tiles, never the task's text.
        page.goto(f"{wp_server.url}/")
        due = page.locator("main section[aria-labelledby=follow-ups-due-h]")
        row = due.locator("tbody tr", has=page.locator("a.code", has_text=reference))
        assert row.count() == 1, f"the follow-up is not on the home page: {due.inner_text()}"
        mini = dict(row.locator("ul.mini-tiles li").evaluate_all("ls => ls.map(l => [l.dataset.channel, l.className])"))
        assert mini == {c: "tile-yes" if c == "text" else "tile-no"
                        for c in ("call", "voicemail", "text", "email", "chat", "post", "visit")}, mini  # fmt: skip
        assert callback not in body_text(page), "the callback plan (the task's text) is on the home page"
        assert NOTE not in body_text(page)
        guard(page, "home")
        with page.expect_navigation():
            row.locator("a.code").click()
        task = path_of(page)
        assert TASK_PATH.fullmatch(task), f"the home page's link did not open a follow-up: {page.url}"

        # The follow-up: the tiles, no voicemail script, no voicemail box, only text to log.
        shown = tiles(page)
        assert shown.get(t(language, "Voicemail")) == (t(language, "NO"), "no"), shown
        assert shown.get(t(language, "Text message")) == (t(language, "YES"), "yes"), shown
        assert shown.get(t(language, "Phone call")) == (t(language, "NO"), "no"), shown
        assert shown.get(t(language, "Say you are")) == ("pharmacy", "say"), shown
        assert page.locator("#voicemail-script").count() == 0, "a voicemail script where voicemail is not allowed"
        assert page.locator("#no-voicemail").is_visible()
        assert page.locator("input[name=voicemail_left]").count() == 0
        # Their words about when to call back: from the call, for the assigned provider who opens it.
        assert page.inner_text("#callback-words") == callback, "the call's callback words are not on its follow-up"
        radios = page.eval_on_selector_all(
            "form[action$='/attempts/'] input[name=channel]", "rs => rs.map(r => r.value)"
        )
        assert radios == ["text"], radios
        assert t(language, "In person") in confirmed_hint(page), confirmed_hint(page)
        guard(page, "follow-up")

        # Re-confirmed with them at the start of the call, by phone.
        page.check("form.reconfirm input[name=how][value=phone]")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            with page.expect_navigation():
                page.click("form.reconfirm button[type=submit]")
        assert answer.value.status == 302, answer.value.status
        assert path_of(page) == task, f"the confirmation did not come back to the follow-up: {page.url}"
        hint = confirmed_hint(page)
        assert t(language, "By phone") in hint and PROVIDER_NAME in hint, f"who and how are not shown: {hint}"
        if language == "en":
            assert hint.startswith("Last confirmed"), hint

        # "Someone else answered", on text.
        page.check("form[action$='/attempts/'] input[name=channel][value=text]")
        page.check("form[action$='/attempts/'] input[name=outcome][value=someone_else]")
        page.fill("form[action$='/attempts/'] textarea[name=note]", attempt_note)
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            with page.expect_navigation():
                page.click("form[action$='/attempts/'] button[type=submit]")
        assert answer.value.status == 302, answer.value.status
        assert path_of(page) == task
        logged = table_rows(page, "main section[aria-labelledby=task-attempts-h] tbody tr")
        assert len(logged) == 1, logged
        assert logged[0][1:] == [PROVIDER_NAME, t(language, "Text message"), t(language, "Someone else answered"),
                                 attempt_note], logged  # fmt: skip
        shots.append(shoot(page, f"flow-follow-up-{language}.png"))

        # A voicemail forged into the form (voicemail is not allowed): refused, nothing written.
        page.evaluate(
            """() => {
              const form = document.querySelector("form[action$='/attempts/']");
              const box = document.createElement("input");
              box.type = "checkbox"; box.name = "voicemail_left"; box.checked = true; form.appendChild(box);
              form.querySelector("input[name=outcome][value=no_answer]").checked = true;
            }"""
        )
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            with page.expect_navigation():
                page.click("form[action$='/attempts/'] button[type=submit]")
        assert answer.value.status == 400, f"a forged voicemail answered {answer.value.status}"
        assert page.locator("#error-summary").is_visible(), "the refusal is not shown"
        token = page.input_value("form[action$='/attempts/'] input[name=csrfmiddlewaretoken]")
        forged = page.request.post(
            f"{wp_server.url}{task}attempts/",
            form={"csrfmiddlewaretoken": token, "channel": "text", "outcome": "no_answer", "voicemail_left": "on"},
            headers={"Referer": f"{wp_server.url}{task}"},
        )
        assert forged.status == 400, f"a forged voicemail POST answered {forged.status}"
        page.goto(wp_server.url + task)
        after = table_rows(page, "main section[aria-labelledby=task-attempts-h] tbody tr")
        assert after == logged, f"a refused voicemail wrote an attempt: {after}"

        # The record page and the timeline: who, when, outcome.
        page.goto(wp_server.url + person_path)
        listed = table_rows(page, "main section[aria-labelledby=follow-ups-h] table tbody tr")
        assert len(listed) == 1, listed
        assert listed[0][0] and listed[0][1:] == [
            PROVIDER_NAME, t(language, "Text message"), t(language, "Someone else answered")
        ], listed  # fmt: skip
        page.goto(f"{wp_server.url}{person_path}timeline/")
        # Two lines link to the follow-up: the attempt, and (issue 11) the call's line "follow-up set".
        linked = page.locator(f"ol.timeline li:has(a[href='{task}'])")
        set_from_call = linked.filter(has_text=t(language, "Follow-up set from this encounter"))
        assert linked.count() == 2 and set_from_call.count() == 1, page.inner_text("main")
        entry = linked.filter(has_text=t(language, "Someone else answered"))
        assert entry.count() == 1, f"the attempt is not on the timeline: {page.inner_text('main')}"
        assert entry.locator(".who").inner_text().strip() == PROVIDER_NAME
        assert t(language, "Someone else answered") in entry.inner_text()
        when = datetime.datetime.fromisoformat(str(entry.locator("time").get_attribute("datetime")))
        age = datetime.datetime.now(datetime.UTC) - when
        assert datetime.timedelta(0) <= age < datetime.timedelta(minutes=15), f"the attempt is dated {when}"

        # A follow-up added by hand: only text is offered; its text is on the follow-up, not on lists.
        page.goto(f"{wp_server.url}{person_path}follow-ups/new/")
        offered = page.eval_on_selector_all("main form input[name=channel]", "rs => rs.map(r => r.value)")
        assert offered == ["text"], f"a new follow-up offers channels the rules forbid: {offered}"
        guard(page, "new follow-up")
        page.check("main form input[name=channel][value=text]")
        due_today(page, problems, "new follow-up")
        page.fill("#id_what", task_text)
        submit(page)
        assert TASK_PATH.fullmatch(path_of(page)), f"the follow-up was not added: {page.url}"
        assert task_text in page.inner_text("main"), "the task's text is shown on the follow-up itself"
        page.goto(f"{wp_server.url}/")
        assert due.locator("tbody tr", has=page.locator("a.code", has_text=reference)).count() == 2
        assert task_text not in body_text(page), "the task's text is on the home page"
        assert callback not in body_text(page)

        # The panel ("Contact this person", from the record page), for the lead engineer to look at.
        page.goto(wp_server.url + person_path)
        with page.expect_navigation():
            page.click(f"main section[aria-labelledby=contact-rules-h] a[href='{person_path}contact/']")
        assert path_of(page) == f"{person_path}contact/"
        assert page.locator("#no-voicemail").is_visible() and page.locator("#voicemail-script").count() == 0
        guard(page, "contact panel")
        shots.append(shoot(page, f"flow-contact-panel-{language}.png"))

        # An attempt logged from the panel itself, with no follow-up: only text is offered, no
        # voicemail box; it lands on the record page (who, how, outcome; its note is not listed).
        form = page.locator("form#contact-attempt")
        offered = form.locator("input[name=channel]").evaluate_all("rs => rs.map(r => r.value)")
        assert offered == ["text"], f"the panel's attempt form offers channels the rules forbid: {offered}"
        assert form.locator("input[name=voicemail_left]").count() == 0
        form.locator("input[name=channel][value=text]").check()
        form.locator("input[name=outcome][value=no_answer]").check()
        panel_note = f"No reply to the text {tag}"
        form.locator("textarea[name=note]").fill(panel_note)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert path_of(page) == f"{person_path}contact/", f"the panel's attempt was not saved: {page.url}"
        guard(page, "contact panel after an attempt")
        page.goto(wp_server.url + person_path)
        rows = page.locator("main section[aria-labelledby=contact-rules-h] table tbody tr")
        outcomes = rows.evaluate_all("rs => rs.map(r => [...r.cells].slice(2).map(c => c.innerText.trim()))")
        assert [t(language, "Text message"), t(language, "No answer")] in outcomes, outcomes
        assert panel_note not in body_text(page), "an attempt's note is listed on the record page"
    finally:
        reset_language(page, wp_server)
        record_figures()
        METRICS[f"contact: flow screenshots ({language})"] = ", ".join(shots)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------
# 2. The voicemail script: only where voicemail is allowed, and no organisation unless allowed


@pytest.mark.parametrize("language", LANGUAGES)
def test_voicemail_script_names_the_organisation_only_when_they_said_so(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], language: str
) -> None:
    org = demo_person(wp_server, "Rosa")["org"]
    assert org == ORG_NAME, org
    cover = f"Ana from the library {secrets.token_hex(2)}"
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    scripts: dict[str, str] = {}
    problems: list[str] = []
    try:
        set_language(page, language)
        person = new_record(page, wp_server, language)
        in_person_check(page, wp_server, person, {
            "answer": "yes", "best_way": "call", "perm_call": "allowed", "perm_voicemail": "allowed",
            "perm_text": "not_allowed", "identify_as": cover, "consented": True,
        })  # fmt: skip
        save_rules(page, wp_server, codes, person, {"phone_number": "555 014 2288"})

        for answer in ("unknown", "no", "unsure", "yes"):  # "yes" last: the control
            if answer != "unknown":
                save_rules(page, wp_server, codes, person, {"may_name_org": answer})
            page.goto(f"{wp_server.url}/people/{person}/contact/")
            script = page.locator("#voicemail-script")
            assert script.is_visible(), f"may_name_org={answer}: no voicemail script where voicemail is allowed"
            assert page.locator("#no-voicemail").count() == 0
            assert script.get_attribute("lang") == language, "the script is in the person's language"
            scripts[answer] = " ".join(script.inner_text().split())
            assert cover in scripts[answer], f"the script does not use the name they chose: {scripts[answer]}"
            rows = channel_rows(page)
            assert rows["call"]["links"] == ["tel:5550142288"] and rows["voicemail"]["usable"] == "yes", rows
            assert not rows["text"]["links"] and rows["text"]["usable"] == "no", rows["text"]
            guard(page, f"contact panel, may name the organisation: {answer}")
        for answer in ("unknown", "no", "unsure"):
            assert org not in scripts[answer] and "Riverside" not in scripts[answer], (
                f"may_name_org={answer}: the voicemail script names the organisation: {scripts[answer]}"
            )
        assert org in scripts["yes"], f"the control: allowed, the organisation is named: {scripts['yes']}"

        # A voicemail may be logged here, on a call.
        page.goto(f"{wp_server.url}/people/{person}/follow-ups/new/")
        page.check("main form input[name=channel][value=call]")
        due_today(page, problems, "new follow-up")
        submit(page)
        task = path_of(page)
        assert TASK_PATH.fullmatch(task), f"the follow-up was not added: {page.url}"
        assert page.locator("form[action$='/attempts/'] input[name=voicemail_left]").count() == 1
        guard(page, "follow-up with voicemail")
        page.check("form[action$='/attempts/'] input[name=channel][value=call]")
        page.check("form[action$='/attempts/'] input[name=outcome][value=no_answer]")
        page.check("form[action$='/attempts/'] input[name=voicemail_left]")
        with page.expect_navigation():
            page.click("form[action$='/attempts/'] button[type=submit]")
        logged = table_rows(page, "main section[aria-labelledby=task-attempts-h] tbody tr")
        assert len(logged) == 1 and t(language, "voicemail left") in logged[0][2], logged
    finally:
        reset_language(page, wp_server)
        record_figures()
    METRICS[f"contact: voicemail scripts ({language}), organisation named when not allowed"] = sum(
        org in scripts.get(answer, "") for answer in ("unknown", "no", "unsure")
    )
    METRICS[f"contact: voicemail script ({language}, may not name the organisation)"] = scripts.get("no", "")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------
# 3. Re-confirming rules that changed in another tab


def test_reconfirming_rules_changed_in_another_tab_shows_the_conflict_and_the_new_rules(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    tag = secrets.token_hex(2)
    problems: list[str] = []
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    set_language(page, "en")
    person = new_record(page, wp_server, "en")
    save_rules(page, wp_server, codes, person, {
        "safe_to_contact": "yes", "text": "allowed", "text_number": "5550142299", "identify_as": "pharmacy",
    }, confirm="in_person")  # fmt: skip
    page.goto(f"{wp_server.url}/people/{person}/follow-ups/new/")
    page.check("main form input[name=channel][value=text]")
    due_today(page, problems, "new follow-up")
    submit(page)
    task = path_of(page)
    assert TASK_PATH.fullmatch(task), f"the follow-up was not added: {page.url}"
    conflicts = 0

    for where, opened_at in (("contact page", f"/people/{person}/contact/"), ("follow-up", task)):
        page.goto(wp_server.url + opened_at)
        shown_version = int(page.input_value("form.reconfirm input[name=version]"))
        assert tiles(page)["Say you are"][0] != f"library {where} {tag}"

        # Another tab of the same provider changes the rules meanwhile, read back in person (so the
        # panel's "Last confirmed" says in person, whatever the loop confirmed before).
        other = page.context.new_page()
        save_rules(other, wp_server, codes, person, {"identify_as": f"library {where} {tag}"}, confirm="in_person")
        other.close()

        page.check("form.reconfirm input[name=how][value=phone]")
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            with page.expect_navigation():
                page.click("form.reconfirm button[type=submit]")
        assert answer.value.status == 409, f"{where}: a stale confirmation answered {answer.value.status}"
        conflicts += 1
        message = page.locator("section.before-call .error-summary[role=alert]")
        assert message.is_visible(), f"{where}: no conflict message"
        assert "changed since you opened this page" in message.inner_text()
        assert tiles(page)["Say you are"] == (f"library {where} {tag}", "say"), f"{where}: the new rules are not shown"
        assert int(page.input_value("form.reconfirm input[name=version]")) == shown_version + 1
        hint = confirmed_hint(page)
        assert "In person" in hint and "By phone" not in hint, f"{where}: the stale confirmation was recorded: {hint}"
        assert page.is_checked("form.reconfirm input[name=how][value=phone]"), "what was chosen is kept"
        if where == "follow-up":
            assert page.locator(f"form.reconfirm input[name=task][value='{task.split('/')[2]}']").count() == 1
        guard(page, f"conflict from the {where}")

        # Confirming the new rules goes through.
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            with page.expect_navigation():
                page.click("form.reconfirm button[type=submit]")
        assert answer.value.status == 302, f"{where}: confirming the new rules answered {answer.value.status}"
        assert path_of(page) == opened_at, f"{where}: the confirmation went to {page.url}"
        assert "By phone" in confirmed_hint(page), confirmed_hint(page)
    METRICS["contact: stale re-confirmations answered 409 with the new rules"] = f"{conflicts} of 2"
    record_figures()
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------
# 4. axe-core, Exit first, 640 px; the attempt form by keyboard


def test_axe_and_tab_order_on_contact_pages(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    url = wp_server.url
    problems: list[str] = []
    shots: list[str] = []
    set_language(page, "en")
    # A person with rules (calls, voicemail and texts allowed: every part of the panel shows), an in-
    # person check and a call paused on "not safe to talk"; a follow-up with an attempt.  And a person
    # with no rules at all (no channel: nothing may be offered).
    person = new_record(page, wp_server, "es")
    in_person = start_encounter(page, wp_server, person, "in_person")
    pass_gate(page, wp_server, in_person)
    explain_confidentiality(page, wp_server, in_person)
    phone = start_encounter(page, wp_server, person, "phone")
    explain_confidentiality(page, wp_server, phone)
    save_rules(page, wp_server, codes, person, {
        "safe_to_contact": "yes", "call": "allowed", "voicemail": "allowed", "text": "allowed",
        "phone_number": "5550142201", "text_number": "5550142202", "identify_as": "pharmacy",
        "someone_answers": "wrong_number", "on_disconnect": "they_call", "best_times": "Weekdays after 6 pm",
    })  # fmt: skip
    page.goto(f"{url}/people/{person}/follow-ups/new/")
    page.check("main form input[name=channel][value=text]")
    due_today(page, problems, "new follow-up")
    submit(page)
    task = path_of(page)
    page.check("form[action$='/attempts/'] input[name=outcome][value=no_answer]")
    with page.expect_navigation():
        page.click("form[action$='/attempts/'] button[type=submit]")
    bare = new_record(page, wp_server, "en")

    def go(path: str) -> Callable[[], None]:
        def opener() -> None:
            response = open_path(page, wp_server, codes, path)
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"

        return opener

    def refused(path: str, fill: Callable[[], None], status: int = 400, button: str = "main form button.button",
                lands: str = "") -> Callable[[], None]:  # fmt: skip
        def opener() -> None:
            open_path(page, wp_server, codes, path)
            fill()
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                with page.expect_navigation():
                    page.click(button)
            assert answer.value.status == status, f"{path}: POST answered {answer.value.status}"
            assert path_of(page) == (lands or path), f"{path}: the answer is at {page.url}"
            shown = "section.before-call .error-summary" if status == 409 else "#error-summary"
            assert page.locator(shown).first.is_visible(), f"{path}: {shown} is not shown"

        return opener

    def stale_version() -> None:
        page.evaluate("() => { document.querySelector('form.reconfirm input[name=version]').value = '1'; }")

    def part_without_consent() -> None:
        page.check("input[name=contact_after__perm_text][value=allowed]")

    def other_without_words() -> None:
        answer_question(page, "someone_on_line", {"someone_answers": "other", "consented": True})

    def channel_without_day() -> None:
        page.select_option("#id_channel", "text")
        page.fill("#id_due_on", "")

    pages: list[tuple[str, Callable[[], None]]] = [
        ("home with follow-ups due", go("/")),
        ("record with contact rules", go(f"/people/{person}/")),
        ("timeline with an attempt", go(f"/people/{person}/timeline/")),
        ("contact panel", go(f"/people/{person}/contact/")),
        ("contact panel, rules changed (409)",
         refused(f"/people/{person}/contact/", stale_version, 409, "form.reconfirm button[type=submit]",
                 f"/people/{person}/contact/confirm/")),
        ("contact panel, no rules", go(f"/people/{bare}/contact/")),
        ("rules", go(f"/people/{person}/contact/rules/")),
        ("rules with errors",
         refused(f"/people/{person}/contact/rules/", lambda: page.fill("#id_rule_text_number", "12ab"))),
        ("new follow-up", go(f"/people/{person}/follow-ups/new/")),
        ("new follow-up with errors",
         refused(f"/people/{person}/follow-ups/new/", lambda: page.fill("#id_due_on", ""))),
        ("new follow-up, no channel", go(f"/people/{bare}/follow-ups/new/")),
        ("follow-up with an attempt", go(task)),
        ("follow-up, attempt with errors",
         refused(task, lambda: None, 400, "form[action$='/attempts/'] button[type=submit]", f"{task}attempts/")),
        ("safety check in person, with parts", go(f"{in_person}safety-check/")),
        ("safety check in person, part without consent",
         refused(f"{in_person}safety-check/", part_without_consent)),
        ("safety check by phone, with parts", go(f"{phone}safety-check/")),
        ("safety check by phone, 'other' without their words",
         refused(f"{phone}safety-check/", other_without_words)),
        ("not safe to talk, with channels", go(f"{phone}not-safe-to-talk/")),
        ("not safe to talk with errors", refused(f"{phone}not-safe-to-talk/", channel_without_day)),
    ]  # fmt: skip
    sweep = Sweep()
    try:
        for language in LANGUAGES:
            page.goto(f"{url}/")
            set_language(page, language)
            for label, opener in pages:
                opener()
                assert page.get_attribute("html", "lang") == language, f"{label}: not in {language}"
                if label == "contact panel":
                    assert page.locator("#voicemail-script").is_visible()
                    shots.append(shoot(page, f"contact-panel-{language}.png"))
                if label == "follow-up with an attempt":
                    shots.append(shoot(page, f"follow-up-{language}.png"))
                if label == "not safe to talk, with channels":
                    assert page.locator("#id_channel").is_visible()
                if label.endswith("no channel") or label.endswith("no rules"):
                    assert page.locator("table.channels tr[data-usable=yes]").count() == 0
                guard(page, label)
                sweep.check(page, f"contact {label}")
    finally:
        reset_language(page, wp_server)

    page.set_viewport_size({"width": 640, "height": 800})
    overflowing: list[str] = []
    narrow = [(label, opener) for label, opener in pages if "errors" not in label and "(409)" not in label]
    for label, opener in narrow:
        opener()
        scroll_width, inner_width = no_horizontal_scroll(page)
        if scroll_width > inner_width + 1:
            overflowing.append(f"{label} {path_of(page)}: scrollWidth {scroll_width} > {inner_width}")
        if covered := page.evaluate(UNDER_EXIT):
            overflowing.append(f"{label} {path_of(page)}: under the Exit button: {covered}")
    METRICS["contact: screenshots"] = ", ".join(shots)
    METRICS["contact pages checked by axe (en + es)"] = len(sweep.checked)
    METRICS["contact pages: axe violations"] = len(sweep.violations)
    METRICS["contact pages with horizontal scrolling (or a control under Exit) at 640 px"] = (
        f"{len(overflowing)} of {len(narrow)}"
    )
    record_figures()
    for line in overflowing:
        print(line)
    sweep.report("contact pages")
    assert not overflowing, "contact pages at 640 px:\n" + "\n".join(overflowing)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_attempt_form_by_keyboard(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], language: str
) -> None:
    """Exit is the first Tab stop of a follow-up; then Tab to the radios, Space and the arrow keys to
    pick, Tab to the note, and Enter on the button logs the attempt."""
    note = f"No reply yet {secrets.token_hex(2)}"
    problems: list[str] = []
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    try:
        set_language(page, language)
        person = new_record(page, wp_server, language)
        save_rules(page, wp_server, codes, person, {"safe_to_contact": "yes", "text": "allowed", "email": "allowed"})
        page.goto(f"{wp_server.url}/people/{person}/follow-ups/new/")
        page.check("main form input[name=channel][value=email]")
        due_today(page, problems, "new follow-up")
        submit(page)
        task = path_of(page)
        assert TASK_PATH.fullmatch(task), f"the follow-up was not added: {page.url}"
        page.goto(wp_server.url + task)

        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "quick-exit", "Exit is not first in tab order"
        tab_to(page, "form[action$='/attempts/'] input[name=channel]")
        assert page.evaluate("() => document.activeElement.value") == "email", "Tab lands on the chosen channel"
        page.keyboard.press("ArrowUp")  # E-mail -> Text message
        page.keyboard.press("Space")
        assert page.is_checked("form[action$='/attempts/'] input[name=channel][value=text]")
        tab_to(page, "form[action$='/attempts/'] input[name=outcome]")
        page.keyboard.press("Space")  # the first outcome: reached them
        assert page.is_checked("input[name=outcome][value=reached]")
        page.keyboard.press("ArrowDown")  # -> no answer
        assert page.is_checked("input[name=outcome][value=no_answer]")
        tab_to(page, "form[action$='/attempts/'] textarea[name=note]")
        page.keyboard.type(note)
        tab_to(page, "form[action$='/attempts/'] button[type=submit]")
        press_and_wait(page, "Enter")
        assert path_of(page) == task, f"the attempt was not saved: {page.url}"
        logged = table_rows(page, "main section[aria-labelledby=task-attempts-h] tbody tr")
        assert logged and logged[0][2:] == [t(language, "Text message"), t(language, "No answer"), note], logged
        assert urlsplit(page.url).path == task
    finally:
        reset_language(page, wp_server)
        record_figures()
    METRICS[f"contact: attempt form by keyboard ({language})"] = "Tab, Space, arrows, Enter: logged"
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------------
# 5. Dates in Spanish (found with the follow-up's due date): a saved date survives a save


def test_saved_dates_survive_a_save_with_the_interface_in_spanish(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    """A date already saved (date of birth, plan review date) is in its date field when the form is
    opened in Spanish, and saving the form without touching it keeps it.  The browser's date field
    takes only yyyy-mm-dd: a date written in the Spanish format is dropped, and the save erases it."""
    review = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    kept: dict[str, str] = {}
    try:
        set_language(page, "en")
        person = new_record(page, wp_server, "es")  # date of birth 1990-04-01
        plan = start_plan_from_record(page, wp_server, person)
        page.goto(f"{wp_server.url}/plans/{plan}/overview/")
        page.fill("#id_review_on", review)
        submit(page)
        assert path_of(page) == f"/plans/{plan}/", f"the review date was not saved: {page.url}"

        set_language(page, "es")
        for label, path, field in (
            ("date of birth", f"/people/{person}/edit/", "#id_date_of_birth"),
            ("plan review date", f"/plans/{plan}/overview/", "#id_review_on"),
        ):
            page.goto(wp_server.url + path)
            shown = page.input_value(field)
            submit(page)
            assert path_of(page) != path, f"{label}: the form was not saved: {page.url}"
            set_language(page, "en")
            page.goto(wp_server.url + path)
            kept[label] = f"shown in Spanish as {shown!r}, after the save {page.input_value(field)!r}"
            set_language(page, "es")
    finally:
        reset_language(page, wp_server)
    METRICS["dates through a save in Spanish"] = "; ".join(f"{k}: {v}" for k, v in kept.items())
    assert kept == {
        "date of birth": "shown in Spanish as '1990-04-01', after the save '1990-04-01'",
        "plan review date": f"shown in Spanish as {review!r}, after the save {review!r}",
    }, kept


# --------------------------------------------------------------------------------------------------
# 6. The review of issue 10: the cover for anyone else, confirming only on a read-back of every
#    rule, and secrets only for the record's assigned staff (and supervisors)


def panel_rows(page: Any) -> dict[str, str]:
    """The before-you-call summary (label -> text): best way, best times and, for those who may hold
    them, the safe word, the danger word and where they are."""
    labels = page.locator("section.before-call dl.summary dt").all_inner_texts()
    texts = page.locator("section.before-call dl.summary dd").all_inner_texts()
    return {dt.strip(): " ".join(dd.split()) for dt, dd in zip(labels, texts, strict=True)}


def phone_call(page: Any, server: LiveServer, person: str) -> str:
    """A call with this person, confidentiality explained; returns the encounter's path."""
    encounter = start_encounter(page, server, person, "phone")
    explain_confidentiality(page, server, encounter)
    return encounter


def not_safe_to_talk(page: Any, server: LiveServer, encounter: str) -> str:
    """Answer "not safe to talk" (the call's first question, asked again); returns what the card says to say."""
    said = safe_to_talk(page, server, encounter, "no")
    assert said == f"{encounter}not-safe-to-talk/", f"'no' must open the cover screen: {page.url}"
    return " ".join(page.inner_text("section.cover #cover-h + p.say").split())


def test_not_safe_to_talk_card_says_the_cover_for_anyone_else_else_how_we_introduce_ourselves(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    """How we introduce ourselves to them (``identify_as``) and the cover to give anyone else who
    answers or listens (``cover_name``) are separate rules.  The not-safe-to-talk card says the cover
    when one was given, else how we introduce ourselves; "say you are the cover" without a cover is
    refused on the rules page and in the call's safety check (400, the error beside the field)."""
    tag = secrets.token_hex(2)
    intro, cover = f"Marta from the clinic {tag}", f"Carla, a cousin from Quito {tag}"
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    set_language(page, "en")
    person = new_record(page, wp_server, "en")
    save_rules(page, wp_server, codes, person, {
        "safe_to_contact": "yes", "text": "allowed", "text_number": "5550142311", "identify_as": intro,
    }, confirm="in_person")  # fmt: skip

    # No cover for anyone else: the card says how we introduce ourselves.
    said = not_safe_to_talk(page, wp_server, phone_call(page, wp_server, person))
    assert said == intro, f"without a cover the card must say how we introduce ourselves: {said!r}"

    # "Say you are the cover" without a cover: refused on the rules page, nothing saved.
    open_path(page, wp_server, codes, f"/people/{person}/contact/rules/")
    set_rule(page, "someone_answers", "say_cover")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit(page)
    assert answer.value.status == 400, f"say_cover without a cover answered {answer.value.status}"
    assert page.locator("#id_rule_cover_name_error").is_visible(), "the error is not beside the cover field"
    assert page.locator("#error-summary").is_visible()
    # With the cover: saved; the panel's tiles read each rule from its own field.
    page.fill("#id_rule_cover_name", cover)
    submit(page)
    assert path_of(page) == f"/people/{person}/contact/", f"the cover was not saved: {page.url}"
    shown = tiles(page)
    assert shown.get("Say you are") == (intro, "say"), shown
    assert shown.get("If someone else answers") == (f"Say you are: {cover}", "say"), shown

    # A cover was given: the card says it, not how we introduce ourselves (which may name us).
    call = phone_call(page, wp_server, person)
    page.goto(f"{wp_server.url}{call}safety-check/")
    answer_question(page, "someone_on_line", {"someone_answers": "say_cover", "consented": True})
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit(page)
    assert answer.value.status == 400, f"the call's say_cover without a cover answered {answer.value.status}"
    assert page.locator("#id_someone_on_line__cover_name_error").is_visible(), "no error beside the call's cover"
    said = not_safe_to_talk(page, wp_server, call)
    assert said == cover, f"the card must say the cover for anyone else: {said!r}"
    card = " ".join(page.inner_text("section.cover").split())
    assert intro not in card, f"how we introduce ourselves is on the card though a cover was given: {card}"
    assert f"If someone else is on the line: Say you are: {cover}" in card, card
    guard(page, "not safe to talk, with a cover")
    METRICS["contact: not-safe-to-talk card (cover given / not given)"] = "says the cover / says how we introduce us"
    record_figures()


CONFIRMED = """
from waypoint.contact.models import ContactRules
rules = ContactRules.objects.get(person_id={person!r})
print("CONFIRMED", rules.confirmed_at.isoformat() if rules.confirmed_at else "-", rules.confirmed_how or "-")
"""


def confirmed_in_db(server: LiveServer, person: str) -> tuple[str, str]:
    """(confirmed_at as ISO text or "-", how or "-") of the person's rules, read by the server."""
    result = server.manage("shell", "-c", CONFIRMED.format(person=person))
    line = next(x for x in result.stdout.splitlines() if x.startswith("CONFIRMED "))
    _label, when, how = line.split()
    return when, how


def last_confirmed_on_record(page: Any, server: LiveServer, person: str) -> str:
    page.goto(f"{server.url}/people/{person}/")
    return str(page.evaluate(RULES_SCRIPT).get("Last confirmed", ""))


def test_the_rules_page_confirms_the_rules_only_when_every_rule_was_read_back(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    """A save of the rules page changes the rules; it marks them confirmed only with the box "I read
    every rule back to them and they confirmed them all" ticked (and how).  Without the box, "Last
    confirmed" does not change, even with a way chosen; the box without a way is refused."""
    tag = secrets.token_hex(2)
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    set_language(page, "en")
    person = new_record(page, wp_server, "en")
    rules_path = f"/people/{person}/contact/rules/"

    # A first save with a way chosen but the box not ticked: saved, confirmed never.
    open_path(page, wp_server, codes, rules_path)
    assert not page.is_checked("#id_confirm_all"), "the box starts ticked"
    assert page.locator("main form input[name=how]:checked").count() == 0, "a way starts chosen"
    for name, value in (("safe_to_contact", "yes"), ("text", "allowed"), ("text_number", "5550142321"),
                        ("best_times", f"Mornings {tag}")):  # fmt: skip
        set_rule(page, name, value)
    page.check("main form input[name=how][value=phone]")
    submit(page)
    assert path_of(page) == f"/people/{person}/contact/", f"the rules were not saved: {page.url}"
    assert panel_rows(page).get("Best days and times") == f"Mornings {tag}", panel_rows(page)
    assert confirmed_hint(page) == "", f"a save without the box confirmed the rules: {confirmed_hint(page)}"
    assert "never confirmed" in page.inner_text("#rules-stale")
    assert last_confirmed_on_record(page, wp_server, person) == "Never"
    assert confirmed_in_db(wp_server, person) == ("-", "-")

    # The box without a way: refused beside the way, and nothing typed with it is saved.
    open_path(page, wp_server, codes, rules_path)
    set_rule(page, "best_times", f"Evenings {tag}")
    page.check("#id_confirm_all")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        submit(page)
    assert answer.value.status == 400, f"the box without a way answered {answer.value.status}"
    assert page.locator("#id_how_error").is_visible(), "the error is not beside the way"
    page.goto(f"{wp_server.url}/people/{person}/contact/")
    assert panel_rows(page).get("Best days and times") == f"Mornings {tag}", "a refused save changed a rule"
    assert confirmed_in_db(wp_server, person) == ("-", "-")

    # Every rule read back in person, box ticked: confirmed, who and how on the panel and the record.
    save_rules(page, wp_server, codes, person, {}, confirm="in_person")
    first = confirmed_hint(page)
    assert first.startswith("Last confirmed") and "In person" in first and PROVIDER_NAME in first, first
    on_record = last_confirmed_on_record(page, wp_server, person)
    assert on_record.endswith("(In person)"), on_record
    when, how = confirmed_in_db(wp_server, person)
    assert how == "in_person", how

    # A change without the box (a way chosen all the same): the rule changes, "Last confirmed" does not.
    open_path(page, wp_server, codes, rules_path)
    set_rule(page, "best_times", f"Evenings {tag}")
    page.check("main form input[name=how][value=phone]")
    submit(page)
    assert path_of(page) == f"/people/{person}/contact/", f"the change was not saved: {page.url}"
    assert panel_rows(page).get("Best days and times") == f"Evenings {tag}", panel_rows(page)
    assert confirmed_hint(page) == first, f"a save without the box changed 'Last confirmed': {confirmed_hint(page)}"
    assert last_confirmed_on_record(page, wp_server, person) == on_record
    assert confirmed_in_db(wp_server, person) == (when, "in_person"), "a save without the box confirmed"

    # Every rule read back by phone, box ticked: "Last confirmed" is now this one.
    save_rules(page, wp_server, codes, person, {}, confirm="phone")
    hint = confirmed_hint(page)
    assert "By phone" in hint and PROVIDER_NAME in hint, hint
    assert last_confirmed_on_record(page, wp_server, person).endswith("(By phone)")
    later, how = confirmed_in_db(wp_server, person)
    assert how == "phone" and later > when, (when, later, how)
    METRICS["contact: rules-page saves that confirmed without the box"] = 0


NEW_PROVIDER = """
import json
from waypoint.orgs import actions
from waypoint.orgs.management.commands.seed_demo import demo_password
from waypoint.orgs.models import Staff
org = Staff.objects.get(username="provider.a").org
staff = actions.ensure_demo_staff(org, {username!r}, demo_password({username!r}), {name!r}, "provider")
row = {{"username": staff.username, "password": demo_password(staff.username), "totp_secret": staff.totp_secret,
       "id": str(staff.id), "role": "provider"}}
print("STAFF " + json.dumps(row))
"""
UNASSIGNED = "provider.u"  # a provider of organisation A assigned to no record (made by the test below)


def unassigned_provider(server: LiveServer) -> str:
    """A provider of provider.a's organisation, made through manage.py in the server's environment
    (the same action seed_demo uses), added to the logins so it signs in through the UI."""
    if UNASSIGNED not in server.logins:
        result = server.manage("shell", "-c", NEW_PROVIDER.format(username=UNASSIGNED, name="Provider U"))
        line = next(x for x in result.stdout.splitlines() if x.startswith("STAFF "))
        server.logins[UNASSIGNED] = json.loads(line[len("STAFF ") :])
    return UNASSIGNED


def step_up(page: Any, server: LiveServer, codes: CodeBook, username: str, path: str) -> None:
    """Confirm it is you (password and a fresh code) and come back to ``path``."""
    page.goto(f"{server.url}/confirm/?{urlencode({'next': path})}")
    assert path_of(page) == "/confirm/", page.url
    page.fill("#id_password", server.logins[username]["password"])
    page.fill("#id_code", codes.code(username))
    submit(page)
    assert path_of(page) == path, f"the step-up of {username} did not come back to {path}: {page.url}"


def address_cells(page: Any) -> dict[str, str]:
    """Channel -> the "Number or address" cell of the channel table on this page."""
    return dict(page.eval_on_selector_all(
        "main table.channels tr[data-channel]",
        "trs => trs.map(tr => [tr.dataset.channel, tr.cells[2].textContent.trim()])",
    ))  # fmt: skip


def test_an_unassigned_provider_gets_no_safe_words_and_hidden_addresses_even_after_a_step_up(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    """A provider of the organisation who is not assigned to the record may read it (and may hold a
    follow-up of it, assigned to themselves), but not its secrets: after a step-up the contact panel,
    the follow-up, the record page, the rules page and the new follow-up page show no safe word or
    danger word, nothing of what to do on them, nowhere they are, and "Hidden" for the visit and
    postal addresses.  The control: provider.a, assigned to the record, sees them after a step-up."""
    tag = secrets.token_hex(3)
    secret_texts = {
        "safe word": f"Lighthouse{tag}",
        "safe word action": f"Keep talking about the weather {tag}",
        "danger word": f"Umbrella{tag}",
        "danger word action": f"Hang up and call the police {tag}",
        "whereabouts": f"Shelter on Calle Luna {tag}",
        "visit address": f"12 Calle del Sol {tag}",
        "postal address": f"PO Box 44 {tag}",
    }
    holder = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    set_language(holder, "en")
    person = new_record(holder, wp_server, "en")  # assigned to provider.a, who made it
    panel_path = f"/people/{person}/contact/"
    save_rules(holder, wp_server, codes, person, {
        "safe_to_contact": "yes", "text": "allowed", "text_number": "5550142331", "visit": "allowed",
        "post": "allowed", "visit_address": secret_texts["visit address"],
        "post_address": secret_texts["postal address"], "safe_word": secret_texts["safe word"],
        "safe_word_action": secret_texts["safe word action"], "danger_word": secret_texts["danger word"],
        "danger_word_action": secret_texts["danger word action"], "whereabouts": secret_texts["whereabouts"],
    }, confirm="in_person")  # fmt: skip

    # The control: the assigned provider, after a step-up, sees every secret on the panel.
    step_up(holder, wp_server, codes, PROVIDER, panel_path)
    rows = panel_rows(holder)
    assert rows.get("Safe word") == f"{secret_texts['safe word']} If they say it: {secret_texts['safe word action']}"
    assert rows.get("Danger word") == (
        f"{secret_texts['danger word']} If they say it: {secret_texts['danger word action']}"
    ), rows  # fmt: skip
    assert rows.get("Where they are") == secret_texts["whereabouts"], rows
    cells = address_cells(holder)
    assert cells["visit"] == secret_texts["visit address"] and cells["post"] == secret_texts["postal address"], cells
    seen_by_holder = body_text(holder)
    assert all(text in seen_by_holder for text in secret_texts.values()), "the control: the holder sees them all"

    # The unassigned provider signs in, makes a follow-up of the person for themselves, steps up.
    username = unassigned_provider(wp_server)
    page, _state = contexts.page()
    sign_in(page, wp_server, codes, username)
    page.goto(f"{wp_server.url}/people/{person}/follow-ups/new/")
    assert path_of(page) == f"/people/{person}/follow-ups/new/", f"a reader of the record was refused: {page.url}"
    mine = page.eval_on_selector("#id_assignee", "s => s.options[s.selectedIndex].value")
    assert mine == wp_server.logins[username]["id"], "the follow-up is not assigned to the unassigned provider"
    page.check("main form input[name=channel][value=text]")
    page.fill("#id_due_on", today())
    submit(page)
    task = path_of(page)
    assert TASK_PATH.fullmatch(task), f"the follow-up was not added: {page.url}"
    step_up(page, wp_server, codes, username, panel_path)

    leaks: list[str] = []
    checked: list[str] = []
    for label, path in (
        ("contact panel", panel_path),
        ("follow-up", task),
        ("record", f"/people/{person}/"),
        ("rules page", f"/people/{person}/contact/rules/"),
        ("new follow-up", f"/people/{person}/follow-ups/new/"),
    ):
        response = page.goto(wp_server.url + path)
        assert response is not None and response.status == 200, f"{label}: {response and response.status}"
        assert path_of(page) == path, f"{label} sent the unassigned provider to {page.url}"
        html = body_text(page)
        leaks += [f"{label}: {what}" for what, text in secret_texts.items() if text in html]
        assert "5550142331" in html, f"{label}: the rules are not shown at all (the check would prove nothing)"
        if page.locator("main table.channels").count():
            cells = address_cells(page)
            assert cells["visit"] == "Hidden" and cells["post"] == "Hidden", f"{label}: {cells}"
        if path in (panel_path, task):
            rows = panel_rows(page)
            shown = [name for name in ("Safe word", "Danger word", "Where they are") if name in rows]
            assert not shown, f"{label}: rows for the secrets are shown to a provider who may not hold them: {rows}"
            assert "If they say it:" not in page.inner_text("section.before-call"), label
            assert page.locator("section.before-call a[href^='/confirm/']").count() == 0, (
                f"{label}: a provider who may not hold the secrets is offered to reveal them"
            )  # fmt: skip
            withheld = page.locator("section.before-call p.hint", has_text="shown only to their assigned staff")
            assert withheld.count() == 1, f"{label}: no word on why the secrets are not shown"
        if label == "rules page":
            fields = [f"rule_{n}" for n in ("safe_word", "safe_word_action", "danger_word", "danger_word_action",
                                            "whereabouts", "visit_address", "post_address")]  # fmt: skip
            present = [name for name in fields if page.locator(f"main form [name='{name}']").count()]
            assert not present, f"the rules page offers the secrets to a provider who may not hold them: {present}"
        guard(page, f"unassigned provider: {label}")
        checked.append(label)
    METRICS["contact: secrets shown to an unassigned provider after a step-up (pages checked)"] = (
        f"{len(leaks)} ({len(checked)})"
    )
    record_figures()
    assert not leaks, "secrets shown to a provider not assigned to the record:\n" + "\n".join(leaks)

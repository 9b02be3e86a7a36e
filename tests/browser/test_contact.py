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
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def save_rules(page: Any, server: LiveServer, codes: CodeBook, person: str, rules: dict[str, str]) -> None:
    """Change these rules on the rules page (confirmed in person) and save."""
    open_path(page, server, codes, f"/people/{person}/contact/rules/")
    for name, value in rules.items():
        set_rule(page, name, value)
    page.check("main form input[name=how][value=in_person]")
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
    """The "Last confirmed ..." line under "Before you call"."""
    return " ".join(page.locator("section.before-call > p.hint").first.inner_text().split())


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
        explain_confidentiality(page, wp_server, phone)
        page.goto(f"{wp_server.url}{phone}safety-check/")
        answer_question(page, "safe_to_talk", {"answer": "no"})
        submit(page)
        assert path_of(page) == f"{phone}not-safe-to-talk/", f"'no' must open the cover screen: {page.url}"
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
        entry = page.locator(f"ol.timeline li:has(a[href='{task}'])")
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
    })  # fmt: skip
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

        other = page.context.new_page()  # another tab of the same provider changes the rules meanwhile
        save_rules(other, wp_server, codes, person, {"identify_as": f"library {where} {tag}"})
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
        assert "By phone" not in confirmed_hint(page), f"{where}: the stale confirmation was recorded"
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

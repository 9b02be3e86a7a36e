"""The safety plan in the browser: started from an encounter with the interface in Spanish, a step
added by keyboard, a same-section conflict between two colleagues (HTTP 409, both texts kept), an
item with a contact, and a discreet PDF that holds only the chosen part and no identifying words or
metadata (checked with poppler-utils); "not safe to carry" leaves nothing to download; and axe-core
with Exit first in tab order on every plan page, in English and Spanish.

Each test makes its own record through the UI, so each gets a plan of its own (one plan per person).
provider.a and supervisor.a sign in once each for this module (see test_encounters)."""

from __future__ import annotations

import datetime
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import (
    METRICS,
    CodeBook,
    demo_person,
    press_and_wait,
    require_chromium,
    save_new_record,
    set_language,
    submit,
    tab_to,
)
from tests.browser.test_accessibility import Sweep
from tests.browser.test_encounters import path_of, reset_language, session_page, start_encounter
from tests.harness import LiveServer

require_chromium()
pytestmark = pytest.mark.browser

PLAN_PATH = re.compile(r"/plans/([0-9a-f-]{36})/")
PROVIDER = "provider.a"
SUPERVISOR = "supervisor.a"  # same organisation as provider.a (seed_demo)
POPPLER = ("pdftotext", "pdfinfo", "pdftoppm")


@pytest.fixture(scope="module")
def provider_session() -> dict[str, Any]:
    return {}


@pytest.fixture(scope="module")
def supervisor_session() -> dict[str, Any]:
    return {}


# --------------------------------------------------------------------------------------------------
# Small helpers


def new_record(page: Any, server: LiveServer, language: str = "es") -> str:
    """A fresh record in provider.a's organisation (so no plan exists yet); returns its id."""
    page.goto(f"{server.url}/people/new/")
    page.fill("#id_name", f"Prueba Plan {secrets.token_hex(3)}")
    page.fill("#id_date_of_birth", "1990-04-01")
    page.select_option("#id_preferred_language", language)
    save_new_record(page)  # a name sharing a word and the birth date with an earlier record: a new person
    match = re.fullmatch(r"/people/([0-9a-f-]{36})/", path_of(page))
    assert match, f"the record was not created: {page.url}"
    return match.group(1)


def plan_id_of(page: Any) -> str:
    match = PLAN_PATH.fullmatch(path_of(page))
    assert match, f"not on a plan page: {page.url}"
    return match.group(1)


def start_plan_from_record(page: Any, server: LiveServer, person_id: str) -> str:
    page.goto(f"{server.url}/people/{person_id}/plan/")
    submit(page)
    return plan_id_of(page)


def save_step(page: Any, server: LiveServer, plan: str, row: int, text: str, idea: str = "person") -> None:
    page.goto(f"{server.url}/plans/{plan}/domains/physical/")
    page.fill(f"#id_current-{row}-text", text)
    page.check(f"input[name='current-{row}-idea'][value={idea}]")
    submit(page)
    assert path_of(page) == f"/plans/{plan}/", f"the step was not saved: {page.url}"


def fill_immediate_help(page: Any, server: LiveServer, plan: str, name: str, number: str) -> None:
    page.goto(f"{server.url}/plans/{plan}/resources/immediate_help/")
    page.check("input[name=status][value=filled]")
    page.fill("#id_contact_0_name", name)
    page.fill("#id_contact_0_number", number)
    submit(page)
    assert path_of(page) == f"/plans/{plan}/", f"immediate help was not saved: {page.url}"


def record_carry(page: Any, server: LiveServer, plan: str, answer: str, sections: list[str]) -> None:
    page.goto(f"{server.url}/plans/{plan}/print/")
    page.check(f"input[name=carry][value={answer}]")
    for box in page.locator("main form input[name=sections]").all():
        if box.get_attribute("value") in sections:
            box.check()
        else:
            box.uncheck()
    with page.expect_navigation():
        page.click("main form:has(input[name=carry]) button[type=submit]")


def choose_to_remember(page: Any, items: list[str]) -> None:
    """On the memorise page: tick these items, show them, and find them in the large list."""
    for item in items:
        page.check(f"main input[name=items][value='{item}']")
    submit(page)
    assert page.locator("main ul.memorise-list li").count() == len(items), page.inner_text("main")


def run(*command: str) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


# --------------------------------------------------------------------------------------------------
# 1. From an encounter, in Spanish; a conflict; a discreet PDF


def test_plan_from_encounter_in_spanish_conflict_and_discreet_print(
    contexts: Any,
    wp_server: LiveServer,
    codes: CodeBook,
    provider_session: dict[str, Any],
    supervisor_session: dict[str, Any],
    tmp_path: Path,
) -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"PDF CHECKS NOT RUN: {', '.join(missing)} missing (apt-get install poppler-utils)")
    org_name = demo_person(wp_server, "Rosa")["org"]
    tag = secrets.token_hex(2)
    keyboard_step = f"Guardar el cargador en la cocina {tag}"
    first_text = f"Llevar la tarjeta del autobús {tag}"
    second_text = f"Dormir en casa de la vecina {tag}"
    contact = f"Tía Carmen {tag}"

    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    try:
        set_language(page, "es")
        person = new_record(page, wp_server)
        encounter = start_encounter(page, wp_server, person, "in_person")
        assert page.get_attribute("html", "lang") == "es"

        # The encounter's button posts the encounter id to the record's plan URL.
        start = page.locator(f"main form[action='/people/{person}/plan/']")
        assert start.count() == 1, "the encounter page offers to start a safety plan"
        assert start.locator("input[name=encounter]").get_attribute("value") in encounter
        label = start.locator("button").inner_text().strip()
        METRICS["plan: start button label in Spanish"] = label
        with page.expect_navigation():
            start.locator("button").click()
        plan = plan_id_of(page)
        assert page.get_attribute("html", "lang") == "es"
        page.goto(wp_server.url + encounter)
        assert page.locator(f"main a[href='/plans/{plan}/']").count() == 1, "the encounter now links to the plan"

        # A current physical step, by keyboard.
        page.goto(f"{wp_server.url}/plans/{plan}/")
        tab_to(page, f"main a[href='/plans/{plan}/domains/physical/']")
        press_and_wait(page, "Enter")
        assert path_of(page) == f"/plans/{plan}/domains/physical/"
        tab_to(page, "#id_current-0-text")
        page.keyboard.type(keyboard_step)
        tab_to(page, "input[name='current-0-idea']")
        page.keyboard.press("Space")
        assert page.is_checked("input[name='current-0-idea'][value=person]")
        tab_to(page, "main form button[type=submit]")
        press_and_wait(page, "Enter")
        assert path_of(page) == f"/plans/{plan}/", f"the keyboard step was not saved: {page.url}"
        assert keyboard_step in page.inner_text("main")

        # Two colleagues open the same domain and type different steps; the second save conflicts.
        domain = f"{wp_server.url}/plans/{plan}/domains/physical/"
        page.goto(domain)
        other = session_page(contexts, wp_server, codes, supervisor_session, SUPERVISOR)
        other.goto(domain)
        assert other.input_value("#id_current-0-text") == keyboard_step
        page.fill("#id_current-1-text", first_text)
        page.check("input[name='current-1-idea'][value=together]")
        other.fill("#id_current-1-text", second_text)
        other.check("input[name='current-1-idea'][value=person]")
        with page.expect_response(lambda r: r.request.method == "POST") as first_answer:
            submit(page)
        assert first_answer.value.status == 302, first_answer.value.status
        assert path_of(page) == f"/plans/{plan}/"
        with other.expect_response(lambda r: r.request.method == "POST") as second_answer:
            submit(other)
        assert second_answer.value.status == 409, second_answer.value.status
        assert path_of(other) == f"/plans/{plan}/domains/physical/"
        box = other.locator("#conflict")
        assert box.is_visible(), "the conflict box is shown"
        assert box.get_attribute("role") == "alert"
        assert first_text in box.inner_text(), f"the colleague's text is not in the conflict box: {box.inner_text()}"
        assert second_text not in box.inner_text()
        assert other.input_value("#id_current-1-text") == second_text, "the typed text is kept in the form"

        # Who to call right away, with a contact (not chosen for paper below).
        fill_immediate_help(page, wp_server, plan, contact, "555-0101")

        # Safe to carry, the physical domain only; a discreet PDF in Spanish.
        record_carry(page, wp_server, plan, "safe", ["domain:physical"])
        assert path_of(page) == f"/plans/{plan}/print/", f"recording 'safe' went to {page.url}"
        form = page.locator(f"main form[action='/plans/{plan}/print/plan/']")
        assert form.count() == 1, "the download form is offered after 'safe'"
        offered = [b.get_attribute("value") for b in form.locator("input[name=sections]").all()]
        assert offered == ["domain:physical"], offered
        form.locator("input[name=sections][value='domain:physical']").check()
        form.locator("input[name=layout][value=discreet]").check()
        form.locator("input[name=language][value=es]").check()
        with page.expect_download() as download_info:
            form.locator("button[type=submit]").click()
        download = download_info.value
        pdf = tmp_path / "download.pdf"
        download.save_as(pdf)
        assert pdf.read_bytes()[:5] == b"%PDF-", "the download is a PDF"
    finally:
        reset_language(page, wp_server)

    text = run("pdftotext", "-layout", str(pdf), "-")
    info = run("pdfinfo", str(pdf))
    run("pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "page"))
    METRICS["plan: discreet PDF text"] = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    METRICS["plan: discreet PDF info"] = " | ".join(line.strip() for line in info.splitlines() if line.strip())
    flat = " ".join(text.split())
    assert keyboard_step in flat and first_text in flat, f"the physical steps are not on the paper:\n{text}"
    assert second_text not in flat, "the unsaved step must not be printed"
    assert contact not in flat and "555-0101" not in flat, "a section that was not chosen was printed"
    for word in ("safety", "seguridad", "plan", org_name.lower()):
        assert word not in flat.lower(), f"the discreet paper says {word!r}:\n{text}"
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    for key in ("Author", "Creator", "Producer", "Subject", "Keywords", "CreationDate", "ModDate"):
        assert key not in fields, f"pdfinfo shows {key}: {fields[key]}"
    assert fields.get("Title") in {"Notas", "Notes"}, fields.get("Title")
    pngs = sorted(tmp_path.glob("page*.png"))
    assert pngs, "pdftoppm made no image"
    assert pngs[0].stat().st_size > 2000, f"the page image is suspiciously small: {pngs[0].stat().st_size} bytes"
    METRICS["plan: discreet PDF pages / first image bytes"] = f"{len(pngs)} / {pngs[0].stat().st_size}"


# --------------------------------------------------------------------------------------------------
# 2. Not safe to carry: nothing to download, and a forged POST gets no PDF


def test_not_safe_to_carry_leaves_no_download(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    set_language(page, "en")
    person = new_record(page, wp_server, "en")
    plan = start_plan_from_record(page, wp_server, person)
    step = f"Keep the charger in the kitchen {secrets.token_hex(2)}"
    save_step(page, wp_server, plan, 0, step)

    record_carry(page, wp_server, plan, "unsafe", [])
    assert path_of(page) == f"/plans/{plan}/memorise/", f"'not safe' went to {page.url}"
    choose_to_remember(page, ["hotline", "step:physical:0"])
    assert step in page.inner_text("main ul.memorise-list")

    page.goto(f"{wp_server.url}/plans/{plan}/print/")
    assert page.locator("form[action$='/print/plan/']").count() == 0, "no download form after 'not safe'"
    assert page.locator("form[action$='/print/card/']").count() == 0, "no card form after 'not safe'"
    token = page.input_value("main form input[name=csrfmiddlewaretoken]")
    answer = page.request.post(
        f"{wp_server.url}/plans/{plan}/print/plan/",
        form={"csrfmiddlewaretoken": token, "sections": "domain:physical", "layout": "plain", "language": "en"},
        headers={"Referer": f"{wp_server.url}/plans/{plan}/print/"},
    )
    assert answer.status == 409, f"a forged print POST answered {answer.status}"
    assert "application/pdf" not in answer.headers.get("content-type", "")
    assert not answer.body().startswith(b"%PDF")
    assert "attachment" not in answer.headers.get("content-disposition", "")


# --------------------------------------------------------------------------------------------------
# 3. axe-core and Exit first on every plan page, in English and Spanish


def test_axe_and_tab_order_on_plan_pages(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any]
) -> None:
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    set_language(page, "en")
    person = new_record(page, wp_server, "en")
    # A service in the ledger, so the services item has something to choose.
    page.goto(f"{wp_server.url}/people/{person}/services/")
    page.fill("#id_provider", "Legal Aid Office")
    page.fill("#id_service", "Immigration advice")
    page.fill("#id_started_on", datetime.date.today().isoformat())
    submit(page)
    assert path_of(page) == f"/people/{person}/services/", f"the service was not added: {page.url}"
    plan = start_plan_from_record(page, wp_server, person)
    save_step(page, wp_server, plan, 0, "Keep the charger in the kitchen")
    fill_immediate_help(page, wp_server, plan, "Aunt Carmen", "555-0102")
    page.goto(f"{wp_server.url}/plans/{plan}/memorise/")
    choose_to_remember(page, ["hotline", "contact:0", "step:physical:0"])  # the large list is shown too
    url = wp_server.url

    def go(path: str) -> Any:
        def opener() -> None:
            response = page.goto(url + path)
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            assert path_of(page) == path, f"{path} sent the browser to {page.url}"

        return opener

    def refused(path: str, fill: Any, shown: str) -> Any:
        def opener() -> None:
            page.goto(url + path)
            fill()
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                submit(page)
            assert answer.value.status == 400, f"{path}: POST answered {answer.value.status}"
            assert page.locator(shown).first.is_visible(), f"{path}: {shown} is not shown"

        return opener

    def step_without_idea() -> None:
        page.fill("#id_current-1-text", "A step nobody owns")

    before_carry = [("print, not asked", go(f"/plans/{plan}/print/"))]
    after_carry = [
        ("plan", go(f"/plans/{plan}/")),
        ("domain physical", go(f"/plans/{plan}/domains/physical/")),
        ("domain with errors", refused(f"/plans/{plan}/domains/physical/", step_without_idea, "#error-summary")),
        (
            "item with errors",
            refused(
                f"/plans/{plan}/resources/medications/",
                lambda: page.check("input[name=status][value=filled]"),
                "#id_status_error",
            ),
        ),
        *[(f"item {item}", go(f"/plans/{plan}/resources/{item}/"))
          for item in ("immediate_help", "permissions", "device", "services", "follow_up")],
        ("versions", go(f"/plans/{plan}/versions/")),
        ("compare", lambda: page.goto(f"{url}/plans/{plan}/compare/?a=1&b=2")),
        ("print, safe", go(f"/plans/{plan}/print/")),
        ("memorise", go(f"/plans/{plan}/memorise/")),
        ("services ledger", go(f"/people/{person}/services/")),
    ]  # fmt: skip
    sweep = Sweep()
    try:
        for language in ("en", "es"):
            page.goto(f"{url}/")
            set_language(page, language)
            for label, opener in before_carry:
                opener()
                sweep.check(page, f"plan {label}")
        record_carry(page, wp_server, plan, "safe", ["domain:physical", "resource:immediate_help"])
        assert path_of(page) == f"/plans/{plan}/print/"
        for language in ("en", "es"):
            page.goto(f"{url}/")
            set_language(page, language)
            for label, opener in after_carry:
                opener()
                assert page.get_attribute("html", "lang") == language
                if label == "compare":
                    assert urlsplit(page.url).path == f"/plans/{plan}/compare/"
                if label == "print, safe":
                    assert page.locator(f"form[action='/plans/{plan}/print/plan/']").count() == 1
                sweep.check(page, f"plan {label}")
    finally:
        reset_language(page, wp_server)
    METRICS["plan pages checked by axe"] = len(sweep.checked)
    METRICS["plan pages: axe violations"] = len(sweep.violations)
    sweep.report("plan pages")


# --------------------------------------------------------------------------------------------------
# 4. The safe word: typed once, read under its own label in both languages, never on paper


def test_safe_word_goes_from_the_device_item_to_the_plan_page_only(
    contexts: Any, wp_server: LiveServer, codes: CodeBook, provider_session: dict[str, Any], tmp_path: Path
) -> None:
    """Typed in the device item (right after sign-in, so the step-up is recent), the safe word is
    read back under "Safe word" on the plan page in English and Spanish, not under the battery plan
    typed beside it, and by the person's contact panel (the item edits the contact rules: one
    source); and it is not in a PDF of every section offered for paper."""
    if missing := [tool for tool in POPPLER if shutil.which(tool) is None]:
        pytest.skip(f"PDF CHECKS NOT RUN: {', '.join(missing)} missing (apt-get install poppler-utils)")
    page = session_page(contexts, wp_server, codes, provider_session, PROVIDER)
    try:
        set_language(page, "en")
        person = new_record(page, wp_server, "en")
        plan = start_plan_from_record(page, wp_server, person)
        word = f"sunflower{secrets.token_hex(2)}"
        battery = f"Charger at the library {secrets.token_hex(2)}"
        page.goto(f"{wp_server.url}/plans/{plan}/resources/device/")
        if path_of(page).startswith("/confirm/"):  # the session's step-up ran out: confirm, come back
            page.fill("#id_password", wp_server.logins[PROVIDER]["password"])
            page.fill("#id_code", codes.code(PROVIDER))
            submit(page)
        page.check("input[name=status][value=filled]")
        # The device item edits the person's contact rules (one source): the safe word and the battery
        # plan are rule fields.  Saving some rules confirms nothing (no "how it was confirmed" here).
        assert page.locator("input[name=rules_how]").count() == 0, "a plan item still asks how rules were confirmed"
        page.fill("input[name=rule_safe_word]", word)
        page.fill("textarea[name=rule_battery_plan]", battery)
        submit(page)
        assert path_of(page) == f"/plans/{plan}/", f"the device item was not saved: {page.url}"
        for language, label, other in (
            ("en", "Safe word", "Battery and charger plan"),
            ("es", "Palabra de seguridad", "Plan para la batería y el cargador"),
        ):
            set_language(page, language)
            labels = page.locator("main dl.summary dt").all_inner_texts()
            texts = page.locator("main dl.summary dd").all_inner_texts()
            rows = {dt.strip(): dd.strip() for dt, dd in zip(labels, texts, strict=True)}
            assert rows.get(label) == word, f"{language}: the safe word is not under its own label: {rows}"
            assert rows.get(other) == battery, f"{language}: the battery plan moved: {rows}"

        # One source: the contact panel reads the same safe word from the person's rules, under its label.
        set_language(page, "en")
        page.goto(f"{wp_server.url}/people/{person}/contact/")
        labels = page.locator("section.before-call dl.summary dt").all_inner_texts()
        texts = page.locator("section.before-call dl.summary dd").all_inner_texts()
        panel = {dt.strip(): dd.strip() for dt, dd in zip(labels, texts, strict=True)}
        assert panel.get("Safe word") == word, f"the contact panel does not read the plan's safe word: {panel}"
        # Two rules saved from a plan item are not a read-back of every rule: nothing was confirmed.
        assert page.locator("#rules-confirmed").count() == 0, page.inner_text("section.before-call")
        assert "never confirmed" in page.inner_text("#rules-stale"), page.inner_text("section.before-call")

        page.goto(f"{wp_server.url}/plans/{plan}/print/")
        every = [box.get_attribute("value") or "" for box in page.locator("main form input[name=sections]").all()]
        assert "resource:device" in every, every
        record_carry(page, wp_server, plan, "safe", every)
        form = page.locator(f"main form[action='/plans/{plan}/print/plan/']")
        for box in form.locator("input[name=sections]").all():
            box.check()
        with page.expect_download() as download_info:
            form.locator("button[type=submit]").click()
        pdf = tmp_path / "all.pdf"
        download_info.value.save_as(pdf)
        text = " ".join(run("pdftotext", "-layout", str(pdf), "-").split())
        assert word not in text, "the safe word is provider-only: never on paper"
    finally:
        reset_language(page, wp_server)

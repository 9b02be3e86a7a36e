"""Fixtures for the browser suite: one Waypoint server (subprocess, fresh database, demo data) and one
Chromium for the whole browser package (stopped when it is done, so Playwright's event loop never
meets the in-process Django tests that follow); a fresh, guarded browser context per test.

Every context routes any URL that is not this server to a stub answered inside the browser, so no
request leaves 127.0.0.1; a request to another origin is a failure unless it is the tab going to the
organisation's exit page after an exit.  CSP violations (console messages and
``securitypolicyviolation`` events) and script errors fail the test that caused them.

These tests never use pytest-django's database: the server has its own, so no django_db mark and no
DJANGO_ALLOW_ASYNC_UNSAFE (which would also leak into `check --deploy` subprocesses)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import (
    CHROMIUM,
    LAUNCH_ARGS,
    METRICS,
    CodeBook,
    ContextState,
    Monitor,
    guard_context,
)
from tests.harness import LiveServer, make_server

SUITE = Monitor()  # everything seen across the whole session
LAST = "test_no_csp_violations_in_the_whole_suite"


RUN_LATE = ("test_contact.py",)  # make many records assigned to provider.a (see below)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """The contact tests run after the other browser modules: the records they make (assigned to
    provider.a, so the newest on the home page's list of ten) would push the demo records that the
    keyboard flows of test_encounters walk to from the home page off that list.  The suite-wide CSP
    check runs after every other browser test."""
    here = str(Path(__file__).parent)
    late = [item for item in items if item.path.name in RUN_LATE and str(item.path).startswith(here)]
    if late:
        rest = [item for item in items if item not in late]
        ours = [i for i, other in enumerate(rest) if str(other.path).startswith(here)]
        at = ours[-1] + 1 if ours else len(rest)
        items[:] = rest[:at] + late + rest[at:]
    for item in [item for item in items if item.name == LAST]:
        items.remove(item)
        ours = [i for i, other in enumerate(items) if str(other.path).startswith(here)]
        items.insert(ours[-1] + 1 if ours else len(items), item)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not METRICS and not SUITE.pages_seen:
        return
    terminalreporter.section("Waypoint browser figures")
    for key, value in METRICS.items():
        terminalreporter.write_line(f"{key}: {value}")
    terminalreporter.write_line(f"pages opened: {SUITE.pages_seen}")
    terminalreporter.write_line(f"CSP violations: {len(SUITE.csp)}")
    terminalreporter.write_line(f"requests to other origins (not the exit page): {len(SUITE.external)}")
    for problem in SUITE.problems()[:20]:
        terminalreporter.write_line(f"  {problem}")


@pytest.fixture(scope="package")
def wp_server() -> Iterator[LiveServer]:
    if not CHROMIUM.exists():
        pytest.skip(f"BROWSER TESTS NOT RUN: {CHROMIUM} is missing")
    server = make_server()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def codes(wp_server: LiveServer) -> CodeBook:
    return CodeBook(wp_server)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Contexts:
    """Makes guarded browser contexts for one test and closes them afterwards."""

    def __init__(self, browser: Any, server: LiveServer, monitor: Monitor) -> None:
        self.browser = browser
        self.server = server
        self.monitor = monitor
        self.opened: list[Any] = []
        self.states: dict[int, ContextState] = {}

    def new(self, monitor: Monitor | None = None, **options: Any) -> tuple[Any, ContextState]:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "en-GB")
        options.setdefault("service_workers", "block")
        context = self.browser.new_context(**options)
        context.set_default_timeout(10_000)
        state = guard_context(context, self.server, monitor or self.monitor)
        self.opened.append(context)
        return context, state

    def page(self, **options: Any) -> tuple[Any, ContextState]:
        context, state = self.new(**options)
        return context.new_page(), state

    def close(self) -> None:
        for context in self.opened:
            try:
                context.close()
            except Exception:  # noqa: S112 (already closed by the test)
                continue


@pytest.fixture
def contexts(browser: Any, wp_server: LiveServer) -> Iterator[Contexts]:
    monitor = Monitor()
    made = Contexts(browser, wp_server, monitor)
    try:
        yield made
    finally:
        made.close()
        SUITE.external += monitor.external
        SUITE.csp += monitor.csp
        SUITE.page_errors += monitor.page_errors
        SUITE.pages_seen += monitor.pages_seen
    problems = monitor.problems()
    assert not problems, "The pages of this test did something they must not:\n" + "\n".join(problems)


@pytest.fixture
def suite_monitor() -> Monitor:
    return SUITE


@pytest.fixture
def new_page(contexts: Contexts) -> Callable[..., tuple[Any, ContextState]]:
    return contexts.page

"""Quick exit in Chromium: from the click on Exit to the page blanking itself and the next frame.

Chromium via Playwright (Debian's /usr/bin/chromium, never a downloaded browser), each run signing
in through the form and opening a person page; a probe added with ``page.evaluate`` records the
click event's ``timeStamp``, the ``wp-exit-blank`` mark that static/waypoint.js sets after
blanking, that ``body`` is ``display: none``, and ``performance.now()`` in the next animation frame.
The exit destination is answered by a local stub inside the browser; any other off-machine request
is aborted."""

from __future__ import annotations

import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

from tests.browser.helpers import CHROMIUM as BROWSER
from tests.browser.helpers import LAUNCH_ARGS
from waypoint_bench.common import READERS, Run, pcts
from waypoint_bench.servers import BenchServer
from waypoint_bench.sessions import PERSON_HREF, code_wait, fresh_code

CHROMIUM = str(BROWSER)  # the same Chromium, with the same flags, as the browser tests
CHROMIUM_ARGS = LAUNCH_ARGS
EXIT_STUB = "<!doctype html><html lang=en><title>Weather</title><p>Local stand-in for the exit page.</p></html>"

# Added after static/waypoint.js has bound its own submit handler, so it runs right after quickExit():
# it reads the "wp-exit-blank" mark, checks the body is hidden, and waits for the next frame.
INSTALL_PROBE = """() => {
  const out = {};
  const send = () => window.__wpBenchReport(out);
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("#quick-exit")) { out.click = event.timeStamp; }
  }, {capture: true});
  const form = document.getElementById("quick-exit-form");
  if (!form) { return false; }
  form.addEventListener("submit", () => {
    out.after_handler = performance.now();
    const marks = performance.getEntriesByName("wp-exit-blank", "mark");
    out.blank = marks.length ? marks[marks.length - 1].startTime : null;
    out.body_display = getComputedStyle(document.body).display;
    send();
    requestAnimationFrame((frameTime) => { out.raf = performance.now(); out.raf_frame_time = frameTime; send(); });
  });
  return true;
}"""


def quick_exit(run: Run, server: BenchServer, repeats: int) -> dict[str, Any]:
    print(f"\n== quick exit in Chromium ({repeats} runs)", flush=True)
    if not Path(CHROMIUM).exists():
        run.flag(f"quick exit not measured: {CHROMIUM} is missing (apt-get install chromium)")
        return {"measured": False}
    from playwright.sync_api import sync_playwright

    samples: list[dict[str, Any]] = []
    outside: list[str] = []
    server.restart(1, 4)
    base = server.url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            people: dict[str, str] = {}
            for i in range(repeats):
                run.check_deadline()
                username = min(READERS, key=lambda u: (code_wait(server, u), READERS.index(u)))
                sample = _one_exit(browser, server, base, username, people, outside)
                sample["user"] = username
                samples.append(sample)
                shown = {k: sample.get(k) for k in ("to_blank_ms", "to_raf_ms")}
                print(f"  run {i + 1:2d} {username:<13} {shown}", flush=True)
        finally:
            browser.close()
        version = _chromium_version()
    bad = [s for s in samples if not s.get("ok")]
    for s in bad:
        run.flag(f"quick exit run by {s['user']}: {s.get('problem')}")
    unexpected = [u for u in outside if not u.startswith("https://www.bbc.com/")]
    if unexpected:
        run.notes.append(f"quick exit: {len(unexpected)} other off-machine requests were aborted: {unexpected[:5]}")
    good = [s for s in samples if s.get("ok")]
    return {
        "measured": True,
        "chromium": version,
        "runs": len(samples),
        "valid_runs": len(good),
        "to_blank_ms": pcts([s["to_blank_ms"] for s in good]),
        "to_raf_ms": pcts([s["to_raf_ms"] for s in good if s.get("to_raf_ms") is not None]),
        "samples": samples,
        "stubbed_requests": len(outside) - len(unexpected),
    }


def _one_exit(
    browser: Any, server: BenchServer, base: str, username: str, people: dict[str, str], outside: list[str]
) -> dict[str, Any]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    report: dict[str, Any] = {}

    def off_machine(route: Any) -> None:
        outside.append(route.request.url)
        if route.request.url.startswith("https://www.bbc.com/"):
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=EXIT_STUB)
        else:
            route.abort()

    context.route(lambda url: not url.startswith(base + "/"), off_machine)
    try:
        page = context.new_page()
        page.expose_function("__wpBenchReport", lambda data: report.update(data))
        page.goto(base + "/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", server.logins[username]["password"])
        page.press("#id_password", "Enter")
        page.wait_for_url(base + "/login/code/")
        page.fill("#id_code", fresh_code(server, username))
        page.press("#id_code", "Enter")
        page.wait_for_url(lambda url: urllib.parse.urlsplit(url).path not in {"/login/", "/login/code/"})
        org = server.logins[username]["org_key"]
        if org not in people:
            page.goto(base + "/people/")
            match = PERSON_HREF.search(page.content())
            if not match:
                return {"ok": False, "problem": "no person link on /people/ after signing in"}
            people[org] = match.group(1)
        page.goto(base + people[org], wait_until="load")
        if not page.evaluate(INSTALL_PROBE):
            return {"ok": False, "problem": "no #quick-exit-form on the person page"}
        page.click("button#quick-exit")
        deadline = time.time() + 5
        while "raf" not in report and time.time() < deadline:
            page.wait_for_timeout(25)
        try:
            page.wait_for_url("https://www.bbc.com/**", timeout=5_000)
            landed = True
        except Exception:
            landed = False
    except Exception as error:  # a browser step failed: flag this run, carry on with the next
        return {"ok": False, "problem": f"{type(error).__name__}: {str(error).splitlines()[0]}"}
    finally:
        context.close()
    sample: dict[str, Any] = {"raw": report, "landed_on_exit_page": landed}
    if report.get("click") is None or report.get("blank") is None:
        return {**sample, "ok": False, "problem": f"no click time or no wp-exit-blank mark: {report}"}
    sample["to_blank_ms"] = report["blank"] - report["click"]
    sample["to_raf_ms"] = report["raf"] - report["click"] if report.get("raf") is not None else None
    problems = []
    if report.get("body_display") != "none":
        problems.append(f"body display was {report.get('body_display')!r} after the exit handler")
    if sample["to_raf_ms"] is None:
        problems.append("no animation frame within 5 s of blanking")
    if not landed:
        problems.append("did not reach the exit page")
    return {**sample, "ok": not problems, "problem": "; ".join(problems)}


def _chromium_version() -> str:
    try:
        done = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20, check=False)
        return done.stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"

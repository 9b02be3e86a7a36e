"""Waypoint benchmarks: throughput and latency under load, bytes per page, quick-exit time to blank.

Run with ``make bench`` (or ``.venv/bin/python bench/run.py --help``).  Prints a table and writes
bench/results/latest.json.  Nothing here asserts performance: the targets from the developers'
guide are shown next to each figure, and a measurement that is not trustworthy (errors, unexpected
status codes, a browser step that failed) is flagged and makes the exit status 1.

Everything runs against 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import http.client
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from tests.harness import LiveServer, free_port, gunicorn_command, make_server  # noqa: E402

WRK = "/usr/bin/wrk"
RESULTS = BENCH / "results"
HTTP_TIMEOUT = 15  # seconds, every single HTTP request made here
RUN_DEADLINE = 30 * 60  # seconds: the whole run gives up (flagged) after this

# Targets from the developers' guide (shown, never asserted).
TARGET_RATIO = 0.5
TARGET_P95_MS = 100.0
TARGET_PAGE_BYTES = 50 * 1024

READERS = ["provider.a", "supervisor.a", "provider.b", "supervisor.b"]
LOAD_USER = "provider.a"
UUID_HREF = re.compile(r'href="(/people/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)"')
TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class BenchError(RuntimeError):
    pass


@dataclass
class Run:
    """Everything measured, and every problem met, in one invocation."""

    started: float = field(default_factory=time.time)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def flag(self, message: str) -> None:
        print(f"  !! {message}", flush=True)
        self.flags.append(message)

    def check_deadline(self) -> None:
        if time.time() - self.started > RUN_DEADLINE:
            raise BenchError(f"the run took longer than {RUN_DEADLINE} s and was stopped")


# --- TOTP codes and signing in over HTTP --------------------------------------------------------


def fresh_code(server: LiveServer, username: str) -> str:
    """``server.code_for`` with a guard: when the user's next unused step is two ahead of now,
    wait for the next 30-second step first (code_for would otherwise hand back a used code)."""
    for _ in range(3):
        last = server.used_steps.get(username, 0)
        now_step = int(time.time()) // 30
        if last <= now_step:
            break
        time.sleep(30 - time.time() % 30 + 0.5)
    return server.code_for(username)


def code_wait(server: LiveServer, username: str) -> float:
    """Seconds ``fresh_code`` would sleep for this user now (0 when a code is available)."""
    last = server.used_steps.get(username, 0)
    return 0.0 if last <= int(time.time()) // 30 else 30 - time.time() % 30 + 0.5


class Session:
    """A cookie jar and urllib opener for one signed-in (or anonymous) visitor."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str, str]:
        with self.opener.open(self.base + path, timeout=HTTP_TIMEOUT) as response:
            return response.status, response.geturl(), response.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        request.add_header("Referer", self.base + path)
        with self.opener.open(request, timeout=HTTP_TIMEOUT) as response:
            return response.status, response.geturl(), response.read().decode()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def token_in(html: str) -> str:
    match = TOKEN_INPUT.search(html)
    if not match:
        raise BenchError("no csrfmiddlewaretoken in the form")
    return match.group(1)


def sign_in_http(server: LiveServer, username: str) -> Session:
    session = Session(server.url)
    _status, _url, html = session.get("/login/")
    if session.cookie("wp_csrf") is None:
        raise BenchError("GET /login/ set no wp_csrf cookie")
    password = server.logins[username]["password"]
    _status, url, html = session.post(
        "/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token_in(html)}
    )
    if not url.endswith("/login/code/"):
        raise BenchError(f"password step for {username} ended at {url}, not /login/code/")
    _status, url, html = session.post(
        "/login/code/", {"code": fresh_code(server, username), "csrfmiddlewaretoken": token_in(html)}
    )
    if "/login/" in urllib.parse.urlsplit(url).path or session.cookie("wp_session") is None:
        raise BenchError(f"code step for {username} ended at {url} without a session")
    return session


def first_person_path(session: Session) -> str:
    status, _url, html = session.get("/people/")
    match = UUID_HREF.search(html)
    if status != 200 or not match:
        raise BenchError("no person link on /people/")
    return match.group(1)


def plan_path(session: Session) -> str:
    """The demo data gives the first person of each organisation a started safety plan."""
    _status, _url, html = session.get("/people/")
    for person in UUID_HREF.findall(html):
        status, url, _html = session.get(person + "plan/")
        path = urllib.parse.urlsplit(url).path
        if status == 200 and path.startswith("/plans/"):
            return path
    raise BenchError("no demo person has a safety plan")


# --- Load: gunicorn + wrk ------------------------------------------------------------------------


def gunicorn_args(workers: int, threads: int, port: int) -> list[str]:
    """The same command tests/harness.py uses for Waypoint, for the bare app."""
    return gunicorn_command("bare_app:application", port, workers, threads, "--pythonpath", str(BENCH))


class BareServer:
    def __init__(self, workers: int, threads: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYPOINT_", "DJANGO_", "DATABASE_URL"))}
        self.process = subprocess.Popen(gunicorn_args(workers, threads, self.port), env=env, cwd=BENCH)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise BenchError("the bare Django app did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def wrk(url: str, cookie: str | None, args: argparse.Namespace, duration: int) -> dict[str, Any]:
    command = [
        WRK,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        f"{args.wrk_timeout}s",
        "-s",
        str(BENCH / "report.lua"),
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        first = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[0]
        raise BenchError(f"wrk failed (exit {done.returncode}): {first}")
    result: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", done.stdout)
    result["non_2xx_3xx"] = int(non2xx.group(1)) if non2xx else 0
    result["socket_errors"] = [int(x) for x in sockets.groups()] if sockets else [0, 0, 0, 0]
    result["wrk_text"] = done.stdout.replace(line, "").strip()
    return result


def settle(run: Run, url: str, cookie: str | None, quick_ms: float = 100, limit_s: float = 60) -> float:
    """Wait until the server has finished the requests left over from the previous wrk run (wrk
    stops waiting for answers when its time is up, but gunicorn still works through them, and a
    new run would start behind that backlog).  Idle means three answers in a row within quick_ms."""
    started = time.monotonic()
    parts = urllib.parse.urlsplit(url)
    quick = 0
    for _ in range(10_000):
        if quick >= 3:
            break
        if time.monotonic() - started > limit_s:
            run.flag(f"{parts.path}: server still busy {limit_s:g} s after the previous run")
            break
        t = time.monotonic()
        fetch_raw(f"{parts.scheme}://{parts.netloc}", parts.path, cookie, "identity")
        quick = quick + 1 if (time.monotonic() - t) * 1000 < quick_ms else 0
        if not quick:
            time.sleep(0.2)
    return round(time.monotonic() - started, 2)


def judge_load(run: Run, label: str, result: dict[str, Any]) -> None:
    """A run with any error or any status other than 200 is flagged: its figures are not comparable."""
    problems = []
    if result["non_2xx_3xx"]:
        problems.append(f"{result['non_2xx_3xx']} non-2xx/3xx responses")
    if any(result["socket_errors"]):
        problems.append("socket errors connect/read/write/timeout = {}/{}/{}/{}".format(*result["socket_errors"]))
    other = {code: n for code, n in result["statuses"].items() if code != "200"}
    if other:
        problems.append(f"status codes other than 200: {other}")
    if result["requests"] == 0:
        problems.append("no requests completed")
    result["valid"] = not problems
    result["problems"] = problems
    if problems:
        run.flag(f"{label}: " + "; ".join(problems))


def load_config(run: Run, workers: int, threads: int, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== gunicorn gthread {workers} workers x {threads} threads", flush=True)
    server = make_server()
    bare: BareServer | None = None
    out: dict[str, Any] = {"workers": workers, "threads": threads, "targets": {}}
    try:
        server.start(workers=workers, threads=threads)
        session = sign_in_http(server, LOAD_USER)
        person = first_person_path(session)
        plan = plan_path(session)
        anonymous = Session(server.url)
        anonymous.get("/login/")
        bare = BareServer(workers, threads)
        targets = [
            ("people_list", "/people/ (list)", server.url + "/people/", session.cookie_header()),
            ("person_page", "/people/<id>/", server.url + person, session.cookie_header()),
            ("plan_page", "/plans/<id>/ (plan)", server.url + plan, session.cookie_header()),
            ("login_anon", "/login/ (anonymous)", server.url + "/login/", anonymous.cookie_header()),
            ("bare", "bare Django (ceiling)", bare.url + "/", None),
        ]
        for key, label, url, cookie in targets:
            run.check_deadline()
            if args.warmup > 0:
                settle(run, url, cookie)
                wrk(url, cookie, args, args.warmup)  # loads code and templates in every worker; not recorded
            settled = settle(run, url, cookie)
            result = wrk(url, cookie, args, args.duration)
            result["settle_s"] = settled
            result["label"] = label
            result["path"] = urllib.parse.urlsplit(url).path
            judge_load(run, f"{workers}x{threads} {label}", result)
            out["targets"][key] = result
            lat = result["latency_ms"]
            print(
                f"  {label:<24} {result['rps']:8.1f} rps  p50 {lat['p50']:7.1f} ms  p95 {lat['p95']:7.1f} ms"
                f"  p99 {lat['p99']:7.1f} ms  non-2xx {result['non_2xx_3xx']}",
                flush=True,
            )
        # Still signed in afterwards?  (A 302 to /login/ during the run would also show in the statuses.)
        status, url, _html = session.get("/people/")
        if status != 200 or "/login/" in url:
            run.flag(f"{workers}x{threads}: the load-test session was signed out during the run")
        out["audit_rows"] = audit_rows(server)
    finally:
        if bare is not None:
            bare.stop()
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
    bare_rps = out["targets"]["bare"]["rps"]
    for key in ("people_list", "person_page", "plan_page", "login_anon"):
        result = out["targets"][key]
        result["ratio_to_bare"] = result["rps"] / bare_rps if bare_rps else 0.0
    rps = [out["targets"][k]["rps"] for k in ("people_list", "person_page", "plan_page", "login_anon")]
    out["geomean_rps"] = math.prod(rps) ** (1 / len(rps)) if all(rps) else 0.0
    return out


def audit_rows(server: LiveServer) -> int | None:
    """Rows in the audit table after the run (each person-page and plan-page read appends one)."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM core_auditevent").fetchone()[0])
    except sqlite3.Error:
        return None


# --- Bytes per page --------------------------------------------------------------------------------


class Subresources(HTMLParser):
    """Same-origin stylesheets, scripts and images a browser would fetch for a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        url = ""
        if tag == "link" and {"stylesheet", "icon", "preload", "modulepreload"} & set(a.get("rel", "").split()):
            url = a.get("href", "")
        elif tag in {"script", "img"}:
            url = a.get("src", "")
        if url and not url.startswith("data:") and url not in self.urls:
            self.urls.append(url)


def fetch_raw(base: str, path: str, cookie: str | None, accept_encoding: str) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=HTTP_TIMEOUT)
    headers = {"Accept-Encoding": accept_encoding, "Accept": "*/*", "User-Agent": "waypoint-bench"}
    if cookie:
        headers["Cookie"] = cookie
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        wire = response.read()  # http.client does not decode Content-Encoding: these are wire bytes
        header_bytes = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
        encoding = response.getheader("Content-Encoding") or ""
        body = gzip.decompress(wire) if encoding == "gzip" else wire
        return {
            "status": response.status,
            "wire_bytes": len(wire),
            "header_bytes": header_bytes,
            "decoded_bytes": len(body),
            "content_encoding": encoding or "none",
            "content_type": response.getheader("Content-Type") or "",
            "body": body,
        }
    finally:
        connection.close()


def page_bytes(run: Run, base: str, path: str, cookie: str | None) -> dict[str, Any]:
    """One GET per file, as a browser sending ``Accept-Encoding: gzip`` makes it: the HTML, then each
    stylesheet, script and image it links (no cache, so this is a first visit)."""
    page = fetch_raw(base, path, cookie, "gzip")
    if page["status"] != 200:
        run.flag(f"bytes {path}: status {page['status']}")
    parser = Subresources()
    parser.feed(page["body"].decode("utf-8", "replace"))
    files = [{"url": path, "kind": "html", **_sizes(page)}]
    for url in parser.urls:
        if urllib.parse.urlsplit(url).netloc:
            run.flag(f"bytes {path}: cross-origin subresource {url} not counted")
            continue
        sub = fetch_raw(base, url, cookie, "gzip")
        if sub["status"] != 200:
            run.flag(f"bytes {path}: {url} answered {sub['status']}")
        kind = "css" if url.endswith(".css") else "js" if url.endswith(".js") else "other"
        files.append({"url": url, "kind": kind, **_sizes(sub)})
    total = {k: sum(f[k] for f in files) for k in ("uncompressed", "served", "gzip_possible", "headers")}
    return {"path": path, "files": files, **total}


def _sizes(response: dict[str, Any]) -> dict[str, Any]:
    return {
        "uncompressed": response["decoded_bytes"],
        "served": response["wire_bytes"],  # the body bytes on the wire, compressed or not
        "served_encoding": response["content_encoding"],
        "gzip_possible": len(gzip.compress(response["body"], compresslevel=6, mtime=0)),
        "headers": response["header_bytes"],
    }


def measure_bytes(run: Run) -> dict[str, Any]:
    print("\n== bytes per page", flush=True)
    server = make_server()
    try:
        server.start(workers=1, threads=2)
        session = sign_in_http(server, LOAD_USER)
        person = first_person_path(session)
        plan = plan_path(session)
        anonymous = Session(server.url)
        anonymous.get("/login/")
        pages = {
            "people_list": page_bytes(run, server.url, "/people/", session.cookie_header()),
            "person_page": page_bytes(run, server.url, person, session.cookie_header()),
            "plan_page": page_bytes(run, server.url, plan, session.cookie_header()),
            "login_anon": page_bytes(run, server.url, "/login/", anonymous.cookie_header()),
        }
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
    encodings = {f["served_encoding"] for p in pages.values() for f in p["files"]}
    compressed = encodings != {"none"}
    for key, page in pages.items():
        page["transferred"] = page["served"]
        print(
            f"  {key:<12} uncompressed {page['uncompressed']:6d} B  served {page['served']:6d} B"
            f"  (gzip would be {page['gzip_possible']} B)",
            flush=True,
        )
    return {"pages": pages, "app_compresses": compressed, "encodings_seen": sorted(encodings)}


# --- PDF rendering ------------------------------------------------------------------------------

PDF_REPEATS = 20
PREFERRED_SECTION = "domain:communication"  # what the demo plan has; any offered section will do


class Checkboxes(HTMLParser):
    """The values of the checkboxes with one name, in page order."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "checkbox" and a.get("name") == self.name:
            if a.get("value") and a["value"] not in self.values:
                self.values.append(a["value"])


def _post_timed(session: Session, path: str, data: dict[str, str]) -> dict[str, Any]:
    """One POST through the signed-in session, timed from before the request is sent until the
    whole answer is read.  A refusal (4xx/5xx) is returned, not raised, so it can be flagged."""
    body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(session.base + path, data=body, method="POST")
    request.add_header("Referer", session.base + path)
    started = time.perf_counter()
    try:
        with session.opener.open(request, timeout=HTTP_TIMEOUT) as response:
            payload = response.read()
            status, url, content_type = response.status, response.geturl(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        payload = error.read()
        status, url, content_type = error.code, error.geturl(), error.headers.get("Content-Type", "")
    ms = (time.perf_counter() - started) * 1000
    return {"ms": ms, "status": status, "url": url, "content_type": content_type or "", "body": payload}


def measure_pdf(run: Run, repeats: int = PDF_REPEATS) -> dict[str, Any]:
    """The discreet Spanish plan PDF and the English wallet card, each POSTed ``repeats`` times over
    HTTP to a fresh one-worker server, signed in as LOAD_USER, right after recording "safe to carry"
    (a "safe" answer allows printing for one hour).  Every answer must be a 200 PDF."""
    print(f"\n== PDF rendering ({repeats} of each)", flush=True)
    server = make_server()
    documents: dict[str, Any] = {}
    out: dict[str, Any] = {"documents": documents}
    try:
        server.start(workers=1, threads=2)
        session = sign_in_http(server, LOAD_USER)
        plan = plan_path(session)
        out["plan"] = plan
        status, _url, html = session.get(plan + "print/")
        parser = Checkboxes("sections")
        parser.feed(html)
        if status != 200 or not parser.values:
            raise BenchError(f"GET {plan}print/ answered {status} with no sections to print")
        sections = PREFERRED_SECTION if PREFERRED_SECTION in parser.values else parser.values[0]
        out["sections"] = sections
        # Record "safe to carry" right before timing: the answer lasts one hour.
        recorded = _post_timed(
            session, plan + "print/", {"csrfmiddlewaretoken": token_in(html), "carry": "safe", "sections": sections}
        )
        if recorded["status"] != 200 or urllib.parse.urlsplit(recorded["url"]).path != plan + "print/":
            raise BenchError(f"recording 'safe to carry' answered {recorded['status']} at {recorded['url']}")
        html = recorded["body"].decode("utf-8", "replace")
        if plan + "print/plan/" not in html:
            raise BenchError("after recording 'safe to carry' the print page offers no plan PDF")
        token = token_in(html)
        kinds = {
            "plan": (plan + "print/plan/", {"sections": sections, "layout": "discreet", "language": "es"}),
            "card": (plan + "print/card/", {"language": "en"}),
        }
        for kind, (path, data) in kinds.items():
            run.check_deadline()
            times: list[float] = []
            sizes: list[int] = []
            bad: list[str] = []
            for _ in range(repeats):
                answer = _post_timed(session, path, {"csrfmiddlewaretoken": token, **data})
                media = answer["content_type"].split(";")[0].strip()
                if answer["status"] != 200 or media != "application/pdf" or not answer["body"].startswith(b"%PDF"):
                    bad.append(f"{answer['status']} {media or 'no Content-Type'} {answer['body'][:8]!r}")
                    continue
                times.append(answer["ms"])
                sizes.append(len(answer["body"]))
            if bad:
                run.flag(f"pdf {kind}: {len(bad)}/{repeats} answers were not a PDF (first: {bad[0]})")
            documents[kind] = {
                "path": path,
                "form": {k: v for k, v in data.items()},
                "runs": repeats,
                "valid_runs": len(times),
                "ms": _pcts(times),
                "bytes": max(sizes) if sizes else 0,
                "bytes_min": min(sizes) if sizes else 0,
                "samples_ms": [round(t, 2) for t in times],
            }
            p = documents[kind]["ms"]
            if times:
                print(
                    f"  {kind:<5} p50 {p['p50']:.1f} ms  p95 {p['p95']:.1f} ms  max {p['max']:.1f} ms"
                    f"  size {documents[kind]['bytes']} B  ({len(times)}/{repeats} PDFs)",
                    flush=True,
                )
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
    return out


# --- Quick exit in Chromium ------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
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


def quick_exit(run: Run, repeats: int) -> dict[str, Any]:
    print(f"\n== quick exit in Chromium ({repeats} runs)", flush=True)
    if not Path(CHROMIUM).exists():
        run.flag(f"quick exit not measured: {CHROMIUM} is missing (apt-get install chromium)")
        return {"measured": False}
    from playwright.sync_api import sync_playwright

    server = make_server()
    samples: list[dict[str, Any]] = []
    outside: list[str] = []
    try:
        server.start(workers=1, threads=4)
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
    finally:
        server.stop()
        shutil.rmtree(server.data_dir, ignore_errors=True)
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
        "to_blank_ms": _pcts([s["to_blank_ms"] for s in good]),
        "to_raf_ms": _pcts([s["to_raf_ms"] for s in good if s.get("to_raf_ms") is not None]),
        "samples": samples,
        "stubbed_requests": len(outside) - len(unexpected),
    }


def _one_exit(
    browser: Any, server: LiveServer, base: str, username: str, people: dict[str, str], outside: list[str]
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
            match = UUID_HREF.search(page.content())
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


def _pcts(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None, "n": 0}
    ordered = sorted(values)

    def pct(p: float) -> float:  # nearest-rank
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"p50": pct(50), "p95": pct(95), "max": ordered[-1], "n": len(ordered)}


# --- Report ----------------------------------------------------------------------------------------


def table(results: dict[str, Any], args: argparse.Namespace) -> str:
    lines: list[str] = []
    add = lines.append
    env = results["environment"]
    add("")
    add(f"Waypoint benchmark  {results['finished']}  ({env['cpus']} CPUs, Python {env['python']}, {env['wrk']})")
    load = results.get("load")
    if load:
        best = load["best"]
        add(
            f"Load: wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency --timeout {args.wrk_timeout}s, "
            f"gunicorn gthread; best config {best} (by geometric mean of Waypoint rps)"
        )
        add("")
        head = f"{'config':<7} {'page':<24} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'non2xx':>7} {'ratio':>6}  targets"
        add(head)
        add("-" * len(head))
        for config in load["configs"]:
            name = f"{config['workers']}x{config['threads']}"
            for key, r in config["targets"].items():
                lat = r["latency_ms"]
                ratio = r.get("ratio_to_bare")
                verdicts = []
                if key != "bare" and r["valid"]:
                    verdicts.append("ratio ok" if ratio >= TARGET_RATIO else "RATIO LOW")
                    verdicts.append("p95 ok" if lat["p95"] < TARGET_P95_MS else "P95 HIGH")
                if not r["valid"]:
                    verdicts.append("FLAGGED: " + "; ".join(r["problems"]))
                mark = "*" if name == best else " "
                add(
                    f"{name + mark:<7} {r['label']:<24} {r['rps']:8.1f} {lat['p50']:8.1f} {lat['p95']:8.1f}"
                    f" {lat['p99']:8.1f} {r['non_2xx_3xx']:7d} {'' if ratio is None else f'{ratio:.2f}':>6}"
                    f"  {', '.join(verdicts)}"
                )
        add(
            f"(* = best config; ratio = page rps / bare rps, target >= {TARGET_RATIO}; p95 target < {TARGET_P95_MS:g} ms)"
        )
    sizes = results.get("bytes")
    if sizes:
        add("")
        how = (
            "the app compresses (served = gzip)"
            if sizes["app_compresses"]
            else "the app sends no Content-Encoding, even to Accept-Encoding: gzip, so transferred = uncompressed"
        )
        add(f"Bytes per page (HTML + its CSS and JS, response bodies): {how}")
        head = f"{'page':<22} {'html':>7} {'css+js':>7} {'transferred':>12} {'gzip would be':>14} {'+headers':>9}  target < 50 KB"
        add(head)
        add("-" * len(head))
        for _key, page in sizes["pages"].items():
            html = sum(f["served"] for f in page["files"] if f["kind"] == "html")
            rest = page["served"] - html
            verdict = "ok" if page["transferred"] < TARGET_PAGE_BYTES else "OVER"
            add(
                f"{page['path'][:22]:<22} {html:7d} {rest:7d} {page['transferred']:12d} {page['gzip_possible']:14d}"
                f" {page['headers']:9d}  {verdict} ({page['transferred'] / 1024:.1f} KB)"
            )
    pdf = results.get("pdf")
    if pdf and pdf.get("documents"):
        add("")
        add(
            f"PDF rendering (server, end to end): POST over HTTP to one gunicorn worker as {LOAD_USER},"
            f" section {pdf.get('sections')}"
        )
        head = f"{'document':<34} {'PDFs':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes':>8}"
        add(head)
        add("-" * len(head))
        labels = {"plan": "plan (discreet, es)  print/plan/", "card": "wallet card (en)    print/card/"}
        for kind, figures in pdf["documents"].items():
            p = figures["ms"]
            cells = [f"{p[k]:8.1f}" if p[k] is not None else f"{'-':>8}" for k in ("p50", "p95", "max")]
            runs = f"{figures['valid_runs']}/{figures['runs']}"
            add(f"{labels.get(kind, kind):<34} {runs:>7} {' '.join(cells)} {figures['bytes']:8d}")
    exit_ = results.get("quick_exit")
    if exit_ and exit_.get("measured"):
        add("")
        add(f"Quick exit in Chromium ({exit_['chromium']}), {exit_['valid_runs']}/{exit_['runs']} valid runs")
        add(f"{'from the click event to':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for key, label in (("to_blank_ms", "wp-exit-blank mark (page blanked)"), ("to_raf_ms", "next animation frame")):
            p = exit_[key]
            cells = [f"{p[k]:8.1f}" if p[k] is not None else f"{'-':>8}" for k in ("p50", "p95", "max")]
            add(f"{label:<36} {' '.join(cells)}")
    add("")
    if results["flags"]:
        add("FLAGGED (these figures are not trustworthy):")
        for flag in results["flags"]:
            add(f"  - {flag}")
    else:
        done = []
        if load:
            done.append("every load-test request answered 200")
        if sizes:
            done.append("every page and file answered 200")
        if pdf and pdf.get("documents"):
            done.append("every print answered 200 with a PDF")
        if exit_ and exit_.get("measured"):
            done.append("every browser run blanked the page and reached the (stubbed) exit page")
        add("No problems: " + ", ".join(done) + ".")
    for note in results["notes"]:
        add(f"note: {note}")
    add(f"Results: {RESULTS / 'latest.json'}")
    return "\n".join(lines)


@contextlib.contextmanager
def section(run: Run, name: str) -> Iterator[None]:
    """One part of the run: a failure is flagged and the next part still runs."""
    try:
        run.check_deadline()
        yield
    except Exception as error:  # BenchError, OSError, a Playwright error...: flag it and go on
        run.flag(f"{name} not measured: {type(error).__name__}: {error}")


def environment() -> dict[str, Any]:
    try:
        wrk_version = subprocess.run([WRK, "-v"], capture_output=True, text=True, timeout=10, check=False)
        wrk_line = (wrk_version.stdout or wrk_version.stderr).splitlines()[0].split(" Copyright")[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        wrk_line = "wrk"
    import django
    import gunicorn

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "wrk": wrk_line,
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--configs", default="2x4,3x2,2x2,1x2", help="gunicorn WORKERSxTHREADS to try (default 2x4,3x2,2x2,1x2)"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="unrecorded wrk seconds before each run (default 2)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--wrk-timeout", type=int, default=10, help="wrk per-request timeout, s (default 10)")
    parser.add_argument("--wrk", default=WRK, help=f"the wrk program (default {WRK})")
    parser.add_argument("--exit-runs", type=int, default=20, help="quick-exit repetitions (default 20)")
    parser.add_argument("--skip", action="append", default=[], choices=["load", "bytes", "pdf", "exit"])
    args = parser.parse_args()
    try:
        args.config_pairs = [tuple(int(n) for n in c.lower().split("x")) for c in args.configs.split(",")]
    except ValueError:
        parser.error("--configs looks like 2x4,3x2")
    if not (1 <= args.duration <= 120 and 0 <= args.warmup <= 30 and 1 <= args.connections <= 1000):
        parser.error("duration 1-120 s, warmup 0-30 s, connections 1-1000")
    if not 1 <= args.exit_runs <= 200:
        parser.error("--exit-runs 1-200")
    return args


def main() -> int:
    args = parse_args()
    global WRK
    found = shutil.which(args.wrk)
    if not found:
        print(
            f"wrk is not installed ({args.wrk} not found).  Install it with:  sudo apt-get install wrk", file=sys.stderr
        )
        return 2
    WRK = found
    run = Run()
    results: dict[str, Any] = {"environment": environment(), "args": {k: v for k, v in vars(args).items()}}
    if "load" not in args.skip:
        configs = []
        for workers, threads in args.config_pairs:
            with section(run, f"load {workers}x{threads}"):
                configs.append(load_config(run, workers, threads, args))
        if configs:
            best = max(configs, key=lambda c: c["geomean_rps"])
            results["load"] = {"configs": configs, "best": f"{best['workers']}x{best['threads']}"}
    if "bytes" not in args.skip:
        with section(run, "bytes per page"):
            results["bytes"] = measure_bytes(run)
    if "pdf" not in args.skip:
        with section(run, "pdf"):
            results["pdf"] = measure_pdf(run)
    if "exit" not in args.skip:
        with section(run, "quick exit"):
            results["quick_exit"] = quick_exit(run, args.exit_runs)
    results["flags"] = run.flags
    results["notes"] = run.notes
    results["finished"] = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    results["seconds"] = round(time.time() - run.started, 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(results, args))
    return 1 if run.flags else 0


if __name__ == "__main__":
    sys.exit(main())

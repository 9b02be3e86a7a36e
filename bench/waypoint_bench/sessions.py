"""Visitors over HTTP: a cookie jar per visitor, signing in with password and TOTP code as a person
would, raw GETs that report the bytes on the wire, and reading the forms of a page."""

from __future__ import annotations

import gzip
import http.client
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from typing import Any

from tests.harness import LiveServer
from waypoint_bench.common import HTTP_TIMEOUT, LOAD_USER, BenchError

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
PERSON_HREF = re.compile(rf'href="(/people/{UUID}/)"')
TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
Form = dict[str, str | list[str]]
TAG_HEADER = "X-Bench-Tag"


# --- TOTP codes and signing in ---------------------------------------------------------------------


def fresh_code(server: LiveServer, username: str) -> str:
    """``server.code_for`` with a guard: when the user's next unused step is two ahead of now,
    wait for the next 30-second step first (code_for would otherwise hand back a used code)."""
    for _ in range(3):
        last = server.used_steps.get(username, 0)
        if last <= int(time.time()) // 30:
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

    def post(self, path: str, data: Form) -> tuple[int, str, str]:
        """A form POST; an answer of 4xx or 5xx is returned (with its body), not raised."""
        answer = self.post_timed(path, data)
        return answer["status"], answer["url"], answer["body"].decode("utf-8", "replace")

    def post_timed(self, path: str, data: Form, tag: str = "") -> dict[str, Any]:
        """One POST, timed from before the request is sent until the whole answer is read.  ``tag``
        goes in an X-Bench-Tag header (the bench server's access log records it)."""
        body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        request.add_header("Referer", self.base + path)
        if tag:
            request.add_header(TAG_HEADER, tag)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT * 4) as response:
                payload = response.read()
                status, url, content_type = response.status, response.geturl(), response.headers.get("Content-Type")
        except urllib.error.HTTPError as error:
            payload = error.read()
            status, url, content_type = error.code, error.geturl(), error.headers.get("Content-Type")
        took = (time.perf_counter() - started) * 1000
        return {"ms": took, "status": status, "url": url, "content_type": content_type or "", "body": payload}

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)


def token_in(html: str) -> str:
    match = TOKEN_INPUT.search(html)
    if not match:
        raise BenchError("no csrfmiddlewaretoken in the form")
    return match.group(1)


def sign_in(server: LiveServer, username: str) -> Session:
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


def step_up(server: LiveServer, session: Session, username: str = LOAD_USER) -> None:
    """Confirm password and code again, as the step-up page asks: saving the plan's contact-rule items
    and downloading its PDFs need a step-up in the last five minutes, and the load runs before them
    take longer than that."""
    _status, _url, html = session.get("/confirm/")
    password = server.logins[username]["password"]
    data = {"password": password, "code": fresh_code(server, username), "csrfmiddlewaretoken": token_in(html)}
    status, url, _html = session.post("/confirm/", data)
    if status != 200 or "/confirm/" in urllib.parse.urlsplit(url).path:
        raise BenchError(f"step-up for {username} answered {status} at {url}")


def signed_in(server: LiveServer) -> Session:
    """LOAD_USER's session on this server's database, signed in once (a restart keeps it)."""
    extra: dict[str, Any] = getattr(server, "extra", {})
    if "session" not in extra:
        extra["session"] = sign_in(server, LOAD_USER)
    session: Session = extra["session"]
    session.base = server.url  # the port changes when the server restarts
    return session


def anonymous(server: LiveServer) -> Session:
    """A visitor of the sign-in page, holding only its CSRF cookie."""
    session = Session(server.url)
    session.get("/login/")
    return session


def first_person_path(session: Session) -> str:
    status, _url, html = session.get("/people/")
    match = PERSON_HREF.search(html)
    if status != 200 or not match:
        raise BenchError("no person link on /people/")
    return match.group(1)


def plan_path(session: Session) -> str:
    """The demo data gives the first person of each organisation a started safety plan."""
    _status, _url, html = session.get("/people/")
    for person in PERSON_HREF.findall(html):
        status, url, _html = session.get(person + "plan/")
        path = urllib.parse.urlsplit(url).path
        if status == 200 and path.startswith("/plans/"):
            return path
    raise BenchError("no demo person has a safety plan")


# --- Raw GETs: the bytes on the wire ---------------------------------------------------------------


def decode_body(wire: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(wire)
    if encoding == "br":
        import brotli

        return bytes(brotli.decompress(wire))
    return wire


def fetch_raw(
    base: str,
    path: str,
    cookie: str | None,
    accept_encoding: str,
    connection: http.client.HTTPConnection | None = None,
    tag: str = "",
) -> dict[str, Any]:
    """One GET through http.client (which does not decode Content-Encoding, so these are wire
    bytes).  Pass ``connection`` to reuse one keep-alive connection, ``tag`` as in post_timed."""
    parts = urllib.parse.urlsplit(base)
    own = connection is None
    connection = connection or http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=HTTP_TIMEOUT
    )
    headers = {"Accept-Encoding": accept_encoding, "Accept": "*/*", "User-Agent": "waypoint-bench"}
    if cookie:
        headers["Cookie"] = cookie
    if tag:
        headers[TAG_HEADER] = tag
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        wire = response.read()
        encoding = response.getheader("Content-Encoding") or ""
        return {
            "status": response.status,
            "wire_bytes": len(wire),
            "header_bytes": sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17,
            "content_encoding": encoding or "none",
            "content_type": response.getheader("Content-Type") or "",
            "body": decode_body(wire, encoding),
        }
    finally:
        if own:
            connection.close()


# --- Reading a page's forms ----------------------------------------------------------------------


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


class FormFields(HTMLParser):
    """The fields of each POST form of a page: name -> kind, current value and options."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, dict[str, Any]]] = []
        self.actions: list[str] = []
        self._form: dict[str, dict[str, Any]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def _field(self, name: str, kind: str) -> dict[str, Any]:
        assert self._form is not None
        return self._form.setdefault(name, {"kind": kind, "value": "", "options": [], "checked": []})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._form = {}
            self.forms.append(self._form)
            self.actions.append(a.get("action", ""))
        if self._form is None or (not a.get("name") and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            field = self._field(a["name"], kind)
            if kind in {"radio", "checkbox"}:
                field["options"].append(a.get("value", "on"))
                if "checked" in a:
                    field["checked"].append(a.get("value", "on"))
            else:
                field["value"] = a.get("value", "")
        elif tag == "textarea":
            self._field(a["name"], "textarea")
            self._textarea = a["name"]
        elif tag == "select":
            self._field(a["name"], "select")
            self._select = a["name"]
        elif tag == "option" and self._select:
            self._form[self._select]["options"].append(a.get("value", ""))

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form[self._textarea]["value"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(html: str, path: str) -> dict[str, dict[str, Any]]:
    """The fields of the largest POST form that posts back to ``path`` (not the header's forms)."""
    parser = FormFields()
    parser.feed(html)
    own = [form for form, action in zip(parser.forms, parser.actions, strict=True) if action in {"", path}]
    return max(own, key=len, default={})


def checkbox_values(html: str, name: str) -> list[str]:
    """Every value offered by the checkboxes called ``name``, anywhere in the page, in order."""
    values: list[str] = []
    pattern = re.compile(r"<input[^>]*>")
    for tag in pattern.findall(html):
        if 'type="checkbox"' in tag and f'name="{name}"' in tag:
            match = re.search(r'value="([^"]*)"', tag)
            if match and match.group(1) not in values:
                values.append(match.group(1))
    return values

"""A small HTTP client with cookies and CSRF handling, for tests against a real server."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from typing import Any


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, str, dict[str, str]]:
        body = None
        if data is not None:
            data = {"csrfmiddlewaretoken": self.csrf_token(), **data}
            body = urllib.parse.urlencode(data, doseq=True).encode()
        request = urllib.request.Request(self.base_url + path, data=body)
        if data is not None:
            request.add_header("Referer", self.base_url + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace"), dict(error.headers)

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        return self.request(path)

    def post(self, path: str, data: dict[str, Any]) -> tuple[int, str, dict[str, str]]:
        return self.request(path, data)

    def csrf_token(self) -> str:
        for cookie in self.jar:
            if cookie.name.endswith("wp_csrf"):
                return str(cookie.value)
        self.get("/login/")
        return next(str(c.value) for c in self.jar if c.name.endswith("wp_csrf"))

    def cookie(self, name: str) -> str:
        return next(str(c.value) for c in self.jar if c.name == name)

    def login(self, username: str, password: str, code: str) -> None:
        status, _body, headers = self.post("/login/", {"username": username, "password": password})
        assert status == 302 and headers["Location"] == "/login/code/", status
        status, _body, headers = self.post("/login/code/", {"code": code})
        assert status == 302, status


def first_person_id(html: str) -> str:
    match = re.search(r'href="/people/([0-9a-f-]{36})/"', html)
    assert match
    return match.group(1)

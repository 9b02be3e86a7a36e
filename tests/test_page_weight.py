"""Page weight: stylesheets and scripts go out compressed to a browser that asks for it, HTML never
does (compression beside secrets such as the CSRF token invites BREACH), and a first visit (the
HTML and every file it links, nothing cached) transfers under 20 KB.

The byte counts are the response bodies as sent, compressed or not, for a browser sending
``Accept-Encoding: gzip, deflate, br``; ``make bench`` measures the same over HTTP with the demo data."""

from __future__ import annotations

import gzip
from html.parser import HTMLParser
from typing import Any

import brotli
import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import OrgWorld, sign_in

BROWSER = "gzip, deflate, br"
FIRST_VISIT_LIMIT = 20 * 1024


class Linked(HTMLParser):
    """The same-origin stylesheets, scripts and images a browser fetches for a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        url = a.get("href", "") if tag == "link" and "stylesheet" in a.get("rel", "").split() else ""
        url = a.get("src", "") if tag in {"script", "img"} else url
        if url and not url.startswith("data:") and url not in self.urls:
            self.urls.append(url)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def linked(html: bytes) -> list[str]:
    parser = Linked()
    parser.feed(html.decode())
    return parser.urls


def first_visit(client: Client, path: str) -> dict[str, int]:
    """Bytes sent for the page and each file it links, as a browser with an empty cache gets them."""
    page = client.get(path, HTTP_ACCEPT_ENCODING=BROWSER)
    assert page.status_code == 200, path
    sizes = {path: len(body(page))}
    for url in linked(page.content):
        response = client.get(url, HTTP_ACCEPT_ENCODING=BROWSER)
        assert response.status_code == 200, url
        sizes[url] = len(body(response))
    return sizes


@pytest.fixture
def static_urls(client: Client, db: Any) -> list[str]:
    urls = linked(client.get("/login/").content)
    assert any(u.endswith(".css") for u in urls) and any(u.endswith(".js") for u in urls), urls
    return urls


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_stylesheets_and_scripts_are_sent_compressed_to_a_browser_that_asks(
    client: Client, static_urls: list[str], encoding: str
) -> None:
    for url in static_urls:
        response = client.get(url, HTTP_ACCEPT_ENCODING=encoding)
        assert response.status_code == 200
        assert response["Content-Encoding"] == encoding, url
        assert "Accept-Encoding" in response["Vary"]
        sent = body(response)
        decoded = gzip.decompress(sent) if encoding == "gzip" else brotli.decompress(sent)
        source = settings.BASE_DIR / "static" / url.removeprefix(settings.STATIC_URL)
        assert decoded == source.read_bytes(), f"{url} is not the current static/ file"
        assert len(sent) < 0.5 * len(decoded)


def test_a_browser_that_does_not_ask_gets_them_uncompressed(client: Client, static_urls: list[str]) -> None:
    for url in static_urls:
        response = client.get(url, HTTP_ACCEPT_ENCODING="identity")
        assert response.status_code == 200
        assert not response.has_header("Content-Encoding")


def test_html_is_never_compressed(client: Client, world_a: OrgWorld) -> None:
    assert not any("GZip" in name for name in settings.MIDDLEWARE)
    anonymous = client.get("/login/", HTTP_ACCEPT_ENCODING=BROWSER)
    sign_in(client, world_a.provider)
    record = client.get(f"/people/{world_a.person.id}/", HTTP_ACCEPT_ENCODING=BROWSER)
    for response in (anonymous, record):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert not response.has_header("Content-Encoding")


def test_a_first_visit_to_the_sign_in_page_transfers_under_20_kb(client: Client, db: Any) -> None:
    sizes = first_visit(client, "/login/")
    assert sum(sizes.values()) < FIRST_VISIT_LIMIT, sizes


def test_a_first_visit_to_a_person_page_transfers_under_20_kb(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    sizes = first_visit(client, f"/people/{world_a.person.id}/")
    assert sum(sizes.values()) < FIRST_VISIT_LIMIT, sizes

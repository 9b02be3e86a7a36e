"""Bytes per page on a first visit: the HTML and every stylesheet, script and image it links, each
fetched once, as a browser without a cache asks for them (``Accept-Encoding: gzip, deflate, br``)."""

from __future__ import annotations

import gzip
import urllib.parse
from typing import Any

from waypoint_bench.common import TARGET_PAGE_BYTES, Run
from waypoint_bench.load import targets
from waypoint_bench.servers import BenchServer
from waypoint_bench.sessions import Subresources, fetch_raw

BROWSER_ENCODINGS = "gzip, deflate, br"


def page_bytes(run: Run, base: str, path: str, cookie: str | None) -> dict[str, Any]:
    page = fetch_raw(base, path, cookie, BROWSER_ENCODINGS)
    if page["status"] != 200:
        run.flag(f"bytes {path}: status {page['status']}")
    if page["content_encoding"] != "none":
        run.flag(f"bytes {path}: the HTML was sent with Content-Encoding {page['content_encoding']} (BREACH)")
    parser = Subresources()
    parser.feed(page["body"].decode("utf-8", "replace"))
    files = [{"url": path, "kind": "html", **_sizes(page)}]
    for url in parser.urls:
        if urllib.parse.urlsplit(url).netloc:
            run.flag(f"bytes {path}: cross-origin subresource {url} not counted")
            continue
        sub = fetch_raw(base, url, cookie, BROWSER_ENCODINGS)
        if sub["status"] != 200:
            run.flag(f"bytes {path}: {url} answered {sub['status']}")
        kind = "css" if url.endswith(".css") else "js" if url.endswith(".js") else "other"
        files.append({"url": url, "kind": kind, **_sizes(sub)})
    total = {k: sum(f[k] for f in files) for k in ("uncompressed", "served", "gzip_possible", "headers")}
    return {"path": path, "files": files, **total, "transferred": total["served"]}


def _sizes(response: dict[str, Any]) -> dict[str, Any]:
    return {
        "uncompressed": len(response["body"]),
        "served": response["wire_bytes"],  # the body bytes on the wire, compressed or not
        "served_encoding": response["content_encoding"],
        "gzip_possible": len(gzip.compress(response["body"], compresslevel=6, mtime=0)),
        "headers": response["header_bytes"],
    }


def measure_bytes(run: Run, server: BenchServer) -> dict[str, Any]:
    print("\n== bytes per page (first visit)", flush=True)
    pages = {}
    for key, (_label, url, cookie) in targets(server).items():
        parts = urllib.parse.urlsplit(url)
        pages[key] = page = page_bytes(run, f"{parts.scheme}://{parts.netloc}", parts.path, cookie)
        verdict = "ok" if page["transferred"] < TARGET_PAGE_BYTES else "OVER"
        print(
            f"  {key:<12} uncompressed {page['uncompressed']:6d} B  transferred {page['transferred']:6d} B"
            f"  ({verdict}; gzip -6 of everything would be {page['gzip_possible']} B)",
            flush=True,
        )
    encodings = sorted({f["served_encoding"] for p in pages.values() for f in p["files"]})
    return {"pages": pages, "encodings_seen": encodings, "accept_encoding": BROWSER_ENCODINGS}

"""Where a page's server time goes: run in a subprocess against a bench server's own database and
settings (its environment and code tree), it requests each page with Django's test Client, signed
in with the bench session's cookies, while a sampling thread reads the request thread's stack every
``interval`` seconds.  Each sample goes to the first bucket (in BUCKETS order) that any frame of the
stack belongs to, so a query made while rendering a template counts as a query and the audit row's
own queries and commit count as the audit row.  Prints one JSON line.

    python profile_pages.py '{"pages": {"key": "/path/"}, "cookies": "a=b; c=d", "requests": 30}'
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections import Counter
from types import FrameType
from typing import Any

# Only frames that do the work count: a wrapper on the stack for the whole request (a middleware's
# __call__, the transaction.atomic of ATOMIC_REQUESTS) would otherwise claim every sample.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("audit row", ("waypoint/core/audit.py",)),
    ("commit", ("@commit", "@_commit")),
    (
        "session & sign-in",
        (
            "django/contrib/sessions/backends/",
            "django/contrib/sessions/base_session.py",
            "waypoint/orgs/session_store.py",
            "django/contrib/auth/__init__.py",
            "django/contrib/auth/backends.py",
            "waypoint/orgs/backends.py",
        ),
    ),
    ("decryption", ("waypoint/core/crypto.py", "waypoint/core/fields.py", "cryptography/")),
    (
        "queries",
        (
            "django/db/models/",
            "django/db/backends/",
            "django/db/utils.py",
            "psycopg/",
            "sqlite3/",
            "waypoint/core/sqlite/",
        ),
    ),
    ("templates", ("django/template/", "django/templatetags/")),
]


def bucket(stack: list[tuple[str, str]]) -> str:
    for name, marks in BUCKETS:
        for filename, function in stack:
            for mark in marks:
                if mark.startswith("@") and function == mark[1:] and "django/db/" in filename:
                    return name
                if not mark.startswith("@") and mark in filename:
                    return name
    return "other (views, middleware, URL routing, WSGI)"


def short(filename: str, function: str, line: int) -> str:
    for root in ("site-packages/", "/waypoint/", "/lib/python3"):
        if root in filename:
            rest = filename.split(root, 1)[1]
            filename = {"/waypoint/": "waypoint/" + rest, "/lib/python3": "stdlib/" + rest.split("/", 1)[-1]}.get(
                root, rest
            )
            break
    return f"{filename}:{line} {function}"


class Sampler(threading.Thread):
    def __init__(self, ident: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.ident_to_watch = ident
        self.interval = interval
        self.active = False
        self.finish = threading.Event()
        self.buckets: Counter[str] = Counter()
        self.top: Counter[str] = Counter()
        self.samples = 0

    def run(self) -> None:
        while not self.finish.is_set():
            frame = sys._current_frames().get(self.ident_to_watch) if self.active else None
            if frame is not None:
                self.take(frame)
            time.sleep(self.interval)

    def take(self, frame: FrameType) -> None:
        stack: list[tuple[str, str]] = []
        innermost = frame
        current: FrameType | None = frame
        while current is not None:
            stack.append((current.f_code.co_filename.replace("\\", "/"), current.f_code.co_name))
            current = current.f_back
        self.samples += 1
        self.buckets[bucket(stack)] += 1
        self.top[short(innermost.f_code.co_filename, innermost.f_code.co_name, innermost.f_code.co_firstlineno)] += 1


def main() -> int:
    spec = json.loads(sys.argv[1])
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    sys.setswitchinterval(0.0002)  # let the sampler in while the request thread runs Python
    client = Client()
    for pair in spec["cookies"].split("; "):
        name, _sep, value = pair.partition("=")
        if name:
            client.cookies[name] = value
    sampler = Sampler(threading.get_ident(), spec.get("interval", 0.001))
    sampler.start()
    out: dict[str, Any] = {}
    for key, path in spec["pages"].items():
        for _ in range(3):  # warm: imports, template loading, caches
            client.get(path)
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        count = len(queries.captured_queries)  # now: the next request empties the log it reads
        before = (sampler.samples, Counter(sampler.buckets), Counter(sampler.top))
        walls, cpus = [], []
        for _ in range(spec["requests"]):
            started, cpu = time.perf_counter(), time.thread_time()
            sampler.active = True
            client.get(path)
            sampler.active = False
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.thread_time() - cpu) * 1000)
        samples = sampler.samples - before[0]
        buckets = sampler.buckets - before[1]
        top = sampler.top - before[2]
        wall = statistics.median(walls)
        out[key] = {
            "path": path,
            "status": status,
            "queries": count,
            "wall_ms_p50": round(wall, 2),
            "thread_cpu_ms_p50": round(statistics.median(cpus), 2),
            "samples": samples,
            "share": {name: round(n / samples, 3) for name, n in buckets.most_common()} if samples else {},
            "ms": {name: round(wall * n / samples, 2) for name, n in buckets.most_common()} if samples else {},
            "top_functions": [[name, round(n / samples, 3)] for name, n in top.most_common(12)] if samples else [],
        }
    sampler.finish.set()
    print("PROFILEJSON " + json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

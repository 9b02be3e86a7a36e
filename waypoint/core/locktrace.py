"""How long each request holds the database's write lock: a measuring aid for ``make bench``.

Off unless ``WAYPOINT_LOCK_TRACE`` names a file.  When on, every release of SQLite's writer queue
(``waypoint.core.sqlite``) and every commit of a transaction that locked an audit chain head
appends one line ``<kind> <milliseconds> <path>`` to that file, where path is the request's path
(or ``-`` outside a request).  Nothing personal is written: paths carry random ids only, and an
activation link's token is replaced (``traceable``).
"""

from __future__ import annotations

import contextvars
import os
import time

from django.db import transaction

_PATH: contextvars.ContextVar[str] = contextvars.ContextVar("wp_locktrace_path", default="-")
_FILE = os.environ.get("WAYPOINT_LOCK_TRACE", "")


def enabled() -> bool:
    return bool(_FILE)


def traceable(path: str) -> str:
    """The path as the trace may keep it: ids are random UUIDs, but an activation link's token is a
    secret, so it is replaced."""
    return "/activate/-/" if path.startswith("/activate/") else path


def set_path(path: str) -> contextvars.Token[str]:
    return _PATH.set(path)


def reset_path(token: contextvars.Token[str]) -> None:
    _PATH.reset(token)


def write(kind: str, seconds: float) -> None:
    if _FILE:
        with open(_FILE, "a") as out:
            out.write(f"{kind} {seconds * 1000:.3f} {_PATH.get()}\n")


def chain_locked() -> None:
    """An audit chain head is about to be locked: time it until the transaction commits."""
    if not _FILE:
        return
    started = time.perf_counter()
    transaction.on_commit(lambda: write("chain", time.perf_counter() - started))

"""How long each request held the database's write lock, read from the server's lock trace.

The server (``waypoint.core.locktrace``, on when ``WAYPOINT_LOCK_TRACE`` names a file) appends one
line ``<kind> <ms> <path>`` per hold: ``writer`` is one hold of SQLite's writer queue (BEGIN IMMEDIATE
to commit or rollback, so every write transaction of the request: its audit row, a session update),
``chain`` is from locking an organisation's audit chain head until commit (both databases; on
PostgreSQL the row lock every audited request takes).  A part of the benchmark marks the file's end
before it runs and reads what was appended after, so each window holds only its own requests (plus
any stragglers of the previous wrk run that the server was still finishing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from waypoint_bench.common import pcts

# The lock a read page must hold only briefly, per database.
PRIMARY_KIND = {"sqlite": "writer", "postgres": "chain"}


@dataclass(frozen=True)
class Hold:
    kind: str
    ms: float
    path: str


class LockTrace:
    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        """The current end of the trace: pass it to ``since`` after the part has run."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def since(self, offset: int) -> list[Hold]:
        try:
            with self.path.open("rb") as trace:
                trace.seek(offset)
                raw = trace.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        holds = []
        for line in raw.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3:
                try:
                    holds.append(Hold(parts[0], float(parts[1]), parts[2]))
                except ValueError:
                    continue
        return holds


def summarize(holds: list[Hold], path: str, requests: int | None = None) -> dict[str, Any]:
    """Per kind, the holds of one request path: count, p50/p95/max ms, and holds per request."""
    out: dict[str, Any] = {}
    for kind in ("writer", "chain"):
        values = [h.ms for h in holds if h.kind == kind and h.path == path]
        figures = pcts(values)
        figures["per_request"] = round(len(values) / requests, 2) if requests else None
        out[kind] = figures
    return out


def other_paths(holds: list[Hold], path: str) -> dict[str, int]:
    """Holds in the window by paths other than the one measured (sign-in, settling requests...)."""
    counts: dict[str, int] = {}
    for hold in holds:
        if hold.path != path:
            counts[hold.path] = counts.get(hold.path, 0) + 1
    return counts

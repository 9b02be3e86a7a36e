"""What every part of the benchmark shares: paths, targets, the run's flags and notes, percentiles."""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.harness: how every test and benchmark server is started

HTTP_TIMEOUT = 15  # seconds, every single HTTP request made here
RUN_DEADLINE = 45 * 60  # seconds: the whole run gives up (flagged) after this

# Targets from the developers' guide and issue #8 (shown, never asserted).
TARGET_RATIO = 0.5  # page rps / bare Django rps, same run
TARGET_P95_MS = 100.0  # at 50 connections
TARGET_PAGE_BYTES = 20 * 1024  # a first visit: HTML + its CSS, JS and images
TARGET_LOCK_P95_MS = 5.0  # a read page holds the write lock only for its audit row
TARGET_OVERLAP = 2.0  # person page latency while a long PDF renders / alone

READERS = ["provider.a", "supervisor.a", "provider.b", "supervisor.b"]
LOAD_USER = "provider.a"


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

    def note(self, message: str) -> None:
        print(f"  note: {message}", flush=True)
        self.notes.append(message)

    def check_deadline(self) -> None:
        if time.time() - self.started > RUN_DEADLINE:
            raise BenchError(f"the run took longer than {RUN_DEADLINE} s and was stopped")


@contextlib.contextmanager
def section(run: Run, name: str) -> Iterator[None]:
    """One part of the run: a failure is flagged and the next part still runs."""
    try:
        run.check_deadline()
        yield
    except Exception as error:  # BenchError, OSError, a Playwright error...: flag it and go on
        run.flag(f"{name} not measured: {type(error).__name__}: {error}")


def pcts(values: list[float]) -> dict[str, Any]:
    """Nearest-rank p50/p95 and the max, rounded to 0.01 ms; all None for no values."""
    if not values:
        return {"p50": None, "p95": None, "max": None, "n": 0}
    ordered = sorted(values)

    def pct(p: float) -> float:
        return round(ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)], 3)

    return {"p50": pct(50), "p95": pct(95), "max": round(ordered[-1], 3), "n": len(ordered)}


def median(values: list[float]) -> float | None:
    return pcts(values)["p50"]


def ms(value: float | None, width: int = 8) -> str:
    """A figure for the table: one decimal, or a dash."""
    return f"{value:{width}.1f}" if value is not None else f"{'-':>{width}}"

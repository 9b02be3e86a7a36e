"""Waypoint benchmarks: ``make bench`` (``make bench BENCH_ARGS=--quick`` for a short run), or
``.venv/bin/python bench/run.py --help``.  The parts live in bench/waypoint_bench/ (see
bench/README.md); this file only puts them on the path and runs them."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]  # waypoint_bench, and tests.harness from the project

from waypoint_bench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

"""Waypoint benchmarks: pages under load (with the write-lock holds of their requests), 1 vs 2 workers
run alternately, server CPU per request and where it goes, PDFs of a long plan (their lock holds and
a person page requested meanwhile), bytes per page on a first visit, quick-exit time to blank.

Run with ``make bench`` (``make bench BENCH_ARGS=--quick`` for a short run) or
``.venv/bin/python bench/run.py --help``.  Each database in ``--backends`` gets its own fresh
server and database; prints a table and writes bench/results/<output>.  Nothing here asserts
performance: the targets are shown next to each figure, and a measurement that is not trustworthy
(errors, unexpected status codes, a browser step that failed) is flagged and makes the exit status 1.

Everything runs against 127.0.0.1 only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from waypoint_bench import load
from waypoint_bench.bytes import measure_bytes
from waypoint_bench.common import RESULTS, ROOT, Run, section
from waypoint_bench.cpu import cpu_per_request
from waypoint_bench.exit import quick_exit
from waypoint_bench.pdf import measure_pdf
from waypoint_bench.report import table, verdicts
from waypoint_bench.servers import make_server, pg_url_ok

PARTS = ["load", "scaling", "cpu", "pdf", "bytes", "exit"]
# option: (full run, --quick)
SIZES = {
    "duration": (10, 3),
    "warmup": (2, 1),
    "pairs": (3, 2),
    "pdf_repeats": (10, 3),
    "overlap_pdfs": (6, 2),
    "overlap_alone": (30, 15),
    "cpu_batches": (5, 3),
    "cpu_requests": (50, 20),
    "profile_requests": (30, 10),
    "exit_runs": (20, 3),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs of every part (about 3 minutes)")
    parser.add_argument("--backends", default="sqlite,postgres", help="databases to run on (default sqlite,postgres)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("WAYPOINT_BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (loopback only) where the database waypoint_bench is created and dropped",
    )
    parser.add_argument(
        "--code-root", type=Path, default=ROOT, help="the Waypoint tree the servers run (default: this one)"
    )
    parser.add_argument("--output", default="latest.json", help="file name under bench/results/ (default latest.json)")
    parser.add_argument(
        "--configs",
        default="2x1,2x4",
        help="gunicorn WORKERSxTHREADS for the pages under load (2x1: the recommended shape, one request per "
        "process at a time; 2x4: the shape measured before issue #8)",
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--wrk-timeout", type=int, default=10, help="wrk per-request timeout, s (default 10)")
    parser.add_argument("--wrk", default="/usr/bin/wrk", help="the wrk program (default /usr/bin/wrk)")
    parser.add_argument("--scaling-threads", type=int, default=4, help="threads per worker, 1 vs 2 workers (4)")
    for name, (full, quick) in SIZES.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=float if name == "duration" else int, default=None,
                            help=f"default {full}, {quick} with --quick")  # fmt: skip
    parser.add_argument("--skip", action="append", default=[], choices=PARTS, help="a part not to run (repeatable)")
    args = parser.parse_args(argv)
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    try:
        args.config_pairs = [tuple(int(n) for n in c.lower().split("x")) for c in args.configs.split(",")]
    except ValueError:
        parser.error("--configs looks like 2x4,3x2")
    args.backend_list = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not set(args.backend_list) <= {"sqlite", "postgres"}:
        parser.error("--backends: sqlite and/or postgres")
    if "postgres" in args.backend_list and not pg_url_ok(args.pg_url):
        parser.error("--pg-url must be postgres://user@127.0.0.1:port (this machine only)")
    if not (1 <= args.duration <= 120 and 0 <= args.warmup <= 30 and 1 <= args.connections <= 1000):
        parser.error("duration 1-120 s, warmup 0-30 s, connections 1-1000")
    if not (1 <= args.pairs <= 10 and 1 <= args.exit_runs <= 200 and 1 <= args.pdf_repeats <= 100):
        parser.error("--pairs 1-10, --exit-runs 1-200, --pdf-repeats 1-100")
    args.code_root = args.code_root.resolve()
    if not (args.code_root / "manage.py").exists():
        parser.error(f"--code-root {args.code_root} has no manage.py")
    return args


def run_backend(run: Run, backend: str, args: argparse.Namespace, first: bool) -> dict[str, Any]:
    """Every part on one fresh server and database; the page-weight and browser parts (which do not
    depend on the database) on the first backend only.  The long plan is built last."""
    figures: dict[str, Any] = {}
    shared: dict[str, Any] = {}
    print(f"\n######## {backend}: migrating and loading the demo data ({args.code_root})", flush=True)
    server = make_server(args.code_root, backend, args.pg_url)
    try:
        steps = [
            ("load", lambda: figures.__setitem__("load", load.pages_under_load(run, server, args))),
            ("bytes", lambda: shared.__setitem__("bytes", measure_bytes(run, server)) if first else None),
            ("scaling", lambda: figures.__setitem__("scaling", load.worker_scaling(run, server, args))),
            ("cpu", lambda: figures.__setitem__("cpu", cpu_per_request(run, server, args))),
            ("exit", lambda: shared.__setitem__("quick_exit", quick_exit(run, server, args.exit_runs)) if first else None),
            ("pdf", lambda: figures.__setitem__("pdf", measure_pdf(run, server, args))),
        ]  # fmt: skip
        for name, step in steps:
            if name not in args.skip:
                with section(run, f"{backend} {name}"):
                    step()
    finally:
        server.cleanup()
    figures["_shared"] = shared
    return figures


def code_version(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30, check=False)
        return done.stdout.strip()

    changed = [line for line in git("status", "--porcelain").splitlines() if line]
    return {"root": str(root), "commit": git("rev-parse", "--short", "HEAD") or "?", "changed_files": len(changed)}


def environment(wrk: str) -> dict[str, Any]:
    try:
        done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
        wrk_line = (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0]
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    found = shutil.which(args.wrk)
    if not found:
        print(
            f"wrk is not installed ({args.wrk} not found).  Install it with:  sudo apt-get install wrk", file=sys.stderr
        )
        return 2
    load.WRK[0] = found
    run = Run()
    results: dict[str, Any] = {
        "environment": environment(found),
        "code": code_version(args.code_root),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "backends": {},
    }
    for number, backend in enumerate(args.backend_list):
        with section(run, f"{backend} server"):
            figures = run_backend(run, backend, args, first=number == 0)
            results.update(figures.pop("_shared"))
            results["backends"][backend] = figures
    results["flags"], results["notes"] = run.flags, run.notes
    results["finished"] = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    results["seconds"] = round(time.time() - run.started, 1)
    results["targets"] = [{"backend": b, "target": t, "verdict": v} for b, t, v in verdicts(results)]
    RESULTS.mkdir(exist_ok=True)
    saved = RESULTS / Path(args.output).name
    results["saved_to"] = str(saved)
    saved.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(table(results, args))
    return 1 if run.flags else 0

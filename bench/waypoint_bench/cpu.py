"""Server CPU time per request, per page, and where it goes.

Measured from outside: the gunicorn workers' user + system CPU time (/proc/<pid>/stat) before and
after a fixed number of requests sent one at a time over one keep-alive connection, in batches; the
figure is the median over the batches of CPU seconds / requests.  On PostgreSQL the database
server's processes are measured the same way, as a separate figure.  The lock holds of these
requests (one at a time, so nothing waits for the CPU or the GIL) are kept beside those under load.

Where it goes: ``profile_pages.py`` in a subprocess, against the same database, with a sampling
profiler (see there)."""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from waypoint_bench import locks
from waypoint_bench.common import BenchError, Run, median
from waypoint_bench.load import targets
from waypoint_bench.servers import BenchServer, cpu_seconds, postgres_pids
from waypoint_bench.sessions import fetch_raw

PROFILER = Path(__file__).with_name("profile_pages.py")


def _requests(server: BenchServer, path: str, cookie: str, count: int) -> list[int]:
    """``count`` GETs over one keep-alive connection (reopened if the server closes it); statuses."""
    parts = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=15)
    statuses = []
    try:
        for _ in range(count):
            try:
                statuses.append(fetch_raw(server.url, path, cookie, "identity", connection)["status"])
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=15)
                statuses.append(fetch_raw(server.url, path, cookie, "identity", connection)["status"])
    finally:
        connection.close()
    return statuses


def cpu_per_request(run: Run, server: BenchServer, args: argparse.Namespace) -> dict[str, Any]:
    workers, threads = args.config_pairs[0]
    print(
        f"\n== {server.backend}: server CPU per request ({args.cpu_batches} batches of {args.cpu_requests}), "
        f"gunicorn {workers}x{threads}",
        flush=True,
    )
    server.restart(workers, threads)
    pids = server.worker_pids()
    database = postgres_pids() if server.backend == "postgres" else []
    pages: dict[str, Any] = {}
    for key, (_label, url, cookie) in targets(server).items():
        run.check_deadline()
        path = urllib.parse.urlsplit(url).path
        _requests(server, path, cookie, 10)  # warm every worker's code and templates
        batches, db_batches, walls, bad = [], [], [], 0
        offset = server.trace.mark()
        for _ in range(args.cpu_batches):
            cpu, db, started = cpu_seconds(pids), cpu_seconds(database), time.perf_counter()
            statuses = _requests(server, path, cookie, args.cpu_requests)
            walls.append((time.perf_counter() - started) * 1000 / args.cpu_requests)
            batches.append((cpu_seconds(pids) - cpu) * 1000 / args.cpu_requests)
            db_batches.append((cpu_seconds(database) - db) * 1000 / args.cpu_requests)
            bad += sum(1 for s in statuses if s != 200)
        time.sleep(0.2)
        holds = locks.summarize(server.trace.since(offset), path, args.cpu_batches * args.cpu_requests)
        if bad:
            run.flag(f"cpu {server.backend} {path}: {bad} answers other than 200")
        pages[key] = {
            "path": path,
            "cpu_ms_per_request": median(batches),
            "batches_ms": [round(b, 2) for b in batches],
            "database_cpu_ms_per_request": median(db_batches) if database else None,
            "wall_ms_per_request": median(walls),
            "locks_one_at_a_time": holds,  # the same lock holds as under load, without the load
        }
        db_text = f", PostgreSQL {pages[key]['database_cpu_ms_per_request']:.2f} ms" if database else ""
        lock = holds[locks.PRIMARY_KIND[server.backend]]
        print(
            f"  {key:<12} server CPU {pages[key]['cpu_ms_per_request']:.2f} ms/request{db_text} "
            f"(one at a time: {pages[key]['wall_ms_per_request']:.1f} ms each; lock held p50 {lock['p50']} ms,"
            f" p95 {lock['p95']} ms)",
            flush=True,
        )
    with_profile = {"pages": pages, "requests_per_batch": args.cpu_requests, "batches": args.cpu_batches}
    try:
        with_profile["profile"] = profile(server, args.profile_requests)
    except BenchError as error:
        run.flag(f"profile {server.backend} not measured: {error}")
    return with_profile


def profile(server: BenchServer, requests: int) -> dict[str, Any]:
    """The sampling profile of each page (in-process, Django's test Client, same database)."""
    found = targets(server)
    cookie = found["person_page"][2]
    spec = {
        "pages": {key: urllib.parse.urlsplit(url).path for key, (_l, url, _c) in found.items() if key != "login_anon"},
        "cookies": cookie,
        "requests": requests,
    }
    env = {**server.env, "PYTHONPATH": str(server.code_root)}
    env.pop("WAYPOINT_LOCK_TRACE", None)
    done = subprocess.run(
        [sys.executable, str(PROFILER), json.dumps(spec)],
        env=env,
        cwd=server.code_root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("PROFILEJSON ")), None)
    if done.returncode != 0 or line is None:
        last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        raise BenchError(f"the profiler failed (exit {done.returncode}): {last}")
    result: dict[str, Any] = json.loads(line.removeprefix("PROFILEJSON "))
    for key, page in result.items():
        top = ", ".join(f"{name} {share:.0%}" for name, share in list(page["share"].items())[:4])
        print(f"  profile {key:<12} {page['wall_ms_p50']:.1f} ms, {page['queries']} queries: {top}", flush=True)
    return result

"""Load with wrk: each page at 50 connections against bare Django in the same run (with the lock
holds of its requests), and throughput with 1 and 2 workers run alternately, A B A B."""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import time
import urllib.error
import urllib.parse
from typing import Any

from waypoint_bench import locks
from waypoint_bench.common import BENCH, BenchError, Run
from waypoint_bench.servers import BareServer, BenchServer
from waypoint_bench.sessions import anonymous, fetch_raw, first_person_path, plan_path, signed_in

WRK = ["/usr/bin/wrk"]  # replaced by the program found on PATH at start
PAGES = ("people_list", "person_page", "plan_page", "contact_page", "referrals_page", "login_anon")
READ_PAGES = ("people_list", "person_page", "plan_page", "contact_page", "referrals_page")


def wrk(url: str, cookie: str | None, args: argparse.Namespace, duration: float) -> dict[str, Any]:
    command = [WRK[0], f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--latency"]
    command += ["--timeout", f"{args.wrk_timeout}s", "-s", str(BENCH / "report.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        first = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[0]
        raise BenchError(f"wrk failed (exit {done.returncode}): {first}")
    result: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", done.stdout)
    result["non_2xx_3xx"] = int(non2xx.group(1)) if non2xx else 0
    result["socket_errors"] = [int(x) for x in sockets.groups()] if sockets else [0, 0, 0, 0]
    result["wrk_text"] = done.stdout.replace(line, "").strip()
    return result


def settle(run: Run, url: str, cookie: str | None, quick_ms: float = 100, limit_s: float = 60) -> float:
    """Wait until the server has finished the requests left over from the previous wrk run (wrk
    stops waiting for answers when its time is up, but gunicorn still works through them, and a
    new run would start behind that backlog).  Idle means three answers in a row within quick_ms."""
    started = time.monotonic()
    parts = urllib.parse.urlsplit(url)
    quick = 0
    for _ in range(10_000):
        if quick >= 3:
            break
        if time.monotonic() - started > limit_s:
            run.flag(f"{parts.path}: server still busy {limit_s:g} s after the previous run")
            break
        t = time.monotonic()
        fetch_raw(f"{parts.scheme}://{parts.netloc}", parts.path, cookie, "identity")
        quick = quick + 1 if (time.monotonic() - t) * 1000 < quick_ms else 0
        if not quick:
            time.sleep(0.2)
    return round(time.monotonic() - started, 2)


def judge(run: Run, label: str, result: dict[str, Any]) -> None:
    """A run with any error or any status other than 200 is flagged: its figures are not comparable."""
    problems = []
    if result["non_2xx_3xx"]:
        problems.append(f"{result['non_2xx_3xx']} non-2xx/3xx responses")
    if any(result["socket_errors"]):
        problems.append("socket errors connect/read/write/timeout = {}/{}/{}/{}".format(*result["socket_errors"]))
    other = {code: n for code, n in result["statuses"].items() if code != "200"}
    if other:
        problems.append(f"status codes other than 200: {other}")
    if result["requests"] == 0:
        problems.append("no requests completed")
    result["valid"] = not problems
    result["problems"] = problems
    if problems:
        run.flag(f"{label}: " + "; ".join(problems))


def timed_run(
    run: Run,
    label: str,
    url: str,
    cookie: str | None,
    args: argparse.Namespace,
    server: BenchServer | None,
    context: str = "",
) -> dict[str, Any]:
    """Warm-up (not recorded), settle, then one recorded wrk run; with ``server``, the lock holds of
    the requests to this path during the recorded run."""
    run.check_deadline()
    if args.warmup > 0:
        settle(run, url, cookie)
        wrk(url, cookie, args, args.warmup)  # loads code and templates in every worker
    settled = settle(run, url, cookie)
    offset = server.trace.mark() if server else 0
    result = wrk(url, cookie, args, args.duration)
    path = urllib.parse.urlsplit(url).path
    result.update({"settle_s": settled, "label": label, "path": path})
    if server is not None:
        time.sleep(0.5)  # the last answers' holds are written after the response is sent
        holds = server.trace.since(offset)
        result["locks"] = locks.summarize(holds, path, result["requests"])
        result["locks_other_paths"] = locks.other_paths(holds, path)
    judge(run, f"{context} {label}".strip(), result)
    lat = result["latency_ms"]
    print(
        f"  {context + ' ' + label if context else label:<36} {result['rps']:8.1f} rps  p50 {lat['p50']:7.1f} ms  p95 {lat['p95']:7.1f} ms"
        f"  p99 {lat['p99']:7.1f} ms  non-2xx {result['non_2xx_3xx']}",
        flush=True,
    )
    return result


def targets(server: BenchServer) -> dict[str, tuple[str, str, str]]:
    """page key -> (label, URL, Cookie header), signed in as LOAD_USER (the sign-in page anonymous).
    Signed in once per database: the session outlives a restart of the server."""
    if "targets" not in server.extra:
        session = signed_in(server)
        visitor = anonymous(server)
        person = first_person_path(session)
        found = {
            "people_list": ("/people/ (list)", "/people/", session.cookie_header()),
            "person_page": ("/people/<id>/", person, session.cookie_header()),
            "plan_page": ("/plans/<id>/ (plan)", plan_path(session), session.cookie_header()),
            "contact_page": ("/people/<id>/contact/ (before you call)", person + "contact/", session.cookie_header()),
            "referrals_page": ("/people/<id>/referrals/", person + "referrals/", session.cookie_header()),
            "login_anon": ("/login/ (anonymous)", "/login/", visitor.cookie_header()),
        }
        try:
            session.get(person + "contact/")
        except urllib.error.HTTPError:  # a tree from before issue 10 has no such page (404)
            del found["contact_page"]
        try:
            session.get(person + "referrals/")
        except urllib.error.HTTPError:  # nor before issue 12
            del found["referrals_page"]
        server.extra["targets"] = found
    return {key: (label, server.url + path, cookie) for key, (label, path, cookie) in server.extra["targets"].items()}


def pages_under_load(run: Run, server: BenchServer, args: argparse.Namespace) -> dict[str, Any]:
    """Each page at ``args.connections`` connections on the configurations of ``--configs``, and bare
    Django with the same workers and threads right after."""
    configs = []
    for workers, threads in args.config_pairs:
        print(f"\n== {server.backend}: pages at -c{args.connections}, gunicorn {workers}x{threads}", flush=True)
        server.restart(workers, threads)
        out: dict[str, Any] = {"workers": workers, "threads": threads, "targets": {}}
        for key, (label, url, cookie) in targets(server).items():
            context = f"{server.backend} {workers}x{threads}"
            out["targets"][key] = timed_run(run, label, url, cookie, args, server, context)
        bare = BareServer(workers, threads)
        try:
            out["targets"]["bare"] = timed_run(run, "bare Django (ceiling)", bare.url + "/", None, args, None)
        finally:
            bare.stop()
        bare_rps = out["targets"]["bare"]["rps"]
        measured = [key for key in PAGES if key in out["targets"]]
        for key in measured:
            result = out["targets"][key]
            result["ratio_to_bare"] = round(result["rps"] / bare_rps, 4) if bare_rps else 0.0
        rps = [out["targets"][k]["rps"] for k in measured]
        out["geomean_rps"] = math.prod(rps) ** (1 / len(rps)) if all(rps) else 0.0
        configs.append(out)
    best = max(configs, key=lambda c: c["geomean_rps"])
    return {"configs": configs, "best": f"{best['workers']}x{best['threads']}"}


def worker_scaling(run: Run, server: BenchServer, args: argparse.Namespace) -> dict[str, Any]:
    """The person page with 1 worker (A) and 2 workers (B), run A B A B ... so that a machine that
    drifts during the run affects both alike; the ratio B/A is taken pair by pair."""
    threads = args.scaling_threads
    print(f"\n== {server.backend}: 1 vs 2 workers x {threads} threads, person page, {args.pairs} pairs", flush=True)
    pairs = []
    for number in range(1, args.pairs + 1):
        pair: dict[str, Any] = {"pair": number}
        for name, workers in (("a", 1), ("b", 2)):
            server.restart(workers, threads)
            label, url, cookie = targets(server)["person_page"]
            context = f"{server.backend} pair {number} {workers}x{threads}"
            result = timed_run(run, label, url, cookie, args, None, context)
            pair[name] = {k: result[k] for k in ("rps", "latency_ms", "requests", "valid", "problems")}
        pair["ratio"] = round(pair["b"]["rps"] / pair["a"]["rps"], 3) if pair["a"]["rps"] else None
        print(f"  pair {number}: 2 workers / 1 worker = {pair['ratio']}", flush=True)
        pairs.append(pair)
    ratios = [p["ratio"] for p in pairs if p["ratio"] is not None]
    return {"threads": threads, "page": "person_page", "pairs": pairs, "ratios": ratios}

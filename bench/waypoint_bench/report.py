"""The table printed at the end of a run (the JSON file has every figure, this has the ones to read)."""

from __future__ import annotations

import argparse
from typing import Any

from waypoint_bench.common import (
    LOAD_USER,
    TARGET_LOCK_P95_MS,
    TARGET_OVERLAP,
    TARGET_P95_MS,
    TARGET_PAGE_BYTES,
    TARGET_RATIO,
    ms,
)
from waypoint_bench.locks import PRIMARY_KIND

PDF_HOLD_SHARE = 0.1  # a PDF's longest hold under a tenth of its render time: it did not render locked


class Table:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def head(self, text: str) -> None:
        self.add(text)
        self.add("-" * len(text))


def table(results: dict[str, Any], args: argparse.Namespace) -> str:
    out = Table()
    env = results["environment"]
    out.add("")
    out.add(
        f"Waypoint benchmark  {results['finished']}  ({env['cpus']} CPUs, Python {env['python']}, {env['wrk']})"
        f"  code: {results['code']['root']} @ {results['code']['commit']}{' (quick)' if args.quick else ''}"
    )
    for backend, figures in results["backends"].items():
        out.add("")
        out.add(f"######## {backend} ########")
        if figures.get("load"):
            _load(out, backend, figures["load"], args)
        if figures.get("scaling"):
            _scaling(out, figures["scaling"])
        if figures.get("cpu"):
            _cpu(out, backend, figures["cpu"])
        if figures.get("pdf"):
            _pdf(out, backend, figures["pdf"])
    if results.get("bytes"):
        _bytes(out, results["bytes"])
    if results.get("quick_exit", {}).get("measured"):
        _exit(out, results["quick_exit"])
    _targets(out, results)
    out.add("")
    if results["flags"]:
        out.add("FLAGGED (these figures are not trustworthy):")
        for flag in results["flags"]:
            out.add(f"  - {flag}")
    else:
        out.add("No problems: every request answered as expected.")
    for note in results["notes"]:
        out.add(f"note: {note}")
    out.add(f"Results: {results['saved_to']}")
    return "\n".join(out.lines)


def _load(out: Table, backend: str, load: dict[str, Any], args: argparse.Namespace) -> None:
    kind = PRIMARY_KIND[backend]
    out.add("")
    out.add(
        f"Pages under load: wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, gunicorn gthread; "
        f"lock = the {kind} lock held by that page's requests (ms)"
    )
    out.head(
        f"{'config':<7} {'page':<22} {'rps':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'non2xx':>6} {'ratio':>6}"
        f" {'lock p50':>8} {'lock p95':>8} {'holds/req':>9}  targets"
    )
    for config in load["configs"]:
        name = f"{config['workers']}x{config['threads']}"
        for key, r in config["targets"].items():
            lat, ratio = r["latency_ms"], r.get("ratio_to_bare")
            lock = r.get("locks", {}).get(kind, {})
            verdicts = []
            if key != "bare" and r["valid"]:
                verdicts.append("ratio ok" if ratio >= TARGET_RATIO else "RATIO LOW")
                verdicts.append("p95 ok" if lat["p95"] < TARGET_P95_MS else "P95 HIGH")
                if key != "login_anon" and lock.get("p95") is not None:
                    verdicts.append("lock ok" if lock["p95"] < TARGET_LOCK_P95_MS else "LOCK LONG")
            if not r["valid"]:
                verdicts.append("FLAGGED")
            per = lock.get("per_request")
            out.add(
                f"{name + ('*' if name == load['best'] else ' '):<7} {r['label'][:22]:<22} {r['rps']:8.1f}"
                f" {lat['p50']:8.1f} {lat['p95']:8.1f} {lat['p99']:8.1f} {r['non_2xx_3xx']:6d}"
                f" {'' if ratio is None else f'{ratio:.3f}':>6} {ms(lock.get('p50'))} {ms(lock.get('p95'))}"
                f" {'' if per is None else f'{per:.2f}':>9}  {', '.join(verdicts)}"
            )
    out.add(
        f"(ratio = page rps / bare Django rps, same run, target >= {TARGET_RATIO}; p95 target < {TARGET_P95_MS:g} ms;"
        f" read page lock p95 target < {TARGET_LOCK_P95_MS:g} ms)"
    )


def _scaling(out: Table, scaling: dict[str, Any]) -> None:
    out.add("")
    out.head(f"Throughput, person page, 1 worker (A) vs 2 workers (B) x {scaling['threads']} threads, run A B A B")
    for pair in scaling["pairs"]:
        a, b = pair["a"], pair["b"]
        out.add(f"  pair {pair['pair']}: A {a['rps']:8.1f} rps   B {b['rps']:8.1f} rps   B/A x{pair['ratio']}")


def _cpu(out: Table, backend: str, cpu: dict[str, Any]) -> None:
    kind = PRIMARY_KIND[backend]
    out.add("")
    out.head(
        f"Server CPU per request (gunicorn workers, /proc; median of {cpu['batches']} batches of "
        f"{cpu['requests_per_batch']} requests) and where a request's time goes (sampling profile, in-process)"
    )
    profile = cpu.get("profile", {})
    for key, page in cpu["pages"].items():
        db = page.get("database_cpu_ms_per_request")
        db_text = f"  PostgreSQL {db:.2f} ms" if db is not None else ""
        lock = page.get("locks_one_at_a_time", {}).get(kind, {})
        lock_text = (
            f"  (one at a time: {kind} lock p50 {ms(lock['p50'], 0)} / p95 {ms(lock['p95'], 0)} ms)"
            if lock.get("n")
            else ""
        )
        out.add(f"  {key:<12} {page['cpu_ms_per_request']:6.2f} ms CPU{db_text}{lock_text}")
        prof = profile.get(key)
        if prof:
            spent = ", ".join(f"{name} {share:.0%}" for name, share in prof["share"].items())
            out.add(f"  {'':<12} in-process {prof['wall_ms_p50']:.1f} ms, {prof['queries']} queries: {spent}")
            top = "; ".join(f"{name} {share:.0%}" for name, share in prof["top_functions"][:4])
            out.add(f"  {'':<12} top: {top}")


def _pdf(out: Table, backend: str, pdf: dict[str, Any]) -> None:
    kind = PRIMARY_KIND[backend]
    built = pdf["built"]
    out.add("")
    out.add(f"PDFs of the long plan ({built['sections_saved']} sections saved, {built['steps']} steps), as {LOAD_USER}")
    out.head(
        f"{'document':<10} {'PDFs':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes':>8}"
        f"  {kind} lock: {'holds/req':>9} {'p50':>7} {'max':>7}"
    )
    for name, doc in pdf["documents"].items():
        p, lock = doc["ms"], doc["locks"][kind]
        per = lock.get("per_request")
        out.add(
            f"{name:<10} {doc['valid_runs']:>3}/{doc['runs']:<2} {ms(p['p50'])} {ms(p['p95'])} {ms(p['max'])}"
            f" {doc['bytes']:8d}  {'':>{len(kind) + 6}}{'' if per is None else f'{per:.2f}':>9} {ms(lock['p50'], 7)}"
            f" {ms(lock['max'], 7)}"
        )
    o = pdf.get("overlap")
    if o:
        out.add(
            f"Person page while the long plan's PDF renders: alone p50 {ms(o['alone_ms']['p50'], 0)} ms, during"
            f" p50 {ms(o['during_ms']['p50'], 0)} ms / p95 {ms(o['during_ms']['p95'], 0)} ms"
            f" (n={o['during_ms']['n']}, PDF {ms(o['pdf_ms']['p50'], 0)} ms): x{o['ratio_p50']} (p95 x{o['ratio_p95']}),"
            f" target <= {TARGET_OVERLAP:g}"
        )
        split = o.get("workers")
        if split:
            same, other = split["same_worker_as_the_pdf"], split["other_worker"]
            out.add(
                f"  served by the PDF's worker: {same['n']} (p50 {ms(same['p50'], 0)} ms), by the other worker:"
                f" {other['n']} (p50 {ms(other['p50'], 0)} ms) (gunicorn access log)"
            )


def _bytes(out: Table, sizes: dict[str, Any]) -> None:
    out.add("")
    out.add(
        f"Bytes per page, first visit (Accept-Encoding: {sizes['accept_encoding']}; encodings seen:"
        f" {', '.join(sizes['encodings_seen'])}; HTML is never compressed)"
    )
    out.head(
        f"{'page':<22} {'html':>7} {'css+js':>7} {'transferred':>12} {'uncompressed':>13} {'+headers':>9}  target < 20 KB"
    )
    for page in sizes["pages"].values():
        html = sum(f["served"] for f in page["files"] if f["kind"] == "html")
        verdict = "ok" if page["transferred"] < TARGET_PAGE_BYTES else "OVER"
        out.add(
            f"{page['path'][:22]:<22} {html:7d} {page['served'] - html:7d} {page['transferred']:12d}"
            f" {page['uncompressed']:13d} {page['headers']:9d}  {verdict} ({page['transferred'] / 1024:.1f} KB)"
        )


def _exit(out: Table, quick: dict[str, Any]) -> None:
    out.add("")
    out.add(f"Quick exit in Chromium ({quick['chromium']}), {quick['valid_runs']}/{quick['runs']} valid runs")
    out.head(f"{'from the click event to':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for key, label in (("to_blank_ms", "wp-exit-blank mark (page blanked)"), ("to_raf_ms", "next animation frame")):
        p = quick[key]
        out.add(f"{label:<36} {ms(p['p50'])} {ms(p['p95'])} {ms(p['max'])}")


def verdicts(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(backend, target, verdict with the figure) for the targets issue #8 must meet."""
    rows = []
    for backend, figures in results["backends"].items():
        kind = PRIMARY_KIND[backend]
        for config in (figures.get("load") or {}).get("configs", []):
            for key in ("people_list", "person_page", "plan_page", "contact_page", "referrals_page"):
                if key not in config["targets"]:
                    continue
                lock = config["targets"][key].get("locks", {}).get(kind, {})
                if lock.get("p95") is not None:
                    ok = lock["p95"] < TARGET_LOCK_P95_MS
                    shape = f"{config['workers']}x{config['threads']}"
                    target = f"{key} lock p95 < {TARGET_LOCK_P95_MS:g} ms ({shape})"
                    rows.append((backend, target, _v(ok, f"{lock['p95']} ms")))
        pdf = figures.get("pdf") or {}
        doc = (pdf.get("documents") or {}).get("plan")
        if doc and doc["ms"]["p50"] is not None and doc["locks"][kind]["max"] is not None:
            longest, render = doc["locks"][kind]["max"], doc["ms"]["p50"]
            ok = longest < PDF_HOLD_SHARE * render
            rows.append(
                (
                    backend,
                    "PDF holds the lock only briefly",
                    _v(ok, f"max hold {longest} ms, render p50 {render:.0f} ms"),
                )
            )
        overlap = pdf.get("overlap")
        if overlap and overlap.get("ratio_p50") is not None:
            ok = overlap["ratio_p50"] <= TARGET_OVERLAP
            rows.append(
                (backend, f"person page during a PDF <= x{TARGET_OVERLAP:g}", _v(ok, f"x{overlap['ratio_p50']}"))
            )
    return rows


def _v(ok: bool, figure: str) -> str:
    return f"{'met' if ok else 'MISSED'} ({figure})"


def _targets(out: Table, results: dict[str, Any]) -> None:
    rows = verdicts(results)
    if rows:
        out.add("")
        out.head("Issue #8 targets")
        for backend, target, verdict in rows:
            out.add(f"  {backend:<9} {target:<40} {verdict}")

"""PDFs of a long plan: how long one takes, how long it holds the write lock (only for its gate check
and audit row, never while it renders), and what it does to a person page requested meanwhile.

The long plan is the demo person's plan with every section filled in through the plan's own pages,
as a provider would: the overview, the four domains with the most steps each allows (12 current and
12 future: 96 steps) and every "Resources & next steps" item, each by GET of its form and POST."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import threading
import time
import urllib.parse
from typing import Any

from waypoint_bench import locks
from waypoint_bench.common import TARGET_OVERLAP, BenchError, Run, pcts
from waypoint_bench.load import targets
from waypoint_bench.servers import BenchServer
from waypoint_bench.sessions import (
    Form,
    Session,
    checkbox_values,
    fetch_raw,
    form_fields,
    plan_path,
    signed_in,
    step_up,
    token_in,
)

STEP_TEXT = (
    "Keep the spare phone charged and hidden in the blue bag by the door; if someone takes it, go to the "
    "shop on the corner and ask for Ana, who knows the plan and can call the number on the card. "
) * 3  # about 570 characters: a step told in full, as a person may tell it
LONG_TEXT = (
    "What they said, in their own words: the evenings are the hardest, when the others come back. "
    "They want to keep the card in a coat pocket and to practise the safe word with their friend. "
) * 3
RADIO_PREFERENCE = ["filled", "leaving", "person", "allowed", "yes", "no", "to_do", "doing", "en"]


def _plan_sections(html: str, plan: str) -> list[str]:
    """The section edit pages linked from the plan at a glance, in page order."""
    found: list[str] = []
    pattern = rf'href="({re.escape(plan)}(?:overview/|domains/[\w-]+/|resources/[\w-]+/))"'
    for path in re.findall(pattern, html):
        if path not in found:
            found.append(path)
    return found


def _text_for(name: str, kind: str) -> str:
    if kind == "date" or name.endswith(("due", "due_on", "review_on")):
        return (dt.date.today() + dt.timedelta(days=30)).isoformat()
    if name.endswith("number"):
        return "+44 7700 900123"
    if name.endswith("email_address"):
        return "ana@example.org"
    if name.startswith("rule_"):  # the contact rules: short values (their fields have lower limits)
        return "Ana at the corner shop, after six"
    return LONG_TEXT if kind == "textarea" else "Ana at the corner shop"


def fill_form(fields: dict[str, dict[str, Any]]) -> Form:
    """Every field of a plan section's form filled in, and each step formset grown to its maximum."""
    data: Form = {}
    rows: dict[str, int] = {}
    for name, field in fields.items():
        if name.endswith("-TOTAL_FORMS"):
            prefix = name.removesuffix("-TOTAL_FORMS")
            most = fields.get(f"{prefix}-MAX_NUM_FORMS", {}).get("value") or field["value"]
            rows[prefix] = int(most)
            data[name] = str(most)
    for name, field in fields.items():
        if name in data or name.endswith("-DELETE"):
            continue
        match = re.fullmatch(r"([\w]+)-(\d+)-(\w+)", name)
        if match and match.group(1) in rows:  # a step row: filled below for every row up to the maximum
            if match.group(2) == "0":
                for row in range(rows[match.group(1)]):
                    data[f"{match.group(1)}-{row}-{match.group(3)}"] = _value(match.group(3), field)
            continue
        data[name] = _value(name, field)
    return {k: v for k, v in data.items() if v != ""}


def _value(name: str, field: dict[str, Any]) -> str | list[str]:
    kind = field["kind"]
    if kind == "hidden" or name == "csrfmiddlewaretoken":
        return str(field["value"])
    if kind == "checkbox":
        return list(field["options"])  # every service from the ledger
    if kind in {"radio", "select"}:
        options = [o for o in field["options"] if o]
        preferred = [o for o in RADIO_PREFERENCE if o in options]
        return preferred[0] if preferred else (options[0] if options else "")
    return STEP_TEXT if name == "text" else _text_for(name, kind)


def build_long_plan(session: Session, plan: str) -> dict[str, Any]:
    """Fill every section of ``plan`` through its pages; returns what was saved."""
    _status, _url, html = session.get(plan)
    sections = _plan_sections(html, plan)
    if not sections:
        raise BenchError(f"{plan} links to no section pages")
    saved, steps = [], 0
    for path in sections:
        status, _url, page = session.get(path)
        if status != 200:
            raise BenchError(f"GET {path} answered {status}")
        data = fill_form(form_fields(page, path))
        steps += sum(1 for k in data if k.endswith("-text"))
        status, url, body = session.post(path, data)
        if status != 200 or urllib.parse.urlsplit(url).path != plan:
            problem = re.findall(r'<div class="error-summary".*?</div>', body, re.S)
            detail = re.sub(r"<[^>]+>", " ", problem[0]) if problem else body[:200]
            raise BenchError(f"saving {path} answered {status} at {url}: {' '.join(detail.split())[:300]}")
        saved.append(path)
    return {"sections_saved": len(saved), "steps": steps, "paths": saved}


def _is_pdf(answer: dict[str, Any]) -> bool:
    media = answer["content_type"].split(";")[0].strip()
    return answer["status"] == 200 and media == "application/pdf" and answer["body"].startswith(b"%PDF")


def prepare_print(session: Session, plan: str) -> tuple[str, list[str]]:
    """Record "safe to carry" for every section (allows printing for an hour); the form token and
    the sections offered."""
    status, _url, html = session.get(plan + "print/")
    sections = checkbox_values(html, "sections")
    if status != 200 or not sections:
        raise BenchError(f"GET {plan}print/ answered {status} with no sections to print")
    data: Form = {"csrfmiddlewaretoken": token_in(html), "carry": "safe", "sections": sections}
    status, url, html = session.post(plan + "print/", data)
    if status != 200 or urllib.parse.urlsplit(url).path != plan + "print/" or plan + "print/plan/" not in html:
        raise BenchError(f"recording 'safe to carry' answered {status} at {url}")
    return token_in(html), sections


def measure_pdf(run: Run, server: BenchServer, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n== {server.backend}: PDFs of a long plan ({args.pdf_repeats} of each), lock holds, overlap", flush=True)
    workers, threads = args.config_pairs[0]
    server.restart(workers, threads, access_log=True)
    session = signed_in(server)
    step_up(server, session)
    plan = plan_path(session)
    out: dict[str, Any] = {"plan": plan, "built": build_long_plan(session, plan)}
    print(f"  long plan: {out['built']['sections_saved']} sections saved, {out['built']['steps']} steps", flush=True)
    token, sections = prepare_print(session, plan)
    out["sections"] = sections
    kinds: dict[str, tuple[str, Form]] = {
        "plan": (plan + "print/plan/", {"sections": sections, "layout": "discreet", "language": "en"}),
        "card": (plan + "print/card/", {"language": "en"}),
    }
    documents: dict[str, Any] = {}
    for kind, (path, form) in kinds.items():
        documents[kind] = time_documents(run, server, session, path, {"csrfmiddlewaretoken": token, **form}, args)
    out["documents"] = documents
    out["overlap"] = overlap(
        run, server, session, kinds["plan"][0], {"csrfmiddlewaretoken": token, **kinds["plan"][1]}, args
    )
    return out


def time_documents(
    run: Run, server: BenchServer, session: Session, path: str, form: Form, args: argparse.Namespace
) -> dict[str, Any]:
    """``args.pdf_repeats`` PDFs one at a time, after one unrecorded per worker and one more: render
    time, size, and the lock holds of their path."""
    run.check_deadline()
    for _ in range(server.workers_threads[0] + 1):  # unrecorded: each worker loads WeasyPrint and fonts once
        session.post_timed(path, form)
    offset = server.trace.mark()
    times, sizes, bad = [], [], []
    for _ in range(args.pdf_repeats):
        answer = session.post_timed(path, form)
        if not _is_pdf(answer):
            bad.append(f"{answer['status']} {answer['content_type'] or 'no Content-Type'} {answer['body'][:8]!r}")
            continue
        times.append(answer["ms"])
        sizes.append(len(answer["body"]))
    time.sleep(0.3)
    holds = locks.summarize(server.trace.since(offset), path, args.pdf_repeats)
    if bad:
        run.flag(f"pdf {path}: {len(bad)}/{args.pdf_repeats} answers were not a PDF (first: {bad[0]})")
    figures = {
        "path": path,
        "runs": args.pdf_repeats,
        "valid_runs": len(times),
        "ms": pcts(times),
        "bytes": max(sizes, default=0),
        "samples_ms": [round(t, 2) for t in times],
        "locks": holds,
    }
    primary = holds[locks.PRIMARY_KIND[server.backend]]
    print(
        f"  {path.rsplit('/', 2)[-2]:<5} p50 {figures['ms']['p50']} ms  max {figures['ms']['max']} ms  "
        f"size {figures['bytes']} B  ({len(times)}/{args.pdf_repeats} PDFs); lock held max {primary['max']} ms "
        f"over {primary['n']} holds",
        flush=True,
    )
    return figures


def _person_latencies(
    server: BenchServer, path: str, cookie: str, count: int, until: threading.Event | None, tag: str = ""
) -> list[tuple[float, float, int]]:
    """GET the person page one at a time, ``count`` times or until ``until`` is set; (sent at, ms,
    status).  Request n carries the tag "<tag>.<n>"."""
    samples = []
    for number in range(count):
        if until is not None and until.is_set():
            break
        started = time.perf_counter()
        answer = fetch_raw(server.url, path, cookie, "identity", tag=f"{tag}.{number}" if tag else "")
        samples.append((started, (time.perf_counter() - started) * 1000, answer["status"]))
    return samples


def _render(
    session: Session, path: str, form: Form, tag: str, window: dict[str, float], finished: threading.Event
) -> None:
    """One PDF, in its own thread: when it was sent and answered, and whether it was a PDF."""
    window["start"] = time.perf_counter()
    answer = session.post_timed(path, form, tag)
    window["end"] = time.perf_counter()
    window["ok"] = float(_is_pdf(answer))
    window["status"] = float(answer["status"])
    finished.set()


def overlap(
    run: Run, server: BenchServer, session: Session, pdf_path: str, form: Form, args: argparse.Namespace
) -> dict[str, Any]:
    """The person page alone, then requested again and again, one at a time, while the long plan's PDF
    renders in another thread (``args.overlap_pdfs`` times); a request counts as "during" when it was
    sent after the PDF request and before the PDF arrived (however long it then waited)."""
    _label, url, cookie = targets(server)["person_page"]
    person = urllib.parse.urlsplit(url).path
    _person_latencies(server, person, cookie, 5, None)  # warm
    alone = [
        ms for _s, ms, status in _person_latencies(server, person, cookie, args.overlap_alone, None) if status == 200
    ]
    log_offset = server.access_log.stat().st_size if server.access_log and server.access_log.exists() else 0
    during: list[float] = []
    renders: list[float] = []
    statuses: dict[str, int] = {}
    tagged: dict[str, str] = {}  # person-page tag -> the tag of the PDF it was asked during
    for number in range(args.overlap_pdfs):
        run.check_deadline()
        window: dict[str, float] = {}
        finished = threading.Event()
        pdf_tag = f"pdf{number}"
        thread = threading.Thread(
            target=_render, args=(session, pdf_path, form, pdf_tag, window, finished), daemon=True
        )
        thread.start()
        time.sleep(0.05)  # the PDF request is on its way first
        samples = _person_latencies(server, person, cookie, 1000, finished, tag=f"person{number}")
        thread.join(timeout=120)
        if not window.get("ok"):
            status = int(window.get("status", 0))
            run.flag(f"overlap: the PDF request during the person-page requests did not return a PDF ({status})")
            continue
        renders.append((window["end"] - window["start"]) * 1000)
        for index, (started, took, status) in enumerate(samples):
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if window["start"] <= started < window["end"] and status == 200:  # asked while the PDF rendered
                during.append(took)
                tagged[f"person{number}.{index}"] = pdf_tag
    if any(code != "200" for code in statuses):
        run.flag(f"overlap: person page answered {statuses}")
    alone_p, during_p = pcts(alone), pcts(during)
    ratio = round(during_p["p50"] / alone_p["p50"], 2) if alone_p["p50"] and during_p["p50"] else None
    ratio_p95 = round(during_p["p95"] / alone_p["p95"], 2) if alone_p["p95"] and during_p["p95"] else None
    verdict = "ok" if ratio is not None and ratio <= TARGET_OVERLAP else "OVER"
    print(
        f"  person page alone p50 {alone_p['p50']} ms; during a {pcts(renders)['p50']} ms PDF p50 {during_p['p50']} ms "
        f"(n={during_p['n']}): x{ratio} ({verdict}), p95 x{ratio_p95}",
        flush=True,
    )
    return {
        "person_path": person,
        "alone_ms": alone_p,
        "during_ms": during_p,
        "pdf_ms": pcts(renders),
        "ratio_p50": ratio,
        "ratio_p95": ratio_p95,
        "statuses": statuses,
        "workers": _worker_split(server, log_offset, tagged),
    }


def _worker_split(server: BenchServer, offset: int, tagged: dict[str, str]) -> dict[str, Any] | None:
    """From gunicorn's access log (pid path status ms tag): how many of the person pages asked
    during a PDF were served by the worker rendering that PDF (threads of one process share its
    GIL) or by another worker, and how long each kind took by the server's own clock."""
    if server.access_log is None or not server.access_log.exists():
        return None
    with server.access_log.open("rb") as log:
        log.seek(offset)
        rows = [line.split() for line in log.read().decode().splitlines()]
    pid_of = {row[4]: row[0] for row in rows if len(row) == 5}
    took = {row[4]: float(row[3]) for row in rows if len(row) == 5}
    split: dict[str, list[float]] = {"same_worker_as_the_pdf": [], "other_worker": []}
    for person, pdf in tagged.items():
        if person in pid_of and pdf in pid_of:
            split["same_worker_as_the_pdf" if pid_of[person] == pid_of[pdf] else "other_worker"].append(took[person])
    return {key: pcts(values) for key, values in split.items()}

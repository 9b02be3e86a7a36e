"""Concurrency and crash drills against a real server (gunicorn, SQLite in WAL mode).

1. Many threads read records at once: every read is answered and audited exactly once, and the
   audit hash chain is intact afterwards (writers were serialised correctly).
2. kill -9 of every server process during concurrent writes: after a restart, every write that was
   acknowledged (answered with a redirect to the new record) is there.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from http.cookiejar import CookieJar

import pytest

from tests.harness import LiveServer, make_server
from tests.webclient import WebClient

pytestmark = [pytest.mark.slow, pytest.mark.own_server]
THREADS = 8


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = make_server()
    live.start(workers=2, threads=4)
    yield live
    live.stop()


def signed_in_clients(server: LiveServer, count: int) -> list[WebClient]:
    first = WebClient(server.url)
    first.login("provider.a", server.logins["provider.a"]["password"], server.code_for("provider.a"))
    clients = []
    for _ in range(count):
        client = WebClient(server.url)
        jar: CookieJar = client.jar
        for cookie in first.jar:
            jar.set_cookie(cookie)
        clients.append(client)
    return clients


def audit_count(server: LiveServer, event: str) -> int:
    connection = sqlite3.connect(server.db_path)
    try:
        return int(connection.execute("SELECT count(*) FROM core_auditevent WHERE event = ?", [event]).fetchone()[0])
    finally:
        connection.close()


def test_concurrent_reads_are_each_audited_once(server: LiveServer) -> None:
    clients = signed_in_clients(server, THREADS)
    status, body, _h = clients[0].get("/people/")
    person = re.search(r'href="/people/([0-9a-f-]{36})/"', body)
    assert status == 200 and person
    path = f"/people/{person.group(1)}/"
    before = audit_count(server, "person.viewed")
    statuses: list[int] = []

    def reader(client: WebClient) -> None:
        for _ in range(15):
            statuses.append(client.get(path)[0])

    threads = [threading.Thread(target=reader, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses.count(200) == THREADS * 15, statuses
    assert audit_count(server, "person.viewed") - before == THREADS * 15
    assert "intact" in server.manage("verify_audit").stdout


def test_kill_9_loses_no_acknowledged_write(server: LiveServer) -> None:
    clients = signed_in_clients(server, THREADS)
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer(client: WebClient) -> None:
        for _ in range(200):
            if stop.is_set():
                return
            data = {
                "preferred_language": "en",
                "interviewer_gender": "none",
                "form_token": str(uuid.uuid4()),
                "notes": "durability drill",
            }
            try:
                status, _body, headers = client.post("/people/new/", data)
            except OSError:
                return  # the server died mid-request: this write was never acknowledged
            if status == 302 and headers.get("Location", "").startswith("/people/"):
                acknowledged.append(headers["Location"].split("/")[2])

    threads = [threading.Thread(target=writer, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    deadline = time.time() + 60
    while len(acknowledged) < 100 and time.time() < deadline:
        time.sleep(0.05)
    assert server.process is not None
    # kill -9 the master and every worker at once
    pids = [server.process.pid, *_children(server.process.pid)]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    server.process.wait(timeout=10)
    server.process = None
    server.start(workers=2, threads=4)
    connection = sqlite3.connect(server.db_path)
    try:
        stored = {row[0] for row in connection.execute("SELECT id FROM people_person")}
    finally:
        connection.close()
    lost = [pid for pid in acknowledged if uuid.UUID(pid).hex not in stored]
    print(f"kill -9 drill: {len(acknowledged)} acknowledged writes, lost: {len(lost)}")
    assert len(acknowledged) >= 100
    assert lost == []
    assert "intact" in server.manage("verify_audit").stdout


def _children(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    children.append(int(entry))
            except OSError:
                continue
    return children


def test_concurrent_plan_saves_lose_nothing(server: LiveServer) -> None:
    """Threads open one plan section and save it at once, from whatever version they read.  Each
    save is acknowledged (302) or shown as a conflict (409) with the typed text kept on screen; no
    acknowledged save replaced a section that changed after the version it was based on."""
    import json
    from html import unescape

    clients = signed_in_clients(server, THREADS)
    status, _b, headers = clients[0].get("/people/")
    person = re.search(r'href="/people/([0-9a-f-]{36})/"', _b)
    assert person is not None
    status, _b, headers = clients[0].post(f"/people/{person.group(1)}/plan/", {})
    assert status == 302
    plan_path = headers["Location"]
    outcomes: list[tuple[int, int, str, str]] = []
    lock = threading.Lock()

    def worker(number: int, client: WebClient) -> None:
        for attempt in range(12):
            domain = ("physical", "emotional")[attempt % 2]
            _s, page, _h = client.get(f"{plan_path}domains/{domain}/")
            version = int(re.search(r'name="version" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
            text = f"thread {number} attempt {attempt}"
            data = {"version": str(version), "current-TOTAL_FORMS": "1", "current-INITIAL_FORMS": "0",
                    "future-TOTAL_FORMS": "0", "future-INITIAL_FORMS": "0", "current-0-text": text,
                    "current-0-idea": "person", "current-0-status": "to_do"}  # fmt: skip
            code, body, _h = client.post(f"{plan_path}domains/{domain}/", data)
            if code == 409:
                assert text in unescape(body)  # the loser's text is still on screen
            with lock:
                outcomes.append((code, version, domain, text))

    threads = [threading.Thread(target=worker, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {code for code, *_rest in outcomes} <= {302, 409}
    dump = (
        "import json; from waypoint.plans.models import SafetyPlan; "
        f"p = SafetyPlan.objects.get(pk='{plan_path.strip('/').split('/')[-1]}'); "
        "print(json.dumps({v.number: v.content for v in p.versions.all()}))"
    )
    output = server.manage("shell", "-c", dump).stdout.strip().splitlines()[-1]
    versions = {int(k): v for k, v in json.loads(output).items()}
    landed = [(version, domain, text) for code, version, domain, text in outcomes if code == 302]
    lost = 0
    for base, domain, text in landed:
        section = f"domain:{domain}"
        texts = {n: [step["text"] for step in versions[n][section]["current"]] for n in sorted(versions)}
        number = next(n for n, found in texts.items() if found == [text])  # the version it introduced
        lost += versions[number - 1][section] != versions[base][section]
    print(f"concurrent plan saves: {len(landed)} landed, {len(outcomes) - len(landed)} conflicts, {lost} lost")
    assert len(versions) == len(landed) + 1 and lost == 0

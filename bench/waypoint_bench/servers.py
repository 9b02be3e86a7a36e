"""The servers under test: Waypoint (from this tree or another one, on SQLite or PostgreSQL) and the
bare Django app, each a gunicorn started the way tests/harness.py starts it, on 127.0.0.1 only.

A Waypoint server gets a fresh database (a new SQLite file, or a PostgreSQL database created for the
run and dropped after it), migrated and loaded with the demo data by that tree's own manage.py.
Every server writes its lock-hold trace (``WAYPOINT_LOCK_TRACE``) into its data directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.harness import PYTHON, LiveServer, free_port, gunicorn_command
from waypoint_bench.common import BENCH, BenchError
from waypoint_bench.locks import LockTrace

PG_DATABASE = "waypoint_bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class BenchServer(LiveServer):
    """tests.harness.LiveServer, run from ``code_root`` and with a database of either kind."""

    code_root: Path = Path()
    backend: str = "sqlite"
    pg_admin_url: str = ""
    access_log: Path | None = None
    workers_threads: tuple[int, int] = (0, 0)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def trace(self) -> LockTrace:
        return LockTrace(self.data_dir / "locks.trace")

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [PYTHON, str(self.code_root / "manage.py"), *args],
            env=self.env,
            cwd=self.code_root,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if check and done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
            raise BenchError(f"manage.py {args[0]} failed (exit {done.returncode}): {last}")
        return done

    def start(self, workers: int = 2, threads: int = 4, access_log: bool = False) -> None:
        """gunicorn from ``code_root`` (``python -m`` puts the working directory first on sys.path)."""
        extra: list[str] = []
        self.access_log = None
        if access_log:
            self.access_log = self.data_dir / f"access-{time.monotonic_ns()}.log"
            # pid, path, status, milliseconds, X-Bench-Tag: which worker served which request, how fast
            log_format = "%(p)s %(U)s %(s)s %(M)s %({x-bench-tag}i)s"
            extra = ["--access-logfile", str(self.access_log), "--access-logformat", log_format]
        command = gunicorn_command("waypoint.wsgi:application", self.port, workers, threads, *extra)
        self.process = subprocess.Popen(command, env=self.env, cwd=self.code_root)  # type: ignore[assignment]
        self.workers_threads = (workers, threads)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200 and len(self.worker_pids()) >= workers:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise BenchError(f"the Waypoint server ({workers}x{threads}) did not start within 60 s")

    def restart(self, workers: int, threads: int, access_log: bool = False) -> None:
        self.stop()
        self.port = free_port()  # the old socket may linger in TIME_WAIT
        self.start(workers, threads, access_log)

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process is not None else []

    def cleanup(self) -> None:
        self.stop()
        if self.backend == "postgres":
            drop_database(self.pg_admin_url)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def make_server(code_root: Path, backend: str, pg_admin_url: str) -> BenchServer:
    """A fresh data directory and database, migrated and seeded by ``code_root``'s manage.py."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"waypoint-bench-{backend}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYPOINT_", "DATABASE_URL", "DJANGO_"))}
    env.update(
        {
            "WAYPOINT_ENV": "development",
            "WAYPOINT_DATA_DIR": str(data_dir),
            "WAYPOINT_LOG_FILE": str(data_dir / "waypoint.log"),
            "WAYPOINT_LOCK_TRACE": str(data_dir / "locks.trace"),
            "DATABASE_URL": f"sqlite:///{data_dir / 'waypoint.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "waypoint.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if backend == "postgres":
        env["DATABASE_URL"] = create_database(pg_admin_url)
    server = BenchServer(
        data_dir=data_dir, port=free_port(), env=env, code_root=code_root, backend=backend, pg_admin_url=pg_admin_url
    )
    try:
        server.manage("migrate", "--noinput")
        server.manage("seed_demo", "--json", str(data_dir / "demo.json"))
    except BaseException:
        server.cleanup()
        raise
    server.logins = {row["username"]: row for row in json.loads((data_dir / "demo.json").read_text())}
    return server


# --- PostgreSQL: one database for the run, created fresh and dropped after ---------------------------


def _admin(pg_admin_url: str) -> Any:
    import psycopg

    return psycopg.connect(pg_admin_url.rstrip("/") + "/postgres", autocommit=True, connect_timeout=5)


def create_database(pg_admin_url: str) -> str:
    """Drop (if left over) and create PG_DATABASE; the DATABASE_URL of the new database."""
    try:
        with _admin(pg_admin_url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    except Exception as error:  # psycopg.Error, or psycopg missing
        raise BenchError(f"PostgreSQL at {pg_admin_url} is not usable: {error}") from error
    return f"{pg_admin_url.rstrip('/')}/{PG_DATABASE}"


def drop_database(pg_admin_url: str) -> None:
    try:
        with _admin(pg_admin_url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    except Exception as error:
        print(f"  (could not drop {PG_DATABASE}: {error})", flush=True)


def pg_url_ok(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in {"postgres", "postgresql"} and parts.hostname in {"127.0.0.1", "localhost", "::1"}


# --- Processes and their CPU time (from /proc, no psutil) -----------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat and int(stat[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name: [state, ppid, ...]."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (utime and stime, fields 14 and 15)."""
    total = 0
    for pid in pids:
        stat = _stat(pid)
        if stat:
            total += int(stat[11]) + int(stat[12])
    return total / CLOCK_TICKS


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (backends included), by command name."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


# --- The bare Django app: the ceiling -------------------------------------------------------------


class BareServer:
    def __init__(self, workers: int, threads: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYPOINT_", "DJANGO_", "DATABASE_URL"))}
        command = gunicorn_command("bare_app:application", self.port, workers, threads, "--pythonpath", str(BENCH))
        self.process = subprocess.Popen(command, env=env, cwd=BENCH)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise BenchError("the bare Django app did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

"""Start a real Waypoint server in a subprocess with its own data directory, for tests that need
what a user would get: the browser tests, the canary scan and the benchmarks.

The server gets a fresh SQLite database (migrated, demo data loaded), its own key file, secret key
and log file.  ``logins`` holds the demo users with their passwords and TOTP secrets."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def gunicorn_command(app: str, port: int, workers: int, threads: int, *extra: str) -> list[str]:
    """How every test and benchmark server runs: gunicorn, gthread workers, loopback only."""
    flags = ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)]
    flags += ["--worker-class", "gthread", "--log-level", "warning", "--graceful-timeout", "2"]
    return [PYTHON, "-m", "gunicorn", app, *flags, *extra]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def totp_now(secret: str, offset_steps: int = 0) -> str:
    totp = TOTP(base64.b32decode(secret), 6, SHA1(), 30, enforce_key_length=False)  # noqa: S303
    return totp.generate(int(time.time()) + 30 * offset_steps).decode()


@dataclass
class LiveServer:
    data_dir: Path
    port: int
    env: dict[str, str]
    logins: dict[str, dict[str, Any]] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    used_steps: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "waypoint.sqlite3"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "waypoint.log"

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYTHON, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def code_for(self, username: str) -> str:
        """A TOTP code for a demo user that this server has not accepted yet (codes are single-use;
        the server accepts the current 30-second step and one either side, each step once).

        When this server has already taken every step it would accept now, the test would have to
        wait up to a minute for the clock (about three minutes over the browser suite). Instead the
        user's record of the last step taken is moved back in this server's own SQLite database,
        which only this test uses, as if that minute had passed; the server still refuses a code it
        has taken (tests/test_issue9_signin.py::test_a_totp_code_is_accepted_once).  A server on
        another database waits."""
        secret = self.logins[username]["totp_secret"]
        while True:
            now_step = int(time.time()) // 30
            step = max(now_step, self.used_steps.get(username, 0) + 1)
            if step > now_step + 1 and self._rewind_totp(username, now_step - 1):
                step = now_step
            if step <= now_step + 1:
                self.used_steps[username] = step
                return totp_now(secret, step - now_step)
            time.sleep(30 - time.time() % 30 + 0.2)

    def _rewind_totp(self, username: str, last_step: int) -> bool:
        if not self.env.get("DATABASE_URL", "").startswith("sqlite:") or not self.db_path.exists():
            return False
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as db, db:
            changed = db.execute(
                "UPDATE orgs_staff SET totp_last_step = ? WHERE username = ?", (last_step, username)
            ).rowcount
        return changed == 1

    def start(self, workers: int = 2, threads: int = 4) -> None:
        self.process = subprocess.Popen(
            gunicorn_command("waypoint.wsgi:application", self.port, workers, threads), env=self.env, cwd=ROOT
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("The test server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


def make_server(extra_env: dict[str, str] | None = None, data_dir: Path | None = None) -> LiveServer:
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="waypoint-live-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYPOINT_", "DATABASE_URL"))}
    env.update(
        {
            "WAYPOINT_ENV": "development",
            "WAYPOINT_DATA_DIR": str(data_dir),
            "WAYPOINT_LOG_FILE": str(data_dir / "waypoint.log"),
            "DATABASE_URL": f"sqlite:///{data_dir / 'waypoint.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "waypoint.settings",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra_env or {})
    server = LiveServer(data_dir=data_dir, port=free_port(), env=env)
    server.manage("migrate", "--noinput")
    server.manage("seed_demo", "--json", str(data_dir / "demo.json"))
    server.logins = {row["username"]: row for row in json.loads((data_dir / "demo.json").read_text())}
    return server

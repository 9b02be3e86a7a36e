"""Issue 9, items 7 (numeric query parameters), 13 (file modes), 15 (cross-site exit) and 16
(session clean-up)."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, make_org, sign_in
from tests.test_plans import domain_data, save_domain
from waypoint.core.management.commands import backup
from waypoint.core.models import AuditEvent
from waypoint.core.sqlite.base import DatabaseWrapper
from waypoint.orgs.models import LoginThrottle, StaffSession

# --- 7. Unicode digits in the plan comparison's query ---------------------------------------------


def two_versions(client: Client, world: OrgWorld) -> str:
    sign_in(client, world.provider)
    assert save_domain(client, world.plan, "physical", domain_data(1, [{"text": "Step one"}])).status_code == 302
    return reverse("plans:compare", args=[world.plan.id])


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("\uff11", "\uff12"),
        ("\u0661", "\u0662"),
        ("\u06f1", "\u06f2"),
        ("\u0967", "\u0968"),
        ("\U0001d7cf", "\U0001d7d0"),
        ("\u00b9", "\u00b2"),
        ("\u2460", "\u2461"),
        (" 1 ", "2"),
    ],
)
def test_compare_takes_digits_of_any_script(client: Client, world_a: OrgWorld, a: str, b: str) -> None:
    url = two_versions(client, world_a)
    response = client.get(url, {"a": a, "b": b})
    assert response.status_code == 200
    assert "Version 1 (" in response.content.decode() and "beside version 2 (" in response.content.decode()


@pytest.mark.parametrize(
    "a",
    [
        "\u00bd",
        "\u216b",
        "\u3007",
        "1.0",
        "-1",
        "+1",
        "1e3",
        "0x1",
        "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660",
        "1" * 200,
        "\x00",
        "1\u200b",
    ],
)
def test_compare_refuses_other_numbers_with_a_message(client: Client, world_a: OrgWorld, a: str) -> None:
    url = two_versions(client, world_a)
    response = client.get(url, {"a": a, "b": "2"})
    assert response.status_code == 400
    assert "Choose two versions between 1 and 2." in response.content.decode()


NUMBERS = st.one_of(
    st.text(st.characters(categories=["Nd", "Nl", "No"]), max_size=12),
    st.text(st.characters(categories=["Nd", "Nl", "No", "Zs", "Cf", "Pd", "Po"]), max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.text(max_size=20),
)


@pytest.fixture
def compare_client(db: Any) -> Iterator[tuple[Client, str]]:
    world = make_org("q")
    client = Client()
    yield client, two_versions(client, world)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(a=NUMBERS, b=NUMBERS)
def test_compare_never_errors_on_any_number(compare_client: tuple[Client, str], a: str, b: str) -> None:
    client, url = compare_client
    response = client.get(url, {"a": a, "b": b})  # an exception in the view fails the test here
    assert response.status_code in (200, 400)


# --- 13. Database, WAL, SHM and backups are owner-only from the start -----------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files would be 0644 unless created 0600
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def connect_fresh(django_db_blocker: Any) -> Iterator[Any]:
    """Open Waypoint's SQLite backend on a file of the test's choosing, outside Django's test database."""
    opened: list[DatabaseWrapper] = []

    def connect(path: Path) -> DatabaseWrapper:
        wrapper = DatabaseWrapper({**connections.settings["default"], "NAME": str(path)}, alias=f"modes{len(opened)}")
        wrapper.ensure_connection()
        opened.append(wrapper)
        return wrapper

    with django_db_blocker.unblock():
        yield connect
        for wrapper in opened:
            wrapper.close()


def sqlite_only() -> Any:
    return pytest.mark.skipif(
        connections.settings["default"]["ENGINE"] != "waypoint.core.sqlite", reason="SQLite file modes"
    )


@sqlite_only()
def test_a_fresh_database_and_its_wal_and_shm_are_owner_only(
    tmp_path: Path, open_umask: None, connect_fresh: Any
) -> None:
    path = tmp_path / "fresh.sqlite3"
    wrapper = connect_fresh(path)
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x TEXT)")
        cursor.execute("INSERT INTO t VALUES ('canary')")
    files = [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.writer-queue")]
    assert all(f.exists() for f in files), [f.name for f in files if not f.exists()]
    assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}


@sqlite_only()
def test_existing_files_are_tightened_on_connect(tmp_path: Path, open_umask: None, connect_fresh: Any) -> None:
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()
    queue = Path(f"{path}.writer-queue")
    queue.touch()
    for f in (path, queue):
        f.chmod(0o644)
    connect_fresh(path)
    assert mode(path) == 0o600 and mode(queue) == 0o600


class WatchedConnection(sqlite3.Connection):
    """Records the backup file's mode at the moment the backup's pages have been written."""

    modes: list[int] = []

    def close(self) -> None:
        path = self.execute("PRAGMA database_list").fetchone()[2]
        if path:  # the in-memory copy the keys are stripped from has no file (issue 13)
            WatchedConnection.modes.append(mode(Path(path)))
        super().close()


@pytest.fixture
def source_db(tmp_path: Path, connect_fresh: Any, monkeypatch: pytest.MonkeyPatch) -> DatabaseWrapper:
    """A small live database for ``backup`` to copy (Django's test database is inside a transaction)."""
    wrapper = connect_fresh(tmp_path / "live.sqlite3")
    with wrapper.cursor() as cursor:
        cursor.execute("CREATE TABLE t (x TEXT)")
        cursor.execute("INSERT INTO t VALUES ('canary')")
        # What a backup strips from its copy (issue 13: record keys and name indexes).
        cursor.execute("CREATE TABLE core_recordkey (id TEXT, wrapped TEXT)")
        cursor.execute("CREATE TABLE people_persontoken (digest TEXT)")
        cursor.execute("CREATE TABLE people_person (name_index TEXT, alias_index TEXT)")
    monkeypatch.setattr(backup, "connection", wrapper)
    return wrapper


@sqlite_only()
def test_a_backup_is_owner_only_while_it_is_written(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch, source_db: DatabaseWrapper
) -> None:
    real_connect = sqlite3.connect
    monkeypatch.setattr(backup.sqlite3, "connect", lambda target: real_connect(target, factory=WatchedConnection))
    WatchedConnection.modes = []
    target = tmp_path / "backups" / "waypoint.sqlite3"
    call_command("backup", str(target), stdout=io.StringIO())
    assert WatchedConnection.modes == [0o600]  # the data was never in a file others could read
    assert mode(target) == 0o600
    copy = real_connect(target)
    try:
        assert copy.execute("SELECT x FROM t").fetchall() == [("canary",)]
    finally:
        copy.close()


@sqlite_only()
def test_a_backup_never_overwrites_or_follows_an_existing_file(tmp_path: Path, source_db: DatabaseWrapper) -> None:
    planted = tmp_path / "planted"
    planted.write_text("someone else's file")
    planted.chmod(0o644)
    link = tmp_path / "link.sqlite3"
    link.symlink_to(planted)
    for target in (planted, link):
        with pytest.raises(CommandError):
            call_command("backup", str(target), stdout=io.StringIO())
    assert planted.read_text() == "someone else's file"


def _pg_dump_ready() -> bool:
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
    except Exception:
        return False
    return shutil.which("pg_dump") is not None


class PostgresStub:
    vendor = "postgresql"
    settings_dict = {"NAME": "postgres", "HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres", "PASSWORD": ""}


@pytest.mark.skipif(not _pg_dump_ready(), reason="no PostgreSQL server on 127.0.0.1:5432 or no pg_dump")
def test_a_postgresql_backup_is_owner_only(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch, db: Any
) -> None:
    monkeypatch.setattr(backup, "connection", PostgresStub())
    target = tmp_path / "waypoint.dump"
    call_command("backup", str(target), stdout=io.StringIO())
    assert mode(target) == 0o600 and target.read_bytes()[:5] == b"PGDMP"


# --- 15. Quick exit refuses other sites -----------------------------------------------------------


def still_signed_in(client: Client) -> bool:
    return client.get("/people/").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_ORIGIN": "http://testserver.evil.example"},
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_SEC_FETCH_SITE": "same-site", "HTTP_ORIGIN": "http://other.testserver"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_ORIGIN": "https://evil.example", "HTTP_X_WAYPOINT_EXIT": "1"},
    ],
)
def test_a_cross_site_exit_ends_nothing(client: Client, world_a: OrgWorld, headers: dict[str, str]) -> None:
    world_a.org.exit_url = "https://weather.example/today"
    world_a.org.save()
    sign_in(client, world_a.provider)
    response = client.post("/exit/", **headers)  # type: ignore[arg-type]
    assert response.status_code == 303
    assert response["Location"] == "https://www.bbc.com/weather"  # neutral, and says nothing about the user
    assert "Clear-Site-Data" not in response
    assert still_signed_in(client)
    assert AuditEvent.objects.filter(event="exit.quick").count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_X_WAYPOINT_EXIT": "1"},
        {"HTTP_ORIGIN": "http://testserver"},
        {"HTTP_SEC_FETCH_SITE": "same-origin"},
        {"HTTP_REFERER": "http://testserver/people/"},
        {},  # an old browser that sends neither Origin nor Referer
    ],
)
def test_the_users_own_exit_still_ends_the_session(client: Client, world_a: OrgWorld, headers: dict[str, str]) -> None:
    sign_in(client, world_a.provider)
    response = client.post("/exit/", **headers)  # type: ignore[arg-type]
    assert response.status_code in (204, 303)
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert not still_signed_in(client)
    assert AuditEvent.objects.filter(event="exit.quick", actor_id=world_a.provider.id).count() == 1


# --- 16. Expired session rows are removed daily ---------------------------------------------------


def session_row(client: Client) -> StaffSession:
    return StaffSession.objects.get(session_key=client.session.session_key)


def test_clear_sessions_removes_dead_rows_and_keeps_live_ones(world_a: OrgWorld) -> None:
    now = timezone.now()
    live, idle, too_old, expired = (sign_in(Client(), world_a.provider) for _ in range(4))
    anonymous = Client()
    anonymous.get("/login/")
    anonymous_session = anonymous.session
    anonymous_session["wp_language"] = "es"
    anonymous_session.save()
    StaffSession.objects.filter(pk=session_row(idle).pk).update(last_seen_at=now - timedelta(minutes=20))
    StaffSession.objects.filter(pk=session_row(too_old).pk).update(created_at=now - timedelta(hours=13))
    StaffSession.objects.filter(pk=session_row(expired).pk).update(expire_date=now - timedelta(seconds=1))
    keep = {session_row(live).pk, anonymous_session.session_key}

    out = io.StringIO()
    call_command("clear_sessions", stdout=out)
    assert out.getvalue().splitlines()[0] == "Removed 3 expired session(s)."
    assert set(StaffSession.objects.values_list("pk", flat=True)) == keep
    assert still_signed_in(live)

    again = io.StringIO()
    call_command("clear_sessions", stdout=again)
    assert again.getvalue().splitlines() == ["Removed 0 expired session(s).", "Removed 0 stale sign-in count(s)."]
    assert str(world_a.provider.id) not in out.getvalue() + again.getvalue()


def test_clear_sessions_forgets_only_sign_in_counts_that_change_nothing(world_a: OrgWorld) -> None:
    """A count with a recent failure, a lock still remembered or a known client stays; a quiet one goes."""
    now = timezone.now()
    old = now - timedelta(days=2)
    rows = {
        "quiet": LoginThrottle(key="q" * 64, failures=3),
        "recent_failure": LoginThrottle(key="r" * 64, failures=3),
        "lock_remembered": LoginThrottle(key="l" * 64, lockouts=2, locked_until=now - timedelta(hours=1)),
        "known_client": LoginThrottle(key="k" * 64, known_at=now - timedelta(days=30)),
        "long_unknown": LoginThrottle(key="u" * 64, known_at=now - timedelta(days=200)),
    }
    for row in rows.values():
        row.save()
    LoginThrottle.objects.filter(key__in=[rows[n].key for n in rows if n != "recent_failure"]).update(updated_at=old)
    out = io.StringIO()
    call_command("clear_sessions", stdout=out)
    assert out.getvalue().splitlines()[1] == "Removed 2 stale sign-in count(s)."
    left = set(LoginThrottle.objects.values_list("key", flat=True))
    assert left >= {rows[n].key for n in ("recent_failure", "lock_remembered", "known_client")}
    assert not left & {rows["quiet"].key, rows["long_unknown"].key}


def test_djangos_clearsessions_does_the_same(world_a: OrgWorld) -> None:
    now = timezone.now()
    live, idle, expired = (sign_in(Client(), world_a.provider) for _ in range(3))
    StaffSession.objects.filter(pk=session_row(expired).pk).update(expire_date=now - timedelta(hours=1))
    StaffSession.objects.filter(pk=session_row(idle).pk).update(last_seen_at=now - timedelta(minutes=17))
    StaffSession.objects.filter(pk=session_row(live).pk).update(last_seen_at=now - timedelta(minutes=14))
    call_command("clearsessions")
    assert list(StaffSession.objects.values_list("pk", flat=True)) == [session_row(live).pk]

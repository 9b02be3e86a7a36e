"""Backup and restore drills: back up a live database, change it, restore, compare every table."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.harness import LiveServer, make_server

pytestmark = [pytest.mark.slow, pytest.mark.own_server]
AUDIT = {"core_auditevent", "core_audithead", "sqlite_sequence"}  # the restore event moves these


def sqlite_tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    connection = sqlite3.connect(path)
    try:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: connection.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}  # noqa: S608
    finally:
        connection.close()


WORD_INDEX = "people_persontoken"  # not in a backup: restore rebuilds it (new row ids, same rows)


def _without_ids(rows: list[Any]) -> list[Any]:
    return sorted(row[1:] for row in rows)


def compare(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    mismatches = [t for t in before if t not in AUDIT | {WORD_INDEX} and before[t] != after.get(t)]
    if WORD_INDEX in before and _without_ids(before[WORD_INDEX]) != _without_ids(after.get(WORD_INDEX, [])):
        mismatches.append(WORD_INDEX)
    # The restore itself is audited: the audit table holds the backup's rows plus that one event.
    if after["core_auditevent"][: len(before["core_auditevent"])] != before["core_auditevent"]:
        mismatches.append("core_auditevent")
    if len(after["core_auditevent"]) != len(before["core_auditevent"]) + 1:
        mismatches.append("core_auditevent (count)")
    return mismatches


def drill(server: LiveServer, backup: Path, tables: Callable[[], dict[str, list[Any]]], label: str) -> None:
    """Back up, change the data, restore, and compare every table with what it was."""
    before = tables()
    server.manage("backup", str(backup))
    server.manage("create_org", "--name", "After backup", "--admin", "late.admin", "--admin-name", "Late",
                  "--base-url", "https://w.example")  # fmt: skip
    assert tables() != before
    server.manage("restore", str(backup), "--yes")
    mismatches = compare(before, tables())
    print(f"{label} restore drill: {len(before)} tables compared, mismatches: {len(mismatches)}")
    assert mismatches == []
    assert "intact" in server.manage("verify_audit").stdout


def test_sqlite_backup_restore_drill(tmp_path: Path) -> None:
    server = make_server()
    drill(server, tmp_path / "backup.sqlite3", lambda: sqlite_tables(server.db_path), "SQLite")


def _pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=2).close()
        return True
    except Exception:
        return False


@pytest.mark.skipif(not _pg_available(), reason="no PostgreSQL server on 127.0.0.1:5432")
def test_postgresql_backup_restore_drill(tmp_path: Path) -> None:
    import psycopg

    name = f"waypoint_drill_{tmp_path.name[-8:].replace('-', '_')}".lower()
    admin = psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        server = make_server({"DATABASE_URL": url})

        def tables() -> dict[str, list[Any]]:
            with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
                names = [
                    r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
                ]
                return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}  # noqa: S608

        drill(server, tmp_path / "backup.dump", tables, "PostgreSQL")
    except subprocess.CalledProcessError as error:
        pytest.fail(f"{error.cmd}: {error.stderr}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

"""SQLite's WAL is checkpointed after a commit has left the writer queue, not inside it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from waypoint.core.sqlite import base

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's WAL only")


def _wrapper(path: Path) -> Any:
    settings = {**connection.settings_dict, "NAME": str(path), "TEST": {}}
    return base.DatabaseWrapper(settings, alias="checkpoint-test")


def test_commits_leave_the_wal_to_a_passive_checkpoint_every_so_often(
    tmp_path: Path, monkeypatch: Any, django_db_blocker: Any
) -> None:
    monkeypatch.setattr(base, "_commits", itertools.count(1))
    monkeypatch.setattr(base, "CHECKPOINT_EVERY", 50)
    db = _wrapper(tmp_path / "wal.sqlite3")
    with django_db_blocker.unblock():
        _commit_a_hundred_times(db, tmp_path / "wal.sqlite3")


def _commit_a_hundred_times(db: Any, path: Path) -> None:
    try:
        db.ensure_connection()
        with db.cursor() as cursor:
            assert cursor.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0  # not inside a COMMIT
            cursor.execute("PRAGMA journal_mode").fetchone()
            cursor.execute("CREATE TABLE t (v TEXT)")
        db.set_autocommit(True)
        sizes = []
        for number in range(1, 101):
            db.set_autocommit(False)
            with db.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (%s)", ["x" * 3000])
            db.commit()
            db.set_autocommit(True)
            if number in (48, 49, 50, 99, 100):
                sizes.append(path.stat().st_size)
        before, _at_49, after_50, _at_99, after_100 = sizes
        assert after_50 > before and after_100 > after_50  # the database file only grows at a checkpoint
        assert sizes[0] == sizes[1]  # between checkpoints the rows wait in the WAL
    finally:
        db.close()

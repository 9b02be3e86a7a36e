"""SQLite backend with a writer queue.

Every transaction here is ``BEGIN IMMEDIATE`` (it takes SQLite's single write lock at once, so two
writers never deadlock on upgrade).  When the lock is taken, SQLite's own busy handler sleeps in
growing steps of up to 100 ms, which under concurrent load turns a 5 ms transaction into seconds of
waiting.  So each connection first takes an advisory ``flock`` on a file beside the database,
polling every millisecond, and only then begins: waiters are woken within a millisecond of the lock
being released, across threads and processes.  The lock is released on commit, rollback or close.
SQLite's own locking stays in force underneath; this only orders the queue.

SQLite checkpoints the WAL inside the COMMIT that makes it reach 1,000 pages, so that commit holds
the write lock for the whole copy.  Here automatic checkpoints are off and every 200th commit of a
process runs a PASSIVE checkpoint after it has left the queue (it neither waits for nor blocks
other readers and writers); the last connection to close checkpoints what is left, as usual.  A
checkpoint is not needed for durability: a committed transaction is in the fsynced WAL.
"""

from __future__ import annotations

import fcntl
import itertools
import time
from typing import IO, Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from waypoint.core import locktrace

POLL_SECONDS = 0.001
CHECKPOINT_EVERY = 200  # commits of this process between two passive WAL checkpoints
_commits = itertools.count(1)  # per process: connections last one request, so count them all


class DatabaseWrapper(base.DatabaseWrapper):
    _queue_file: IO[str] | None = None
    _queued = False
    _queued_at = 0.0

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if not self.is_in_memory_db():
            self._queue_file = open(f"{self.settings_dict['NAME']}.writer-queue", "a")
            # SQLite would checkpoint the WAL inside a COMMIT, while the write lock is held; this
            # backend checkpoints after the commit instead, outside the queue (see _commit).
            connection.execute("PRAGMA wal_autocheckpoint=0")
        return connection

    def _enter_queue(self) -> None:
        if self._queue_file is None or self._queued:
            return
        deadline = time.monotonic() + float(self.settings_dict.get("OPTIONS", {}).get("timeout", 20))
        while True:
            try:
                fcntl.flock(self._queue_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._queued = True
                self._queued_at = time.perf_counter()
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked (writer queue timeout)") from None
                time.sleep(POLL_SECONDS)

    def _leave_queue(self) -> None:
        if self._queued and self._queue_file is not None:
            fcntl.flock(self._queue_file, fcntl.LOCK_UN)
            if locktrace.enabled():
                locktrace.write("writer", time.perf_counter() - self._queued_at)
        self._queued = False

    def _start_transaction_under_autocommit(self) -> None:
        self._enter_queue()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except Exception:
            self._leave_queue()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._leave_queue()
        if next(_commits) % CHECKPOINT_EVERY == 0 and self.connection is not None:
            # PASSIVE: copies what it can without waiting for, or blocking, readers and writers.
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._leave_queue()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._leave_queue()
            if self._queue_file is not None:
                self._queue_file.close()
                self._queue_file = None

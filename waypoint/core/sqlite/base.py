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

Files: the database is created owner-only (0600) before SQLite first opens it, so no other local
user can ever read it, even for a moment; SQLite gives its -wal and -shm files the database file's
mode.  Files that already exist with wider modes (made by an older version, a copy, a restore) are
tightened to 0600 on every new connection.  Does not defend against: the owner of the process or
root, and the directory's own mode (keep the data directory 0700).
"""

from __future__ import annotations

import fcntl
import itertools
import os
import time
from typing import IO, Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

from waypoint.core import locktrace

POLL_SECONDS = 0.001
FILE_MODE = 0o600  # owner read/write only: the database, its -wal and -shm, and the queue file
SIDE_FILES = ("-wal", "-shm", "-journal", ".writer-queue")
CHECKPOINT_EVERY = 200  # commits of this process between two passive WAL checkpoints
_commits = itertools.count(1)  # per process: connections last one request, so count them all


def _open_private(path: str, flags: int) -> int:
    """Open (creating if missing) with mode 0600 from the first byte, whatever the umask."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except PermissionError:
        pass  # another user's file: the open itself decides whether we may use it
    return fd


def owner_only(path: str) -> None:
    """Create the database file 0600 if it does not exist yet (SQLite then gives -wal and -shm the
    same mode), and tighten an existing database and its side files to 0600.

    An existing database file is never opened here, only stat'ed and chmod'ed by name: closing any
    descriptor of a database file drops every POSIX lock this process holds on it, which would
    break the locking of SQLite connections open in other threads."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))  # new: nobody holds locks on it
        os.chmod(path, FILE_MODE)  # whatever the umask
    except FileExistsError:
        pass
    except OSError:
        return  # no such directory, or not ours: SQLite's own open reports it as usual
    for name in (path, *(path + suffix for suffix in SIDE_FILES)):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, FILE_MODE)
        except OSError:
            continue  # missing, or another user's: nothing to tighten


class DatabaseWrapper(base.DatabaseWrapper):
    _queue_file: IO[str] | None = None
    _queued = False
    _queued_at = 0.0

    def _file_path(self) -> str | None:
        """The database's path on disk, or None for an in-memory or URI-named database."""
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or name.startswith("file:"):
            return None
        return name

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        path = self._file_path()
        if path is not None:
            owner_only(path)
        connection = super().get_new_connection(conn_params)
        if path is not None:
            self._queue_file = os.fdopen(_open_private(f"{path}.writer-queue", os.O_WRONLY | os.O_APPEND), "a")
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

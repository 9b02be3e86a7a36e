"""Back up the database: SQLite through its online backup API (never a file copy, so a backup
taken during writes is consistent), PostgreSQL through pg_dump's custom format.

Backups hold ciphertext only for encrypted fields; keep the key file somewhere else.  The backup
file is created owner-only (0600) before a byte is written, never readable by other local users
even while it is being written; an existing file is never overwritten (or followed as a link).

Backups hold no record keys (``waypoint.core.record_keys``) and no name indexes: SQLite's database is
first copied into memory, the record-key table and the word index (``people_persontoken``) emptied
and the name-index columns blanked there, and only then written to the file (so even a backup
killed half-way never holds a key); PostgreSQL's dump leaves the rows of those two tables out (its
name-index columns stay: see docs/security-model.md).  ``restore`` rebuilds the indexes from the
names of the records whose keys it loads.  The keys go to the one record-key file
(settings.RECORD_KEY_FILE), replaced at every backup, so an old backup restored with it cannot open
the records purged since, nor confirm a guessed name of one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from waypoint.core import record_keys


def pg_env() -> dict[str, str]:
    params = connection.settings_dict
    env = dict(os.environ)
    env.update({"PGHOST": params["HOST"] or "", "PGPORT": str(params["PORT"] or ""), "PGUSER": params["USER"] or ""})
    if params["PASSWORD"]:
        env["PGPASSWORD"] = params["PASSWORD"]
    return env


BACKUP_MODE = 0o600


def create_private(target: Path) -> None:
    """Create ``target`` empty with mode 0600 (whatever the umask), refusing one that exists or is a
    link: a backup never lands in a file someone else prepared, readable by them."""
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, BACKUP_MODE)
    except FileExistsError:
        raise CommandError(f"{target} already exists; choose a new file name") from None
    try:
        os.fchmod(fd, BACKUP_MODE)
    finally:
        os.close(fd)


def backup_to(target: Path) -> None:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise CommandError(f"No backup method for {connection.vendor}")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    create_private(target)
    try:
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            memory = sqlite3.connect(":memory:")
            try:
                connection.connection.backup(memory)  # type: ignore[union-attr]
                strip_keys_and_indexes(memory)
                destination = sqlite3.connect(target)  # its journal takes the file's 0600 mode
                try:
                    memory.backup(destination)
                finally:
                    destination.close()
            finally:
                memory.close()
        else:
            name = connection.settings_dict["NAME"]
            command = [
                "pg_dump", "--format=custom", "--no-owner",
                "--exclude-table-data=core_recordkey", "--exclude-table-data=people_persontoken",
                f"--file={target}", name,
            ]  # fmt: skip
            subprocess.run(command, check=True, env=pg_env())  # writes into the 0600 file
        record_keys.write_file_from_table()  # after the copy: keys destroyed meanwhile stay out
    except BaseException:
        target.unlink(missing_ok=True)  # no half-written backup left behind
        raise


def strip_keys_and_indexes(copy: sqlite3.Connection) -> None:
    """In the in-memory copy: no record key, no word index, no name index, and no free page that
    held one (VACUUM), before a byte of it reaches the backup file."""
    copy.execute("PRAGMA secure_delete=ON")
    copy.execute("DELETE FROM core_recordkey")
    copy.execute("DELETE FROM people_persontoken")
    copy.execute("UPDATE people_person SET name_index = '', alias_index = ''")
    copy.commit()
    copy.execute("VACUUM")


class Command(BaseCommand):
    help = "Write a consistent backup of the database to the given file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("target", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        backup_to(options["target"])
        self.stdout.write(f"Backup written to {options['target']}")

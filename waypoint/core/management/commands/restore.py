"""Restore a backup made by ``backup`` over the current database.  Stop the app servers first."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from waypoint.core import audit
from waypoint.core.management.commands.backup import pg_env


def restore_from(source: Path) -> None:
    if not source.exists():
        raise CommandError(f"{source} does not exist")
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        origin = sqlite3.connect(source)
        try:
            origin.backup(connection.connection)  # type: ignore[arg-type]
        finally:
            origin.close()
    elif connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        connection.close()
        subprocess.run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={name}",
                str(source),
            ],
            check=True,
            env=pg_env(),
        )
    else:
        raise CommandError(f"No restore method for {connection.vendor}")


class Command(BaseCommand):
    help = "Replace the database with the contents of a backup file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", type=Path)
        parser.add_argument("--yes", action="store_true", help="confirm that the current data is replaced")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("Restoring replaces all current data. Add --yes to confirm.")
        restore_from(options["source"])
        audit.record(audit.Event.BACKUP_RESTORED)
        self.stdout.write(f"Restored from {options['source']}")

"""Back up the database: SQLite through its online backup API (never a file copy, so a backup
taken during writes is consistent), PostgreSQL through pg_dump's custom format.

Backups hold ciphertext only for encrypted fields; keep the key file somewhere else."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


def pg_env() -> dict[str, str]:
    params = connection.settings_dict
    env = dict(os.environ)
    env.update({"PGHOST": params["HOST"] or "", "PGPORT": str(params["PORT"] or ""), "PGUSER": params["USER"] or ""})
    if params["PASSWORD"]:
        env["PGPASSWORD"] = params["PASSWORD"]
    return env


def backup_to(target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            connection.connection.backup(destination)  # type: ignore[union-attr]
        finally:
            destination.close()
        target.chmod(0o600)
    elif connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", name], check=True, env=pg_env())
    else:
        raise CommandError(f"No backup method for {connection.vendor}")


class Command(BaseCommand):
    help = "Write a consistent backup of the database to the given file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("target", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        backup_to(options["target"])
        self.stdout.write(f"Backup written to {options['target']}")

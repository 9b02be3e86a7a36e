"""Restore a backup made by ``backup`` over the current database.  Stop the app servers first.

The backup holds no record keys: they are loaded from the record-key file for the records present.
Without that file every record would stay unreadable, so a restore refuses to start when it is
missing unless ``--without-record-keys`` says so.  Records whose key is not there and that the
file lists as destroyed were purged after the backup was taken; they stay unreadable, and the next
``manage.py purge`` removes them.  Records with no key that no purge destroyed (the wrong file) are
reported and never purged.  The name indexes (not in a backup) are rebuilt from the names of the
records whose keys were loaded."""

from __future__ import annotations

import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from waypoint.core import audit, record_keys
from waypoint.core.management.commands.backup import pg_env


@dataclass(frozen=True)
class Restored:
    loaded: int  # record keys loaded from the record-key file
    purged: int  # records left without a key that a purge destroyed: the next purge removes them
    unexplained: int  # records without a key that no purge destroyed: reported, never purged
    reindexed: int  # records whose name indexes were rebuilt


def restore_from(source: Path, *, without_record_keys: bool = False) -> Restored:
    """Restore, then load the record keys and rebuild the name indexes."""
    if not source.exists():
        raise CommandError(f"{source} does not exist")
    if not without_record_keys and not record_keys.key_file().exists():
        raise CommandError(
            f"The record-key file {record_keys.key_file()} does not exist: without it no restored record "
            "can be read. Point WAYPOINT_RECORD_KEY_FILE at it, or add --without-record-keys to restore anyway."
        )
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
    loaded = record_keys.load_from_file()
    purged = len(record_keys.orphan_record_ids())
    Organisation = apps.get_model("orgs", "Organisation")
    unexplained = sum(
        len(record_keys.keyless_unexplained(org_id)) for org_id in Organisation.objects.values_list("pk", flat=True)
    )
    return Restored(loaded, purged, unexplained, rebuild_name_indexes())


def rebuild_name_indexes() -> int:
    """The name index columns and word index of every record that has a key, from its names (a backup
    holds neither); records without a key keep none.  Returns how many records were indexed."""
    Person = apps.get_model("people", "Person")
    keys = apps.get_model("core", "RecordKey").objects.values("pk")
    done = 0
    for pk in Person.objects.filter(pk__in=keys).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            person = Person.objects.select_for_update().only("pk", "org_id", "name", "alias").get(pk=pk)
            Person.objects.filter(pk=pk).update(
                name_index=Person.search_index(person.org_id, person.name or ""),
                alias_index=Person.search_index(person.org_id, person.alias or ""),
            )
            person.reindex_words()
        done += 1
    return done


class Command(BaseCommand):
    help = "Replace the database with the contents of a backup file."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", type=Path)
        parser.add_argument("--yes", action="store_true", help="confirm that the current data is replaced")
        parser.add_argument(
            "--without-record-keys",
            action="store_true",
            help="restore even though the record-key file is missing (records stay unreadable until it is loaded)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("Restoring replaces all current data. Add --yes to confirm.")
        done = restore_from(options["source"], without_record_keys=options["without_record_keys"])
        audit.record(audit.Event.BACKUP_RESTORED, count=done.purged + done.unexplained)
        self.stdout.write(
            f"Restored from {options['source']}; {done.loaded} record keys loaded; "
            f"{done.reindexed} records' name indexes rebuilt."
        )
        if done.purged:
            self.stdout.write(
                f"Records with no key: {done.purged}. They were purged after this backup was taken and cannot be "
                "read; the next `manage.py purge` removes them."
            )
        if done.unexplained:
            self.stderr.write(
                f"Records with no key that no purge destroyed: {done.unexplained}. They cannot be read and are "
                "never purged for it: restore again with the right record-key file (WAYPOINT_RECORD_KEY_FILE)."
            )

"""Rotate the field-encryption key: add a new active key, re-encrypt every encrypted value under it,
and optionally retire old keys once nothing uses them.  The old key keeps decrypting until retired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from waypoint.core import audit, crypto
from waypoint.core.fields import encrypted_fields

BATCH = 500


def reencrypt_all(stdout: Any = None) -> int:
    """Re-save every encrypted value with the active key; returns the number of rows rewritten."""
    total = 0
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if not fields:
            continue
        names = [f.name for f in fields]
        pks = list(model._default_manager.values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            with transaction.atomic():
                for obj in model._default_manager.filter(pk__in=pks[start : start + BATCH]).only("pk", *names):
                    values = {name: getattr(obj, name) for name in names}
                    model._default_manager.filter(pk=obj.pk).update(**values)
                    total += 1
    return total


def key_ids_in_use() -> set[str]:
    used: set[str] = set()
    with connection.cursor() as cursor:
        for model in apps.get_models():
            for field in encrypted_fields(model):
                table, column = model._meta.db_table, field.column
                cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL AND "{column}" <> \'\'')  # noqa: S608
                used.update(crypto.key_id_of(value) for (value,) in cursor.fetchall())
    return used


class Command(BaseCommand):
    help = "Add a new encryption key, re-encrypt everything under it, and retire unused old keys."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--retire-old", action="store_true", help="remove old keys nothing uses any more")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.ENCRYPTION_KEYS_JSON:
            raise CommandError(
                "Keys come from WAYPOINT_ENCRYPTION_KEYS: put the new key ring in a key file "
                "(WAYPOINT_ENCRYPTION_KEY_FILE) to rotate here."
            )
        path = Path(settings.ENCRYPTION_KEY_FILE)
        ring = crypto.key_ring().with_new_active_key()
        crypto.write_key_file(path, ring)
        crypto.reset_key_ring_cache()
        rows = reencrypt_all()
        audit.record(audit.Event.KEYS_ROTATED)
        self.stdout.write(f"New active key {ring.active}; {rows} rows re-encrypted.")
        if options["retire_old"]:
            in_use = key_ids_in_use()
            for key_id in [k for k in ring.keys if k != ring.active and k not in in_use]:
                ring = ring.without(key_id)
                self.stdout.write(f"Retired key {key_id}.")
            crypto.write_key_file(path, ring)
            crypto.reset_key_ring_cache()

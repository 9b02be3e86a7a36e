"""Rotate the field-encryption key: add a new active key, re-encrypt every encrypted value under it,
and optionally retire old keys once nothing uses them.  The old key keeps decrypting until retired.

Values sealed under a record key (``wr1:``) stay as they are: the record keys themselves are wrapped
again under the new key (in the table and in the record-key file), and any key-ring value left in a
keyed model's column is sealed under its record's key; a keyed model's row tied to no record (a
separation run without an encounter) is re-encrypted under the new key like any other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from waypoint.core import audit, crypto, record_keys
from waypoint.core.fields import encrypted_fields
from waypoint.core.models import RecordKey

BATCH = 500


def rewrap_record_keys() -> int:
    """Wrap every record key (table and record-key file) under the active key; returns how many."""
    total = 0
    pks = list(RecordKey.objects.values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        with transaction.atomic():
            for row in RecordKey.objects.select_for_update().filter(pk__in=pks[start : start + BATCH]):
                row.wrapped = record_keys.wrap(record_keys.unwrap(row.wrapped, row.pk), row.pk)
                row.save(update_fields=["wrapped"])
                total += 1
    record_keys.rewrap_file()
    return total


def reencrypt_all(stdout: Any = None) -> int:
    """Re-save every encrypted value with the active key; returns the number of rows rewritten.
    Keyed models' values are left under their record keys (key-ring ones are moved under them)."""
    total = 0
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if not fields or getattr(model, "record_key_via", None):
            continue
        names = [f.name for f in fields]
        pks = list(model._default_manager.values_list("pk", flat=True))
        for start in range(0, len(pks), BATCH):
            with transaction.atomic():
                for obj in model._default_manager.filter(pk__in=pks[start : start + BATCH]).only("pk", *names):
                    values = {name: getattr(obj, name) for name in names}
                    model._default_manager.filter(pk=obj.pk).update(**values)
                    total += 1
    return total + record_keys.reseal(connection)


def key_ids_in_use() -> set[str]:
    used: set[str] = set()
    with connection.cursor() as cursor:
        for model in apps.get_models():
            for field in encrypted_fields(model):
                table, column = model._meta.db_table, field.column
                cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL AND "{column}" <> \'\'')  # noqa: S608
                used.update(crypto.key_id_of(v) for (v,) in cursor.fetchall() if not crypto.is_record_sealed(v))
    used.update(crypto.key_id_of(w) for w in RecordKey.objects.values_list("wrapped", flat=True))
    used.update(crypto.key_id_of(wrapped) for _org, wrapped in record_keys.read_file().values())
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
        wrapped = rewrap_record_keys()
        audit.record(audit.Event.KEYS_ROTATED)
        self.stdout.write(f"New active key {ring.active}; {rows} rows re-encrypted; {wrapped} record keys re-wrapped.")
        if options["retire_old"]:
            in_use = key_ids_in_use()
            for key_id in [k for k in ring.keys if k != ring.active and k not in in_use]:
                ring = ring.without(key_id)
                self.stdout.write(f"Retired key {key_id}.")
            crypto.write_key_file(path, ring)
            crypto.reset_key_ring_cache()

"""Recovery codes of the older kind were stored as unsalted SHA-256: each is wrapped in the
configured slow salted hash (``make_password(sha256)``), so the database holds no fast hash of a
48-bit code.  ``RecoveryCode.use`` checks ``check_password(sha256(code), stored)`` for them.

Undoing this cannot unwrap the hashes: the older kind of code then stops working and its owner
renews their codes from the account page (the new kind is unaffected)."""

from typing import Any

from django.contrib.auth.hashers import identify_hasher, make_password
from django.db import migrations


def wrap(apps: Any, schema_editor: Any) -> None:
    RecoveryCode = apps.get_model("orgs", "RecoveryCode")
    for row in RecoveryCode.objects.filter(lookup=""):
        try:
            identify_hasher(row.code_hash)  # already wrapped (a re-run)
        except ValueError:
            RecoveryCode.objects.filter(pk=row.pk).update(code_hash=make_password(row.code_hash))


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_signin_hardening")]

    operations = [migrations.RunPython(wrap, migrations.RunPython.noop)]

"""Existing people's data, sealed until now with the key ring, sealed again under each person's own
record key (``waypoint.core.record_keys``), so that purging an older record shreds it too.

Idempotent; it reads the models of today (their ``record_key_via``) and only the columns that exist
at this point.  ``rotate_keys`` runs the same step, for values a later migration seals with the key ring."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from waypoint.core import record_keys

    record_keys.reseal(schema_editor.connection, create=True)  # no key was destroyed yet
    record_keys.forget_all()


def backwards(apps: Any, schema_editor: Any) -> None:
    from waypoint.core import record_keys

    record_keys.unseal(schema_editor.connection)
    record_keys.forget_all()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_audit_trim_triggers"),
        ("people", "0005_person_closed_at_person_closed_by_id"),
        ("encounters", "0008_safe_to_talk_step_and_call_back_comfort_choices"),
        ("contact", "0006_follow_up_source_encounter"),
        ("plans", "0003_encrypt_carry"),
        ("referrals", "0002_directory_referrals_releases"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]

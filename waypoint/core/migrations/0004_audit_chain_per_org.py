"""One audit chain per organisation (and one for the system), with a protected head.

Existing rows are renumbered and re-hashed chain by chain in their original order, which is the only
time audit rows are ever rewritten: the append-only triggers are lifted for this migration and put
back at its end.  Run ``verify_audit --print-head`` afterwards and keep the new heads elsewhere."""

import hashlib

from django.db import migrations, models

GENESIS = "0" * 64

SQLITE_ROWS = [
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;",
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;",
]
SQLITE_HEAD = [
    "CREATE TRIGGER core_audithead_no_delete BEFORE DELETE ON core_audithead "
    "BEGIN SELECT RAISE(ABORT, 'audit heads are append-only'); END;",
    "CREATE TRIGGER core_audithead_starts_empty BEFORE INSERT ON core_audithead "
    "WHEN NEW.seq <> 0 OR NEW.hash <> printf('%064d', 0) "
    "BEGIN SELECT RAISE(ABORT, 'an audit head starts at row 0'); END;",
    "CREATE TRIGGER core_audithead_forward_only BEFORE UPDATE ON core_audithead "
    "WHEN NEW.seq <> OLD.seq + 1 OR NEW.org_id IS NOT OLD.org_id OR NEW.id <> OLD.id OR NOT EXISTS ("
    "SELECT 1 FROM core_auditevent e WHERE e.org_id IS NEW.org_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash) "
    "BEGIN SELECT RAISE(ABORT, 'an audit head moves forward one existing row at a time'); END;",
]
POSTGRES_HEAD = [
    "CREATE OR REPLACE FUNCTION core_audithead_forward_only() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION 'audit heads are append-only'; END IF; "
    "IF TG_OP = 'INSERT' THEN IF NEW.seq <> 0 OR NEW.hash <> repeat('0', 64) THEN "
    "RAISE EXCEPTION 'an audit head starts at row 0'; END IF; RETURN NEW; END IF; "
    "IF NEW.seq <> OLD.seq + 1 OR NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.id <> OLD.id OR NOT EXISTS ("
    "SELECT 1 FROM core_auditevent e WHERE e.org_id IS NOT DISTINCT FROM NEW.org_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash) THEN "
    "RAISE EXCEPTION 'an audit head moves forward one existing row at a time'; END IF; "
    "RETURN NEW; END; $$ LANGUAGE plpgsql;",
    "CREATE TRIGGER core_audithead_guard BEFORE INSERT OR UPDATE OR DELETE ON core_audithead "
    "FOR EACH ROW EXECUTE FUNCTION core_audithead_forward_only();",
    "CREATE TRIGGER core_audithead_no_truncate BEFORE TRUNCATE ON core_audithead "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_audithead_forward_only();",
]


def _digest(row, seq, prev):  # type: ignore[no-untyped-def]
    material = "|".join(
        [
            prev,
            str(seq),
            row.at.isoformat(),
            str(row.org_id or ""),
            str(row.actor_id or ""),
            row.event,
            row.object_type,
            str(row.object_id or ""),
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def rechain(apps, schema_editor):  # type: ignore[no-untyped-def]
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditHead = apps.get_model("core", "AuditHead")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_change")
        # Row 1 was inserted with an explicit id, which PostgreSQL's sequence does not count.
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence('core_audithead', 'id'), "
            "GREATEST((SELECT MAX(id) FROM core_audithead), 1))"
        )
    else:
        schema_editor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
    heads = {}
    for org_id in AuditEvent.objects.values_list("org_id", flat=True).distinct():
        prev, seq = GENESIS, 0
        for row in AuditEvent.objects.filter(org_id=org_id).order_by("seq").iterator():
            seq += 1
            row.seq, row.prev_hash = seq, prev
            row.hash = prev = _digest(row, seq, prev)
            row.save(update_fields=["seq", "prev_hash", "hash"])
        heads[org_id] = (seq, prev)
    system = heads.pop(None, (0, GENESIS))
    AuditHead.objects.update_or_create(pk=1, defaults={"org_id": None, "seq": system[0], "hash": system[1]})
    for org_id, (seq, prev) in heads.items():
        AuditHead.objects.create(org_id=org_id, seq=seq, hash=prev)
    if postgres:
        schema_editor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_no_change")


def protect(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = POSTGRES_HEAD if schema_editor.connection.vendor == "postgresql" else SQLITE_ROWS + SQLITE_HEAD
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_object_index")]

    operations = [
        migrations.AddField(model_name="audithead", name="org_id", field=models.UUIDField(null=True)),
        migrations.AlterField(model_name="auditevent", name="seq", field=models.BigIntegerField()),
        migrations.RunPython(rechain, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("org_id", "seq"), name="audit_seq_per_org"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("org_id", None)), fields=("seq",), name="audit_seq_system"
            ),
        ),
        migrations.AddConstraint(
            model_name="audithead",
            constraint=models.UniqueConstraint(fields=("org_id",), name="audit_head_per_org"),
        ),
        migrations.RunPython(protect, migrations.RunPython.noop),
    ]

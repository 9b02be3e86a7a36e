"""An audit chain's anchor moves only onto a row older than the minimum audit period (365 days by
the database's own clock), so the application's database role cannot move it onto the head and then
delete every row: trimming removes only rows that old.  Otherwise as 0007 (forward only, onto an
existing row, at or below the head, never in the same update as the head)."""

import importlib
from typing import Any

from django.db import migrations

BEFORE = importlib.import_module("waypoint.core.migrations.0007_audit_trim_triggers")

# 365 days: waypoint.core.audit.MINIMUM_KEEP_DAYS when this migration was written (literal SQL below).

SQLITE_NEW = [
    "DROP TRIGGER IF EXISTS core_audithead_forward_only",
    "CREATE TRIGGER core_audithead_forward_only BEFORE UPDATE ON core_audithead "
    "WHEN NEW.org_id IS NOT OLD.org_id OR NEW.id <> OLD.id OR NOT ("
    # the head moves one existing row forward, the anchor stays
    "(NEW.trimmed_seq = OLD.trimmed_seq AND NEW.trimmed_hash = OLD.trimmed_hash AND NEW.seq = OLD.seq + 1 "
    "AND EXISTS (SELECT 1 FROM core_auditevent e WHERE e.org_id IS NEW.org_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash)) "
    "OR "
    # the anchor moves forward onto an existing row at or below the head, old enough; the head stays
    "(NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND NEW.trimmed_seq > OLD.trimmed_seq "
    "AND NEW.trimmed_seq <= OLD.seq "
    "AND EXISTS (SELECT 1 FROM core_auditevent e WHERE e.org_id IS NEW.org_id AND e.seq = NEW.trimmed_seq "
    "AND e.hash = NEW.trimmed_hash AND e.at < strftime('%Y-%m-%d %H:%M:%f', 'now', '-365 days')))) "
    "BEGIN SELECT RAISE(ABORT, 'an audit head and its anchor move forward only, onto existing rows "
    "(the anchor onto a row older than 365 days)'); END;",
]
SQLITE_OLD = [sql for sql in BEFORE.SQLITE_NEW if "core_audithead_forward_only" in sql]

POSTGRES_NEW = [
    "CREATE OR REPLACE FUNCTION core_audithead_forward_only() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION 'audit heads are append-only'; END IF; "
    "IF TG_OP = 'INSERT' THEN IF NEW.seq <> 0 OR NEW.hash <> repeat('0', 64) OR NEW.trimmed_seq <> 0 "
    "OR NEW.trimmed_hash <> repeat('0', 64) THEN "
    "RAISE EXCEPTION 'an audit head starts at row 0'; END IF; RETURN NEW; END IF; "
    "IF NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.id <> OLD.id OR NOT ("
    "(NEW.trimmed_seq = OLD.trimmed_seq AND NEW.trimmed_hash = OLD.trimmed_hash AND NEW.seq = OLD.seq + 1 "
    "AND EXISTS (SELECT 1 FROM core_auditevent e WHERE e.org_id IS NOT DISTINCT FROM NEW.org_id "
    "AND e.seq = NEW.seq AND e.hash = NEW.hash AND e.prev_hash = OLD.hash)) "
    "OR (NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND NEW.trimmed_seq > OLD.trimmed_seq "
    "AND NEW.trimmed_seq <= OLD.seq AND EXISTS (SELECT 1 FROM core_auditevent e "
    "WHERE e.org_id IS NOT DISTINCT FROM NEW.org_id AND e.seq = NEW.trimmed_seq AND e.hash = NEW.trimmed_hash "
    "AND e.at < now() - interval '365 days'))"
    ") THEN RAISE EXCEPTION 'an audit head and its anchor move forward only, onto existing rows "
    "(the anchor onto a row older than 365 days)'; END IF; "
    "RETURN NEW; END; $$ LANGUAGE plpgsql;",
]
POSTGRES_OLD = [sql for sql in BEFORE.POSTGRES_NEW if "core_audithead_forward_only()" in sql]


def forwards(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_NEW if postgres else SQLITE_NEW:
        schema_editor.execute(sql)


def backwards(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_OLD if postgres else ["DROP TRIGGER IF EXISTS core_audithead_forward_only", *SQLITE_OLD]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_reseal_under_record_keys")]
    operations = [migrations.RunPython(forwards, backwards)]

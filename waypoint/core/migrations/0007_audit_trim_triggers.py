"""Audit rows may be trimmed from the start of a chain, and only there.

Each chain's head gains an anchor (``trimmed_seq``, ``trimmed_hash``: the last removed row and its
hash).  The anchor moves forward only, onto a row that exists, never past the head and never in the
same update as the head itself; a row may be deleted only at or below its chain's anchor.  Updates of
audit rows, and TRUNCATE, stay refused.  ``audit.trim`` moves the anchor, deletes, and records it."""

from typing import Any

from django.db import migrations

GENESIS_SQLITE = "printf('%064d', 0)"

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS core_audithead_no_delete",
    "DROP TRIGGER IF EXISTS core_audithead_starts_empty",
    "DROP TRIGGER IF EXISTS core_audithead_forward_only",
]
SQLITE_NEW = [
    "CREATE TRIGGER IF NOT EXISTS core_auditevent_no_update BEFORE UPDATE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;",
    "CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "WHEN OLD.seq > COALESCE((SELECT h.trimmed_seq FROM core_audithead h WHERE h.org_id IS OLD.org_id), 0) "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are removed only up to the chain''s trim anchor'); END;",
    "CREATE TRIGGER core_audithead_no_delete BEFORE DELETE ON core_audithead "
    "BEGIN SELECT RAISE(ABORT, 'audit heads are append-only'); END;",
    "CREATE TRIGGER core_audithead_starts_empty BEFORE INSERT ON core_audithead "
    f"WHEN NEW.seq <> 0 OR NEW.hash <> {GENESIS_SQLITE} OR NEW.trimmed_seq <> 0 "
    f"OR NEW.trimmed_hash <> {GENESIS_SQLITE} "
    "BEGIN SELECT RAISE(ABORT, 'an audit head starts at row 0'); END;",
    "CREATE TRIGGER core_audithead_forward_only BEFORE UPDATE ON core_audithead "
    "WHEN NEW.org_id IS NOT OLD.org_id OR NEW.id <> OLD.id OR NOT ("
    # the head moves one existing row forward, the anchor stays
    "(NEW.trimmed_seq = OLD.trimmed_seq AND NEW.trimmed_hash = OLD.trimmed_hash AND NEW.seq = OLD.seq + 1 "
    "AND EXISTS (SELECT 1 FROM core_auditevent e WHERE e.org_id IS NEW.org_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash)) "
    "OR "
    # the anchor moves forward onto an existing row at or below the head, the head stays
    "(NEW.seq = OLD.seq AND NEW.hash = OLD.hash AND NEW.trimmed_seq > OLD.trimmed_seq "
    "AND NEW.trimmed_seq <= OLD.seq "
    "AND EXISTS (SELECT 1 FROM core_auditevent e WHERE e.org_id IS NEW.org_id AND e.seq = NEW.trimmed_seq "
    "AND e.hash = NEW.trimmed_hash))) "
    "BEGIN SELECT RAISE(ABORT, 'an audit head and its anchor move forward only, onto existing rows'); END;",
]

# 0004's definitions, for undoing.
SQLITE_OLD = [
    "CREATE TRIGGER core_auditevent_no_delete BEFORE DELETE ON core_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;",
    "CREATE TRIGGER core_audithead_no_delete BEFORE DELETE ON core_audithead "
    "BEGIN SELECT RAISE(ABORT, 'audit heads are append-only'); END;",
    "CREATE TRIGGER core_audithead_starts_empty BEFORE INSERT ON core_audithead "
    f"WHEN NEW.seq <> 0 OR NEW.hash <> {GENESIS_SQLITE} "
    "BEGIN SELECT RAISE(ABORT, 'an audit head starts at row 0'); END;",
    "CREATE TRIGGER core_audithead_forward_only BEFORE UPDATE ON core_audithead "
    "WHEN NEW.seq <> OLD.seq + 1 OR NEW.org_id IS NOT OLD.org_id OR NEW.id <> OLD.id OR NOT EXISTS ("
    "SELECT 1 FROM core_auditevent e WHERE e.org_id IS NEW.org_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash) "
    "BEGIN SELECT RAISE(ABORT, 'an audit head moves forward one existing row at a time'); END;",
]

POSTGRES_NEW = [
    "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'DELETE' AND OLD.seq <= COALESCE((SELECT h.trimmed_seq FROM core_audithead h "
    "WHERE h.org_id IS NOT DISTINCT FROM OLD.org_id), 0) THEN RETURN OLD; END IF; "
    "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'audit rows are removed only up to the chain''s trim anchor'; END IF; "
    "RAISE EXCEPTION 'audit rows are append-only'; END; $$ LANGUAGE plpgsql;",
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
    "WHERE e.org_id IS NOT DISTINCT FROM NEW.org_id AND e.seq = NEW.trimmed_seq AND e.hash = NEW.trimmed_hash))"
    ") THEN RAISE EXCEPTION 'an audit head and its anchor move forward only, onto existing rows'; END IF; "
    "RETURN NEW; END; $$ LANGUAGE plpgsql;",
]
POSTGRES_OLD = [
    "CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit rows are append-only'; END; $$ LANGUAGE plpgsql;",
    "CREATE OR REPLACE FUNCTION core_audithead_forward_only() RETURNS trigger AS $$ BEGIN "
    "IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN RAISE EXCEPTION 'audit heads are append-only'; END IF; "
    "IF TG_OP = 'INSERT' THEN IF NEW.seq <> 0 OR NEW.hash <> repeat('0', 64) THEN "
    "RAISE EXCEPTION 'an audit head starts at row 0'; END IF; RETURN NEW; END IF; "
    "IF NEW.seq <> OLD.seq + 1 OR NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.id <> OLD.id OR NOT EXISTS ("
    "SELECT 1 FROM core_auditevent e WHERE e.org_id IS NOT DISTINCT FROM NEW.org_id AND e.seq = NEW.seq "
    "AND e.hash = NEW.hash AND e.prev_hash = OLD.hash) THEN "
    "RAISE EXCEPTION 'an audit head moves forward one existing row at a time'; END IF; "
    "RETURN NEW; END; $$ LANGUAGE plpgsql;",
]


def forwards(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_NEW if postgres else SQLITE_DROP + SQLITE_NEW:
        schema_editor.execute(sql)


def backwards(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql in POSTGRES_OLD if postgres else SQLITE_DROP + SQLITE_OLD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_record_keys_and_audit_anchor")]
    operations = [migrations.RunPython(forwards, backwards)]

"""The audit chain: append-only, hash-chained, verifiable, ids and codes only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from waypoint.core import audit
from waypoint.core.models import AuditEvent


def _drop_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_update")
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")


@pytest.mark.django_db
def test_chain_links_each_row_to_the_previous() -> None:
    first = audit.record(audit.Event.LOGIN)
    second = audit.record(audit.Event.LOGOUT)
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert audit.verify_chain() == (AuditEvent.objects.count(), None)


@pytest.mark.django_db
def test_database_refuses_update_and_delete() -> None:
    row = audit.record(audit.Event.LOGIN)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(event="auth.logout")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()
    assert AuditEvent.objects.get(pk=row.pk).event == "auth.login"


@pytest.mark.django_db
def test_verify_finds_the_first_altered_row() -> None:
    rows = [audit.record(audit.Event.LOGIN) for _ in range(5)]
    _drop_triggers()
    AuditEvent.objects.filter(pk=rows[2].pk).update(event="auth.logout")
    AuditEvent.objects.filter(pk=rows[4].pk).update(event="auth.logout")
    assert audit.verify_chain()[1] == rows[2].seq
    with pytest.raises(CommandError, match=f"row {rows[2].seq}"):
        call_command("verify_audit")


@pytest.mark.django_db
def test_verify_finds_a_deleted_row() -> None:
    rows = [audit.record(audit.Event.LOGIN) for _ in range(4)]
    _drop_triggers()
    AuditEvent.objects.filter(pk=rows[1].pk).delete()
    assert audit.verify_chain()[1] == rows[1].seq


@pytest.mark.django_db
def test_verify_finds_a_removed_tail() -> None:
    rows = [audit.record(audit.Event.LOGIN) for _ in range(3)]
    _drop_triggers()
    AuditEvent.objects.filter(pk=rows[-1].pk).delete()
    assert audit.verify_chain()[1] == rows[-1].seq


@pytest.mark.django_db
def test_verify_command_reports_intact_chain(capsys: Any) -> None:
    audit.record(audit.Event.LOGIN)
    call_command("verify_audit", "--print-head")
    out = capsys.readouterr().out
    assert "intact" in out and "Head:" in out


def test_audit_rows_have_no_free_text_columns() -> None:
    fields = {f.name: f for f in AuditEvent._meta.get_fields()}
    assert set(fields) == {
        "id", "seq", "at", "org_id", "actor_id", "event", "object_type", "object_id", "count", "prev_hash", "hash"
    }  # fmt: skip
    assert fields["count"].get_internal_type() == "PositiveIntegerField"  # a number, never a value


def test_a_count_is_part_of_the_chain(db: None) -> None:
    """A count written with a row is covered by its hash: changing it is found by the verifier."""
    row = audit.record(audit.Event.AUDIT_VIEWED, count=3)
    assert row.count == 3
    assert audit.row_digest(row) == row.hash
    row.count = 4
    assert audit.row_digest(row) != row.hash
    row.count = None
    assert audit.row_digest(row) != row.hash


def test_every_event_has_a_label() -> None:
    assert set(audit.Event) == set(audit.EVENT_LABELS)


@pytest.mark.slow
def test_undoing_the_count_column_is_refused_once_rows_carry_counts(tmp_path: Any) -> None:
    """Rolling back core 0005 would drop counts that rows' hashes cover: refused, column kept."""
    import subprocess
    import sys

    env = {
        **__import__("os").environ,
        "WAYPOINT_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    run = lambda *args: subprocess.run([sys.executable, "manage.py", *args], env=env, capture_output=True, text=True)  # noqa: E731
    assert run("migrate", "-v0").returncode == 0
    script = "from waypoint.core import audit; audit.record(audit.Event.AUDIT_VIEWED, count=2)"
    assert run("shell", "-c", script).returncode == 0
    undo = run("migrate", "core", "0004", "-v0")
    assert undo.returncode != 0 and "hash chain" in undo.stderr
    assert (
        run(
            "shell",
            "-c",
            "from waypoint.core.models import AuditEvent; assert AuditEvent.objects.filter(count=2).exists()",
        ).returncode
        == 0
    )

"""One audit chain per organisation: independent sequences, a head that only moves forward, a cut
tail caught against an exported head, and the migration that re-chains existing rows."""

from __future__ import annotations

import hashlib
import importlib
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from waypoint.core import audit
from waypoint.core.models import AuditEvent, AuditHead

pytestmark = pytest.mark.django_db
ORG_A, ORG_B = uuid.uuid4(), uuid.uuid4()
migration = importlib.import_module("waypoint.core.migrations.0004_audit_chain_per_org")


def _lift_triggers() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE core_audithead DISABLE TRIGGER USER")
        else:
            for name in (
                "event_no_update",
                "event_no_delete",
                "head_no_delete",
                "head_forward_only",
                "head_starts_empty",
            ):
                cursor.execute(f"DROP TRIGGER core_audit{name}")


def test_each_organisation_counts_from_one_without_gaps() -> None:
    for _ in range(3):
        audit.record(audit.Event.LOGIN, org_id=ORG_A)
        audit.record(audit.Event.LOGIN, org_id=ORG_B)
    audit.record(audit.Event.LOGIN_FAILED)  # no organisation: the system chain
    for org in (ORG_A, ORG_B):
        assert list(AuditEvent.objects.filter(org_id=org).order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]
    assert AuditEvent.objects.get(org_id=None).seq == 1
    reports = {report.org_id: report for report in audit.verify_chains()}
    assert {reports[ORG_A].head_seq, reports[ORG_B].head_seq, reports[None].head_seq} == {3, 1}
    assert all(report.first_bad is None for report in reports.values())


def test_one_organisation_s_rows_do_not_move_another_s_head() -> None:
    audit.record(audit.Event.LOGIN, org_id=ORG_A)
    head_b = AuditHead.objects.filter(org_id=ORG_B).first()
    audit.record(audit.Event.LOGIN, org_id=ORG_A)
    assert AuditHead.objects.filter(org_id=ORG_B).first() == head_b is None
    assert AuditHead.objects.get(org_id=ORG_A).seq == 2


def test_the_head_moves_forward_only() -> None:
    audit.record(audit.Event.LOGIN, org_id=ORG_A)
    second = audit.record(audit.Event.LOGIN, org_id=ORG_A)
    head = AuditHead.objects.get(org_id=ORG_A)
    attempts = [
        lambda: AuditHead.objects.filter(pk=head.pk).update(seq=1),  # back one row
        lambda: AuditHead.objects.filter(pk=head.pk).update(seq=3, hash="f" * 64),  # onto a row that is not there
        lambda: AuditHead.objects.filter(pk=head.pk).update(org_id=ORG_B),
        lambda: AuditHead.objects.filter(pk=head.pk).delete(),
        lambda: AuditHead.objects.create(org_id=ORG_B, seq=5, hash="a" * 64),  # a head that starts mid-way
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    head.refresh_from_db()
    assert (head.seq, head.hash) == (second.seq, second.hash)


def test_a_cut_tail_with_a_rewritten_head_is_caught_against_an_exported_head(tmp_path: Path, capsys: Any) -> None:
    rows = [audit.record(audit.Event.LOGIN, org_id=ORG_A) for _ in range(4)]
    call_command("verify_audit", "--print-head")
    exported = tmp_path / "heads.txt"
    exported.write_text(capsys.readouterr().out)
    call_command("verify_audit", "--expect-head", str(exported))  # intact: no error
    _lift_triggers()
    AuditEvent.objects.filter(pk__in=[rows[-1].pk, rows[-2].pk]).delete()
    AuditHead.objects.filter(org_id=ORG_A).update(seq=rows[1].seq, hash=rows[1].hash)
    assert audit.verify_chain()[1] is None  # consistent on its own: only the exported head can tell
    with pytest.raises(CommandError, match="truncated: the exported head is row 4, the chain ends at row 2"):
        call_command("verify_audit", "--expect-head", str(exported))


def test_a_rewritten_row_at_the_exported_head_is_caught(tmp_path: Path, capsys: Any) -> None:
    rows = [audit.record(audit.Event.LOGIN, org_id=ORG_A) for _ in range(2)]
    call_command("verify_audit", "--print-head")
    exported = tmp_path / "heads.txt"
    exported.write_text(capsys.readouterr().out)
    _lift_triggers()
    AuditEvent.objects.filter(pk=rows[1].pk).update(hash="0" * 63 + "1")
    with pytest.raises(CommandError):
        call_command("verify_audit", "--expect-head", str(exported))


def test_an_unreadable_exported_head_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("verify_audit", "--expect-head", str(tmp_path / "missing.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("Head: not-an-org x y\n")
    with pytest.raises(CommandError, match="expected 'org seq hash'"):
        call_command("verify_audit", "--expect-head", str(bad))


def _old_style_row(seq: int, org: uuid.UUID | None, prev: str) -> AuditEvent:
    """A row as the single shared chain wrote it: one sequence for every organisation."""
    row = AuditEvent(seq=seq, at=timezone.now(), org_id=org, event="auth.login", object_type="", prev_hash=prev)
    material = "|".join([prev, str(seq), row.at.isoformat(), str(org or ""), "", row.event, "", ""])
    row.hash = hashlib.sha256(material.encode()).hexdigest()
    row.save()
    return row


class SchemaEditor:
    """What the migration's function uses of a schema editor, inside the test's transaction."""

    connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_rechains_existing_rows_per_organisation() -> None:
    _lift_triggers()
    prev = "0" * 64
    order = [ORG_A, ORG_B, ORG_A, None, ORG_B, ORG_A]
    for seq, org in enumerate(order, start=101):
        prev = _old_style_row(seq, org, prev).hash
    migration.rechain(apps, SchemaEditor())
    assert audit.verify_chain() == (len(order), None)
    for org, count in ((ORG_A, 3), (ORG_B, 2), (None, 1)):
        seqs = list(AuditEvent.objects.filter(org_id=org).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, count + 1))
        assert AuditHead.objects.get(org_id=org).seq == count

"""Trimming audit rows (the retention setting for audit rows, issue 13 item 6): the oldest rows of a
chain go, its anchor moves forward to the last one removed, verification starts there; rows above
the anchor still cannot be deleted, and the anchor cannot move back.  Run on PostgreSQL too with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/test."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waypoint.core import audit
from waypoint.core.models import AuditEvent, AuditHead

pytestmark = pytest.mark.django_db
OLD = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
NEW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
CUTOFF = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def _at(moment: datetime.datetime, org: uuid.UUID | None, event: str = audit.Event.LOGIN) -> AuditEvent:
    with mock.patch("django.utils.timezone.now", return_value=moment):
        return audit.record(event, org_id=org)


def _chain(org: uuid.UUID | None, old: int = 3, new: int = 2) -> list[AuditEvent]:
    rows = [_at(OLD + datetime.timedelta(days=n), org) for n in range(old)]
    return rows + [_at(NEW + datetime.timedelta(days=n), org) for n in range(new)]


def _seqs(org: uuid.UUID | None) -> list[int]:
    return list(AuditEvent.objects.filter(org_id=org).order_by("seq").values_list("seq", flat=True))


def _report(org: uuid.UUID | None) -> audit.ChainReport:
    return next(r for r in audit.verify_chains() if r.org_id == org)


def test_trim_removes_the_old_rows_records_it_and_the_chain_verifies(capsys: Any) -> None:
    org = uuid.uuid4()
    rows = _chain(org)
    assert audit.trim(org, CUTOFF) == 3
    assert _seqs(org) == [4, 5, 6]
    trimmed = AuditEvent.objects.get(org_id=org, seq=6)
    assert (trimmed.event, trimmed.count, trimmed.actor_id) == (audit.Event.AUDIT_TRIMMED, 3, None)
    head = AuditHead.objects.get(org_id=org)
    assert (head.trimmed_seq, head.trimmed_hash) == (3, rows[2].hash)
    assert (head.seq, head.hash) == (6, trimmed.hash)
    report = _report(org)
    assert (report.first_bad, report.checked, report.head_seq) == (None, 3, 6)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out
    # Nothing more is due: a second run removes and records nothing.
    assert audit.trim(org, CUTOFF) == 0
    assert _seqs(org) == [4, 5, 6]


def test_only_the_oldest_run_goes_and_other_chains_are_untouched() -> None:
    org, other = uuid.uuid4(), uuid.uuid4()
    _at(OLD, org)
    _at(NEW, org)
    _at(OLD, org)  # older-dated, but after a newer row: kept (the chain is cut only at its start)
    _chain(other)
    assert audit.trim(org, CUTOFF) == 1
    assert _seqs(org) == [2, 3, 4]
    assert _seqs(other) == [1, 2, 3, 4, 5]
    assert all(report.first_bad is None for report in audit.verify_chains())


def test_trimming_every_row_and_the_system_chain() -> None:
    _chain(None, old=2, new=0)
    assert audit.trim(None, CUTOFF) == 2
    assert _seqs(None) == [3]
    assert _report(None).first_bad is None
    org = uuid.uuid4()
    assert audit.trim(org, CUTOFF) == 0  # a chain that has no head yet
    assert not AuditEvent.objects.filter(org_id=org).exists()


def test_deleting_a_row_above_the_anchor_is_refused() -> None:
    org = uuid.uuid4()
    rows = _chain(org)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=rows[0].pk).delete()  # no anchor yet: nothing may go
    audit.trim(org, CUTOFF)
    attempts = [
        lambda: AuditEvent.objects.filter(pk=rows[3].pk).delete(),
        lambda: AuditEvent.objects.filter(org_id=org).delete(),
        lambda: AuditEvent.objects.filter(pk=rows[4].pk).update(event="auth.logout"),
    ]
    if connection.vendor == "postgresql":
        attempts.append(lambda: connection.cursor().execute("TRUNCATE core_auditevent"))
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert _seqs(org) == [4, 5, 6]


def test_the_anchor_moves_forward_only_onto_an_existing_row() -> None:
    org = uuid.uuid4()
    rows = _chain(org, old=5, new=2)  # rows 1-5 years old, 6-7 younger than the minimum period
    audit.trim(org, OLD + datetime.timedelta(days=3))  # rows 1-3
    head = AuditHead.objects.get(org_id=org)
    attempts = [
        lambda: AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=2, trimmed_hash=rows[1].hash),  # back
        lambda: AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=0, trimmed_hash="0" * 64),  # reset
        lambda: AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=4, trimmed_hash="f" * 64),  # wrong hash
        lambda: AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=99, trimmed_hash=head.hash),  # past head
        lambda: AuditHead.objects.filter(pk=head.pk).update(  # anchor and head at once
            trimmed_seq=4, trimmed_hash=rows[3].hash, seq=head.seq + 1, hash="a" * 64
        ),
        lambda: AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=6, trimmed_hash=rows[5].hash),  # too young
        lambda: AuditHead.objects.create(org_id=uuid.uuid4(), trimmed_seq=1, trimmed_hash="b" * 64),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    head.refresh_from_db()
    assert (head.trimmed_seq, head.trimmed_hash) == (3, rows[2].hash)
    # Forward onto an existing row old enough is what trim does; then that row may go.
    AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=4, trimmed_hash=rows[3].hash)
    AuditEvent.objects.filter(pk=rows[3].pk).delete()
    assert _report(org).first_bad is None


def test_the_database_role_cannot_anchor_onto_young_rows_and_erase_them(tmp_path: Path, capsys: Any) -> None:
    """The attack: move the anchor onto the head, delete every row, verify says clean.  The trigger
    lets the anchor onto a row only once it is older than the minimum audit period by the database's
    clock, and ``trim`` never removes younger rows whatever cut-off it is given."""
    org = uuid.uuid4()
    now = datetime.datetime.now(tz=datetime.UTC)
    young = [_at(now - datetime.timedelta(days=364), org), _at(now - datetime.timedelta(hours=1), org)]
    call_command("verify_audit", "--print-head")
    exported = tmp_path / "heads.txt"
    exported.write_text(capsys.readouterr().out)
    head = AuditHead.objects.get(org_id=org)
    for seq, row in ((2, young[1]), (1, young[0])):
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=seq, trimmed_hash=row.hash)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(org_id=org).delete()
    assert audit.trim(org, now + datetime.timedelta(days=1)) == 0  # a cut-off in the future: nothing young goes
    assert _seqs(org) == [1, 2]
    assert f"{org} 2 {young[1].hash} {young[1].at.isoformat()}" in exported.read_text()
    call_command("verify_audit", "--expect-head", str(exported))  # untouched chain: still fine
    # Someone with owner rights lifts the guards, anchors onto the head and erases the chain: the
    # chain verifies, but the exported head (younger than the period) gives it away.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_audithead DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_audithead_forward_only")
    AuditHead.objects.filter(pk=head.pk).update(trimmed_seq=2, trimmed_hash=young[1].hash)
    AuditEvent.objects.filter(org_id=org).delete()
    assert _report(org).first_bad is None
    with pytest.raises(Exception, match="before the minimum audit period \\(365 days\\) ended"):
        call_command("verify_audit", "--expect-head", str(exported))
    assert "no time" in audit.check_against_exported(org, 2, young[1].hash)  # an export without times
    old_enough = now - datetime.timedelta(days=400)
    assert audit.check_against_exported(org, 2, young[1].hash, old_enough) == ""
    assert audit.check_against_exported(org, 1, young[0].hash, old_enough) == ""


def test_a_first_row_that_does_not_link_to_the_anchor_is_reported() -> None:
    org = uuid.uuid4()
    _chain(org)
    audit.trim(org, CUTOFF)
    with connection.cursor() as cursor:  # someone with owner rights lifts the guard and removes row 4
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER core_auditevent_no_delete")
    AuditEvent.objects.filter(org_id=org, seq=4).delete()
    assert _report(org).first_bad == 4
    with pytest.raises(Exception, match="broken at row 4"):
        call_command("verify_audit")


def test_an_exported_head_that_was_trimmed_since_still_checks(tmp_path: Path, capsys: Any) -> None:
    org = uuid.uuid4()
    rows = _chain(org, old=3, new=0)
    call_command("verify_audit", "--print-head")
    exported = tmp_path / "heads.txt"
    exported.write_text(capsys.readouterr().out)
    _at(NEW, org)
    assert audit.trim(org, CUTOFF) == 3  # the exported head (row 3) is the anchor now
    call_command("verify_audit", "--expect-head", str(exported))
    assert audit.check_against_exported(org, 3, rows[2].hash, rows[2].at) == ""
    assert audit.check_against_exported(org, 3, "e" * 64, rows[2].at) == "row 3 differs from the exported head"
    assert audit.check_against_exported(org, 2, rows[1].hash, rows[1].at) == ""  # below the anchor: vouched for


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ages=st.lists(st.booleans(), min_size=1, max_size=8), victim=st.integers(min_value=0, max_value=20))
def test_any_trim_leaves_a_valid_chain_and_refuses_every_row_above_the_anchor(ages: list[bool], victim: int) -> None:
    """``ages``: True for a row older than the cut-off.  Whatever the mix, the oldest run goes, the
    chain verifies, and no remaining row can be deleted."""
    org = uuid.uuid4()
    for n, old in enumerate(ages):
        _at((OLD if old else NEW) + datetime.timedelta(minutes=n), org)
    leading = next((n for n, old in enumerate(ages) if not old), len(ages))
    assert audit.trim(org, CUTOFF) == leading
    remaining = _seqs(org)
    assert remaining == list(range(leading + 1, len(ages) + 1 + (1 if leading else 0)))
    assert _report(org).first_bad is None
    target = remaining[victim % len(remaining)]
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(org_id=org, seq=target).delete()

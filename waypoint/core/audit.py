"""The audit trail: every read of a record, and every write in the same transaction as the change.

Each organisation has its own hash chain and its own sequence (rows with no organisation, such as a
failed sign-in for an unknown name, form a system chain).  So organisations never wait on each
other's audit rows, and an auditor of one organisation sees no gaps made by another.

Defends against: silent alteration or deletion of audit rows (each row chains the SHA-256 of the
previous one in its organisation's chain and ``verify_audit`` finds the first break; database
triggers refuse UPDATE and DELETE); rewriting the chain head (triggers let a head move forward only,
one row at a time, onto a row that exists and links to the previous head); personal data leaking
through the audit log (rows hold only ids and event codes).

Trimming (the retention setting for audit rows): ``trim`` removes a chain's oldest rows and moves
its head's anchor (``trimmed_seq``/``trimmed_hash``, the last removed row) forward, in the same
transaction that records ``audit.trimmed`` with the count.  Triggers let the anchor move forward
only, onto an existing row older than ``MINIMUM_KEEP_DAYS`` by the database's clock, and refuse
deleting any row above it; verifying starts at the anchor.  An exported head (``verify_audit
--print-head`` prints its time too) that was trimmed since is accepted only if that row was older
than the minimum period.

Does not defend against: an attacker with database owner rights who drops the triggers and rewrites
a chain from some row onwards, or cuts its tail and moves the head back.  Export the heads
elsewhere (``verify_audit --print-head``) and check against them (``verify_audit --expect-head``):
a chain shorter than an exported head, or with another hash at that row, is reported.

Apps declare their own event codes (``register``); this module knows only the platform's
(sign-in, staff, quick exit, refused access, the audit log itself, system commands).
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core import locktrace
from waypoint.core.models import AuditEvent, AuditHead

GENESIS = "0" * 64
# Audit rows are kept at least this long: the triggers (migration 0009) let a chain's anchor move
# only onto a row older than this by the database's clock, so trimming cannot remove younger rows.
MINIMUM_KEEP_DAYS = 365
# ``trim`` keeps one more day, so a clock difference between the application and the database never
# makes the trigger refuse a trim.
CLOCK_MARGIN = datetime.timedelta(days=1)


class Event(StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOCKOUT = "auth.lockout"
    LOGOUT = "auth.logout"
    MFA_ENROLLED = "auth.mfa_enrolled"
    MFA_FAILED = "auth.mfa_failed"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    RECOVERY_CODES_RENEWED = "auth.recovery_codes_renewed"
    STEP_UP = "auth.step_up"
    STEP_UP_FAILED = "auth.step_up_failed"
    SESSIONS_ENDED = "auth.sessions_ended"
    SESSION_EXPIRED = "auth.session_expired"
    PASSWORD_SET = "auth.password_set"  # noqa: S105 (an event code)
    QUICK_EXIT = "exit.quick"
    STAFF_INVITED = "staff.invited"
    STAFF_ACTIVATED = "staff.activated"
    STAFF_DEACTIVATED = "staff.deactivated"
    STAFF_REACTIVATED = "staff.reactivated"
    STAFF_ROLES_CHANGED = "staff.roles_changed"
    STAFF_CLINICAL_ROLE_GRANTED = "staff.clinical_role_granted"
    STAFF_UNLOCKED = "staff.unlocked"
    ORG_SETTINGS_CHANGED = "org.settings_changed"
    ACCESS_DENIED = "access.denied"
    AUDIT_VIEWED = "audit.viewed"
    KEYS_ROTATED = "system.keys_rotated"
    BACKUP_RESTORED = "system.backup_restored"
    AUDIT_TRIMMED = "audit.trimmed"


EVENT_LABELS: dict[str, Any] = {
    Event.LOGIN: _("Signed in"),
    Event.LOGIN_FAILED: _("Sign-in failed"),
    Event.LOCKOUT: _("Sign-in locked after repeated failures"),
    Event.LOGOUT: _("Signed out"),
    Event.MFA_ENROLLED: _("Authenticator app set up"),
    Event.MFA_FAILED: _("Wrong authenticator code"),
    Event.RECOVERY_CODE_USED: _("Recovery code used"),
    Event.RECOVERY_CODES_RENEWED: _("Recovery codes replaced"),
    Event.STEP_UP: _("Identity confirmed again"),
    Event.STEP_UP_FAILED: _("Identity confirmation failed"),
    Event.SESSIONS_ENDED: _("Sessions ended"),
    Event.SESSION_EXPIRED: _("Session expired"),
    Event.PASSWORD_SET: _("Password set"),
    Event.QUICK_EXIT: _("Quick exit used"),
    Event.STAFF_INVITED: _("Staff member invited"),
    Event.STAFF_ACTIVATED: _("Staff account activated"),
    Event.STAFF_DEACTIVATED: _("Staff member deactivated"),
    Event.STAFF_REACTIVATED: _("Staff member reactivated"),
    Event.STAFF_ROLES_CHANGED: _("Roles changed"),
    Event.STAFF_CLINICAL_ROLE_GRANTED: _("Role that opens records granted"),
    Event.STAFF_UNLOCKED: _("Sign-in unlocked by an admin"),
    Event.ORG_SETTINGS_CHANGED: _("Organisation settings changed"),
    Event.ACCESS_DENIED: _("Access refused"),
    Event.AUDIT_VIEWED: _("Audit log viewed"),
    Event.KEYS_ROTATED: _("Encryption keys rotated"),
    Event.BACKUP_RESTORED: _("Backup restored"),
    Event.AUDIT_TRIMMED: _("Older audit rows removed (retention)"),
}


# --- The event registry: apps declare their codes where they are defined -------------------------


@dataclass(frozen=True)
class EventSpec:
    code: str
    label: Any
    shows_record: bool  # the event is written when a page shows record data (a read)


_REGISTRY: dict[str, EventSpec] = {code: EventSpec(code, label, False) for code, label in EVENT_LABELS.items()}


def register(labels: Mapping[Any, Any], *, reads: Iterable[Any] = ()) -> None:
    """Declare an app's event codes with their labels; ``reads`` are the ones written when a page
    shows record data.  A code declared twice with another meaning is a programming error."""
    read_codes = {str(code) for code in reads}
    for code, label in labels.items():
        spec = EventSpec(str(code), label, str(code) in read_codes)
        existing = _REGISTRY.get(spec.code)
        assert existing is None or existing == spec, f"audit event {spec.code} declared twice"
        _REGISTRY[spec.code] = spec
    assert read_codes <= set(_REGISTRY), "a read event without a label"


def label(code: str) -> Any:
    spec = _REGISTRY.get(code)
    return spec.label if spec else code


def labels() -> dict[str, Any]:
    """Every declared event code and its label (the audit log's filter)."""
    return {code: spec.label for code, spec in _REGISTRY.items()}


def read_events() -> frozenset[str]:
    return frozenset(code for code, spec in _REGISTRY.items() if spec.shows_record)


# --- Writing -------------------------------------------------------------------------------------


def _digest(
    prev_hash: str, seq: int, at: str, org: str, actor: str, event: str, otype: str, oid: str, count: int | None
) -> str:
    material = "|".join([prev_hash, str(seq), at, org, actor, event, otype, oid])
    if count is not None:  # rows written before counts existed keep their digest
        material += f"|n={count}"
    return hashlib.sha256(material.encode()).hexdigest()


def row_digest(row: AuditEvent) -> str:
    return _digest(
        row.prev_hash,
        row.seq,
        row.at.isoformat(),
        str(row.org_id or ""),
        str(row.actor_id or ""),
        row.event,
        row.object_type,
        str(row.object_id or ""),
        row.count,
    )


def _create_head(org_id: uuid.UUID | None) -> None:
    """A chain's head at row 0, the first time an organisation writes (a concurrent creator wins)."""
    try:
        with transaction.atomic():
            AuditHead.objects.create(org_id=org_id, seq=0, hash=GENESIS)
    except IntegrityError:
        pass


# The append is a few precompiled statements, not ORM calls: the chain head stays locked only for
# the read of the head, the insert and the head's move, with no query building in between (under
# load, every Python step inside the lock is a chance for the holder to lose the CPU).
_HEAD = "SELECT id, seq, hash FROM core_audithead WHERE org_id {match}{lock}"
_INSERT = (
    "INSERT INTO core_auditevent (seq, at, org_id, actor_id, event, object_type, object_id, count, prev_hash, hash) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)
_MOVE_HEAD = "UPDATE core_audithead SET seq = %s, hash = %s WHERE id = %s"
_UUID = AuditEvent._meta.get_field("org_id")
_AT = AuditEvent._meta.get_field("at")


def _head_sql(org_id: uuid.UUID | None) -> str:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return _HEAD.format(match="IS NULL" if org_id is None else "= %s", lock=lock)


def record(
    event: str,
    *,
    org_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    object_type: str = "",
    object_id: uuid.UUID | None = None,
    count: int | None = None,
) -> AuditEvent:
    """Append one row to the organisation's chain inside the caller's transaction (or a new one).
    ``count`` is a number about the event (how many results a search found), never a field value."""
    row = AuditEvent(
        at=timezone.now(), org_id=org_id, actor_id=actor_id, event=str(event), object_type=object_type,
        object_id=object_id, count=count,
    )  # fmt: skip
    at, org, actor, obj = (
        _AT.get_db_prep_value(row.at, connection),
        *(_UUID.get_db_prep_value(value, connection) for value in (org_id, actor_id, object_id)),
    )
    head_sql, head_params = _head_sql(org_id), [] if org_id is None else [org]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(head_sql, head_params)
        head = cursor.fetchone()
        if head is None:
            _create_head(org_id)
            cursor.execute(head_sql, head_params)
            head = cursor.fetchone()
        locktrace.chain_locked()  # held from here until the commit
        head_id, row.prev_hash, row.seq = head[0], head[2], head[1] + 1
        row.hash = row_digest(row)
        cursor.execute(_INSERT, [row.seq, at, org, actor, row.event, object_type, obj, count, row.prev_hash, row.hash])
        row.pk = cursor.fetchone()[0]
        cursor.execute(_MOVE_HEAD, [row.seq, row.hash, head_id])
    row._state.adding, row._state.db = False, connection.alias
    return row


def record_for(
    request: HttpRequest, event: str, obj: Any = None, object_type: str = "", count: int | None = None
) -> AuditEvent:
    """Record an event by the signed-in user, about ``obj`` (any model with a UUID ``id``)."""
    user = request.user
    return record(
        event,
        org_id=getattr(user, "org_id", None),
        actor_id=getattr(user, "id", None) if user.is_authenticated else None,
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id=getattr(obj, "id", None),
        count=count,
    )


def record_by(staff: Any, event: str, obj: Any = None, object_type: str = "", count: int | None = None) -> AuditEvent:
    """Record an event by ``staff`` (an action's actor), about ``obj``."""
    return record(
        event,
        org_id=staff.org_id,
        actor_id=staff.id,
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id=getattr(obj, "id", None),
        count=count,
    )


# --- Verifying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    org_id: uuid.UUID | None
    checked: int
    first_bad: int | None  # the first sequence number that is altered, missing or beyond the end
    head_seq: int
    head_hash: str
    head_at: datetime.datetime | None = None  # when the last row checked was written (None: no row)


def _verify_one(org_id: uuid.UUID | None, batch: int) -> ChainReport:
    """Walk the chain from its anchor (row 0, or the last trimmed row): the first remaining row must
    link to the anchor's hash."""
    head = AuditHead.objects.filter(org_id=org_id).first()
    anchor_seq, anchor_hash = (head.trimmed_seq, head.trimmed_hash) if head is not None else (0, GENESIS)
    expected_prev, expected_seq, checked, last = anchor_hash, anchor_seq + 1, 0, anchor_seq
    last_at: datetime.datetime | None = None
    rows_of_org = AuditEvent.objects.filter(org_id=org_id)
    while True:
        rows = list(rows_of_org.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq or row.prev_hash != expected_prev or row.hash != row_digest(row):
                bad = row.seq if row.seq == expected_seq else expected_seq
                return ChainReport(org_id, checked, bad, last, expected_prev)
            expected_prev, expected_seq, last, last_at = row.hash, row.seq + 1, row.seq, row.at
            checked += 1
    if head is not None and (head.seq != last or head.hash != expected_prev):
        return ChainReport(org_id, checked, last + 1, last, expected_prev)  # rows after `last` were removed
    return ChainReport(org_id, checked, None, last, expected_prev, last_at)


def chains() -> list[uuid.UUID | None]:
    """Every chain that has rows or a head: the system chain (None) first."""
    orgs = set(AuditHead.objects.values_list("org_id", flat=True))
    orgs |= set(AuditEvent.objects.values_list("org_id", flat=True).distinct())
    return sorted(orgs, key=lambda org: (org is not None, str(org)))


def verify_chains(batch: int = 5000) -> list[ChainReport]:
    return [_verify_one(org_id, batch) for org_id in chains()]


def verify_chain(batch: int = 5000) -> tuple[int, int | None]:
    """Every chain in turn; return (rows checked, first bad seq of the first broken chain or None)."""
    checked = 0
    for report in verify_chains(batch):
        checked += report.checked
        if report.first_bad is not None:
            return checked, report.first_bad
    return checked, None


def check_against_exported(org_id: uuid.UUID | None, seq: int, hash_: str, at: datetime.datetime | None = None) -> str:
    """Compare a chain with a head exported earlier (row ``seq`` with hash ``hash_``, written at
    ``at``): '' when the chain still holds that row with that hash, or trimmed it as retention
    allows; else why not (a cut tail, a rewritten row, rows removed before the minimum audit period
    ended, or a trimmed head whose time was not exported)."""
    if seq == 0:
        return ""  # the chain was empty when its head was exported
    head = AuditHead.objects.filter(org_id=org_id).first()
    if head is not None and seq <= head.trimmed_seq:
        if seq == head.trimmed_seq and head.trimmed_hash != hash_:
            return f"row {seq} differs from the exported head"
        if at is None:
            return f"row {seq} was trimmed since, and the exported head has no time to check it against"
        if at > timezone.now() - datetime.timedelta(days=MINIMUM_KEEP_DAYS):
            return f"row {seq} was removed before the minimum audit period ({MINIMUM_KEEP_DAYS} days) ended"
        return ""  # trimmed since (retention): the anchor vouches for the rows after it
    row = AuditEvent.objects.filter(org_id=org_id, seq=seq).first()
    if row is None:
        last = AuditEvent.objects.filter(org_id=org_id).order_by("-seq").values_list("seq", flat=True).first()
        return f"truncated: the exported head is row {seq}, the chain ends at row {last or 0}"
    if row.hash != hash_:
        return f"row {seq} differs from the exported head"
    return ""


# --- Trimming (retention) ------------------------------------------------------------------------

_ANCHOR_SQL = "SELECT id, seq, trimmed_seq FROM core_audithead WHERE org_id {match}{lock}"


def trim(org_id: uuid.UUID | None, before: datetime.datetime) -> int:
    """Remove the chain's rows written before ``before`` (the oldest run of them: a row is kept if
    an older-dated row follows a newer one), move the anchor to the last removed row, and record
    ``audit.trimmed`` with the count, in one transaction.  Returns how many rows were removed (0:
    nothing was due, and nothing is recorded).  Rows younger than the minimum audit period
    (``MINIMUM_KEEP_DAYS``, plus ``CLOCK_MARGIN``) are never removed, whatever ``before`` says."""
    before = min(before, timezone.now() - datetime.timedelta(days=MINIMUM_KEEP_DAYS) - CLOCK_MARGIN)
    match = "IS NULL" if org_id is None else "= %s"
    params = [] if org_id is None else [_UUID.get_db_prep_value(org_id, connection)]
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_ANCHOR_SQL.format(match=match, lock=lock), params)
            head = cursor.fetchone()
        if head is None:
            return 0
        head_id, head_seq, trimmed_seq = head
        rows = AuditEvent.objects.filter(org_id=org_id, seq__gt=trimmed_seq, seq__lte=head_seq)
        first_kept = rows.filter(at__gte=before).order_by("seq").values_list("seq", flat=True).first()
        last_removed = head_seq if first_kept is None else first_kept - 1
        if last_removed <= trimmed_seq:
            return 0
        anchor_hash = rows.filter(seq=last_removed).values_list("hash", flat=True).get()
        AuditHead.objects.filter(pk=head_id).update(trimmed_seq=last_removed, trimmed_hash=anchor_hash)
        removed, _by_model = AuditEvent.objects.filter(org_id=org_id, seq__lte=last_removed).delete()
        record(Event.AUDIT_TRIMMED, org_id=org_id, object_type="auditevent", count=removed)
    return int(removed)

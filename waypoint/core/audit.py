"""The audit trail: every read of a record and every write, in the same transaction as the change.

Defends against: silent alteration or deletion of audit rows (each row chains the SHA-256 of the
previous one and ``verify_audit`` finds the first break; database triggers refuse UPDATE and DELETE);
personal data leaking through the audit log (rows hold only ids and event codes).

Does not defend against: an attacker with database owner rights who rewrites the whole chain from
some row onwards; export the head hash to somewhere else (``verify_audit --print-head``) to catch that.
"""

from __future__ import annotations

import hashlib
import uuid
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.models import AuditEvent, AuditHead


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
    ORG_SETTINGS_CHANGED = "org.settings_changed"
    PERSON_VIEWED = "person.viewed"
    PERSON_TIMELINE_VIEWED = "person.timeline_viewed"
    PERSON_CREATED = "person.created"
    PERSON_UPDATED = "person.updated"
    PERSON_CONFLICT = "person.conflict"
    PEOPLE_SEARCHED = "people.searched"
    ENCOUNTER_STARTED = "encounter.started"
    ENCOUNTER_VIEWED = "encounter.viewed"
    ENCOUNTER_UPDATED = "encounter.updated"
    ENCOUNTER_CLOSED = "encounter.closed"
    ENCOUNTER_AMENDED = "encounter.amended"
    SEPARATION_REQUESTED = "separation.requested"
    SEPARATION_UPDATED = "separation.updated"
    PLAN_STARTED = "plan.started"
    PLAN_VIEWED = "plan.viewed"
    PLAN_UPDATED = "plan.updated"
    PLAN_CONFLICT = "plan.conflict"
    PLAN_VERSIONS_VIEWED = "plan.versions_viewed"
    PLAN_CHECK_IN = "plan.check_in"
    PLAN_CARRY_RECORDED = "plan.carry_recorded"
    PLAN_PRINTED = "plan.printed"
    CARD_PRINTED = "plan.card_printed"
    PRINT_REFUSED = "plan.print_refused"
    PLAN_MEMORISE_VIEWED = "plan.memorise_viewed"
    SERVICES_VIEWED = "services.viewed"
    SERVICE_ADDED = "services.added"
    SERVICE_UPDATED = "services.updated"
    TASK_DONE = "task.done"
    ACCESS_DENIED = "access.denied"
    AUDIT_VIEWED = "audit.viewed"
    KEYS_ROTATED = "system.keys_rotated"
    BACKUP_RESTORED = "system.backup_restored"


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
    Event.ORG_SETTINGS_CHANGED: _("Organisation settings changed"),
    Event.PERSON_VIEWED: _("Record viewed"),
    Event.PERSON_TIMELINE_VIEWED: _("Timeline viewed"),
    Event.PERSON_CREATED: _("Record created"),
    Event.PERSON_UPDATED: _("Record changed"),
    Event.PERSON_CONFLICT: _("Edit conflict shown"),
    Event.PEOPLE_SEARCHED: _("Records searched"),
    Event.ENCOUNTER_STARTED: _("Encounter started"),
    Event.ENCOUNTER_VIEWED: _("Encounter viewed"),
    Event.ENCOUNTER_UPDATED: _("Encounter step recorded"),
    Event.ENCOUNTER_CLOSED: _("Encounter closed"),
    Event.ENCOUNTER_AMENDED: _("Encounter amended"),
    Event.SEPARATION_REQUESTED: _("Separation requested"),
    Event.SEPARATION_UPDATED: _("Separation recorded"),
    Event.PLAN_STARTED: _("Safety plan started"),
    Event.PLAN_VIEWED: _("Safety plan viewed"),
    Event.PLAN_UPDATED: _("Safety plan changed"),
    Event.PLAN_CONFLICT: _("Safety plan edit conflict shown"),
    Event.PLAN_VERSIONS_VIEWED: _("Safety plan versions viewed"),
    Event.PLAN_CHECK_IN: _("Check-in done during safety planning"),
    Event.PLAN_CARRY_RECORDED: _("Safe-to-carry answer recorded"),
    Event.PLAN_PRINTED: _("Safety plan printed or downloaded"),
    Event.CARD_PRINTED: _("Wallet card printed or downloaded"),
    Event.PRINT_REFUSED: _("Printing refused"),
    Event.PLAN_MEMORISE_VIEWED: _("Items to memorise shown"),
    Event.SERVICES_VIEWED: _("Services ledger viewed"),
    Event.SERVICE_ADDED: _("Service added to the ledger"),
    Event.SERVICE_UPDATED: _("Service in the ledger changed"),
    Event.TASK_DONE: _("Follow-up task done"),
    Event.ACCESS_DENIED: _("Access refused"),
    Event.AUDIT_VIEWED: _("Audit log viewed"),
    Event.KEYS_ROTATED: _("Encryption keys rotated"),
    Event.BACKUP_RESTORED: _("Backup restored"),
}


def _digest(prev_hash: str, seq: int, at: str, org: str, actor: str, event: str, otype: str, oid: str) -> str:
    material = "|".join([prev_hash, str(seq), at, org, actor, event, otype, oid])
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
    )


def record(
    event: Event,
    *,
    org_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    object_type: str = "",
    object_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Append one row to the chain inside the caller's transaction (or a new one)."""
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        row = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            org_id=org_id,
            actor_id=actor_id,
            event=str(event),
            object_type=object_type,
            object_id=object_id,
            prev_hash=head.hash,
        )
        row.hash = row_digest(row)
        row.save()
        head.seq, head.hash = row.seq, row.hash
        head.save(update_fields=["seq", "hash"])
    return row


def record_for(request: HttpRequest, event: Event, obj: Any = None, object_type: str = "") -> AuditEvent:
    """Record an event by the signed-in user, about ``obj`` (any model with a UUID ``id``)."""
    user = request.user
    return record(
        event,
        org_id=getattr(user, "org_id", None),
        actor_id=getattr(user, "id", None) if user.is_authenticated else None,
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id=getattr(obj, "id", None),
    )


def verify_chain(batch: int = 5000) -> tuple[int, int | None]:
    """Walk the chain in order; return (rows checked, first bad seq or None)."""
    expected_prev = "0" * 64
    expected_seq = 1
    checked = 0
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq or row.prev_hash != expected_prev or row.hash != row_digest(row):
                return checked, row.seq if row.seq == expected_seq else expected_seq
            expected_prev, expected_seq, last = row.hash, row.seq + 1, row.seq
            checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != last or head.hash != expected_prev):
        return checked, last + 1  # rows after the last one found were removed
    return checked, None

"""The access rule for the audit trail: auditors and org admins see their own organisation's rows
(each organisation has its own chain and sequence); everyone else sees none."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role

READERS = (Role.AUDITOR, Role.ORG_ADMIN)


def audit_rows_for(user: Any) -> QuerySet[AuditEvent]:
    if not user.is_authenticated or not user.has_role(*READERS):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(org_id=user.org_id)

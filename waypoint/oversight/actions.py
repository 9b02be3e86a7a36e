"""What the oversight pages write: only that the audit log was looked at (who watches the watchers)."""

from __future__ import annotations

from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Staff


def record_audit_view(staff: Staff) -> AuditEvent:
    """One row each time the audit log is shown, written after the page's rows were read (so a page
    does not list its own view)."""
    return audit.record_by(staff, audit.Event.AUDIT_VIEWED, object_type="audit")

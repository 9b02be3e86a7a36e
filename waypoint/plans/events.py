"""Audit event codes of safety plans."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class PlanEvent(StrEnum):
    STARTED = "plan.started"
    VIEWED = "plan.viewed"
    UPDATED = "plan.updated"
    CONFLICT = "plan.conflict"
    VERSIONS_VIEWED = "plan.versions_viewed"
    CHECK_IN = "plan.check_in"


audit.register(
    {
        PlanEvent.STARTED: _("Safety plan started"),
        PlanEvent.VIEWED: _("Safety plan viewed"),
        PlanEvent.UPDATED: _("Safety plan changed"),
        PlanEvent.CONFLICT: _("Safety plan edit conflict shown"),
        PlanEvent.VERSIONS_VIEWED: _("Safety plan versions viewed"),
        PlanEvent.CHECK_IN: _("Check-in done during safety planning"),
    },
    reads=[PlanEvent.VIEWED, PlanEvent.CONFLICT, PlanEvent.VERSIONS_VIEWED],
)

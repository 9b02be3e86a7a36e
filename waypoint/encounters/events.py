"""Audit event codes of encounters and separation."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class EncounterEvent(StrEnum):
    STARTED = "encounter.started"
    VIEWED = "encounter.viewed"
    UPDATED = "encounter.updated"
    CLOSED = "encounter.closed"
    AMENDED = "encounter.amended"
    SEPARATION_REQUESTED = "separation.requested"
    SEPARATION_UPDATED = "separation.updated"
    SEPARATION_VIEWED = "separation.viewed"
    SEE_ALONE_SAVED = "org.see_alone_saved"  # the organisation's see-alone policy (object: the organisation)


audit.register(
    {
        EncounterEvent.STARTED: _("Encounter started"),
        EncounterEvent.VIEWED: _("Encounter viewed"),
        EncounterEvent.UPDATED: _("Encounter step recorded"),
        EncounterEvent.CLOSED: _("Encounter closed"),
        EncounterEvent.AMENDED: _("Encounter amended"),
        EncounterEvent.SEPARATION_REQUESTED: _("Separation requested"),
        EncounterEvent.SEPARATION_UPDATED: _("Separation recorded"),
        EncounterEvent.SEPARATION_VIEWED: _("Separation viewed"),
        EncounterEvent.SEE_ALONE_SAVED: _("See-alone policy saved"),
    },
    reads=[EncounterEvent.VIEWED, EncounterEvent.SEPARATION_VIEWED],
)

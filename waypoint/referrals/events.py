"""Audit event codes of the services ledger."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class ServiceEvent(StrEnum):
    VIEWED = "services.viewed"
    ADDED = "services.added"
    UPDATED = "services.updated"


audit.register(
    {
        ServiceEvent.VIEWED: _("Services ledger viewed"),
        ServiceEvent.ADDED: _("Service added to the ledger"),
        ServiceEvent.UPDATED: _("Service in the ledger changed"),
    },
    reads=[ServiceEvent.VIEWED],
)

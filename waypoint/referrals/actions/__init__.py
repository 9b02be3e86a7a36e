"""Every change this app makes, one module per subject; each function is one atomic transaction
writing its own audit row.  Views, commands and the API call these; nothing else writes."""

from waypoint.referrals.actions.services import add_service, update_service

__all__ = ["add_service", "update_service"]

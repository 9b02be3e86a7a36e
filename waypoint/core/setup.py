"""The set-up list on an organisation administrator's home page: what the apps say must be set up
before providers rely on it (``waypoint.core.registry.setup_items``), what is still to do first."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from waypoint.core.registry import HomePanel, home_panels, setup_items


def _setup(request: HttpRequest) -> dict[str, Any] | None:
    if not getattr(request.user, "is_org_admin", False) or not len(setup_items):
        return None
    rows = []
    for item in sorted(setup_items, key=lambda item: item.order):
        state = item.state(request)
        rows.append({"label": item.label, "url": reverse(item.url_name), "state": state})
    rows.sort(key=lambda row: row["state"].done)  # still to do first, each group in its order
    return {"setup_items": rows, "to_do": sum(not row["state"].done for row in rows)}


def register() -> None:
    home_panels.register("setup", HomePanel("core/home_setup.html", 45, _setup))

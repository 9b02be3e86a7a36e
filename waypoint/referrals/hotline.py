"""The built-in National Human Trafficking Hotline listing: one row every organisation sees, which
nobody can edit, archive or remove.  Written by the migration and again after every
``post_migrate`` (a test database flush empties tables and then sends that signal)."""

from __future__ import annotations

from typing import Any

from waypoint.referrals.models import HOTLINE_ID, Population, ServiceKind

HOTLINE = {
    "name": "National Human Trafficking Hotline",
    "services": [ServiceKind.HOTLINE.value, ServiceKind.CASE_MANAGEMENT.value, ServiceKind.INTERPRETATION.value],
    "populations": [p.value for p in Population],
    "languages": ["English", "Spanish", "200+ through interpreters"],
    "hours": "24/7",
    "warm_transfer": True,
    "phone": "1-888-373-7888",
    "text_number": "233733",
    "website": "humantraffickinghotline.org",
}


def ensure_hotline(model: Any = None, using: str = "default") -> None:
    """Create the hotline row if it is missing (``model`` is the migration's historical model)."""
    if model is None:
        from waypoint.referrals.models import DirectoryEntry as model
    model.objects.using(using).update_or_create(pk=HOTLINE_ID, defaults={"builtin": True, "org": None, **HOTLINE})


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    tables = connections[using].introspection.table_names()
    if "referrals_directoryentry" in tables:
        ensure_hotline(using=using)

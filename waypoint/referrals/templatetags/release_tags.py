"""Template filters for releases of information (the release list partial, included by other pages
with only ``releases`` and ``person`` in their context)."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone

from waypoint.referrals.models import Release, ReleaseItem

register = template.Library()
ITEM_LABELS = dict(ReleaseItem.choices)


@register.filter
def release_items(release: Release) -> list[Any]:
    """The labels of the items a release covers, in the list's order."""
    chosen = set(release.items or ())
    return [ITEM_LABELS[item] for item in ReleaseItem.values if item in chosen]


@register.filter
def release_until(release: Release) -> datetime.date:
    """The last day a release holds (``expires_at`` is the first moment it no longer does)."""
    return (timezone.localtime(release.expires_at) - datetime.timedelta(days=1)).date()

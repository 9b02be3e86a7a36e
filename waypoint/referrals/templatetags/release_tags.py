"""Template filters for releases of information (the release list partial, included by other pages
with only ``releases`` and ``person`` in their context)."""

from __future__ import annotations

import datetime
from typing import Any

from django import template

from waypoint.referrals import sharing
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
    return sharing.last_day(release)


@register.filter
def release_recipient(release: Release) -> Any:
    """The recipient as the release was signed: a directory listing's name as it was then (stored
    with the release), not as the listing is called now.  The built-in hotline keeps its translated
    name; releases recorded before names were stored show the listing's current name."""
    return release.recipient_label


@register.filter
def recipient_renamed(release: Release) -> bool:
    """Whether the directory listing a release names is now called something else than when the
    release was signed (the person agreed to share with the one they were told of): the same test
    as the share refusal, ``sharing.recipient_changed``."""
    return sharing.recipient_changed(release)

"""Changes to the questions and scripts: each save is a new version of the whole set, so answers
already given keep the words they were asked in.  One atomic transaction with its audit row."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.db.models import Max

from waypoint.content.models import ContentLine, ContentSet
from waypoint.core import audit
from waypoint.core.concurrency import StaleVersion
from waypoint.orgs.models import Staff


@transaction.atomic
def new_content_version(
    staff: Staff, kind: str, language: str, texts: Mapping[str, str], *, expected_version: int
) -> ContentSet:
    """A new version of the organisation's ``kind`` set: the lines of ``language`` from ``texts`` (in
    the set's key order), every other language copied from the current version.  Raises
    ``StaleVersion`` (with the current set) when the editor started from an older version."""
    current = ContentSet.current(staff.org_id, kind)
    if current.version != expected_version:
        raise StaleVersion(current)
    newest = ContentSet.objects.filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
    created = ContentSet.objects.create(org_id=staff.org_id, kind=kind, version=newest + 1, created_by_id=staff.id)
    for line in current.content_lines.exclude(language=language):
        ContentLine.objects.create(
            content_set=created, key=line.key, order=line.order, language=line.language, text=line.text
        )
    for order, key in enumerate(current.keys()):
        ContentLine.objects.create(content_set=created, key=key, order=order, language=language, text=texts[key])
    audit.record_by(staff, audit.Event.ORG_SETTINGS_CHANGED, staff.org)
    return created

"""Questions and read-aloud scripts as versioned data, per language.

Version 1 of each set is Waypoint's default (organisation empty), loaded from ``source.py``.  An
organisation that adjusts wording or adds a language gets a new version of the whole set; answers
point at the version they were asked in, so old answers always show the words that were read."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from waypoint.orgs.models import Organisation


class ContentSet(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=30)
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "kind", "version"], name="content_version_unique")]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"

    @classmethod
    def current(cls, org_id: uuid.UUID, kind: str) -> ContentSet:
        """The organisation's newest version, else Waypoint's default."""
        mine_or_default = models.Q(org_id=org_id) | models.Q(org__isnull=True)
        # One query: the organisation's rows first (nulls last), newest first within each.
        ordered = cls.objects.filter(mine_or_default, kind=kind).order_by(
            models.F("org").asc(nulls_last=True), "-version"
        )
        found = ordered.first()
        if found is None:
            raise cls.DoesNotExist(kind)
        return found

    def lines(self, language: str) -> list[ContentLine]:
        """Lines in ``language``, falling back to English line by line (a fallen-back line keeps
        ``language == "en"``, so a page can say so)."""
        return _chosen(list(self.content_lines.filter(language__in=[language, "en"]).order_by("order")), language)

    def text(self, key: str, language: str) -> str:
        for line in self.lines(language):
            if line.key == key:
                return line.text
        raise KeyError(key)

    def languages(self) -> list[str]:
        """The languages this version has lines in, sorted."""
        return sorted(set(self.content_lines.values_list("language", flat=True)))

    def texts(self, language: str) -> dict[str, str]:
        """Key -> text of the lines written in ``language`` (no fallback: what an editor starts from)."""
        return dict(self.content_lines.filter(language=language).values_list("key", "text"))

    def keys(self) -> list[str]:
        return list(self.content_lines.filter(language="en").order_by("order").values_list("key", flat=True))


class ContentLine(models.Model):
    content_set = models.ForeignKey(ContentSet, on_delete=models.PROTECT, related_name="content_lines")
    key = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField()
    language = models.CharField(max_length=8)
    text = models.TextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["content_set", "key", "language"], name="content_line_unique")]

    def __str__(self) -> str:
        return f"{self.key} ({self.language})"


def _chosen(rows: list[ContentLine], language: str) -> list[ContentLine]:
    """Of these rows, each key's line in ``language``, else its English line, in order."""
    chosen: dict[str, ContentLine] = {}
    for row in rows:
        if row.language == language or (row.language == "en" and row.key not in chosen):
            chosen[row.key] = row
    return sorted(chosen.values(), key=lambda r: r.order)


def language_name(code: str) -> str:
    """The name of a person's language, as the record's language list says it ("their language"
    for "other" or a code the list does not know)."""
    from django.utils.translation import gettext

    from waypoint.people.forms import LANGUAGE_LABELS

    if code == "other" or code not in LANGUAGE_LABELS:
        return gettext("their language")
    return str(LANGUAGE_LABELS[code])


def wording_fallback(lines: list[ContentLine], language: str) -> dict[str, str] | None:
    """When any of these lines (from ``ContentSet.lines(language)``) had no wording in ``language``
    and is shown in English: what ``content/_no_wording.html`` needs to say so; else None."""
    if all(line.language == language for line in lines):
        return None
    return {"wanted": language, "wanted_name": language_name(language)}


def read_aloud_scripts(org_id: uuid.UUID, their_language: str, staff_language: str) -> dict[str, dict[str, Any]]:
    """Read-aloud text in the person's language, with the staff member's beside it when they differ.
    A line with no wording in their language is shown in English and says so (``fallback``,
    ``wanted`` and ``wanted_name``), never silently: the page offers the interpreter step."""
    from waypoint.content.source import SCRIPTS

    scripts = ContentSet.current(org_id, SCRIPTS)
    rows = list(scripts.content_lines.filter(language__in=[their_language, staff_language, "en"]).order_by("order"))
    theirs = {line.key: line for line in _chosen(rows, their_language)}
    ours = {line.key: line.text for line in _chosen(rows, staff_language)}
    return {
        key: {
            "theirs": line.text,
            "ours": ours.get(key, ""),
            "lang": line.language,
            "fallback": line.language != their_language,
            "wanted": their_language,
            "wanted_name": language_name(their_language) if line.language != their_language else "",
        }
        for key, line in theirs.items()
    }

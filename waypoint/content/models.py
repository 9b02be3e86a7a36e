"""Questions and read-aloud scripts as versioned data, per language.

Version 1 of each set is Waypoint's default (organisation empty), loaded from ``source.py``.  An
organisation that adjusts wording or adds a language gets a new version of the whole set; answers
point at the version they were asked in, so old answers always show the words that were read."""

from __future__ import annotations

import uuid

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
        newest = cls.objects.filter(kind=kind).order_by("-version")
        found = newest.filter(org_id=org_id).first() or newest.filter(org__isnull=True).first()
        if found is None:
            raise cls.DoesNotExist(kind)
        return found

    def lines(self, language: str) -> list[ContentLine]:
        """Lines in ``language``, falling back to English line by line."""
        rows = list(self.content_lines.filter(language__in=[language, "en"]).order_by("order"))
        chosen: dict[str, ContentLine] = {}
        for row in rows:
            if row.key not in chosen or row.language == language:
                chosen[row.key] = row
        return sorted(chosen.values(), key=lambda r: r.order)

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


def read_aloud_scripts(org_id: uuid.UUID, their_language: str, staff_language: str) -> dict[str, dict[str, str]]:
    """Read-aloud text in the person's language, with the staff member's beside it when they differ."""
    from waypoint.content.source import SCRIPTS

    scripts = ContentSet.current(org_id, SCRIPTS)
    theirs = {line.key: line.text for line in scripts.lines(their_language)}
    ours = {line.key: line.text for line in scripts.lines(staff_language)}
    return {key: {"theirs": theirs[key], "ours": ours.get(key, ""), "lang": their_language} for key in theirs}

"""Suggestions for the plan from an encounter: its four-area assessment and its emergency needs.

Offered, never copied: each shows on the plan page and on its area's page as "From the encounter
on <day>: Physical safety, some concern: <note>", with a button that puts it into an empty step row
of the form (nothing is saved).  The provider checks the words with the person, says whose idea it
is and saves through ``waypoint.plans.actions.save_section``, like any step; the saved step keeps
``source`` ("<encounter id>/<suggestion key>") so the plan shows where it came from and the same
suggestion is not offered twice.

Needs go to the area they belong to: injuries and medicines to physical safety, shelter, food and
water to environmental safety; "other" is offered in every area (the provider knows where it fits)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from waypoint.content.vocabulary import SafetyDomain
from waypoint.encounters.models import Encounter, Level, NeedKind
from waypoint.plans.spec import DOMAIN_KEYS, Timeframe, domain_section

NEED_DOMAINS: dict[str, tuple[str, ...]] = {
    NeedKind.INJURIES: (SafetyDomain.PHYSICAL,),
    NeedKind.MEDICATIONS: (SafetyDomain.PHYSICAL,),
    NeedKind.SHELTER: (SafetyDomain.ENVIRONMENTAL,),
    NeedKind.FOOD_WATER: (SafetyDomain.ENVIRONMENTAL,),
    NeedKind.OTHER: tuple(DOMAIN_KEYS),
}
SOURCE = re.compile(r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/(assessment|need):[a-z_]{1,20}\Z")


@dataclass(frozen=True)
class Suggestion:
    key: str  # "assessment:<domain>" or "need:<kind>"
    domain: str
    summary: str  # what the provider reads: the area or need, the level, the note
    text: str  # what goes into the step row (the note, else the summary)
    source: str  # "<encounter id>/<key>", saved with the step
    used: bool  # a step of this domain already came from it
    area: str  # the area's name


def _used_sources(content: dict[str, Any], domain: str) -> set[str]:
    value = content.get(domain_section(domain)) or {}
    return {step.get("source", "") for t in Timeframe.values for step in value.get(t) or []}


def suggestions(encounter: Encounter | None, content: dict[str, Any], domain: str | None = None) -> list[Suggestion]:
    """The encounter's suggestions, for one area or for all (in the order of the four areas).  An
    area assessed as "no concern" with no note suggests nothing."""
    if encounter is None:
        return []
    found: list[Suggestion] = []
    levels = dict(Level.choices)
    areas = {key: str(label) for key, label in SafetyDomain.choices}
    assessments = {a.domain: a for a in encounter.assessments.all()}
    needs = list(encounter.needs.all())
    for key in DOMAIN_KEYS if domain is None else [domain]:
        used = _used_sources(content, key)
        row = assessments.get(key)
        if row is not None and (row.level not in ("", Level.NONE) or row.note.strip()):
            level = levels.get(row.level, _("Not recorded"))
            words = {"area": areas[key], "level": str(level).lower(), "note": row.note.strip()}
            summary = (_("%(area)s, %(level)s: %(note)s") if words["note"] else _("%(area)s, %(level)s")) % words
            source = f"{encounter.id}/assessment:{key}"
            found.append(
                Suggestion(
                    f"assessment:{key}", key, summary, row.note.strip() or summary, source, source in used, areas[key]
                )
            )
        for need in needs:
            if key not in NEED_DOMAINS.get(need.kind, ()):
                continue
            label = str(dict(NeedKind.choices).get(need.kind, need.kind))
            words = {"need": label, "note": need.note.strip()}
            summary = (
                _("Emergency need: %(need)s: %(note)s") if words["note"] else _("Emergency need: %(need)s")
            ) % words
            source = f"{encounter.id}/need:{need.kind}"
            found.append(
                Suggestion(
                    f"need:{need.kind}", key, summary, need.note.strip() or label, source, source in used, areas[key]
                )
            )
    return found


def find(encounter: Encounter | None, content: dict[str, Any], domain: str, key: str) -> Suggestion | None:
    return next((s for s in suggestions(encounter, content, domain) if s.key == key), None)


def grouped(found: list[Suggestion]) -> list[dict[str, Any]]:
    """For the plan page: each suggestion once, with the areas it can go into ("other" needs fit
    any area) and whether each already has it."""
    groups: dict[str, dict[str, Any]] = {}
    for suggestion in found:
        group = groups.setdefault(suggestion.key, {"key": suggestion.key, "summary": suggestion.summary, "targets": []})
        group["targets"].append(suggestion)
    return list(groups.values())

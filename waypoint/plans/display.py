"""Readable rows for a plan section: used by the plan page, the conflict view and the comparison
of two versions, so all three say the same thing in the same words.

The plan holds no secret of its own: the safe word and danger word live in the person's contact
rules, which the device item edits (so its page needs a recent step-up: ``has_secrets``) and which
the plan page shows through ``waypoint.contact.display`` (hidden until a step-up).  Defends against
someone at an unattended, signed-in screen reading the word the person uses to say "I am in
danger"."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from waypoint.contact.rules import GROUPS
from waypoint.contact.rules import SECRET_FIELDS as RULE_SECRETS
from waypoint.plans.spec import (
    DOMAIN_BY_KEY,
    ITEM_BY_KEY,
    ITEMS,
    OVERVIEW,
    SECTION_KEYS,
    ActionStatus,
    Idea,
    ItemStatus,
    Stage,
    Timeframe,
    item_section,
    section_label,
)

Row = tuple[str, str]

# Sections whose edit page shows secrets: items that edit the contact rules' safe word, danger word
# or whereabouts (``waypoint.contact.rules.SECRET_FIELDS``).  The plan itself holds no secret; the
# plan page shows the rules' secrets through ``waypoint.contact.display`` after a step-up.
SECRET_SECTIONS: frozenset[str] = frozenset(
    item_section(item.key) for item in ITEMS if any(n in RULE_SECRETS for g in item.rules for n in GROUPS[g])
)


def has_secrets(section: str) -> bool:
    """Whether the section's edit page holds a secret (it needs a recent step-up)."""
    return section in SECRET_SECTIONS


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value or "—"))


def _day(value: str) -> str:
    if not value:
        return ""
    try:
        return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return value


def step_summary(step: dict[str, str]) -> str:
    parts = [step.get("text", ""), _label(Idea, step.get("idea", "")), _label(ActionStatus, step.get("status", ""))]
    if step.get("due_on"):
        parts.append(_day(step["due_on"]))
    return " · ".join(parts)


def section_rows(section: str, value: Any, services: dict[str, str] | None = None) -> list[Row]:
    """The section as (label, text) rows."""
    value = value or {}
    kind, _sep, key = section.partition(":")
    if section == OVERVIEW:
        return [(_("Stage"), _label(Stage, value.get("stage", ""))), (_("Review on"), _day(value.get("review_on", "")))]
    if kind == "domain" and key in DOMAIN_BY_KEY:
        rows: list[Row] = []
        for timeframe in Timeframe:
            steps = value.get(timeframe.value) or []
            for number, step in enumerate(steps, start=1):
                rows.append((f"{timeframe.label} {number}", step_summary(step)))
            if not steps:
                rows.append((str(timeframe.label), _("No steps")))
        return rows
    item = ITEM_BY_KEY.get(key)
    if item is None:
        return []
    rows = [(_("Status"), _label(ItemStatus, value.get("status", "")))]
    fields = value.get("fields") or {}
    for spec in item.fields:
        shown = fields.get(spec.name, "")
        rows.append((str(spec.label), shown))
    for number, contact in enumerate(value.get("contacts") or [], start=1):
        text = " · ".join(part for part in (contact.get("name"), contact.get("number"), contact.get("note")) if part)
        rows.append((_("Contact %(number)s") % {"number": number}, text))
    if "services" in value:
        names = [(services or {}).get(sid, _("A service no longer in the ledger")) for sid in value["services"]]
        rows.append((_("Services in the plan"), ", ".join(names) or "—"))
    return rows


def _compare_rows(section: str, value: Any, services: dict[str, str]) -> list[Row]:
    """Rows to compare: a domain is one row per time frame holding all its steps (so a first step
    reads "empty → the step", not "No steps → —"); other sections are their plain rows."""
    kind, _sep, key = section.partition(":")
    if kind == "domain" and key in DOMAIN_BY_KEY:
        rows: list[Row] = []
        for timeframe in Timeframe:
            listed = (value or {}).get(timeframe.value) or []
            text = "\n".join(f"{n}. {step_summary(step)}" for n, step in enumerate(listed, start=1))
            rows.append((str(timeframe.label), text))
        return rows
    return section_rows(section, value, services)


def compare(old: dict[str, Any], new: dict[str, Any], services: dict[str, str]) -> list[dict[str, Any]]:
    """Every section: whether it changed, and the rows that changed (old text, new text; "" when a
    side is empty, which the page shows as "Empty").  Unchanged rows are only counted: an unchanged
    section says "Unchanged" instead of repeating its text.  Fields a section no longer has (the
    device item's, now in the contact rules) are not shown."""
    sections = []
    for section in SECTION_KEYS:
        before = dict(_compare_rows(section, old.get(section), services))
        after = dict(_compare_rows(section, new.get(section), services))
        labels = list(dict.fromkeys([*before, *after]))
        rows = [{"label": label, "old": before.get(label, ""), "new": after.get(label, "")} for label in labels]
        changed = [row for row in rows if row["old"] != row["new"]]
        sections.append(
            {
                "key": section,
                "title": section_label(section),
                "rows": changed,
                "changed": bool(changed),
                "unchanged_rows": len(rows) - len(changed),
            }
        )
    return sections

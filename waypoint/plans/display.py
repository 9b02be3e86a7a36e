"""Readable rows for a plan section: used by the plan page, the conflict view and the comparison
of two versions, so all three say the same thing in the same words.

Safe words are secrets (``SECRET_FIELDS``): every row function leaves them out ("Hidden") unless
the caller passes ``secrets=True``, which views do only after a recent step-up
(``waypoint.orgs.auth.step_up_is_recent``).  Defends against someone at an unattended, signed-in
screen reading the word the person uses to say "I am in danger"."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waypoint.contact.models import Channel
from waypoint.plans.spec import (
    DOMAIN_BY_KEY,
    ITEM_BY_KEY,
    OVERVIEW,
    SECTION_KEYS,
    ActionStatus,
    Idea,
    ItemStatus,
    Stage,
    Timeframe,
    YesNo,
    item_section,
    section_label,
)

Row = tuple[str, str]

# (section, field name) of every value shown only after a recent step-up: the safe word (the
# person's code word for danger).  tests/test_issue9_stepup.py fails on any field named *word*
# that is not listed here.
SECRET_FIELDS: frozenset[tuple[str, str]] = frozenset({(item_section("device"), "safe_word")})
HIDDEN = gettext_lazy("Hidden: confirm it is you to see it")


def has_secrets(section: str) -> bool:
    """Whether the section holds a secret field (its edit page needs a recent step-up)."""
    return any(key == section for key, _name in SECRET_FIELDS)


def secrets_present(content: dict[str, Any]) -> bool:
    """Whether any secret field of the plan has a value (so the page offers to show it)."""
    return any(((content.get(section) or {}).get("fields") or {}).get(name) for section, name in SECRET_FIELDS)


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


def section_rows(
    section: str, value: Any, services: dict[str, str] | None = None, *, secrets: bool = False
) -> list[Row]:
    """The section as (label, text) rows; secret fields read "Hidden" unless ``secrets``."""
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
        if spec.kind == "permission":
            shown = _label(Channel, shown or Channel.UNKNOWN)
        elif spec.kind == "yesno":
            shown = _label(YesNo, shown or YesNo.UNKNOWN)
        elif shown and not secrets and (section, spec.name) in SECRET_FIELDS:
            shown = str(HIDDEN)
        rows.append((str(spec.label), shown))
    for number, contact in enumerate(value.get("contacts") or [], start=1):
        text = " · ".join(part for part in (contact.get("name"), contact.get("number"), contact.get("note")) if part)
        rows.append((_("Contact %(number)s") % {"number": number}, text))
    if "services" in value:
        names = [(services or {}).get(sid, _("A service no longer in the ledger")) for sid in value["services"]]
        rows.append((_("Services in the plan"), ", ".join(names) or "—"))
    return rows


def compare(
    old: dict[str, Any], new: dict[str, Any], services: dict[str, str], *, secrets: bool = False
) -> list[dict[str, Any]]:
    """Every section, each row with the old text, the new text and whether it changed (a hidden
    secret still says whether it changed, never what it was or became)."""
    sections = []
    for section in SECTION_KEYS:
        before = dict(section_rows(section, old.get(section), services, secrets=True))
        after = dict(section_rows(section, new.get(section), services, secrets=True))
        shown_before = dict(section_rows(section, old.get(section), services, secrets=secrets))
        shown_after = dict(section_rows(section, new.get(section), services, secrets=secrets))
        labels = list(dict.fromkeys([*before, *after]))
        rows = [
            {"label": label, "old": shown_before.get(label, ""), "new": shown_after.get(label, ""),
             "changed": before.get(label, "") != after.get(label, "")}
            for label in labels
        ]  # fmt: skip
        sections.append(
            {"key": section, "title": section_label(section), "rows": rows, "changed": any(r["changed"] for r in rows)}
        )
    return sections

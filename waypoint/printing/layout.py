"""What goes on paper: only the sections the person chose, only fields marked printable, with the
person-facing titles (the discreet layout also swaps the domain titles for neutral ones)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from waypoint.plans.spec import DOMAINS, ITEMS, ItemStatus, domain_section, item_section

HOTLINE_CALL = "1-888-373-7888"
HOTLINE_TEXT = "233733"


def _item_lines(item: Any, value: dict[str, Any], rules: Any = None) -> list[str]:
    """What an item puts on paper: its printable fields, the printable contact-rule fields it edits
    (the battery plan, never a safe word or a number's permission), and its contacts."""
    fields = value.get("fields") or {}
    lines = [fields[spec.name] for spec in item.fields if spec.printable and fields.get(spec.name)]
    lines += [text for name in item.rules_printable if rules is not None and (text := getattr(rules, name))]
    for contact in value.get("contacts") or []:
        lines.append(
            " · ".join(part for part in (contact.get("name"), contact.get("number"), contact.get("note")) if part)
        )
    return lines


def section_choices(content: dict[str, Any], rules: Any = None) -> list[tuple[str, Any]]:
    """Sections that have something to print, with the person-facing title."""
    choices: list[tuple[str, Any]] = []
    for domain in DOMAINS:
        value = content[domain_section(domain.key)]
        if value["current"] or value["future"]:
            choices.append((domain_section(domain.key), domain.plain))
    for item in ITEMS:
        value = content[item_section(item.key)]
        if value.get("status") == ItemStatus.FILLED and _item_lines(item, value, rules):
            choices.append((item_section(item.key), item.plain))
    return choices


def printable(content: dict[str, Any], sections: list[str], discreet: bool, rules: Any = None) -> list[dict[str, Any]]:
    chosen = set(sections)
    blocks: list[dict[str, Any]] = []
    for domain in DOMAINS:
        key = domain_section(domain.key)
        if key in chosen:
            value = content[key]
            blocks.append({
                "title": domain.discreet if discreet else domain.plain,
                "now": [s["text"] for s in value["current"] if s.get("status") != "stopped"],
                "later": [s["text"] for s in value["future"] if s.get("status") != "stopped"],
            })  # fmt: skip
    for item in ITEMS:
        key = item_section(item.key)
        if key in chosen:
            blocks.append({"title": item.plain, "lines": _item_lines(item, content[key], rules)})
    return blocks


def card_contacts(content: dict[str, Any]) -> list[dict[str, str]]:
    """The immediate-help contacts, only while that item is "Filled in" (an older save may have left
    contacts on an item later marked "Not discussed": they never go on a card)."""
    value = content[item_section("immediate_help")]
    if value.get("status") != ItemStatus.FILLED:
        return []
    return list(value.get("contacts") or [])


def memorise_choices(content: dict[str, Any], rules: Any = None) -> list[tuple[str, str]]:
    """What the person may choose to remember instead of carrying paper (the safe word comes from
    their contact rules; the memorise page needs a recent step-up)."""
    choices = [
        ("hotline", str(_("Help line: call %(call)s, text %(text)s") % {"call": HOTLINE_CALL, "text": HOTLINE_TEXT}))
    ]
    for number, contact in enumerate(card_contacts(content)):
        choices.append((f"contact:{number}", " · ".join(p for p in (contact.get("name"), contact.get("number")) if p)))
    safe_word = rules.safe_word if rules is not None else ""
    if safe_word:
        choices.append(("safe_word", str(_("Safe word: %(word)s") % {"word": safe_word})))
    for domain in DOMAINS:
        for number, step in enumerate(content[domain_section(domain.key)]["current"]):
            choices.append((f"step:{domain.key}:{number}", step["text"]))
    return choices

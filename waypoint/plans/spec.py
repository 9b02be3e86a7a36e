"""What a safety plan holds, as data: the four domains of the source text with current and future
steps, and the eleven "Resources & next steps" items, each with its own structured fields.

Each item has two titles: the source text's words for the provider, and a short, plain title for
what the person reads (printed plans use only the plain one; the discreet layout also avoids any
word that says what the paper is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.content.vocabulary import SafetyDomain

MAX_STEPS = 12  # per domain and time frame; a plan is a few steps, not a diary
STEP_LIMIT = 2000
TEXT_LIMIT = 2000
CONTACT_ROWS = 4


class Stage(models.TextChoices):
    STAYING = "staying", _("Still in the situation")
    LEAVING = "leaving", _("Leaving")
    AFTER = "after", _("After leaving")


class Timeframe(models.TextChoices):
    CURRENT = "current", _("Current")
    FUTURE = "future", _("Future")


class Idea(models.TextChoices):
    PERSON = "person", _("Their idea")
    TOGETHER = "together", _("Worked out together")
    PROVIDER = "provider", _("Your suggestion, and they chose it")


class ActionStatus(models.TextChoices):
    """Where one action step of the plan stands (not to be confused with an encounter step's state)."""

    TO_DO = "to_do", _("To do")
    DOING = "doing", _("Doing")
    DONE = "done", _("Done")
    STOPPED = "stopped", _("No longer needed")


class ItemStatus(models.TextChoices):
    NOT_DISCUSSED = "not_discussed", _("Not discussed")
    DECLINED = "declined", _("Declined")
    FILLED = "filled", _("Filled in")


class YesNo(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("Unsure")


@dataclass(frozen=True)
class DomainSpec:
    key: str
    title: Any  # the source text's heading, for the provider
    prompt: Any  # the source text's action line
    plain: Any  # what the person reads on plain paper
    discreet: Any  # what the person reads on the discreet layout


DOMAINS = [
    DomainSpec(
        SafetyDomain.PHYSICAL, SafetyDomain.PHYSICAL.label, _("Develop a current and future plan for injuries"),
        _("My body and health"), _("Health"),
    ),
    DomainSpec(
        SafetyDomain.COMMUNICATION, SafetyDomain.COMMUNICATION.label, _("Plan for interruption by exploiter"),
        _("If someone cuts in when I talk"), _("Phone and talking"),
    ),
    DomainSpec(
        SafetyDomain.ENVIRONMENTAL, SafetyDomain.ENVIRONMENTAL.label,
        _("Plan for potential for harm in current location"),
        _("Where I am now"), _("Places"),
    ),
    DomainSpec(
        SafetyDomain.EMOTIONAL, SafetyDomain.EMOTIONAL.label, _("Create emergency wellness plans"),
        _("When I feel bad"), _("Feeling okay"),
    ),
]  # fmt: skip
DOMAIN_KEYS = [d.key for d in DOMAINS]
DOMAIN_BY_KEY = {d.key: d for d in DOMAINS}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Any
    kind: str = "text"  # text | textarea
    printable: bool = True  # False: for the provider only, never on paper


@dataclass(frozen=True)
class ItemSpec:
    key: str
    title: Any  # the source text's words
    plain: Any  # the person-facing title (both layouts)
    help: Any
    fields: tuple[FieldSpec, ...] = ()
    contacts: Any | None = None  # label of the contact rows, when the item has them
    ledger: bool = False  # choose from the services ledger, shown before the form
    tasks: bool = False  # rows that become follow-up tasks
    # Groups of the person's contact rules (``waypoint.contact.rules.GROUPS``) this item edits: the
    # rules are the one source, so the plan keeps no copy of them.
    rules: tuple[str, ...] = ()
    rules_printable: tuple[str, ...] = ()  # rule fields that may go on paper with this item


ITEMS = [
    ItemSpec(
        "immediate_help", _("Identify who to call for immediate help"), _("Who I can call right away"),
        _("Only people and numbers the person chose. These can go on the wallet card."),
        (FieldSpec("notes", _("When and how to call them"), "textarea"),),
        contacts=_("People to call"),
    ),
    ItemSpec(
        "medications", _("Plan for access to medications"), _("My medicine"),
        _("What they take, where they get it, and how refills work."),
        (
            FieldSpec("what", _("Which medicines"), "textarea"),
            FieldSpec("where", _("Where they get them")),
            FieldSpec("refills", _("Refills: when and how"), "textarea"),
        ),
    ),
    ItemSpec(
        "permissions", _("Confirm voicemail / text / email / chat permissions, essential contacts"),
        _("How you can reach me"),
        _("This changes the person's contact rules. Anything not allowed, or not asked, is not used."),
        contacts=_("Essential contacts"),
        rules=("reach",),
    ),
    ItemSpec(
        "privacy", _("Inquire about privacy concerns / safe spaces"), _("Safe places"),
        _("Where they can talk, keep things or go, and what worries them about privacy."),
        (
            FieldSpec("concerns", _("Privacy concerns"), "textarea", printable=False),
            FieldSpec("safe_spaces", _("Safe spaces"), "textarea"),
        ),
    ),
    ItemSpec(
        "self_soothing", _("Identify self-soothing and relaxation tools"), _("Things that calm me"),
        _("What already helps them feel calmer."),
        (FieldSpec("tools", _("Self-soothing and relaxation tools"), "textarea"),),
    ),
    ItemSpec(
        "services", _("Confirm stakeholder services"), _("Help I already get"),
        _("Services they already receive. Check the ledger first so nobody repeats what is done."),
        (FieldSpec("notes", _("What they want from these services now"), "textarea"),),
        ledger=True,
    ),
    ItemSpec(
        "necessities", _("Ensure access to life-sustaining necessities"), _("Food, water, a place to stay, clothes"),
        _("Where each one comes from now, and what is missing."),
        (
            FieldSpec("food", _("Food")),
            FieldSpec("water", _("Water")),
            FieldSpec("shelter", _("Shelter")),
            FieldSpec("clothing", _("Clothing")),
        ),
    ),
    ItemSpec(
        "device", _("Inquire about device accessibility and confirm safe words and battery life"),
        _("My phone"),
        _("Whether the phone is safe to use, the safe word, and how they keep it charged."),
        rules=("device", "words"),
        rules_printable=("battery_plan",),
    ),
    ItemSpec(
        "risks", _("Assess for continued risks of harm"), _("Things to watch for"),
        _("Risks that continue, in their words, and what they want to do about them."),
        (
            FieldSpec("risks", _("Continued risks"), "textarea", printable=False),
            FieldSpec("response", _("What they will do"), "textarea"),
        ),
    ),
    ItemSpec(
        "support_network", _("Identify support network"), _("People who support me"),
        _("Friends, family, community or faith groups they trust."),
        (FieldSpec("notes", _("How they help"), "textarea"),),
        contacts=_("People in their support network"),
    ),
    ItemSpec(
        "follow_up", _("Create follow up plan"), _("Next time we talk"),
        _("When and how to follow up. Each task below becomes a follow-up task with a due date."),
        (FieldSpec("plan", _("Follow-up plan"), "textarea"),),
        tasks=True,
    ),
]  # fmt: skip
ITEM_KEYS = [i.key for i in ITEMS]
ITEM_BY_KEY = {i.key: i for i in ITEMS}

OVERVIEW = "overview"


def domain_section(key: str) -> str:
    return f"domain:{key}"


def item_section(key: str) -> str:
    return f"resource:{key}"


SECTION_KEYS = [OVERVIEW, *(domain_section(k) for k in DOMAIN_KEYS), *(item_section(k) for k in ITEM_KEYS)]


def section_label(section: str) -> Any:
    kind, _sep, key = section.partition(":")
    if kind == "domain" and key in DOMAIN_BY_KEY:
        return DOMAIN_BY_KEY[key].title
    if kind == "resource" and key in ITEM_BY_KEY:
        return ITEM_BY_KEY[key].title
    return _("Stage and review date")


def empty_content() -> dict:
    return {
        OVERVIEW: {"stage": Stage.STAYING, "review_on": ""},
        **{domain_section(k): {"current": [], "future": []} for k in DOMAIN_KEYS},
        **{item_section(k): {"status": ItemStatus.NOT_DISCUSSED, "fields": {}, "contacts": []} for k in ITEM_KEYS},
    }


def item_holds_content(value: dict[str, Any]) -> bool:
    """Whether a resources item holds anything written: a field, a contact or a chosen service.
    Only a "Filled in" item may (``waypoint.plans.actions.save_item`` refuses the rest), so an item
    marked "Not discussed" or "Declined" can never keep a contact nobody agreed to use."""
    fields = value.get("fields") or {}
    contacts = [
        c for c in value.get("contacts") or [] if any(str(c.get(p) or "").strip() for p in ("name", "number", "note"))
    ]
    return any(str(v or "").strip() for v in fields.values()) or bool(contacts) or bool(value.get("services"))

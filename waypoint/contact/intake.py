"""The safety-check questions that become contact rules, split into their parts.

The guides' questions are read aloud word for word; the provider records each part of the answer
in its own structured field here, and ``rules_from_answer`` turns exactly those parts into rule
fields.  The mapping is written out per question, so an answer to "how would you like me to
identify myself?" can only ever become ``identify_as``, and "can I leave a voicemail?" only
``voicemail``: nothing is parsed out of free text, and nothing is guessed into a permission.

Questions (keys of ``waypoint.content.source``):
- in person, ``contact_after``: safe to contact after today (the question's own yes / no / unsure),
  the best way, each channel allowed / not allowed / not asked, how to identify ourselves;
- by phone, ``disconnection``: whether contact after today is safe at all (a call back is contact),
  we call back (after how long) / they call us / neither, and whether a call back and a message are
  allowed (an open question: its parts only, no yes / no / unsure of its own);
- by phone, ``someone_on_line``: hang up / say the cover / say a wrong number / other, with the
  cover to give anyone else (never how we introduce ourselves to the person) and their words (an
  open question too);
- by phone, ``where_are_you``: whether they are safe there (the question's own answer) and where they
  are, kept only when they agree it is written down (like every part here)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from waypoint.contact.models import (
    CALL_BACK_MINUTES,
    CHANNELS,
    ContactChannel,
    OnDisconnect,
    Permission,
    SafeToContact,
    SomeoneAnswers,
    YesNoUnsure,
)
from waypoint.contact.rules import FIELDS

# The question's own answer (encounters' Answer values) -> a rule field's value.
SAFE_TO_CONTACT = {"yes": SafeToContact.YES, "no": SafeToContact.NO, "unsure": SafeToContact.NOT_SURE}
SAFE_THERE = {"yes": YesNoUnsure.YES, "no": YesNoUnsure.NO, "unsure": YesNoUnsure.UNSURE}

# question key -> (rule field the question's own answer sets, with its value map) or None
ANSWER_RULE: dict[str, tuple[str, Mapping[str, str]] | None] = {
    "contact_after": ("safe_to_contact", SAFE_TO_CONTACT),
    "disconnection": None,
    "someone_on_line": None,
    "where_are_you": ("whereabouts_safe", SAFE_THERE),
}

# question key -> its parts: part name -> the rule field it is recorded as (one to one).
PARTS: dict[str, dict[str, str]] = {
    "contact_after": {
        "best_way": "best_way",
        **{f"perm_{channel}": channel for channel in CHANNELS},
        "identify_as": "identify_as",
    },
    "disconnection": {
        "safe_to_contact": "safe_to_contact",
        "on_disconnect": "on_disconnect",
        "call_back_after": "call_back_after",
        "perm_call": "call",
        "perm_voicemail": "voicemail",
    },
    "someone_on_line": {
        "someone_answers": "someone_answers",
        "cover_name": "cover_name",
        "someone_answers_words": "someone_answers_words",
    },
    "where_are_you": {"whereabouts": "whereabouts"},
}
QUESTIONS = frozenset(PARTS)
# Open questions ("what would you like me to do?"): a yes / no / unsure means nothing there, so the
# form offers none; the answer is its structured parts (and their words in the note).
OPEN_QUESTIONS = frozenset(key for key, own in ANSWER_RULE.items() if own is None)


def _radio(label: Any, choices: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect)


def _part_field(part: str, rule: str) -> forms.Field:
    spec = FIELDS[rule]
    if part.startswith("perm_"):
        return _radio(ContactChannel(rule).label, Permission.choices)
    if rule == "best_way":
        return forms.ChoiceField(label=spec.label, choices=[("", "—"), *ContactChannel.choices], required=False)
    if rule == "on_disconnect":
        return _radio(spec.label, OnDisconnect.choices)
    if rule == "someone_answers":
        return _radio(_("What would they like us to do?"), SomeoneAnswers.choices)
    if rule == "call_back_after":
        return forms.TypedChoiceField(
            label=spec.label, choices=[("", "—"), *CALL_BACK_MINUTES], coerce=int, empty_value=None, required=False
        )
    if rule == "identify_as":
        label = _("How we identify ourselves to them (the name they chose)")
        return forms.CharField(label=label, required=False, max_length=spec.max_length)
    if rule == "safe_to_contact":
        return _radio(_("Safe to contact them after today?"), SafeToContact.choices)
    return forms.CharField(label=spec.label, required=False, max_length=spec.max_length)


def part_fields(key: str) -> dict[str, forms.Field]:
    """The form fields for the parts of question ``key`` (none for other questions), by part name."""
    return {part: _part_field(part, rule) for part, rule in PARTS.get(key, {}).items()}


def part_problems(key: str, parts: Mapping[str, Any]) -> dict[str, Any]:
    """Part name -> message, for answers that contradict each other within the question."""
    problems: dict[str, Any] = {}
    if key == "disconnection" and parts.get("on_disconnect") == OnDisconnect.CALL_BACK:
        if parts.get("perm_call") != Permission.ALLOWED:
            problems["perm_call"] = _("You chose “We call back”: record calls as allowed, or choose another plan.")
    if key == "disconnection" and parts.get("call_back_after") is not None:
        if parts.get("on_disconnect") != OnDisconnect.CALL_BACK:
            problems["call_back_after"] = _("A time to call back goes with “We call back”.")
    if key == "contact_after" and (best := parts.get("best_way")) in CHANNELS:
        if problem := _best_way_problem(best, parts):
            problems["best_way"] = problem
    if key == "someone_on_line" and parts.get("someone_answers") == SomeoneAnswers.OTHER:
        if not parts.get("someone_answers_words"):
            problems["someone_answers_words"] = _("Write what they would like us to do, in their words.")
    if key == "someone_on_line" and parts.get("someone_answers") == SomeoneAnswers.SAY_COVER:
        if not parts.get("cover_name"):
            problems["cover_name"] = COVER_NEEDED
    return problems


COVER_NEEDED = _("Write the cover they chose (who to say you are), or choose another answer.")


def _best_way_problem(best: str, parts: Mapping[str, Any]) -> Any:
    """Why ``best`` cannot be the best way in this answer (None when it can): the same answer must
    record that way as allowed (a voicemail is left on a call, so calls too)."""
    label = ContactChannel(best).label
    if parts.get(f"perm_{best}") != Permission.ALLOWED:
        return _("You chose “%(way)s” as the best way: record it as allowed below, or choose another best way.") % {
            "way": label
        }
    if best == ContactChannel.VOICEMAIL and parts.get("perm_call") != Permission.ALLOWED:
        return _("A voicemail is left on a phone call: record phone calls as allowed too, or choose another best way.")
    return None


def answered(value: Any) -> bool:
    return value not in (None, "")


def rules_from_answer(key: str, answer: str, parts: Mapping[str, Any]) -> dict[str, Any]:
    """Rule field -> value for what the person said to question ``key`` (call only for answers they
    agreed to have written down).  Parts left blank change nothing."""
    changes: dict[str, Any] = {}
    own = ANSWER_RULE.get(key)
    if own is not None and answer in own[1]:
        changes[own[0]] = own[1][answer]
    for part, rule in PARTS.get(key, {}).items():
        if answered(parts.get(part)):
            changes[rule] = parts[part]
    return changes


def digest(field: str, value: Any) -> str:
    """What an answer keeps of a rule value it wrote (``SafetyAnswer.rules_written``): enough to see
    whether the rule still holds that value, never the value itself (keyed with the server's secret,
    so a short value such as a place cannot be found by guessing from the row alone)."""
    payload = json.dumps([field, value], sort_keys=True)
    return salted_hmac("waypoint.contact.intake.rules_written", payload, algorithm="sha256").hexdigest()


def still_held(written: Mapping[str, str], rules: Any) -> list[str]:
    """The rule fields among ``written`` (field -> digest) that still hold the value written then:
    none where the rules were changed since (or there are none)."""
    if rules is None:
        return []
    return [
        field
        for field, value in (written or {}).items()
        if field in FIELDS and digest(field, getattr(rules, field)) == value
    ]

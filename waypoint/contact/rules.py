"""What a contact rule is, as data: every field of ``ContactRules`` a person's answers may set, its
group on the screens, and how a typed value is checked.  The one action that writes rules
(``actions.record_rules``) accepts only these names, so an answer can land in no other field.

Defends against: a value written into a field it does not belong to (every writer names its fields
from this list, and the action refuses any other); a number that cannot be dialled or that hides
letters (phone numbers are normalised to digits with an optional leading +, 3 to 15 digits as in
E.164; letters, 50 digits or control characters are refused).

Does not defend against: a wrong number typed correctly; that is what re-confirming with the person
at the start of each call is for."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from waypoint.contact.models import (
    CHANNELS,
    ContactChannel,
    OnDisconnect,
    Permission,
    SafeToContact,
    SomeoneAnswers,
    YesNoUnsure,
)
from waypoint.core.forms import refuse_hidden_characters

PHONE_DIGITS = (3, 15)
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")


def normalise_phone(raw: str) -> str:
    """Digits with an optional leading +; full-width and other-script digits become ASCII.  Refuses
    letters, too few or too many digits, and anything else (``ValidationError``)."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return ""
    plus = text.startswith("+")
    body = _PHONE_PUNCTUATION.sub("", text[1:] if plus else text)
    if not body or any(not ch.isdecimal() for ch in body):
        raise ValidationError(_("Use digits only (spaces, dashes and a leading + are fine)."), code="phone_chars")
    digits = "".join(str(unicodedata.decimal(ch)) for ch in body)
    low, high = PHONE_DIGITS
    if not low <= len(digits) <= high:
        raise ValidationError(
            _("A phone number has %(low)s to %(high)s digits.") % {"low": low, "high": high}, code="phone_length"
        )
    return ("+" if plus else "") + digits


def normalise_email(raw: str) -> str:
    text = (raw or "").strip()
    if text:
        validate_email(text)
    return text


def _plain_text(raw: Any, multiline: bool = False) -> str:
    text = str(raw or "").strip()
    refuse_hidden_characters(text, multiline)
    return text


@dataclass(frozen=True)
class RuleField:
    name: str
    label: Any
    kind: str  # "choice" | "number" | "phone" | "email" | "text" | "minutes"
    choices: Any = None  # a TextChoices class for "choice"
    max_length: int = 200
    secret: bool = False  # shown only to those who may, after a recent step-up
    empty: Any = ""  # the value that means "nothing recorded"

    @property
    def multiline(self) -> bool:
        """Longer texts (addresses, plans) are typed in a box that takes line breaks."""
        return self.kind == "text" and self.max_length > 200


def _permission(channel: ContactChannel) -> RuleField:
    return RuleField(channel.value, channel.label, "choice", Permission, empty=Permission.UNKNOWN)


FIELDS: dict[str, RuleField] = {
    f.name: f
    for f in [
        RuleField("safe_to_contact", _("Safe to contact after today"), "choice", SafeToContact,
                  empty=SafeToContact.NOT_ASKED),
        RuleField("best_way", _("Best way to reach them"), "choice", ContactChannel),
        *(_permission(channel) for channel in ContactChannel),
        RuleField("phone_number", _("Phone number (calls and voicemail)"), "phone", max_length=40),
        RuleField("text_number", _("Number for text messages"), "phone", max_length=40),
        RuleField("email_address", _("E-mail address"), "email", max_length=254),
        RuleField("chat_address", _("Chat app and name"), "text", max_length=200),
        RuleField("post_address", _("Postal address"), "text", max_length=500, secret=True),
        RuleField("visit_address", _("Address for a home visit"), "text", max_length=500, secret=True),
        RuleField("best_times", _("Best days and times"), "text", max_length=500),
        RuleField("identify_as", _("How we identify ourselves (the name or cover they chose)"), "text"),
        RuleField("may_name_org", _("May we say the organisation's name?"), "choice", YesNoUnsure,
                  empty=YesNoUnsure.UNKNOWN),
        RuleField("someone_answers", _("If someone else answers or comes on the line"), "choice", SomeoneAnswers),
        RuleField("cover_name", _("Cover to give anyone else (someone specific or a friend)"), "text"),
        RuleField("someone_answers_words", _("What to do, in their words"), "text", max_length=500),
        RuleField("on_disconnect", _("If we get disconnected"), "choice", OnDisconnect),
        RuleField("call_back_after", _("Call back after"), "minutes", empty=None),
        RuleField("whereabouts", _("Where they are"), "text", max_length=500, secret=True),
        RuleField("whereabouts_safe", _("Safe where they are"), "choice", YesNoUnsure, empty=YesNoUnsure.UNKNOWN),
        RuleField("safe_word", _("Safe word"), "text", max_length=100, secret=True),
        RuleField("safe_word_action", _("What to do when they say the safe word"), "text", max_length=500,
                  secret=True),
        RuleField("danger_word", _("Danger word"), "text", max_length=100, secret=True),
        RuleField("danger_word_action", _("What to do when they say the danger word"), "text", max_length=500,
                  secret=True),
        RuleField("phone_from_exploiter", _("Was the phone given by the person who harms them?"), "choice",
                  YesNoUnsure, empty=YesNoUnsure.UNKNOWN),
        RuleField("phone_seen_by_exploiter", _("Can that person see or check the phone?"), "choice", YesNoUnsure,
                  empty=YesNoUnsure.UNKNOWN),
        RuleField("device_shared", _("Is the phone shared with someone else?"), "choice", YesNoUnsure,
                  empty=YesNoUnsure.UNKNOWN),
        RuleField("battery_plan", _("Battery and charger plan"), "text", max_length=2000),
    ]
}  # fmt: skip
SECRET_FIELDS = frozenset(name for name, spec in FIELDS.items() if spec.secret)

# Field groups, as the screens show them (the plan's permissions item edits "reach"; its device
# item edits "device" and "words"; the rules page edits every group).
GROUPS: dict[str, tuple[str, ...]] = {
    "reach": ("safe_to_contact", "best_way", *CHANNELS, "phone_number", "text_number", "email_address",
              "chat_address", "post_address", "visit_address", "best_times"),
    "answering": ("identify_as", "may_name_org", "someone_answers", "cover_name", "someone_answers_words",
                  "on_disconnect", "call_back_after"),
    "words": ("safe_word", "safe_word_action", "danger_word", "danger_word_action"),
    "device": ("phone_from_exploiter", "phone_seen_by_exploiter", "device_shared", "battery_plan"),
    "whereabouts": ("whereabouts", "whereabouts_safe"),
}  # fmt: skip
GROUP_LABELS = {
    "reach": _("Whether and how to reach them"),
    "answering": _("Who we say we are, and if someone else answers"),
    "words": _("Safe word and danger word"),
    "device": _("Their phone"),
    "whereabouts": _("Where they are (only with their agreement)"),
}
assert set(FIELDS) == {name for names in GROUPS.values() for name in names}


def clean_value(name: str, raw: Any) -> Any:
    """The stored form of ``raw`` for rule field ``name``; ``ValidationError`` when it cannot be one,
    ``KeyError`` for a name that is not a rule field."""
    spec = FIELDS[name]
    if spec.kind == "choice":
        value = str(raw or "") or spec.empty
        allowed = set(spec.choices.values) | {spec.empty}
        if value not in allowed:
            raise ValidationError(_("Choose one of the options."), code="choice")
        return value
    if spec.kind == "minutes":
        if raw in (None, ""):
            return None
        try:
            minutes = int(raw)
        except (TypeError, ValueError):
            raise ValidationError(_("Choose one of the options."), code="minutes") from None
        if not 0 <= minutes <= 10080:
            raise ValidationError(_("Choose one of the options."), code="minutes")
        return minutes
    if spec.kind == "phone":
        return normalise_phone(str(raw or ""))
    text = _plain_text(raw, spec.multiline)
    if len(text) > spec.max_length:
        raise ValidationError(
            _("Keep this under %(limit)s characters.") % {"limit": spec.max_length}, code="max_length"
        )
    return normalise_email(text) if spec.kind == "email" else text

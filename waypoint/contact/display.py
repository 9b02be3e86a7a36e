"""How contact rules read on every screen: the before-you-call tiles, the record page's list, the
not-safe-to-talk card, the plan's permissions and device items, and the voicemail script.  Each
value is read from its own field by name, with its own label, so every screen says the same thing.

Secrets (the safe word, the danger word, where they are: ``rules.SECRET_FIELDS``) read "Hidden"
unless the caller passes ``secrets=True``, which views do only for staff who may see them and after
a recent step-up (``waypoint.contact.access.may_see_secrets``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waypoint.contact.guard import may_use
from waypoint.contact.models import (
    CALL_BACK_MINUTES,
    ContactChannel,
    ContactRules,
    OnDisconnect,
    SafeToContact,
    SomeoneAnswers,
    YesNoUnsure,
)
from waypoint.contact.rules import FIELDS, GROUP_LABELS, GROUPS, SECRET_FIELDS

HIDDEN = gettext_lazy("Hidden: confirm it is you to see it")
TO_CONFIRM_LABELS = {
    "identify_as": gettext_lazy("How to identify ourselves (older answer)"),
    "if_someone_answers": gettext_lazy("If someone else answers (older answer)"),
    "disconnection_plan": gettext_lazy("If we get disconnected (older answer)"),
}


def _choice_label(name: str, value: Any) -> str:
    spec = FIELDS[name]
    if spec.kind == "minutes":
        return str(dict(CALL_BACK_MINUTES).get(value, "")) if value is not None else ""
    if spec.kind != "choice" or not value:
        return str(value or "")
    return str(dict(spec.choices.choices).get(value, value))


def shown(rules: ContactRules | None, name: str, *, secrets: bool) -> str:
    """The text of rule field ``name`` for a screen ("" when nothing is recorded)."""
    if rules is None:
        return ""
    value = getattr(rules, name)
    if value in (None, "", FIELDS[name].empty):
        return ""
    if name in SECRET_FIELDS and not secrets:
        return str(HIDDEN)
    return _choice_label(name, value)


@dataclass(frozen=True)
class Group:
    key: str
    title: Any
    rows: list[tuple[str, str]]


def groups(
    rules: ContactRules | None, *, secrets: bool, only: tuple[str, ...] = (), holder: bool = True
) -> list[Group]:
    """Every group of fields as (label, text) rows; unrecorded values say so.  For staff who may not
    hold the secrets (``holder`` False) their rows are left out, not just hidden."""
    found = []
    for key, names in GROUPS.items():
        if only and key not in only:
            continue
        names = tuple(n for n in names if holder or n not in SECRET_FIELDS)
        rows = [(str(FIELDS[n].label), shown(rules, n, secrets=secrets) or _("Not recorded")) for n in names]
        found.append(Group(key, GROUP_LABELS[key], rows))
    return found


def has_secrets(rules: ContactRules | None) -> bool:
    return rules is not None and any(getattr(rules, name) for name in SECRET_FIELDS)


def to_confirm(rules: ContactRules | None) -> list[tuple[str, str]]:
    """Older free-text answers kept to confirm with the person (never used to decide a contact)."""
    notes = (rules.to_confirm if rules is not None else None) or {}
    return [(str(TO_CONFIRM_LABELS.get(key, key)), str(text)) for key, text in notes.items() if text]


def answering_summary(rules: ContactRules | None) -> dict[str, str]:
    """What to say and do on a call, each from its own field: how we introduce ourselves when we
    contact them (``say``: what they told us to say, which others may hear), who to say we are when
    it is not safe to talk or someone else is on the line (``cover``: the cover they chose for anyone
    else, else how they told us to introduce ourselves), what to do if someone else answers, and if
    the call drops (a call back only where calls are allowed)."""
    say = rules.identify_as if rules is not None and rules.identify_as else ""
    cover = rules.cover_name if rules is not None and rules.cover_name else say
    someone = ""
    if rules is not None and rules.someone_answers:
        someone = _choice_label("someone_answers", rules.someone_answers)
        if rules.someone_answers == SomeoneAnswers.SAY_COVER:
            someone = _("Say you are: %(cover)s") % {"cover": cover} if cover else _("Hang up: no cover was agreed")
        if rules.someone_answers_words:
            someone = _("%(what)s: %(words)s") % {"what": someone, "words": rules.someone_answers_words}
    disconnect = ""
    if rules is not None and rules.on_disconnect:
        disconnect = _choice_label("on_disconnect", rules.on_disconnect)
        if rules.on_disconnect == OnDisconnect.CALL_BACK and not may_use(rules, ContactChannel.CALL):
            disconnect = _("Do not call back: calls are not allowed now")
        elif rules.on_disconnect == OnDisconnect.CALL_BACK and rules.call_back_after is not None:
            after = _choice_label("call_back_after", rules.call_back_after)
            disconnect = _("%(plan)s (%(after)s)") % {"plan": disconnect, "after": after}
    return {"say": say, "cover": cover, "someone": someone, "disconnect": disconnect}


def best_way(rules: ContactRules | None) -> str:
    """The best way they named, only while the guard allows it (else nothing: never a hint to use a
    way the rules forbid)."""
    if rules is None or not rules.best_way or not may_use(rules, rules.best_way):
        return ""
    return _choice_label("best_way", rules.best_way)


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    yes: bool | None  # True: allowed, False: not allowed, None: a statement (say you are ...)


def tiles(rules: ContactRules | None) -> list[Tile]:
    """The large yes/no tiles of the before-you-call panel: contact at all, each channel as the
    guard decides it, then what to say and do."""
    yes, no = _("YES"), _("NO")
    safe = rules is not None and rules.safe_to_contact == SafeToContact.YES
    found = [Tile(_("Contact after today"), yes if safe else no, safe)]
    for channel in ContactChannel:
        usable = may_use(rules, channel)
        found.append(Tile(str(channel.label), yes if usable else no, usable))
    summary = answering_summary(rules)
    found.append(Tile(_("Say you are"), summary["say"] or _("Not agreed: do not say who you are"), None))
    found.append(Tile(_("If someone else answers"), summary["someone"] or _("Not agreed: hang up"), None))
    found.append(Tile(_("If we get disconnected"), summary["disconnect"] or _("Not agreed: do not call back"), None))
    return found


def may_name_org(rules: ContactRules | None) -> bool:
    return rules is not None and rules.may_name_org == YesNoUnsure.YES


def voicemail_script(rules: ContactRules | None, org_name: str, language: str) -> str:
    """A short, vague voicemail in the person's language (English when we have no wording in
    theirs): the name they chose for us, the organisation only when they said it may be named,
    nothing about why we call.  "" when voicemail is not allowed: no script exists then."""
    if not may_use(rules, ContactChannel.VOICEMAIL):
        return ""
    assert rules is not None
    with translation.override(language if language in ("en", "es") else "en"):
        who, org = rules.identify_as, org_name if may_name_org(rules) else ""
        if who and org:
            hello = _("Hi, this is %(who)s from %(org)s.") % {"who": who, "org": org}
        elif who:
            hello = _("Hi, this is %(who)s.") % {"who": who}
        elif org:
            hello = _("Hi, this is a call from %(org)s.") % {"org": org}
        else:
            hello = _("Hi.")
        rest = _("Just checking in. Call me back when it suits you. Thank you, bye.")
        return f"{hello} {rest}"

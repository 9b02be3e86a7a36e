"""How contact rules read on every screen: the before-you-call tiles, the record page's list, the
not-safe-to-talk card, the plan's permissions and device items, and the voicemail script.  Each
value is read from its own field by name, with its own label, so every screen says the same thing.

Secrets (the safe word, the danger word, where they are: ``rules.SECRET_FIELDS``) read "Hidden"
unless the caller passes ``secrets=True``, which views do only for staff who may see them and after
a recent step-up (``waypoint.contact.access.may_see_secrets``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
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
from waypoint.content.models import language_name

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


def _unrecorded(name: str) -> str:
    """What an empty field reads: a choice whose empty value is one of its answers says that answer
    ("Not asked (treated as not allowed)" for a channel, "Not asked (no contact)" for contact after
    today), never "Not recorded", which would hide that the guard treats it as a no."""
    spec = FIELDS[name]
    if spec.kind == "choice" and spec.empty in spec.choices.values:
        return _choice_label(name, spec.empty)
    return _("Not recorded")


def groups(
    rules: ContactRules | None, *, secrets: bool, only: tuple[str, ...] = (), holder: bool = True
) -> list[Group]:
    """Every group of fields as (label, text) rows; unrecorded values say so, and a choice not asked
    says "Not asked" as its own answer does (``_unrecorded``).  For staff who may not hold the
    secrets (``holder`` False) their rows are left out, not just hidden."""
    found = []
    for key, names in GROUPS.items():
        if only and key not in only:
            continue
        names = tuple(n for n in names if holder or n not in SECRET_FIELDS)
        rows = [(str(FIELDS[n].label), shown(rules, n, secrets=secrets) or _unrecorded(n)) for n in names]
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


# The languages a voicemail script has wording in (the interface's languages, which are translated).
SCRIPT_LANGUAGES = tuple(code for code, _label in settings.LANGUAGES)


class Script(str):
    """The voicemail script's text, carrying what the panel says about it: ``lang``, the language
    the text is in (a tag a screen reader can use), and ``lang_name``, its name; ``wanted``, the
    person's language when the text is not in it (no wording exists in theirs), else "", and
    ``wanted_name``, its name; ``left_out``, whether the name they chose was not spoken because it
    names the organisation."""

    lang: str
    lang_name: str
    wanted: str
    wanted_name: str
    left_out: bool

    def __new__(cls, text: str, *, lang: str, wanted: str = "", left_out: bool = False) -> Script:
        script = super().__new__(cls, text)
        script.lang, script.wanted, script.left_out = lang, wanted, left_out
        script.lang_name = language_name(lang) if lang else ""
        script.wanted_name = language_name(wanted) if wanted else ""
        return script


def script_language(language: str) -> str:
    """The language a script for someone whose language is ``language`` is written in: theirs when
    a wording exists, else the interface's (when it has one), else English."""
    if language in SCRIPT_LANGUAGES:
        return language
    interface = (translation.get_language() or "").split("-")[0]
    return interface if interface in SCRIPT_LANGUAGES else "en"


_WORD = re.compile(r"\w+")
_BRACKETED = re.compile(r"\(([^)]*)\)")


def org_short_names(org_name: str) -> list[str]:
    """The short forms an organisation is often said by: a name in brackets ("Riverside Health
    (RH)"), the name without it, and its initials when it has two words or more (all words, and the
    capitalised words only: "Coalition to Abolish Slavery and Trafficking" is "CTASAT" and "CAST")."""
    bracketed = [part.strip() for part in _BRACKETED.findall(org_name) if part.strip()]
    bare = _BRACKETED.sub(" ", org_name).strip()
    found = set(bracketed) | ({bare} if bracketed and bare else set())
    words = _WORD.findall(bare)
    if len(words) >= 2:
        every = "".join(word[0] for word in words).upper()
        capitals = "".join(word[0] for word in words if word[0].isupper())
        found |= {initials for initials in (every, capitals) if len(initials) >= 2}
    return sorted(found)


def _plain(text: str) -> str:
    return " ".join(text.split()).casefold()


# Words that say nothing of which organisation it is: a cover that has only these in common with the
# name does not name it ("the", "Inc.", "de la").  Every other word of the name does.
_COMMON_WORDS = frozenset(
    "a an and the of for in on at to by inc llc ltd co corp org y e o de del la las el los en por para un una".split()
)


def _fold(text: str) -> list[str]:
    """``text`` as plain lower-case words: accents dropped ("Fundación" is "fundacion"), "&" read as
    "and", apostrophes dropped ("Anne's" is "annes") and other punctuation a space ("Safe-Harbor")."""
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    bare = bare.replace("'", "").replace("\u2019", "")
    return re.findall(r"[^\W_]+", bare)


def _own_words(name: str) -> set[str]:
    """The words of a name that say which organisation it is (three letters or more, not common)."""
    return {word for word in _fold(name) if len(word) >= 3 and word not in _COMMON_WORDS}


def names_org(text: str, org_name: str, short_names: Iterable[str] = ()) -> bool:
    """Whether ``text`` may say the organisation's name: any word of its name (or of a site's or
    other name given in ``short_names``) that is its own (``_own_words``), accents, case and
    punctuation ignored ("Ana from Riverside" says "Riverside Anti-Trafficking Coalition"); or a
    short name (``org_short_names``, and any given) as a word of its own, dots ignored ("R.H." is
    "RH", and "Rhonda" does not say "RH").  When in doubt it says yes: the script then leaves the
    name out, which is always safe."""
    said = set(_fold(text))
    if said & _own_words(org_name) or any(said & _own_words(name) for name in short_names):
        return True
    undotted = _plain(text).replace(".", "")
    for short in (*org_short_names(org_name), *short_names):
        short = _plain(short).replace(".", "")
        if short and re.search(rf"(?<!\w){re.escape(short)}(?!\w)", undotted):
            return True
    return False


def voicemail_script(
    rules: ContactRules | None, org_name: str, language: str, *, short_names: Iterable[str] = ()
) -> Script:
    """A short, vague voicemail (``Script``, "" when voicemail is not allowed: no script exists then).

    Whoever listens to a voicemail may not be the person, so it says the cover they chose for anyone
    else (``cover_name``), else how they told us to introduce ourselves (``identify_as``).  The
    organisation is named only when they said it may be; until then a cover or name that says it
    (its name or a short name, ``names_org``) is not spoken and a neutral hello is used instead.
    Nothing about why we call.  In the person's language when a wording exists in it; otherwise in
    ``script_language``'s, and the script says which (``Script.wanted``)."""
    if not may_use(rules, ContactChannel.VOICEMAIL):
        return Script("", lang="")
    assert rules is not None
    lang = script_language(language)
    wanted = "" if lang == language else (language or "other")
    who = (rules.cover_name or rules.identify_as or "").strip()
    named = may_name_org(rules)
    left_out = bool(who) and not named and names_org(who, org_name, short_names)
    if left_out:
        who = ""
    org = org_name if named and not (who and names_org(who, org_name, short_names)) else ""
    with translation.override(lang):
        if who and org:
            hello = _("Hi, this is %(who)s from %(org)s.") % {"who": who, "org": org}
        elif who:
            hello = _("Hi, this is %(who)s.") % {"who": who}
        elif org:
            hello = _("Hi, this is a call from %(org)s.") % {"org": org}
        else:
            hello = _("Hi.")
        rest = _("Just checking in. Call me back when it suits you. Thank you, bye.")
    return Script(f"{hello} {rest}", lang=lang, wanted=wanted, left_out=left_out)

"""Signs that announce the see-alone policy, and the restroom sign with the help line.

The first guide asks organisations to post "signs that outline the policy in common areas (waiting
rooms, exam rooms)": when everyone is told that part of every visit is private, asking a companion
to step out is routine and singles nobody out.  The restroom sign (the kind many clinics put inside
stalls) gives the National Human Trafficking Hotline's number and text line without naming what it
is for.

Defends against: wording a companion could object to (every sentence is neutral: no word about
trafficking, abuse, danger, police or escape; ``tests/test_issue13_signs.py`` reads the PDFs for
them); a sign that silently breaks (a missing translation prints that sentence in English and the
signs page lists it); a long translation spilling onto a second page (the type is made smaller until
the sign fits one page).

Does not define the organisation's own policy text (``Organisation.see_alone_text``): the signs use
their own short sentences, one set per language, because that text is written once in whichever
language the admin chose and is up to 4,000 characters, so it could neither be put on a Spanish or
added-language sign nor be read from across a waiting room.

Does not defend against: where a sign is posted, or a translation an admin writes badly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from waypoint.printing.layout import HOTLINE_CALL, HOTLINE_TEXT
from waypoint.printing.models import SignTranslation


class Kind(StrEnum):
    WAITING = "waiting"
    EXAM = "exam"
    RESTROOM = "restroom"


class Size(StrEnum):
    LETTER = "letter"
    A4 = "a4"


KIND_LABELS = {Kind.WAITING: _("Waiting room"), Kind.EXAM: _("Exam room"), Kind.RESTROOM: _("Restroom")}
KIND_HINTS = {
    Kind.WAITING: _("Tells everyone that part of every visit is private."),
    Kind.EXAM: _("The same, and that anyone who came with the person will wait outside for a few minutes."),
    Kind.RESTROOM: _(
        "The free help line to call or text, without saying what it is for. Many clinics put it inside stalls."
    ),
}
SIZE_LABELS = {Size.LETTER: _("US Letter"), Size.A4: _("A4")}
SIZE_CSS = {Size.LETTER: "letter", Size.A4: "A4"}

# Built in: their sentences come from the translation catalogue.
BUILT_IN = {"en": "English", "es": "Español"}


@dataclass(frozen=True)
class Sentence:
    key: str  # the SignTranslation field that holds it in an added language
    label: Any  # what the admin's form and the signs page call it
    english: str  # the catalogue's message id (the English text)
    max_length: int


SENTENCES = (
    Sentence(
        "heading",
        _("Heading of the waiting-room and exam-room signs"),
        gettext_noop("Part of every visit is private"),
        80,
    ),
    Sentence(
        "body",
        _("The policy"),
        gettext_noop("To give everyone privacy, we see each person alone for part of every visit."),
        200,
    ),
    Sentence(
        "step_out",
        _("Exam room: anyone with them waits outside"),
        gettext_noop("Anyone who came with you will be asked to wait outside for a few minutes."),
        200,
    ),
    Sentence(
        "everyone", _("For everyone, and thanks"), gettext_noop("This is our policy for everyone. Thank you."), 200
    ),
    Sentence("help_heading", _("Heading of the restroom sign"), gettext_noop("Need to talk to someone?"), 80),
    Sentence(
        "help_body",
        _("Restroom: what the help line offers"),
        gettext_noop("Free, confidential help, 24 hours a day, in many languages."),
        200,
    ),
    Sentence("call", _("Restroom: the word before the number to call"), gettext_noop("Call"), 40),
    Sentence("text", _("Restroom: the word before the number to text"), gettext_noop("Text"), 40),
)
SENTENCE_BY_KEY = {sentence.key: sentence for sentence in SENTENCES}
KIND_SENTENCES: dict[Kind, tuple[str, ...]] = {
    Kind.WAITING: ("heading", "body", "everyone"),
    Kind.EXAM: ("heading", "body", "step_out", "everyone"),
    Kind.RESTROOM: ("help_heading", "help_body", "call", "text"),
}

# Type sizes in points at full scale (readable from across a room: the heading and the numbers are
# 40 pt or more).  A sign whose text does not fit one page is set again at the next smaller scale.
HEADING_PT, BODY_PT, NUMBER_PT, LABEL_PT = 56, 30, 48, 26
SCALES = (1.0, 0.86, 0.74, 0.64, 0.55, 0.47, 0.4)

# Language codes as BCP 47 writes them, in the forms people use: "fr", "pt-BR", "zh-Hant", "es-419".
_CODE = re.compile(
    r"^(?P<lang>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|[0-9]{3}))?$", re.IGNORECASE
)


def normalise_code(value: str) -> str | None:
    """The code in its usual spelling ("PT-br" -> "pt-BR"), or None when it is not a language code."""
    match = _CODE.match(value.strip())
    if match is None:
        return None
    parts = [match["lang"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    return "-".join(parts)


def english(key: str) -> str:
    with translation.override("en"):
        return gettext(SENTENCE_BY_KEY[key].english)


def missing(added: SignTranslation, keys: Iterable[str] | None = None) -> list[str]:
    """The sentences this added language leaves empty (printed in English)."""
    return [key for key in keys or SENTENCE_BY_KEY if not getattr(added, key).strip()]


@dataclass
class SignText:
    """What one sign says: each sentence, and the ones shown in English because they are missing."""

    language: str  # the code on the page (the html lang)
    texts: dict[str, str]
    in_english: list[str] = field(default_factory=list)


def sign_text(kind: Kind, language: str, added: SignTranslation | None = None) -> SignText:
    """The sentences of ``kind`` in a built-in ``language`` (from the catalogue), or in ``added``
    (its empty sentences in English)."""
    keys = KIND_SENTENCES[kind]
    if added is None:
        with translation.override(language):
            return SignText(language, {key: gettext(SENTENCE_BY_KEY[key].english) for key in keys})
    gaps = missing(added, keys)
    texts = {key: english(key) if key in gaps else getattr(added, key).strip() for key in keys}
    return SignText(added.code, texts, gaps)


def contexts(kind: Kind, size: Size, text: SignText) -> list[dict[str, Any]]:
    """The sign's template context at each scale, largest first."""
    base = {
        "kind": kind.value,
        "page_size": SIZE_CSS[size],
        "sign_language": text.language,
        "texts": text.texts,
        "lang_of": {key: "en" if key in text.in_english else text.language for key in text.texts},
        "call_number": HOTLINE_CALL,
        "text_number": HOTLINE_TEXT,
    }
    return [
        base
        | {  # strings, so that no language's number format ("56,0") reaches the style sheet
            "heading_pt": _points(HEADING_PT * scale),
            "body_pt": _points(BODY_PT * scale),
            "number_pt": _points(NUMBER_PT * min(1.0, scale * 1.2)),
            "label_pt": _points(LABEL_PT * scale),
        }
        for scale in SCALES
    ]


def _points(value: float) -> str:
    return f"{value:.1f}"


def render_language(language: str) -> str:
    """The language the renderer runs in: a built-in one, else English.  The sign's words are all
    worked out before rendering; running an added language's catalogue (Django ships its own for
    many) could turn an English fallback word such as "Text" into something nobody wrote."""
    return language if language in BUILT_IN else "en"

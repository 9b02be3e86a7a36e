"""The keyed hashes a record is found by: one per word of its name and alias, and one per whole name
(words in order), each keyed per organisation (``waypoint.core.crypto.token_digest``).

Pure functions of the text, used alike by the model (on every save), by search, by the duplicate
check and by the migration that indexed the records made before the token index existed."""

from __future__ import annotations

import uuid

from waypoint.core import crypto

WORD = "person.token"
WHOLE = "person.fullname"
MAX_WORDS = 12  # a search of more words than any name has finds nothing anyway


def scope(org_id: uuid.UUID | str) -> str:
    return uuid.UUID(str(org_id)).hex


def words(text: str) -> list[str]:
    return crypto.name_tokens(text or "")


def word_digests(org_id: uuid.UUID | str, text: str) -> list[str]:
    """One hash per distinct word of ``text``, in order (``[]`` for text with no letters or digits)."""
    return [crypto.token_digest(word, WORD, scope(org_id)) for word in words(text)]


def whole_digest(org_id: uuid.UUID | str, text: str) -> str:
    """The hash of all the words of ``text`` in order ("" for text with no letters or digits)."""
    found = words(text)
    return crypto.token_digest(" ".join(found), WHOLE, scope(org_id)) if found else ""


def record_digests(org_id: uuid.UUID | str, name: str, alias: str) -> set[str]:
    """Every hash a record with this name and alias is stored under."""
    digests: set[str] = set()
    for text in (name, alias):
        digests.update(word_digests(org_id, text))
        if whole := whole_digest(org_id, text):
            digests.add(whole)
    return digests

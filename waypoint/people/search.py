"""Finding records: by any words of a name or alias (accents, capitals and word order do not
matter) or by reference code; the likely duplicates of a record about to be made; and the short
label (initials or alias) some staff choose to see beside reference codes in lists.

Every lookup starts from ``access.people_for(user)``, so it sees only the records the user may read
in their own organisation, and compares only keyed hashes (``waypoint.people.tokens``): the typed
text is never stored, logged or compared with a name in the database."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from waypoint.people import tokens
from waypoint.people.access import may_read, people_for
from waypoint.people.models import Person, PersonToken

LIMIT = 50
DUPLICATES_SHOWN = 10
CANDIDATES = 200  # records sharing a word, read to compare dates of birth


def reference_of(query: str) -> str:
    """The reference code ``query`` spells (any case, with or without the dash), or ""."""
    code = "".join(ch for ch in query.upper() if ch.isascii() and ch.isalnum())
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else ""


def find(user: Any, query: str) -> QuerySet[Person]:
    """Records whose names hold every word of ``query`` (any order), or whose code it is."""
    found = people_for(user)
    digests = set(tokens.word_digests(user.org_id, query)[: tokens.MAX_WORDS + 1])
    by_words = found.none()
    if digests and len(digests) <= tokens.MAX_WORDS:
        holding_all = (
            PersonToken.objects.filter(org_id=user.org_id, digest__in=digests)
            .values("person_id")
            .annotate(n=Count("digest"))
            .filter(n=len(digests))
            .values("person_id")
        )
        by_words = found.filter(id__in=holding_all)
    code = reference_of(query)
    by_code = found.filter(reference=code) if code else found.none()
    return (by_words | by_code).distinct()


@dataclass(frozen=True)
class Duplicate:
    person: Person
    same_name: bool  # every word of the new name (or alias) is in this record's names
    same_birth: bool  # same date of birth, and at least one word in common


def likely_duplicates(user: Any, name: str, alias: str, date_of_birth: datetime.date | None) -> list[Duplicate]:
    """Records of the user's organisation that may be the same person as a new record with these
    details: one holding every word of its name or of its alias, or sharing a word and the date of
    birth.  At most ``DUPLICATES_SHOWN``, the closest first."""
    org_id = user.org_id
    groups = [set(tokens.word_digests(org_id, text)) for text in (name, alias)]
    groups += [{whole} for text in (name, alias) if (whole := tokens.whole_digest(org_id, text))]
    groups = [group for group in groups if group]
    wanted = set().union(*groups) if groups else set()
    if not wanted:
        return []
    readable = people_for(user)
    shared: dict[uuid.UUID, set[str]] = defaultdict(set)
    rows = PersonToken.objects.filter(org_id=org_id, digest__in=wanted, person__in=readable)
    for person_id, digest in rows.values_list("person_id", "digest")[: CANDIDATES * len(wanted)]:
        shared[person_id].add(digest)
    by_name = {pid for pid, have in shared.items() if any(group <= have for group in groups)}
    others = sorted(set(shared) - by_name, key=lambda pid: -len(shared[pid]))[:CANDIDATES]
    by_birth: set[uuid.UUID] = set()
    if date_of_birth is not None and others:
        for person in readable.filter(pk__in=others).only("id", "date_of_birth"):
            if person.date_of_birth == date_of_birth:
                by_birth.add(person.id)
    matched = by_name | by_birth
    if not matched:
        return []
    people = {p.id: p for p in readable.filter(pk__in=matched).only(*listed_fields(user))}
    ranked = sorted(matched, key=lambda pid: (pid not in by_name, -len(shared[pid]), str(pid)))
    return [
        Duplicate(people[pid], pid in by_name, pid in by_birth) for pid in ranked[:DUPLICATES_SHOWN] if pid in people
    ]


# --- Labels in lists --------------------------------------------------------------------------------

LISTED_FIELDS = ("id", "reference", "updated_at", "estimated_age")
LABEL_FIELDS = ("org", "name", "alias")
LABEL_LENGTH = 30  # a long alias is cut (with "…") to keep the lists narrow


def shows_labels(user: Any) -> bool:
    """Whether this user chose to see initials or aliases in lists (off unless they turned it on)."""
    return bool(getattr(user, "show_person_labels", False))


def listed_fields(user: Any) -> tuple[str, ...]:
    """The columns a list loads: the name and alias only for a user who shows labels."""
    return LISTED_FIELDS + LABEL_FIELDS if shows_labels(user) else LISTED_FIELDS


def initials(name: str) -> str:
    """Initials of a name: "María López" gives "M.L."; at most four words are used."""
    letters = [word[0].upper() for word in name.replace("-", " ").split() if word[:1].isalnum()]
    return "".join(f"{letter}." for letter in letters[:4])


def label(user: Any, person: Person) -> str:
    """What the list shows beside the code: the initials of the name, or else the alias; "" when the
    user did not choose labels or may not read the record."""
    if not shows_labels(user) or not may_read(user, person):
        return ""
    loaded = person.__dict__
    name = loaded.get("name") or ""
    if name and (found := initials(name)):
        return found
    alias = str(loaded.get("alias") or "")
    return alias if len(alias) <= LABEL_LENGTH else alias[: LABEL_LENGTH - 1] + "…"


def add_labels(user: Any, people: list[Person]) -> None:
    """Set each record's ``list_label`` for this user (see ``label``)."""
    for person in people:
        person.list_label = label(user, person)

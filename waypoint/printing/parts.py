"""Printing's part of a person's record: its audit events about the plan (printed, refused, the
things to remember shown) are listed in "who viewed this record".  The plan's id, which those rows
name, is declared by the plans part."""

from __future__ import annotations

from waypoint.people.parts import RecordPart, record_parts
from waypoint.printing.events import PrintEvent

PART = RecordPart(
    key="printing",
    order=31,
    events=frozenset(
        {
            PrintEvent.PLAN_PRINTED,
            PrintEvent.CARD_PRINTED,
            PrintEvent.REFUSED,
            PrintEvent.MEMORISE_VIEWED,
            PrintEvent.PRINT_VIEWED,
        }
    ),
)


def register() -> None:
    record_parts.register(PART.key, PART)

"""Optimistic locking and idempotency keys.

Defends against: lost updates when two people edit the same record (the later save sees a version
mismatch and is shown both versions instead of overwriting); duplicate records from a double submit
(the form carries a key; a second submit with the same key returns the first result).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models
from django.http import Http404

from waypoint.core.models import IdempotencyKey


class StaleVersion(Exception):
    def __init__(self, current: Any) -> None:
        super().__init__("The record changed since it was opened")
        self.current = current


def lock_for_update(model: type[models.Model], pk: Any, expected_version: int) -> Any:
    """Fetch the row locked for this transaction; raise StaleVersion if someone saved in between, and
    Http404 if the row is gone since the page looked it up (a purge removed the record meanwhile)."""
    try:
        current = model._default_manager.select_for_update().get(pk=pk)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        raise Http404 from None
    if current.version != expected_version:  # type: ignore[attr-defined]
        raise StaleVersion(current)
    return current


def with_version(data: Any, version: int, field: str = "version") -> Any:
    """Submitted form data, answering ``version`` now: after a conflict has shown both texts, saving
    the same data again is a deliberate choice over that version."""
    copy = data.copy()
    copy[field] = str(version)
    return copy


def previous_result(staff_id: uuid.UUID, key: uuid.UUID | None, object_type: str) -> uuid.UUID | None:
    if key is None:
        return None
    found = IdempotencyKey.objects.filter(staff_id=staff_id, key=key, object_type=object_type).first()
    return found.object_id if found else None


def remember_result(staff_id: uuid.UUID, key: uuid.UUID | None, object_type: str, object_id: uuid.UUID) -> None:
    if key is not None:
        IdempotencyKey.objects.create(staff_id=staff_id, key=key, object_type=object_type, object_id=object_id)


Made = TypeVar("Made", bound=models.Model)


def once(
    staff_id: uuid.UUID, key: uuid.UUID | None, object_type: str, model: type[Made], write: Callable[[], Made]
) -> Made:
    """``write()`` (one transaction that remembers its result under ``key``); when a concurrent
    double submit of the same form won the key first, the row that one made."""
    try:
        return write()
    except IntegrityError:
        earlier = previous_result(staff_id, key, object_type)
        if earlier is None:
            raise
        return model._default_manager.get(pk=earlier)

"""Model fields whose values are encrypted by the application before they reach the database.

The associated data is ``<table>.<column>``, so a ciphertext copied into another column fails to
decrypt.  Lookups other than ``isnull`` make no sense on randomised ciphertext and are refused.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import FieldError
from django.db import models

from waypoint.core import crypto


class EncryptedMixin:
    model: Any
    column: str

    @property
    def crypto_context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise FieldError(f"Encrypted fields cannot be searched with {lookup_name!r}; use a blind index")
        return super().get_lookup(lookup_name)  # type: ignore[misc]


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Free text, stored as ciphertext.  Empty strings are stored as empty (nothing to hide)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self.crypto_context)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), self.crypto_context)


class EncryptedDateField(EncryptedMixin, models.TextField):
    """A date stored as encrypted ISO text; Python sees a ``datetime.date``."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> datetime.date | None:
        if value is None or value == "":
            return None
        return datetime.date.fromisoformat(crypto.decrypt(value, self.crypto_context))

    def to_python(self, value: Any) -> datetime.date | None:
        if value is None or value == "" or isinstance(value, datetime.date):
            return value or None
        return datetime.date.fromisoformat(str(value))

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, datetime.date):
            value = self.to_python(value)
        assert value is not None
        return crypto.encrypt(value.isoformat(), self.crypto_context)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        from django import forms

        return forms.DateField(required=not self.blank, **kwargs)


def encrypted_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]

"""Model fields whose values are encrypted by the application before they reach the database.

The associated data is ``<table>.<column>``, so a ciphertext copied into another column fails to
decrypt.  Lookups other than ``isnull`` make no sense on randomised ciphertext and are refused.

The typed fields (``EncryptedCharField``, ``EncryptedBooleanField``, ``EncryptedIntegerField``,
``EncryptedDateTimeField``) give Python the same values, choices and form fields as the plain field
they replace, but store every value, the empty one included, as ciphertext in a text column: the
column shows neither the value nor whether one was recorded.  They refuse ``isnull`` as well.

On a model that declares ``record_key_via`` (``waypoint.core.record_keys``), ``save`` seals values
under the record's own key (``pre_save`` returns a ``Sealed`` ``wr1:`` value, which
``get_prep_value`` passes through).  Paths that have no instance (``QuerySet.update``,
``bulk_update``) seal with the key ring instead: use ``save(update_fields=...)`` on those models.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.core import validators
from django.core.exceptions import FieldError
from django.db import migrations, models
from django.utils.dateparse import parse_datetime

from waypoint.core import crypto, record_keys


class Sealed(str):
    """A value ``pre_save`` already sealed under a record key: stored as it is."""

    __slots__ = ()


class EncryptedMixin:
    model: Any
    column: str
    attname: str
    hides_empty = False  # True: empty values are ciphertext too, so "isnull" cannot be answered

    @property
    def crypto_context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def plaintext(self, value: Any) -> str | None:
        """The text a value is sealed as, or None when it is stored as it is (no value)."""
        raise NotImplementedError

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = super().pre_save(model_instance, add)  # type: ignore[misc]
        record_id = record_keys.record_id_of(model_instance)
        if record_id is None:
            return value
        # Only the record itself, being inserted, may get a new key; a save of anything else whose
        # record has no key (purged) raises instead of sealing under a fresh one.
        creating = add and record_id == model_instance.pk
        text = self.plaintext(value)
        if text is None:
            if creating:
                record_keys.key_for_writing(record_id, model_instance, create=True)
            return value
        key = record_keys.key_for_writing(record_id, model_instance, create=creating)
        return Sealed(crypto.encrypt_for_record(text, self.crypto_context, record_id, key))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull" or self.hides_empty:
            raise FieldError(f"Encrypted fields cannot be searched with {lookup_name!r}; use a blind index")
        return super().get_lookup(lookup_name)  # type: ignore[misc]


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Free text, stored as ciphertext.  Empty strings are stored as empty (nothing to hide)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self.crypto_context)

    def plaintext(self, value: Any) -> str | None:
        value = models.TextField.get_prep_value(self, value)
        return None if value is None or value == "" else str(value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return str(value)
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

    def plaintext(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, datetime.date):
            value = self.to_python(value)
        assert value is not None
        return str(value.isoformat())

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return str(value)
        text = self.plaintext(value)
        return None if text is None else crypto.encrypt(text, self.crypto_context)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        from django import forms

        return forms.DateField(required=not self.blank, **kwargs)


def _to_text(kind: str, value: Any) -> str:
    """The text a typed value is encrypted as; "" for None."""
    if value is None:
        return ""
    if kind == "bool":
        return "1" if value else "0"
    if kind == "int":
        return str(int(value))
    if kind == "datetime":
        return str(value.astimezone(datetime.UTC).isoformat())
    if kind == "json":
        return json.dumps(value, sort_keys=True)
    return str(value)


def _from_text(kind: str, text: str) -> Any:
    if kind == "char":
        return text
    if text == "":
        return None
    if kind == "bool":
        return text == "1"
    if kind == "int":
        return int(text)
    if kind == "json":
        return json.loads(text)
    return datetime.datetime.fromisoformat(text)


class EncryptedValueMixin(EncryptedMixin):
    """A typed value kept as ciphertext of its text form in a text column.

    Defends against reading choices, flags, numbers and times from the database file or a backup,
    and against learning from NULL or '' that nothing was recorded.  The parent field's
    ``get_prep_value`` still normalises the value first (choices, booleans, aware datetimes)."""

    hides_empty = True
    kind = "char"
    null: bool

    def get_internal_type(self) -> str:
        return "TextField"

    def db_check(self, connection: Any) -> None:
        return None

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = "" if value is None else crypto.decrypt(value, self.crypto_context)
        return None if text == "" and self.null else _from_text(self.kind, text)

    def plaintext(self, value: Any) -> str | None:
        value = super(EncryptedMixin, self).get_prep_value(value)  # type: ignore[misc]
        return _to_text(self.kind, value)

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return str(value)
        return crypto.encrypt(str(self.plaintext(value)), self.crypto_context)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        """No backend adaptation: the value is already ciphertext text."""
        return value if prepared else self.get_prep_value(value)


class EncryptedCharField(EncryptedValueMixin, models.CharField):  # type: ignore[misc]
    """A short string or a choice; ``max_length`` limits the plaintext (the column is text)."""

    kind = "char"


class EncryptedBooleanField(EncryptedValueMixin, models.BooleanField):  # type: ignore[misc]
    kind = "bool"


class EncryptedIntegerField(EncryptedValueMixin, models.IntegerField):  # type: ignore[misc]
    """A whole number in ``min_value``..``max_value`` (the database no longer checks a range)."""

    kind = "int"

    def __init__(self, *args: Any, min_value: int | None = None, max_value: int | None = None, **kwargs: Any) -> None:
        self.min_value, self.max_value = min_value, max_value
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.min_value is not None:
            kwargs["min_value"] = self.min_value
        if self.max_value is not None:
            kwargs["max_value"] = self.max_value
        return name, path, args, kwargs

    @property
    def validators(self) -> list[Any]:  # type: ignore[override]
        found: list[Any] = [*self.default_validators, *self._validators]  # type: ignore[attr-defined]
        if self.min_value is not None:
            found.append(validators.MinValueValidator(self.min_value))
        if self.max_value is not None:
            found.append(validators.MaxValueValidator(self.max_value))
        return found

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(**{"min_value": self.min_value, "max_value": self.max_value, **kwargs})


class EncryptedDateTimeField(EncryptedValueMixin, models.DateTimeField):  # type: ignore[misc]
    """An aware datetime, stored as encrypted ISO text in UTC."""

    kind = "datetime"


class EncryptedJSONField(EncryptedValueMixin, models.JSONField):  # type: ignore[misc]
    """A small JSON value (a list of keys), stored as encrypted JSON text; no key lookups."""

    kind = "json"


# --- Migrations: plain columns to ciphertext and back -----------------------------------------


def _plain_value(kind: str, raw: Any) -> Any:
    """A value read from the plain column (after its type became text, or before): PostgreSQL casts
    booleans to 'true'/'false', SQLite keeps 1/0; times come with or without an offset."""
    if raw is None:
        return "" if kind == "char" else None
    text = str(raw)
    if kind == "bool":
        return text.lower() in ("1", "true", "t")
    if kind == "int":
        return int(text)
    if kind == "json":
        return json.loads(raw) if isinstance(raw, str) else raw
    if kind == "datetime":
        moment = raw if isinstance(raw, datetime.datetime) else parse_datetime(text)
        if moment is None:
            raise ValueError("Not a datetime")
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)
    return text


def _plain_text(kind: str, value: Any, vendor: str) -> str | None:
    """Text the reverse type change casts back: '1'/'0', digits, SQLite's naive UTC form."""
    if value is None or (kind != "char" and value == ""):
        return None
    if kind == "datetime":
        utc = value.astimezone(datetime.UTC)
        return str(utc.replace(tzinfo=None).isoformat(" ") if vendor == "sqlite" else utc.isoformat())
    return _to_text(kind, value)


def _rewrite(
    schema_editor: Any, table: str, columns: Mapping[str, str], change: Callable[[str, str, Any], Any]
) -> None:
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for column, kind in columns.items():
            cursor.execute(f"SELECT {quote('id')}, {quote(column)} FROM {quote(table)}")  # noqa: S608
            for pk, raw in cursor.fetchall():
                new = change(column, kind, raw)
                if new != raw:
                    sql = f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE {quote('id')} = %s"  # noqa: S608
                    cursor.execute(sql, [new, pk])
    settle_deferred_checks(schema_editor)


def settle_deferred_checks(schema_editor: Any) -> None:
    """PostgreSQL refuses ALTER TABLE while the deferred foreign-key checks of these UPDATEs are
    pending (the reverse migration changes the column types right after): run them now."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _is_ciphertext(raw: Any) -> bool:
    return crypto.is_ciphertext(raw)


def encrypt_columns(table: str, columns: Mapping[str, str]) -> migrations.RunPython:
    """A reversible data migration for ``columns`` (column -> "char" | "bool" | "int" | "datetime")
    of ``table``: forwards encrypts each plain value as its typed field does, backwards decrypts to
    text that the reverse type change casts back.  Place it after the columns became text."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        def seal(column: str, kind: str, raw: Any) -> Any:
            if _is_ciphertext(raw):
                return raw
            return crypto.encrypt(_to_text(kind, _plain_value(kind, raw)), f"{table}.{column}")

        _rewrite(schema_editor, table, columns, seal)

    def backwards(apps: Any, schema_editor: Any) -> None:
        vendor = schema_editor.connection.vendor

        def unseal(column: str, kind: str, raw: Any) -> Any:
            if not _is_ciphertext(raw):
                return raw
            return _plain_text(kind, _from_text(kind, crypto.decrypt(raw, f"{table}.{column}")), vendor)

        _rewrite(schema_editor, table, columns, unseal)

    return migrations.RunPython(forwards, backwards)


def encrypted_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedMixin)]

"""Field encryption: authenticated, fails closed, rotatable; the blind index finds normalised names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from waypoint.core import crypto
from waypoint.core.fields import EncryptedTextField
from waypoint.people.models import Person


def test_round_trip_and_ciphertext_shape() -> None:
    token = crypto.encrypt("María Núñez", "people_person.name")
    assert token.startswith(f"wp1:{crypto.key_ring().active}:")
    assert "María" not in token
    assert crypto.decrypt(token, "people_person.name") == "María Núñez"


def test_same_plaintext_gives_different_ciphertexts() -> None:
    assert crypto.encrypt("x", "t.c") != crypto.encrypt("x", "t.c")


def test_wrong_context_fails_closed() -> None:
    token = crypto.encrypt("secret", "people_person.name")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, "people_person.notes")


def test_tampered_ciphertext_fails_closed() -> None:
    token = crypto.encrypt("secret", "t.c")
    head, body = token.rsplit(":", 1)
    flipped = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{head}:{flipped}", "t.c")


def test_unknown_key_fails_closed() -> None:
    other = crypto.new_key_ring()
    token = crypto.encrypt("secret", "t.c", ring=other)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, "t.c")


def test_plaintext_in_database_is_refused() -> None:
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt("just plain text", "t.c")


@pytest.mark.django_db
def test_wrong_key_raises_when_reading_a_model(world_a: Any, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    crypto.write_key_file(other, crypto.new_key_ring())
    with override_settings(ENCRYPTION_KEY_FILE=str(other), ENCRYPTION_KEYS_JSON=""):
        crypto.reset_key_ring_cache()
        try:
            with pytest.raises(crypto.DecryptionError):
                Person.objects.get(pk=world_a.person.pk)
        finally:
            crypto.reset_key_ring_cache()


@pytest.mark.django_db
def test_values_are_ciphertext_in_the_table(world_a: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, notes FROM people_person WHERE id = %s", [world_a.person.pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL stores UUIDs natively
            cursor.execute("SELECT name, notes FROM people_person WHERE id = %s", [world_a.person.pk])
            row = cursor.fetchone()
    assert row is not None
    assert all(value.startswith("wr1:") for value in row)  # a person's values: under their record key
    assert "Canary" not in "".join(row)


def test_encrypted_fields_refuse_lookups() -> None:
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(Person.objects.filter(name="x"))


@pytest.mark.django_db
def test_blind_index_matches_normalised_names(world_a: Any) -> None:
    person = Person.objects.create(org=world_a.org, name="María Núñez")
    index = Person.search_index(world_a.org.id, "  maría   NÚÑEZ ")
    assert Person.objects.filter(name_index=index).get() == person
    assert Person.search_index(world_a.org.id, "Maria Nunez") != index  # accents are kept


def test_key_ring_validation() -> None:
    with pytest.raises(crypto.KeyRingError):
        crypto.KeyRing.from_json("{}")
    ring = json.loads(crypto.new_key_ring().to_json())
    ring["active"] = "missing"
    with pytest.raises(crypto.KeyRingError):
        crypto.KeyRing.from_json(json.dumps(ring))


@pytest.mark.django_db
def test_rotate_keys_reencrypts_everything_and_old_key_still_decrypts(world_a: Any, tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    crypto.write_key_file(key_file, crypto.key_ring())
    with override_settings(ENCRYPTION_KEY_FILE=str(key_file), ENCRYPTION_KEYS_JSON=""):
        crypto.reset_key_ring_cache()
        try:
            old = crypto.key_ring().active
            call_command("rotate_keys")
            new_ring = crypto.key_ring()
            assert new_ring.active != old and old in new_ring.keys
            from waypoint.core.management.commands.rotate_keys import key_ids_in_use

            assert key_ids_in_use() == {new_ring.active}
            assert Person.objects.get(pk=world_a.person.pk).name == "Canary Name A"
            call_command("rotate_keys", "--retire-old")
            final = crypto.key_ring()
            assert list(final.keys) == [final.active]
            assert Person.objects.get(pk=world_a.person.pk).notes == "Canary note A"
        finally:
            crypto.reset_key_ring_cache()


def test_encrypted_field_context_names_table_and_column() -> None:
    field = Person._meta.get_field("name")
    assert isinstance(field, EncryptedTextField)
    assert field.crypto_context == "people_person.name"

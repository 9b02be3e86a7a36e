"""Field encryption, the blind index for exact-match search and the token index for word search.

Defends against: someone who obtains the database file, its WAL, a backup or a dump (names, dates of
birth and free text are AES-256-GCM ciphertext); ciphertext moved between columns (the table and
column are authenticated as associated data); silent corruption or a wrong key (decryption raises,
it never returns ciphertext as if it were the value).

Does not defend against: an attacker who holds both the database and the key file, or who controls
the running application.  Values are encrypted per column, not per row, so swapping two rows' values
in the same column is detectable only by the audit trail.

Ciphertext format: ``wp1:<key id>:<base64url(nonce || ciphertext+tag)>``.  The key ring is a JSON
document ``{"active": "<id>", "keys": {"<id>": "<base64 32 bytes>"}, "index_key": "<base64>"}`` read
from WAYPOINT_ENCRYPTION_KEYS or the file WAYPOINT_ENCRYPTION_KEY_FILE, never from the database.

A person's data is sealed under that person's own key instead (``waypoint.core.record_keys``):
``wr1:<record id hex>:<base64url(nonce || ciphertext+tag)>`` with the associated data
``<table>.<column>|<record id hex>``.  The record key is kept wrapped by the key ring; destroying it
(a purge) leaves every copy of that record's ciphertext (database pages, WAL, old backups)
undecryptable, while every other record stays readable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "wp1"  # sealed with the key ring's active key
RECORD_PREFIX = "wr1"  # sealed with one record's own key (waypoint.core.record_keys)


class KeyRingError(RuntimeError):
    """The key ring is missing or malformed."""


class DecryptionError(RuntimeError):
    """A value could not be decrypted: wrong key, unknown key id or altered ciphertext."""


@dataclass(frozen=True)
class KeyRing:
    active: str
    keys: dict[str, bytes]
    index_key: bytes

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            data = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            ring = cls(active=str(data["active"]), keys=keys, index_key=base64.b64decode(data["index_key"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyRingError("The encryption key ring is malformed") from exc
        if ring.active not in ring.keys:
            raise KeyRingError("The active key id is not in the key ring")
        if any(len(k) != 32 for k in ring.keys.values()) or len(ring.index_key) != 32:
            raise KeyRingError("Every key must be 32 bytes")
        if any(":" in k or not k for k in ring.keys):
            raise KeyRingError("Key ids must be non-empty and contain no ':'")
        return ring

    def to_json(self) -> str:
        return json.dumps(
            {
                "active": self.active,
                "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
                "index_key": base64.b64encode(self.index_key).decode(),
            },
            indent=2,
        )

    def with_new_active_key(self) -> KeyRing:
        new_id = f"k{len(self.keys) + 1}-{secrets.token_hex(3)}"
        return KeyRing(active=new_id, keys={**self.keys, new_id: AESGCM.generate_key(256)}, index_key=self.index_key)

    def without(self, key_id: str) -> KeyRing:
        if key_id == self.active:
            raise KeyRingError("The active key cannot be retired")
        return KeyRing(self.active, {k: v for k, v in self.keys.items() if k != key_id}, self.index_key)


def new_key_ring() -> KeyRing:
    key_id = f"k1-{secrets.token_hex(3)}"
    return KeyRing(active=key_id, keys={key_id: AESGCM.generate_key(256)}, index_key=secrets.token_bytes(32))


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Write atomically with owner-only permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(ring.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


@lru_cache(maxsize=1)
def key_ring() -> KeyRing:
    if settings.ENCRYPTION_KEYS_JSON:
        return KeyRing.from_json(settings.ENCRYPTION_KEYS_JSON)
    path = Path(settings.ENCRYPTION_KEY_FILE)
    if not path.exists():
        if not settings.ENCRYPTION_KEY_FILE_CREATE:
            raise KeyRingError(f"Encryption key file {path} does not exist")
        write_key_file(path, new_key_ring())
    return KeyRing.from_json(path.read_text(encoding="utf-8"))


def reset_key_ring_cache() -> None:
    key_ring.cache_clear()
    from waypoint.core import record_keys  # unwrapped record keys came from the old ring

    record_keys.forget_all()


def encrypt(plaintext: str, context: str, ring: KeyRing | None = None) -> str:
    ring = ring or key_ring()
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(ring.keys[ring.active]).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{PREFIX}:{ring.active}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("Not a Waypoint ciphertext")
    return parts[1]


def is_ciphertext(value: object) -> bool:
    """A value this module wrote (under the key ring or a record key), not plaintext."""
    return isinstance(value, str) and value.startswith((f"{PREFIX}:", f"{RECORD_PREFIX}:"))


def is_record_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(f"{RECORD_PREFIX}:")


def record_context(context: str, record_id: uuid.UUID) -> str:
    """Associated data of a record-sealed value: the column and the record it belongs to."""
    return f"{context}|{record_id.hex}"


def encrypt_for_record(plaintext: str, context: str, record_id: uuid.UUID, key: bytes) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), record_context(context, record_id).encode())
    return f"{RECORD_PREFIX}:{record_id.hex}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def record_id_of(token: str) -> uuid.UUID:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != RECORD_PREFIX:
        raise DecryptionError("Not a record-sealed ciphertext")
    try:
        return uuid.UUID(hex=parts[1])
    except ValueError as exc:
        raise DecryptionError("Malformed record id") from exc


def _open(key: bytes, token: str, context: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.split(":", 2)[2].encode())
        return AESGCM(key).decrypt(raw[:12], raw[12:], context.encode()).decode("utf-8")
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("Ciphertext failed authentication") from exc


def decrypt_for_record(token: str, context: str, key: bytes) -> str:
    """Open a ``wr1:`` value with the record key given (no lookup)."""
    return _open(key, token, record_context(context, record_id_of(token)))


def decrypt(token: str, context: str, ring: KeyRing | None = None) -> str:
    """Open a ``wp1:`` value with the key ring or a ``wr1:`` value with its record's key; a value
    whose record key was destroyed raises DecryptionError (never returns the ciphertext)."""
    if is_record_sealed(token):
        from waypoint.core import record_keys  # the keys live in the database, unwrapped by this ring

        record_id = record_id_of(token)
        return _open(record_keys.key_for_reading(record_id), token, record_context(context, record_id))
    ring = ring or key_ring()
    key_id = key_id_of(token)
    key = ring.keys.get(key_id)
    if key is None:
        raise DecryptionError(f"Unknown key id {key_id!r}")
    return _open(key, token, context)


def normalise_for_index(value: str) -> str:
    """Case-folded, NFKC-normalised, accents kept, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _index_key(scope: str) -> bytes:
    """The index key, or for a ``scope`` (an organisation id) a key derived from it and the scope."""
    key = key_ring().index_key
    if scope:
        key = hmac.new(key, f"scope\x00{scope}".encode(), hashlib.sha256).digest()
    return key


def _keyed_hash(normalised: str, purpose: str, scope: str) -> str:
    message = f"{purpose}\x00{normalised}".encode()
    return hmac.new(_index_key(scope), message, hashlib.sha256).hexdigest()


def blind_index(value: str, purpose: str, scope: str = "") -> str:
    """Keyed hash for exact-match lookup; the plaintext is never stored.

    With a ``scope`` (an organisation id) the hash key is derived from the index key and the scope,
    so the same value gives unrelated indexes in different scopes: the database alone does not show
    that two organisations hold the same name.  ``scope`` "" is the unscoped index."""
    normalised = normalise_for_index(value)
    if not normalised:
        return ""
    return _keyed_hash(normalised, purpose, scope)


# --- Token index: search by any part of a name ----------------------------------------------------
#
# Defends against: finding nothing for "maria" when "María López" was recorded (accents, case,
# word order and extra words do not matter), and against the database alone giving the names away
# (each word is stored only as a keyed hash, with a key derived per organisation, so the same word
# in two organisations gives unrelated hashes).
#
# Does not defend against: someone with the database who counts how often a hash occurs within one
# organisation (a common surname is a frequent hash) or how many words a record's names have (one
# row per word); someone with the database and the key file.  Search is by whole words: "mar" does
# not find "María" (prefix hashes would store far more about each name).

MAX_TOKEN_LENGTH = 100  # longer runs are cut, in the index and in a search alike


def name_tokens(value: str) -> list[str]:
    """The words of ``value``, case-folded and without accents, in order, each once.

    Compatibility decomposition (NFKD) splits "é" into "e" and its accent, and full-width or
    ligature forms into plain letters; the accents (non-spacing marks) are dropped; anything that
    is not a letter, digit or spacing mark separates words (spaces, hyphens, apostrophes, dots,
    zero-width and bidi controls)."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value).casefold())
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Mn":
            continue
        if category[0] in "LN" or category in ("Mc", "Me"):
            current.append(ch)
            continue
        if current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(unicodedata.normalize("NFC", word)[:MAX_TOKEN_LENGTH], None)
    return list(seen)


def token_digest(token: str, purpose: str, scope: str) -> str:
    """Keyed hash of one already-normalised word (from ``name_tokens``) in organisation ``scope``."""
    if not scope:
        raise ValueError("Token hashes are always scoped to an organisation")
    return _keyed_hash(token, purpose, scope)

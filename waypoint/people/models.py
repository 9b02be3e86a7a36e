"""The record of an individual.  Names, aliases, date of birth, age, interviewer and interpreter
needs and free text are encrypted; search by name goes through keyed hashes (blind indexes) of the
normalised values, keyed per organisation so the same name does not match across organisations."""

from __future__ import annotations

import datetime
import secrets
import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core import crypto
from waypoint.core.fields import (
    EncryptedBooleanField,
    EncryptedCharField,
    EncryptedDateField,
    EncryptedIntegerField,
    EncryptedTextField,
)
from waypoint.orgs.jurisdiction import MINOR_AGE_MAX, MINOR_AGE_MIN, is_minor_at
from waypoint.orgs.models import MINOR_AGE_DEFAULT, Organisation
from waypoint.people import tokens

# No vowels or look-alike characters: codes cannot spell words and are easy to read aloud.
CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ23456789"
ADULT_AGE = MINOR_AGE_DEFAULT  # where no organisation says otherwise; see ``Person.minor_age``


def new_reference_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{body[:4]}-{body[4:]}"


class InterviewerGender(models.TextChoices):
    NO_PREFERENCE = "none", _("No preference")
    FEMALE = "female", _("Female interviewer")
    MALE = "male", _("Male interviewer")
    NOT_ASKED = "not_asked", _("Not asked yet")


class Person(models.Model):
    record_key_via = "pk"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="people")
    reference = models.CharField(max_length=9, unique=True, default=new_reference_code, editable=False)
    name = EncryptedTextField(blank=True)
    name_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    alias = EncryptedTextField(blank=True)
    alias_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    date_of_birth = EncryptedDateField(blank=True, null=True)
    estimated_age = EncryptedIntegerField(null=True, blank=True, min_value=0, max_value=32767)
    preferred_language = models.CharField(max_length=8, default="en")
    pronouns = EncryptedTextField(blank=True)
    interviewer_gender = EncryptedCharField(
        max_length=12, choices=InterviewerGender.choices, default=InterviewerGender.NOT_ASKED
    )
    interpreter_needed = EncryptedBooleanField(default=False)
    interpreter_language = EncryptedCharField(max_length=60, blank=True)
    their_words = EncryptedTextField(blank=True)
    # Who may be harming or controlling them, one name per line: such a person can never be the
    # consenting party on a release (``waypoint.referrals.actions.releases``).
    harm_names = EncryptedTextField(blank=True)
    notes = EncryptedTextField(blank=True)
    assigned_staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="assigned_people")
    version = models.PositiveIntegerField(default=1)
    created_by_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A closed record (work with the person has ended) is kept for the organisation's retention
    # period for closed records, then purged (``waypoint.retention``).  Reopening clears it.
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_id = models.UUIDField(null=True, blank=True)

    # Not stored: the initials or alias a list shows beside the code to a user who chose to see them
    # (set by ``waypoint.people.search.add_labels``).
    list_label: str = ""

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: object, **kwargs: object) -> None:
        """Saves the record and, in the same transaction, its word index (``PersonToken``) when the
        name or alias may have changed."""
        self.name_index = self.search_index(self.org_id, self.name or "")
        self.alias_index = self.search_index(self.org_id, self.alias or "")
        update_fields = kwargs.get("update_fields")
        names_saved = update_fields is None or bool({"name", "alias"} & set(update_fields))  # type: ignore[call-overload]
        with transaction.atomic():
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            if names_saved:
                self.reindex_words()

    def reindex_words(self) -> None:
        """Replace this record's rows in the word index with those of its current name and alias."""
        digests = tokens.record_digests(self.org_id, self.name or "", self.alias or "")
        PersonToken.objects.filter(person_id=self.pk).delete()
        PersonToken.objects.bulk_create(
            [PersonToken(person_id=self.pk, org_id=self.org_id, digest=digest) for digest in sorted(digests)]
        )

    @staticmethod
    def search_index(org_id: uuid.UUID, text: str) -> str:
        """The name index of ``text`` in organisation ``org_id`` ("" for empty text): the same name
        gives unrelated indexes in two organisations, so the database alone links no one across them."""
        return crypto.blind_index(text, "person.name", scope=uuid.UUID(str(org_id)).hex)

    def age_on(self, day: datetime.date) -> int | None:
        if self.date_of_birth:
            dob = self.date_of_birth
            return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
        return self.estimated_age

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def minor_age(self) -> int:
        """The age under which this record follows the minor branch: its organisation's setting
        (Settings, Minors and jurisdiction), or 18 for a record not yet in an organisation."""
        if self.org_id is None:
            return MINOR_AGE_DEFAULT
        return int(self.org.minor_age)

    @property
    def is_minor(self) -> bool | None:
        """Derived, never typed: None when neither a date of birth nor an estimate is known; else
        whether the age is under the organisation's minor age.  An organisation's minor age is 12 to
        21, so an age outside that range is decided without reading the organisation (no query per
        record on pages that show many), unless the organisation is loaded already."""
        age = self.age
        if age is None:
            return None
        if not Person.org.is_cached(self) and (age < MINOR_AGE_MIN or age >= MINOR_AGE_MAX):
            return age < MINOR_AGE_MIN
        return is_minor_at(age, self.minor_age)

    @property
    def glossary(self) -> list[tuple[str, str]]:
        """'Their words', one per line as ``word = meaning``."""
        entries = []
        for line in (self.their_words or "").splitlines():
            word, _sep, meaning = line.partition("=")
            if word.strip():
                entries.append((word.strip(), meaning.strip()))
        return entries


class PersonToken(models.Model):
    """One keyed hash a record is found by (a word of its name or alias, or a whole name), never the
    word itself: see ``waypoint.people.tokens``.  Written only by ``Person.save``."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tokens")
    org = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "digest"], name="person_token_once")]
        indexes = [models.Index(fields=["org", "digest"], name="person_token_lookup")]

    def __str__(self) -> str:
        return self.digest[:8]

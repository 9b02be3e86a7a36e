"""Printing's own table: the sign wording an organisation adds in a language Waypoint does not ship
(English and Spanish are built in, from the translation catalogue).

A translation holds only the signs' public wording, never anything about a person, so it is stored
in plain text and its audit rows name only its id."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.orgs.models import Organisation


class SignTranslation(models.Model):
    """One added language of the signs.  Any sentence may be left empty: that sentence is printed
    in English, and the signs page says which ones."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sign_translations")
    code = models.CharField(_("language code"), max_length=20)
    name = models.CharField(_("language name"), max_length=60)
    heading = models.CharField(max_length=80, blank=True)
    body = models.CharField(max_length=200, blank=True)
    step_out = models.CharField(max_length=200, blank=True)
    everyone = models.CharField(max_length=200, blank=True)
    help_heading = models.CharField(max_length=80, blank=True)
    help_body = models.CharField(max_length=200, blank=True)
    call = models.CharField(max_length=40, blank=True)
    text = models.CharField(max_length=40, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "code"]
        constraints = [models.UniqueConstraint(fields=["org", "code"], name="printing_sign_language_once_per_org")]

    def __str__(self) -> str:
        return self.code

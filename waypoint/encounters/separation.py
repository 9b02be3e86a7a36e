"""Separation: the organisation's protocol, front-desk requests and the step-by-step runner.

Traffickers may be armed or violent.  The protocol is written by the organisation with its security
and law enforcement; Waypoint ships a default that says plainly it must be reviewed.  Front-desk
staff can raise a request with a neutral code phrase that reveals nothing to an onlooker."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import EncryptedCharField, EncryptedTextField
from waypoint.orgs.models import Organisation, Site

DEFAULT_PROTOCOL = {
    "who_separates": "The provider seeing the person, with a second staff member nearby.",
    "discreet_reasons": "A routine test that is done alone\nPaperwork that needs a private room\nA standard "
    "private part of every visit",
    "refusal_steps": "Stay calm and do not confront the companion.\nRepeat that seeing everyone alone is policy "
    "for every visit.\nOffer another reason to separate later in the visit.\nIf anyone is at risk, call "
    "security.\nRecord what happened.",
    "security_contact": "Building security: (add the number)",
    "local_police": "Local police non-emergency: (add the number). Emergency: 911",
    "tribal_police": "Tribal law enforcement, if applicable: (add the contact)",
    "federal_contact": "Federal: (add the contact, for example the local field office)",
    "emergency_steps": "Stay with the person if it is safe.\nCall security.\nCall 911 if anyone is in danger now.",
    "adult_consent_script": "I would like to share some information with people who can help you. I will only "
    "do that if you agree, and you can change your mind at any time. Your care does not depend on your answer.",
    "cps_contact": "Child protective services hotline: (add the number)",
}
CODE_PHRASES = [
    ("form_b", _("Form B is needed")),
    ("room_4", _("Room 4 paperwork")),
    ("chart_review", _("Chart review requested")),
]


class SeparationProtocol(models.Model):
    org = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="separation_protocol")
    who_separates = models.TextField(_("Who may carry out a separation"), max_length=2000)
    discreet_reasons = models.TextField(
        _("Discreet reasons to bring the person to another room (one per line)"), max_length=4000
    )
    refusal_steps = models.TextField(_("If the companion refuses to leave (one step per line)"), max_length=4000)
    security_contact = models.CharField(_("Hospital or building security"), max_length=300)
    local_police = models.CharField(_("Local law enforcement"), max_length=300)
    tribal_police = models.CharField(_("Tribal law enforcement"), max_length=300, blank=True)
    federal_contact = models.CharField(_("Federal law enforcement"), max_length=300, blank=True)
    emergency_steps = models.TextField(_("If the person is in danger here (one step per line)"), max_length=4000)
    adult_consent_script = models.TextField(_("Informed-consent script for adults"), max_length=4000)
    cps_contact = models.CharField(_("Child protective services contact"), max_length=300)
    check_in_minutes = models.PositiveSmallIntegerField(_("Check-in reminder every (minutes)"), default=10)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    @classmethod
    def for_org(cls, org_id: uuid.UUID) -> SeparationProtocol:
        """The organisation's protocol, or the unsaved default (a GET never writes)."""
        return cls.objects.filter(org_id=org_id).first() or cls(org_id=org_id, **DEFAULT_PROTOCOL)

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting")
    TAKEN = "taken", _("A provider is on it")
    CLOSED = "closed", _("Done")


class SeparationRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    phrase = models.CharField(max_length=20, choices=CODE_PHRASES)
    created_by_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    taken_by_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Outcome(models.TextChoices):
    SEPARATED = "separated", _("Separated: the person is alone with staff")
    REFUSED = "refused", _("The companion refused to leave")
    NOT_ATTEMPTED = "not_attempted", _("Not attempted")


class SeparationRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    encounter = models.ForeignKey(
        "encounters.Encounter", null=True, blank=True, on_delete=models.PROTECT, related_name="separations"
    )
    request = models.ForeignKey(SeparationRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    separator = EncryptedCharField(max_length=200)
    reason_given = EncryptedCharField(max_length=300, blank=True)
    outcome = EncryptedCharField(max_length=14, choices=Outcome.choices)
    why_not = EncryptedTextField(blank=True)
    escalation_notes = EncryptedTextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by_id = models.UUIDField()

    class Meta:
        ordering = ["-at"]

"""Separation: the organisation's protocol, front-desk requests and the step-by-step runner.

Traffickers may be armed or violent.  The protocol is written by the organisation with its security
and law enforcement; Waypoint ships a default that says plainly it must be reviewed.  Front-desk
staff can raise a request with a neutral code phrase that reveals nothing to an onlooker."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import EncryptedCharField, EncryptedTextField
from waypoint.orgs import discretion
from waypoint.orgs.models import Organisation, Site

# Waypoint's default protocol, in English.  Each text is also a message to translate: a default the
# organisation has not changed is shown in the reader's language (``SeparationProtocol.shown``);
# text the organisation wrote is shown as written.  The contacts start empty: until the organisation
# fills them in, providers see 911 and the National Human Trafficking Hotline, never a placeholder.
DEFAULT_PROTOCOL = {
    "who_separates": gettext_noop("The provider seeing the person, with a second staff member nearby."),
    "discreet_reasons": gettext_noop(
        "A routine test that is done alone\nPaperwork that needs a private room\nA standard private part of every visit"
    ),
    "refusal_steps": gettext_noop(
        "Stay calm and do not confront the companion.\nRepeat that seeing everyone alone is policy for every "
        "visit.\nOffer another reason to separate later in the visit.\nIf anyone is at risk, call "
        "security.\nRecord what happened."
    ),
    "security_contact": "",
    "local_police": "",
    "tribal_police": "",
    "federal_contact": "",
    "emergency_steps": gettext_noop(
        "Stay with the person if it is safe.\nCall security.\nCall 911 if anyone is in danger now."
    ),
    "adult_consent_script": gettext_noop(
        "I would like to share some information with people who can help you. I will only do that if you "
        "agree, and you can change your mind at any time. Your care does not depend on your answer."
    ),
}
# Earlier defaults filled the contacts with "(add the number)": such text is never shown as a contact.
PLACEHOLDER = "(add the"
LAW_ENFORCEMENT = ("local_police", "tribal_police", "federal_contact")
CONTACTS = ("security_contact", *LAW_ENFORCEMENT)
REQUIRED_CONTACTS = ("security_contact", "local_police")

# In danger during a call: the steps are the organisation's discretion setting, with Waypoint's as
# the default (``waypoint.orgs.discretion``); the protocol's ``emergency_steps`` are for in person.
PHONE_EMERGENCY_STEPS = discretion.PHONE_EMERGENCY_STEPS
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
    check_in_minutes = models.PositiveSmallIntegerField(_("Check-in reminder every (minutes)"), default=10)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    @classmethod
    def for_org(cls, org_id: uuid.UUID) -> SeparationProtocol:
        """The organisation's protocol, or the unsaved default in the reader's language (a GET never
        writes)."""
        found = cls.objects.filter(org_id=org_id).first()
        if found is not None:
            return found
        return cls(org_id=org_id, **{name: gettext(text) if text else "" for name, text in DEFAULT_PROTOCOL.items()})

    @staticmethod
    def lines(text: str) -> list[str]:
        return [line.strip() for line in text.splitlines() if line.strip()]

    def shown(self, name: str) -> str:
        """The text of field ``name`` for a reader: a default the organisation has not changed in the
        reader's language, the organisation's own text as written."""
        text: str = getattr(self, name)
        default = DEFAULT_PROTOCOL.get(name)
        return gettext(text) if default and text == default else text

    def shown_lines(self, name: str) -> list[str]:
        return self.lines(self.shown(name))

    def contact(self, name: str) -> str:
        """A contact as the organisation wrote it; "" when it is empty or still a placeholder."""
        text: str = getattr(self, name).strip()
        return "" if PLACEHOLDER in text else text

    def filled_contacts(self, names: tuple[str, ...] = CONTACTS) -> list[tuple[str, str]]:
        """(label, contact) of the contacts among ``names`` the organisation has filled in."""
        labels = {field.name: str(field.verbose_name) for field in self._meta.fields}
        return [(labels[name], c) for name in names if (c := self.contact(name))]

    @property
    def contacts_missing(self) -> bool:
        """Security and local law enforcement are not both filled in (saved, not placeholders)."""
        return self.pk is None or not all(self.contact(name) for name in REQUIRED_CONTACTS)


# How long after a separation from a front-desk request its provider may start the person's
# encounter from it (the start page offers it, the action checks it again).
LINKABLE_HOURS = 12


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting")
    TAKEN = "taken", _("A provider is on it")
    CLOSED = "closed", _("Done")


class SeparationRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT)
    phrase = models.CharField(max_length=20, choices=CODE_PHRASES)
    # Where the provider should go ("Room 4", "east waiting area"): short and neutral, but what is
    # typed there cannot be checked for a name, so it is encrypted like record text.
    room = EncryptedCharField(max_length=40, blank=True)
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
    # Sealed under the person's own key when the run belongs to an encounter (else the key ring).
    record_key_via = "encounter.person_id"
    separator = EncryptedCharField(max_length=200)
    reason_given = EncryptedCharField(max_length=300, blank=True)
    outcome = EncryptedCharField(max_length=14, choices=Outcome.choices)
    why_not = EncryptedTextField(blank=True)
    escalation_notes = EncryptedTextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by_id = models.UUIDField()

    class Meta:
        ordering = ["-at"]

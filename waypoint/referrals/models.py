"""Services the person already receives elsewhere (the "avoid recreating the wheel" ledger).

Shown before any service is added to a plan, so nobody repeats what is done and the person is not
asked to tell their story again.  Names of providers and contacts are encrypted.

Also the directory of services, referrals to them, releases of information (one recipient each,
listed items, required expiry, revocable) with the log of what was shared under them, and the log
of compelled disclosures."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waypoint.core.fields import EncryptedBooleanField, EncryptedCharField, EncryptedJSONField, EncryptedTextField
from waypoint.orgs.models import Organisation
from waypoint.people.models import Person


class ServiceStatus(models.TextChoices):
    ONGOING = "ongoing", _("Ongoing")
    PLANNED = "planned", _("Planned")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class ServiceRecord(models.Model):
    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="service_records")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="service_records")
    provider = EncryptedTextField()
    service = EncryptedTextField()
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.ONGOING)
    contact_person = EncryptedTextField(blank=True)
    notes = EncryptedTextField(blank=True)
    # The directory listing that provides it, when it is one (the name above is then its name).
    entry = models.ForeignKey("DirectoryEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_by_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "-started_on", "-created_at"]

    def __str__(self) -> str:
        return f"service {self.id}"


# --- The directory ---------------------------------------------------------------------------------


class ServiceKind(models.TextChoices):
    """What a listing offers, and what a referral asks for (the need)."""

    SHELTER = "shelter", _("Shelter and housing")
    MEDICAL = "medical", _("Medical care")
    LEGAL = "legal", _("Legal help")
    IMMIGRATION = "immigration", _("Immigration")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    LABOUR = "labour", _("Labour rights")
    CASE_MANAGEMENT = "case_management", _("Case management")
    INTERPRETATION = "interpretation", _("Interpretation")
    FOOD = "food", _("Food and basic needs")
    HOTLINE = "hotline", _("Hotline and crisis line")
    OTHER = "other", _("Other")


class Population(models.TextChoices):
    ADULTS = "adults", _("Adults")
    MINORS = "minors", _("Minors")
    MEN = "men", _("Men")
    WOMEN = "women", _("Women")
    LGBTQ = "lgbtq", _("LGBTQ+")
    LABOUR = "labour", _("Labour trafficking")
    SEX = "sex", _("Sex trafficking")


# The built-in National Human Trafficking Hotline: one row shared by every organisation (org None),
# created by the migration and again after a test database flush (``apps.Config.ready``); it cannot
# be edited, archived or removed.
HOTLINE_ID = uuid.UUID("00000000-0000-4000-8000-000000007888")
VERIFY_EVERY_DAYS = 365


class DirectoryEntry(models.Model):
    """A service the organisation refers people to.  Listings describe agencies, not the people
    referred, so they are plain columns (searchable, exportable); nothing about a person is here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="directory_entries"
    )
    builtin = models.BooleanField(default=False, editable=False)
    name = models.CharField(max_length=200)
    services = models.JSONField(default=list, blank=True)  # ServiceKind values
    populations = models.JSONField(default=list, blank=True)  # Population values
    languages = models.JSONField(default=list, blank=True)  # language names as typed ("Spanish")
    hours = models.CharField(max_length=300, blank=True)
    warm_transfer = models.BooleanField(default=False)
    phone = models.CharField(max_length=40, blank=True)
    text_number = models.CharField(max_length=40, blank=True)
    email = models.CharField(max_length=254, blank=True)
    website = models.CharField(max_length=300, blank=True)
    address = models.CharField(max_length=500, blank=True)
    how_to_reach = models.TextField(max_length=1000, blank=True)
    last_verified_on = models.DateField(null=True, blank=True)
    verified_by_id = models.UUIDField(null=True, blank=True)
    archived = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    created_by_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-builtin", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(builtin=True, org__isnull=True) | models.Q(builtin=False, org__isnull=False),
                name="directory_entry_builtin_or_org",
            )
        ]

    def __str__(self) -> str:
        return f"directory entry {self.id}"

    @property
    def display_name(self) -> Any:
        """The listing's name; the built-in hotline's in the reader's language."""
        return _("National Human Trafficking Hotline") if self.builtin else self.name

    @property
    def display_languages(self) -> list[Any]:
        """The listing's languages as typed; the built-in hotline's in the reader's language."""
        if self.builtin:
            return [_("English"), _("Spanish"), _("200+ more through interpreters")]
        return list(self.languages or [])

    def needs_verifying(self, today: datetime.date | None = None) -> bool:
        """Not verified in the last 12 months (or never).  The built-in hotline never is."""
        if self.builtin:
            return False
        today = today or timezone.localdate()
        return self.last_verified_on is None or (today - self.last_verified_on).days > VERIFY_EVERY_DAYS


# --- Releases of information -------------------------------------------------------------------


class ReleaseItem(models.TextChoices):
    """What a release may cover; a share renders exactly these, nothing else."""

    CONTACT = "contact", _("Contact details and how to reach them safely")
    PLAN_PHYSICAL = "plan_physical", _("Safety plan: physical safety")
    PLAN_COMMUNICATION = "plan_communication", _("Safety plan: communication safety")
    PLAN_ENVIRONMENTAL = "plan_environmental", _("Safety plan: environmental safety")
    PLAN_EMOTIONAL = "plan_emotional", _("Safety plan: emotional safety")
    SAFETY_CHECK = "safety_check", _("Safety check results")
    SERVICES = "services", _("Services already received")
    DOCUMENTS = "documents", _("Documents listed on the release")


class ConsentingParty(models.TextChoices):
    PERSON = "person", _("The person themselves")
    GUARDIAN = "guardian", _("A parent or legal guardian")
    BOTH = "both", _("The young person and a parent or legal guardian")


class SignedHow(models.TextChoices):
    TYPED = "typed", _("Signed on the screen (typed name and date)")
    SCAN = "scan", _("Signed on paper (scan uploaded)")


class RevokedHow(models.TextChoices):
    ORAL = "oral", _("Said so (orally)")
    WRITTEN = "written", _("In writing")


EXPIRING_SOON_DAYS = 14


class ReleaseState(models.TextChoices):
    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class Release(models.Model):
    """A written, time-limited, revocable release of information to ONE recipient (a directory
    entry, or a named outside party), covering listed items.  Whether a share is allowed is decided
    only by ``waypoint.referrals.sharing.decide``; ``state`` is for display."""

    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="releases")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="releases")
    entry = models.ForeignKey(DirectoryEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recipient_name = EncryptedTextField(blank=True)  # a named outside party, when no directory entry
    recipient_details = EncryptedTextField(blank=True)  # how to reach that party
    items = EncryptedJSONField(default=list)  # ReleaseItem values
    documents = EncryptedTextField(blank=True)  # which documents, when DOCUMENTS is an item
    purpose = EncryptedTextField()
    benefits_risks = EncryptedTextField()  # the benefits and risks of sharing with this recipient, as discussed
    language = models.CharField(max_length=8, default="en")  # the language the release text was shown in
    consenting_party = EncryptedCharField(max_length=10, choices=ConsentingParty.choices)
    consenting_name = EncryptedTextField(blank=True)  # the parent or guardian, when not the person alone
    consenting_relationship = EncryptedTextField(blank=True)
    for_minor = EncryptedBooleanField(default=False)
    signed_how = EncryptedCharField(max_length=6, choices=SignedHow.choices)
    signed_name = EncryptedTextField(blank=True)  # the name typed on the screen
    signed_on = models.DateField()
    scan = EncryptedTextField(blank=True)  # base64 of the uploaded signed form
    scan_type = models.CharField(max_length=40, blank=True)
    expires_at = models.DateTimeField()  # the first moment it no longer holds
    source_encounter_id = models.UUIDField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by_id = models.UUIDField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_id = models.UUIDField(null=True, blank=True)
    revoked_how = EncryptedCharField(max_length=8, choices=RevokedHow.choices, blank=True)
    revoked_note = EncryptedTextField(blank=True)
    expired_marked = models.BooleanField(default=False)  # set by the contact_due command

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"release {self.id}"

    @property
    def recipient_label(self) -> Any:
        """The recipient as the release was signed: a listing's name as it was then (kept in
        ``recipient_name`` when recorded), a named outside party's name, or the built-in hotline's
        translated name; a release recorded before names were kept shows the listing's name now."""
        entry = self.entry if self.entry_id else None
        if entry is not None and (entry.builtin or not self.recipient_name):
            return entry.display_name
        return self.recipient_name

    def state(self, now: datetime.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.revoked_at is not None:
            return ReleaseState.REVOKED
        if now >= self.expires_at:
            return ReleaseState.EXPIRED
        if self.expires_at - now <= datetime.timedelta(days=EXPIRING_SOON_DAYS):
            return ReleaseState.EXPIRING
        return ReleaseState.VALID

    def state_label(self) -> Any:
        return ReleaseState(self.state()).label


# --- Referrals -----------------------------------------------------------------------------------


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", pgettext_lazy("referral status", "Declined")
    COMPLETED = "completed", pgettext_lazy("referral status", "Completed")
    WITHDRAWN = "withdrawn", pgettext_lazy("referral status", "Withdrawn")


# Which status may follow which; anything else is refused by the action.
NEXT_STATUS: dict[str, tuple[str, ...]] = {
    ReferralStatus.DRAFT: (ReferralStatus.SENT, ReferralStatus.WITHDRAWN),
    ReferralStatus.SENT: (ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN),
    ReferralStatus.ACCEPTED: (ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN),
    ReferralStatus.DECLINED: (),
    ReferralStatus.COMPLETED: (),
    ReferralStatus.WITHDRAWN: (),
}


class SharingMode(models.TextChoices):
    RELEASE = "release", _("Shares information under a release")
    ANONYMOUS = "anonymous", _("Anonymous: nothing that identifies them is shared")
    WARM_HANDOFF = "warm", _("Warm hand-off with the person present (they speak for themselves)")


class Referral(models.Model):
    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="referrals")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="referrals")
    entry = models.ForeignKey(DirectoryEntry, on_delete=models.PROTECT, related_name="+")
    need = EncryptedCharField(max_length=20, choices=ServiceKind.choices)
    reason = EncryptedTextField(blank=True)
    sharing = EncryptedCharField(max_length=10, choices=SharingMode.choices)
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals")
    items = EncryptedJSONField(default=list, blank=True)  # ReleaseItem values to share (RELEASE mode)
    status = models.CharField(max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT)
    source_encounter_id = models.UUIDField(null=True, blank=True)
    source_plan_id = models.UUIDField(null=True, blank=True)
    ledger_entry = models.ForeignKey(ServiceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_by_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"referral {self.id}"


class ReferralChange(models.Model):
    """One step of a referral's life: the status it moved to, who moved it and when, and (declined,
    withdrawn) why."""

    record_key_via = "referral.person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="changes")
    status = models.CharField(max_length=10, choices=ReferralStatus.choices)
    reason = EncryptedTextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)
    by_id = models.UUIDField()

    class Meta:
        ordering = ["at", "id"]


class Share(models.Model):
    """One thing sent out about the person: what (item codes), to whom, under which release (none
    for an anonymous referral or a warm hand-off), when, by whom, as a page or a PDF."""

    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="shares")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="shares")
    release = models.ForeignKey(Release, null=True, blank=True, on_delete=models.PROTECT, related_name="shares")
    entry = models.ForeignKey(DirectoryEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    mode = EncryptedCharField(max_length=10, choices=SharingMode.choices)
    items = EncryptedJSONField(default=list, blank=True)
    as_pdf = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)
    by_id = models.UUIDField()

    class Meta:
        ordering = ["-at"]


# --- Compelled disclosures -------------------------------------------------------------------------


class DisclosureKind(models.TextChoices):
    MANDATED_REPORT = "mandated", _("Mandated report")
    CHILD_PROTECTION = "cps", _("Child protective services report")
    COURT_ORDER = "court_order", _("Court order")
    SUBPOENA = "subpoena", _("Subpoena")
    OTHER = "other", _("Other legal requirement")


class Disclosure(models.Model):
    """Information given out because the law compelled it, not because the person agreed: what, to
    whom, on what legal basis, when; and whether the person is to be told (a follow-up does that)
    or why telling them would put them in danger."""

    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="disclosures")
    kind = EncryptedCharField(max_length=12, choices=DisclosureKind.choices)
    what = EncryptedTextField()
    to_whom = EncryptedTextField()
    legal_basis = EncryptedTextField()
    disclosed_on = models.DateField()
    tell_person = EncryptedBooleanField(default=True)
    not_telling_reason = EncryptedTextField(blank=True)
    task_id = models.UUIDField(null=True, blank=True)  # the follow-up to tell them
    source_encounter_id = models.UUIDField(null=True, blank=True)  # the child protective services step
    created_by_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-disclosed_on", "-created_at"]

    def __str__(self) -> str:
        return f"disclosure {self.id}"

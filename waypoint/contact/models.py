"""A person's contact rules, their follow-up tasks and every contact attempt.

The rules say how staff may reach the person safely: whether contact after today is safe at all,
each channel (phone call, voicemail, text, e-mail, chat, post, home visit) allowed / not allowed /
not asked, the number or address for each, how we identify ourselves, what to do if someone else
answers or the call drops, best times, safe and danger words, the device, where they are (only with
their agreement), and when the rules were last confirmed with them, by whom and how.  Deny by
default: "not asked" counts as not allowed, and nothing is allowed unless recorded as allowed
(``waypoint.contact.guard`` is the one place that decides).

Every value is encrypted, empty ones included (which channels are safe tells how closely the person
is watched).  The rules are written only through ``waypoint.contact.actions.record_rules``, from
the safety checks, the plan's permissions and device items and the rules page alike.

Follow-up tasks carry a due date, an assignee and the one channel they will use; attempts record
the channel, the outcome and what was done (a voicemail only where voicemail is allowed)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import (
    EncryptedBooleanField,
    EncryptedCharField,
    EncryptedIntegerField,
    EncryptedJSONField,
    EncryptedTextField,
)
from waypoint.orgs.models import Organisation, Staff
from waypoint.people.models import Person

# --- Vocabulary ----------------------------------------------------------------------------------


class Permission(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked (treated as not allowed)")
    ALLOWED = "allowed", _("Allowed")
    NOT_ALLOWED = "not_allowed", _("Not allowed")


class ContactChannel(models.TextChoices):
    """The ways staff might reach a person, in the order the rules list them."""

    CALL = "call", _("Phone call")
    VOICEMAIL = "voicemail", _("Voicemail")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat or messaging app")
    POST = "post", _("Post")
    VISIT = "visit", _("Home visit")


CHANNELS = list(ContactChannel.values)

# The number or address each channel uses (a voicemail is left on the phone number).
ADDRESS_FIELD = {
    ContactChannel.CALL: "phone_number",
    ContactChannel.VOICEMAIL: "phone_number",
    ContactChannel.TEXT: "text_number",
    ContactChannel.EMAIL: "email_address",
    ContactChannel.CHAT: "chat_address",
    ContactChannel.POST: "post_address",
    ContactChannel.VISIT: "visit_address",
}


class SafeToContact(models.TextChoices):
    NOT_ASKED = "not_asked", _("Not asked (no contact)")
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_SURE = "not_sure", _("Not sure (no contact)")


class SomeoneAnswers(models.TextChoices):
    HANG_UP = "hang_up", _("Hang up")
    SAY_COVER = "say_cover", _("Say you are the cover they chose")
    WRONG_NUMBER = "wrong_number", _("Say it is a wrong number")
    OTHER = "other", _("Something else, in their words")


class OnDisconnect(models.TextChoices):
    CALL_BACK = "call_back", _("We call back")
    THEY_CALL = "they_call", _("They call us")
    NEITHER = "neither", _("Neither: wait for the next planned contact")


class YesNoUnsure(models.TextChoices):
    UNKNOWN = "unknown", _("Not asked")
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("Unsure")


class ConfirmedHow(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")


CALL_BACK_MINUTES = [
    (0, _("Right away")),
    (5, _("After 5 minutes")),
    (15, _("After 15 minutes")),
    (30, _("After 30 minutes")),
    (60, _("After 1 hour")),
    (120, _("After 2 hours")),
    (240, _("After 4 hours")),
    (1440, _("The next day")),
]

RECONFIRM_DAYS = 30  # rules older than this are flagged for confirmation with the person


# --- The rules -----------------------------------------------------------------------------------


def _permission() -> EncryptedCharField:
    return EncryptedCharField(max_length=12, choices=Permission.choices, default=Permission.UNKNOWN)


class ContactRules(models.Model):
    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="contact_rules")
    safe_to_contact = EncryptedCharField(max_length=10, choices=SafeToContact.choices, default=SafeToContact.NOT_ASKED)
    best_way = EncryptedCharField(max_length=10, choices=ContactChannel.choices, blank=True)
    call = _permission()
    voicemail = _permission()
    text = _permission()
    email = _permission()
    chat = _permission()
    post = _permission()
    visit = _permission()
    phone_number = EncryptedCharField(max_length=20, blank=True)
    text_number = EncryptedCharField(max_length=20, blank=True)
    email_address = EncryptedCharField(max_length=254, blank=True)
    chat_address = EncryptedCharField(max_length=200, blank=True)
    post_address = EncryptedCharField(max_length=500, blank=True)
    visit_address = EncryptedCharField(max_length=500, blank=True)
    best_times = EncryptedCharField(max_length=500, blank=True)
    identify_as = EncryptedTextField(blank=True)
    may_name_org = EncryptedCharField(max_length=8, choices=YesNoUnsure.choices, default=YesNoUnsure.UNKNOWN)
    someone_answers = EncryptedCharField(max_length=14, choices=SomeoneAnswers.choices, blank=True)
    # The cover for anyone else who answers or listens ("say you are a friend, Sam"), kept apart from
    # how we introduce ourselves when we contact them (``identify_as``, which may name us); the
    # not-safe-to-talk card says this one, and ``identify_as`` only when no cover was given.
    cover_name = EncryptedCharField(max_length=200, blank=True)
    someone_answers_words = EncryptedCharField(max_length=500, blank=True)
    on_disconnect = EncryptedCharField(max_length=10, choices=OnDisconnect.choices, blank=True)
    call_back_after = EncryptedIntegerField(null=True, blank=True, min_value=0, max_value=10080)
    whereabouts = EncryptedCharField(max_length=500, blank=True)
    whereabouts_safe = EncryptedCharField(max_length=8, choices=YesNoUnsure.choices, default=YesNoUnsure.UNKNOWN)
    safe_word = EncryptedCharField(max_length=100, blank=True)
    safe_word_action = EncryptedCharField(max_length=500, blank=True)
    danger_word = EncryptedCharField(max_length=100, blank=True)
    danger_word_action = EncryptedCharField(max_length=500, blank=True)
    phone_from_exploiter = EncryptedCharField(max_length=8, choices=YesNoUnsure.choices, default=YesNoUnsure.UNKNOWN)
    phone_seen_by_exploiter = EncryptedCharField(max_length=8, choices=YesNoUnsure.choices, default=YesNoUnsure.UNKNOWN)
    device_shared = EncryptedCharField(max_length=8, choices=YesNoUnsure.choices, default=YesNoUnsure.UNKNOWN)
    battery_plan = EncryptedCharField(max_length=2000, blank=True)
    # Older free-text answers that could not be split into rules: {"identify_as": ..., ...}, shown as
    # "to confirm" and never used to decide a contact.
    to_confirm = EncryptedJSONField(default=dict, blank=True)
    source_encounter_id = models.UUIDField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by_id = models.UUIDField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by_id = models.UUIDField(null=True, blank=True)
    confirmed_how = EncryptedCharField(max_length=10, choices=ConfirmedHow.choices, blank=True)
    reconfirm_due = models.BooleanField(default=False)  # set by the contact_due command

    def __str__(self) -> str:
        return f"contact rules {self.person_id}"

    def permission(self, channel: str) -> str:
        """The recorded permission of ``channel``; anything unknown reads as "not asked"."""
        if channel not in CHANNELS:
            return Permission.UNKNOWN
        value = getattr(self, channel, Permission.UNKNOWN)
        return value if value in Permission.values else Permission.UNKNOWN

    def address(self, channel: str) -> str:
        field = ADDRESS_FIELD.get(channel)  # type: ignore[call-overload]
        return str(getattr(self, field, "") or "") if field else ""


# --- Follow-up -----------------------------------------------------------------------------------


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class TaskSource(models.TextChoices):
    PLAN = "plan", _("Safety plan")
    MANUAL = "manual", _("Added by staff")
    CALLBACK = "callback", _("Callback agreed in a call")
    NOT_SAFE = "not_safe", _("Not safe to talk on an attempt")


class FollowUpTask(models.Model):
    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="follow_up_tasks")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="follow_up_tasks")
    plan_id = models.UUIDField(null=True, blank=True)
    source_encounter_id = models.UUIDField(null=True, blank=True)  # the call whose callback plan set it
    what = EncryptedTextField(blank=True)
    channel = EncryptedCharField(max_length=10, choices=ContactChannel.choices, blank=True)
    source = EncryptedCharField(max_length=10, choices=TaskSource.choices, default=TaskSource.MANUAL)
    due_on = models.DateField()
    status = models.CharField(max_length=6, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    overdue = models.BooleanField(default=False)  # set by the contact_due command
    assigned_to = models.ForeignKey(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["status", "due_on"]

    def __str__(self) -> str:
        return f"task {self.id}"


class Outcome(models.TextChoices):
    REACHED = "reached", _("Reached them")
    NO_ANSWER = "no_answer", _("No answer")
    NOT_SAFE = "not_safe", _("Not safe to talk")
    SOMEONE_ELSE = "someone_else", _("Someone else answered")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


class ContactAttempt(models.Model):
    record_key_via = "person_id"  # sealed under the person's own key (waypoint.core.record_keys)
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_attempts")
    task = models.ForeignKey(FollowUpTask, null=True, blank=True, on_delete=models.PROTECT, related_name="attempts")
    channel = EncryptedCharField(max_length=10, choices=ContactChannel.choices)
    outcome = EncryptedCharField(max_length=14, choices=Outcome.choices)
    voicemail_left = EncryptedBooleanField(default=False)
    note = EncryptedTextField(blank=True)
    rules_version = models.PositiveIntegerField(null=True, blank=True)  # the rules shown when it was logged
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    next_task_id = models.UUIDField(null=True, blank=True)  # the follow-up it created, if any

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"attempt {self.id}"

"""Organisations, their sites and staff, with the records that keep sign-in safe."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from enum import StrEnum
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.fields import EncryptedTextField

DEFAULT_EXIT_URL = settings.QUICK_EXIT_DEFAULT_URL


class Role(StrEnum):
    PROVIDER = "provider"
    SUPERVISOR = "supervisor"
    ORG_ADMIN = "org_admin"
    AUDITOR = "auditor"
    FRONT_DESK = "front_desk"


ROLE_LABELS = {
    Role.PROVIDER: _("Provider"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.ORG_ADMIN: _("Organisation admin"),
    Role.AUDITOR: _("Auditor"),
    Role.FRONT_DESK: _("Front desk"),
}


class InterviewsAs(models.TextChoices):
    """How a staff member can meet a person's wish for a male or a female interviewer."""

    NOT_STATED = "", _("Not stated")
    FEMALE = "female", _("Female interviewer")
    MALE = "male", _("Male interviewer")


class MinorConsent(models.TextChoices):
    """Who may sign a release of information for a minor, as the organisation's jurisdiction says."""

    GUARDIAN = "guardian", _("A parent or legal guardian")
    YOUNG_PERSON = "young_person", _("The young person themselves")
    BOTH = "both", _("The young person and a parent or legal guardian together")


RELEASE_MAX_DAYS_DEFAULT = 90
RELEASE_MAX_DAYS_LIMIT = 365
MINOR_AGE_DEFAULT = 18  # the age under which the minor branch applies, unless the organisation says otherwise
ORIENTATION_EVERY_DAYS_DEFAULT = 365  # staff confirm the orientation again yearly by default


class SeeAlone(models.TextChoices):
    """Whether a site follows the organisation's see-alone policy or sets its own."""

    FOLLOW = "follow", _("As the organisation")
    ON = "on", _("On at this site")
    OFF = "off", _("Off at this site")


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    exit_url = models.URLField(
        _("quick exit page"),
        max_length=500,
        default=DEFAULT_EXIT_URL,
        help_text=_("A neutral web page the browser goes to when someone uses Exit."),
    )
    release_max_days = models.PositiveSmallIntegerField(
        _("longest a release of information may last (days)"),
        default=RELEASE_MAX_DAYS_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(RELEASE_MAX_DAYS_LIMIT)],
    )
    minor_release_consent = models.CharField(
        _("who may sign a release for a minor"),
        max_length=12,
        choices=MinorConsent.choices,
        default=MinorConsent.GUARDIAN,
    )
    # Minors and jurisdiction (issue 13): where the minor branch starts, the mandated-report agency
    # and how to reach it, and whether a minor may consent to services alone.
    minor_age = models.PositiveSmallIntegerField(
        _("age under which the minor branch applies"),
        default=MINOR_AGE_DEFAULT,
        validators=[MinValueValidator(12), MaxValueValidator(21)],
    )
    mandated_report_agency = models.CharField(_("mandated-report agency"), max_length=300, blank=True)
    mandated_report_contact = models.CharField(_("how to reach the mandated-report agency"), max_length=300, blank=True)
    minor_may_consent_alone = models.BooleanField(_("a minor may consent to services alone"), default=False)
    # See-alone policy (issue 13): on for the organisation (sites may override), with its text; ""
    # means Waypoint's default text in the reader's language.
    see_alone = models.BooleanField(_("see everyone alone for part of every visit"), default=False)
    see_alone_text = models.TextField(_("policy text"), max_length=4000, blank=True)
    # Staff orientation (issue 13): how often each staff member confirms it again.
    orientation_every_days = models.PositiveSmallIntegerField(
        _("confirm the orientation again every (days)"),
        default=ORIENTATION_EVERY_DAYS_DEFAULT,
        validators=[MinValueValidator(30), MaxValueValidator(3 * 365)],
    )
    # Discretion (issue 13): the name in the browser tab ("" = the neutral default) and the steps a
    # provider reads when someone on the phone is in danger ("" = Waypoint's default steps).
    tab_title = models.CharField(_("name in the browser tab"), max_length=60, blank=True)
    phone_emergency_steps = models.TextField(
        _("If someone on the phone is in danger (one step per line)"), max_length=4000, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    see_alone = models.CharField(_("see-alone policy"), max_length=6, choices=SeeAlone.choices, default=SeeAlone.FOLLOW)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def see_alone_on(self, org: Organisation) -> bool:
        """Whether the see-alone policy applies at this site (``org`` is the site's organisation)."""
        return org.see_alone if self.see_alone == SeeAlone.FOLLOW else self.see_alone == SeeAlone.ON


class StaffManager(BaseUserManager["Staff"]):
    def create_user(self, username: str, org: Organisation, password: str | None = None, **extra: Any) -> Staff:
        staff = self.model(username=Staff.normalize_login(username), org=org, **extra)
        staff.set_password(password) if password else staff.set_unusable_password()
        staff.save()
        return staff


class Staff(AbstractBaseUser):
    """A staff member of one organisation.  Roles are read from the database on every request."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="staff")
    username = models.CharField(_("sign-in name"), max_length=150, unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(default=True)
    is_provider = models.BooleanField(_("Provider"), default=False)
    is_supervisor = models.BooleanField(_("Supervisor"), default=False)
    is_org_admin = models.BooleanField(_("Organisation admin"), default=False)
    is_auditor = models.BooleanField(_("Auditor"), default=False)
    is_front_desk = models.BooleanField(_("Front desk"), default=False)
    preferred_language = models.CharField(max_length=8, blank=True)
    interviews_as = models.CharField(_("interviews as"), max_length=6, choices=InterviewsAs.choices, blank=True)
    # Conveniences the staff member chooses: the site the last encounter was started at (offered
    # first next time), and whether lists show a person's initials or alias (off by default).
    last_site = models.ForeignKey("Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    show_person_labels = models.BooleanField(_("show initials or alias in lists"), default=False)
    totp_secret = EncryptedTextField(blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = StaffManager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name or self.username

    @staticmethod
    def normalize_login(value: str) -> str:
        return value.strip().casefold()

    @property
    def roles(self) -> set[Role]:
        return {role for role in Role if getattr(self, f"is_{role.value}")}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[Any]:
        return [ROLE_LABELS[r] for r in Role if r in self.roles]

    @property
    def mfa_enrolled(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def invitation_pending(self) -> bool:
        """Invited and not yet activated: an unused link exists and no password is set."""
        return self.invitations.filter(used_at__isnull=True).exists() and not self.has_usable_password()


ORIENTATION_VERSION = 1  # raise when the orientation's content changes: everyone confirms it again


class OrientationConfirmation(models.Model):
    """A staff member confirmed they read the orientation (the see-alone policy, the separation
    protocol, quick exit), in its ``version``.  Only the staff member themselves can confirm."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="orientations")
    version = models.PositiveSmallIntegerField(default=ORIENTATION_VERSION)
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["-confirmed_at"]
        indexes = [models.Index(fields=["staff", "confirmed_at"])]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


RECOVERY_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o or u to misread
RECOVERY_LOOKUP_CHARS = 4  # public part, stored as it is, so one attempt costs one slow hash
RECOVERY_SECRET_CHARS = 20  # 100 random bits, stored only as a salted slow hash
RECOVERY_MISREAD = str.maketrans({"o": "0", "i": "1", "l": "1"})
LEGACY_RECOVERY_LENGTH = 12  # the first kind: 48-bit hex codes, stored as unsalted SHA-256


class RecoveryCode(models.Model):
    """Single-use recovery codes.  A code is 24 characters of Crockford base32: the first four are a
    lookup prefix stored as they are, the whole code is stored only as a salted slow hash (Django's
    configured password hasher), so a stolen database gives nothing to try offline cheaply and one
    attempt costs one hash, not ten.  Rows of the older kind (12 hex characters, empty ``lookup``)
    keep working until the user replaces them (the account page asks them to); their old unsalted
    SHA-256 is itself stored under the slow salted hash (migration 0003), so a stolen database gives
    no fast hash to try 48-bit codes against."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="recovery_codes")
    lookup = models.CharField(max_length=8, blank=True, default="")
    code_hash = models.CharField(max_length=200)
    used_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def normalise(code: str) -> str:
        return "".join(ch for ch in code.lower() if ch.isascii() and ch.isalnum())

    @classmethod
    def looks_like(cls, code: str) -> bool:
        """Whether ``code`` could be a recovery code at all (new or legacy kind)."""
        return len(cls.normalise(code)) in (LEGACY_RECOVERY_LENGTH, RECOVERY_LOOKUP_CHARS + RECOVERY_SECRET_CHARS)

    @classmethod
    def issue(cls, staff: Staff, count: int = 10) -> list[str]:
        cls.objects.filter(staff=staff).delete()
        length = RECOVERY_LOOKUP_CHARS + RECOVERY_SECRET_CHARS
        raw = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(length)) for _ in range(count)]
        cls.objects.bulk_create(
            [cls(staff=staff, lookup=code[:RECOVERY_LOOKUP_CHARS], code_hash=make_password(code)) for code in raw]  # type: ignore[misc]
        )
        return ["-".join(code[i : i + 4] for i in range(0, length, 4)) for code in raw]

    @classmethod
    def use(cls, staff: Staff, code: str) -> bool:
        """Use up the matching unused code; True when there was one.  Two requests with the same code
        cannot both succeed (the used mark is a conditional update)."""
        normalised = cls.normalise(code)
        if len(normalised) == LEGACY_RECOVERY_LENGTH:  # few rows, each a slow hash of the old SHA-256
            legacy = cls.objects.filter(staff=staff, lookup="", used_at__isnull=True)
            for row in legacy:
                if check_password(hash_token(normalised), row.code_hash):
                    return cls.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1
            return False
        normalised = normalised.translate(RECOVERY_MISREAD)
        if len(normalised) != RECOVERY_LOOKUP_CHARS + RECOVERY_SECRET_CHARS:
            return False
        candidates = cls.objects.filter(staff=staff, lookup=normalised[:RECOVERY_LOOKUP_CHARS], used_at__isnull=True)
        for row in candidates:
            if check_password(normalised, row.code_hash):
                return cls.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1
        return False

    @classmethod
    def legacy_left(cls, staff: Staff) -> bool:
        """Whether unused codes of the older, shorter kind remain (the user should replace them)."""
        return cls.objects.filter(staff=staff, lookup="", used_at__isnull=True).exists()


def activation_link(activate_url: str, token: str) -> str:
    """The link an invited person opens: the token after ``#``, so no server or log ever sees it."""
    return f"{activate_url}#{token}"


class Invitation(models.Model):
    """A single-use activation link for a new staff member; only its hash is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by_id = models.UUIDField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, staff: Staff, created_by: Staff | None) -> tuple[Invitation, str]:
        cls.objects.filter(staff=staff, used_at__isnull=True).update(expires_at=timezone.now())
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            staff=staff,
            token_hash=hash_token(token),
            created_by_id=created_by.id if created_by else None,
            expires_at=timezone.now() + timedelta(seconds=settings.INVITATION_SECONDS),
        )
        return invitation, token

    @classmethod
    def usable_by_id(cls, pk: Any) -> Invitation | None:
        """The unused, unexpired invitation with this id (kept in the session after its code was
        checked); None for anything else, a malformed id included."""
        try:
            key = uuid.UUID(str(pk))
        except ValueError:
            return None
        return (
            cls.objects.select_related("staff", "staff__org")
            .filter(pk=key, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )

    @classmethod
    def find_usable(cls, token: str) -> Invitation | None:
        return (
            cls.objects.select_related("staff", "staff__org")
            .filter(token_hash=hash_token(token), used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )


FAILURE_WINDOW_SECONDS = 60 * 60  # failures older than this are forgotten
LOCK_MEMORY_SECONDS = 24 * 60 * 60  # a lock that ended longer ago no longer doubles the next one
NAME_LOCK_MAX_SECONDS = 60 * 60  # what strangers can do to a sign-in name stops doubling here
KNOWN_CLIENT_SECONDS = 90 * 24 * 60 * 60  # a client that signed in as a name is "known" this long


class LoginThrottle(models.Model):
    """Sign-in failures, counted twice: per sign-in name (``name_key`` empty) and per sign-in name and
    client together (``name_key`` set).  Both are keyed hashes: neither the name nor the client
    address is ever stored.

    The pair row locks one client hard (15 minutes, doubling up to a day).  The name row locks the
    name only for clients that have never signed in as it, and for at most an hour, so a stranger
    who fails ten times cannot keep the real user out on the device they use.  Counts decay: failures
    older than an hour are forgotten, and a lock that ended more than a day ago no longer doubles."""

    key = models.CharField(max_length=64, unique=True)
    name_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    known_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @staticmethod
    def key_for(username: str) -> str:
        """The keyed hash a sign-in name is counted under (the name itself is never stored)."""
        key = hmac.new(settings.SECRET_KEY.encode(), Staff.normalize_login(username).encode(), hashlib.sha256)
        return key.hexdigest()

    @staticmethod
    def client_key_for(username: str, client: str) -> str:
        """The keyed hash a (sign-in name, client address) pair is counted under."""
        message = f"sign-in client\x00{Staff.normalize_login(username)}\x00{client}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    def is_known(self) -> bool:
        """A pair row whose client completed a sign-in as this name recently."""
        return self.known_at is not None and self.known_at > timezone.now() - timedelta(seconds=KNOWN_CLIENT_SECONDS)

    def register_failure(self, max_seconds: int | None = None) -> bool:
        """Count a failure; return True when this failure starts a lockout.  Old failures and old
        locks decay first, so no sequence of failures spread over time locks an account for ever."""
        now = timezone.now()
        if self.updated_at is not None and now - self.updated_at > timedelta(seconds=FAILURE_WINDOW_SECONDS):
            self.failures = 0
        if self.locked_until is not None and now - self.locked_until > timedelta(seconds=LOCK_MEMORY_SECONDS):
            self.lockouts = 0
        self.failures += 1
        if self.failures < settings.LOCKOUT_THRESHOLD:
            self.save()
            return False
        cap = min(max_seconds or settings.LOCKOUT_MAX_SECONDS, settings.LOCKOUT_MAX_SECONDS)
        seconds = min(settings.LOCKOUT_BASE_SECONDS * 2 ** min(self.lockouts, 20), cap)
        self.lockouts += 1
        self.failures = 0
        self.locked_until = now + timedelta(seconds=seconds)
        self.save()
        return True


class StaffSession(AbstractBaseSession):
    """Django's session row plus who owns it, so sessions can be listed and ended server-side."""

    staff_id = models.UUIDField(null=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    device = models.CharField(max_length=60, blank=True)

    @classmethod
    def get_session_store_class(cls) -> Any:
        from waypoint.orgs.session_store import SessionStore

        return SessionStore

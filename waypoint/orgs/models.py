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
from django.contrib.sessions.base_session import AbstractBaseSession
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


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    exit_url = models.URLField(
        _("quick exit page"),
        max_length=500,
        default=DEFAULT_EXIT_URL,
        help_text=_("A neutral web page the browser goes to when someone uses Exit."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RecoveryCode(models.Model):
    """Single-use recovery codes, stored only as SHA-256 (they carry 48 random bits and sign-in is rate limited)."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def normalise(code: str) -> str:
        return "".join(ch for ch in code.lower() if ch.isalnum())

    @classmethod
    def issue(cls, staff: Staff, count: int = 10) -> list[str]:
        cls.objects.filter(staff=staff).delete()
        codes = ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(count)]
        cls.objects.bulk_create([cls(staff=staff, code_hash=hash_token(cls.normalise(c))) for c in codes])  # type: ignore[misc]
        return codes

    @classmethod
    def use(cls, staff: Staff, code: str) -> bool:
        updated = cls.objects.filter(
            staff=staff, code_hash=hash_token(cls.normalise(code)), used_at__isnull=True
        ).update(used_at=timezone.now())
        return updated == 1


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
    def find_usable(cls, token: str) -> Invitation | None:
        return (
            cls.objects.select_related("staff", "staff__org")
            .filter(token_hash=hash_token(token), used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )


class LoginThrottle(models.Model):
    """Consecutive sign-in failures per sign-in name (stored as a keyed hash, never the name)."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    @staticmethod
    def key_for(username: str) -> str:
        """The keyed hash a sign-in name is counted under (the name itself is never stored)."""
        key = hmac.new(settings.SECRET_KEY.encode(), Staff.normalize_login(username).encode(), hashlib.sha256)
        return key.hexdigest()

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    def register_failure(self) -> bool:
        """Count a failure; return True when this failure starts a lockout."""
        self.failures += 1
        if self.failures < settings.LOCKOUT_THRESHOLD:
            self.save()
            return False
        seconds = min(settings.LOCKOUT_BASE_SECONDS * 2**self.lockouts, settings.LOCKOUT_MAX_SECONDS)
        self.lockouts += 1
        self.failures = 0
        self.locked_until = timezone.now() + timedelta(seconds=seconds)
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

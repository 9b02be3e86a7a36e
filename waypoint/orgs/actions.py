"""Every change to organisations, staff accounts and sign-in state.  Each function is one atomic
transaction that writes its own audit row (the same rows, one per change, as the pages always
wrote); the sign-in, account and admin pages, the session middleware and ``create_org`` call these.

The rules live here: an organisation keeps at least one active admin; nobody deactivates their own
account or changes their own roles; an invitation link works once; a failed sign-in counts towards
the lockout of that client and that name, and an admin can unlock a name."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waypoint.core import audit
from waypoint.orgs import auth
from waypoint.orgs.forms import DiscretionForm, JurisdictionForm, OrganisationForm, SiteForm
from waypoint.orgs.models import (
    FAILURE_WINDOW_SECONDS,
    KNOWN_CLIENT_SECONDS,
    LOCK_MEMORY_SECONDS,
    NAME_LOCK_MAX_SECONDS,
    Invitation,
    LoginThrottle,
    Organisation,
    RecoveryCode,
    Role,
    Site,
    Staff,
    StaffSession,
)

# The roles that open people records (waypoint.people.access.READERS): granting one is step-up
# protected and audited on its own.
CLINICAL_ROLES = frozenset({Role.PROVIDER, Role.SUPERVISOR})


class Refused(Exception):
    """The change breaks a rule; ``message`` (translated) says which, for the page to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Signing in ----------------------------------------------------------------------------------


@transaction.atomic
def sign_in_failed(gate: auth.SignInGate, staff: Staff | None, event: audit.Event) -> None:
    """A wrong password or code (``event`` says which step): one row, counted for this client and
    the sign-in name (not for the name while its pause runs, so strangers cannot stretch it), and a
    lockout row when this failure starts a lock.  Both rows are locked (name first, always), so
    concurrent failures all count."""
    org_id, actor_id = (staff.org_id, staff.id) if staff else (None, None)
    audit.record(event, org_id=org_id, actor_id=actor_id)
    # get_or_create: a sign-in or the clean-up may have reset or removed a row since it was read.
    locked = LoginThrottle.objects.select_for_update()
    name, _new = locked.get_or_create(key=gate.name.key)
    client, _new = locked.get_or_create(key=gate.client.key, defaults={"name_key": gate.name.key})
    started = client.register_failure()
    if not name.is_locked():
        started = name.register_failure(max_seconds=NAME_LOCK_MAX_SECONDS) or started
    if started:
        audit.record(audit.Event.LOCKOUT, org_id=org_id, actor_id=actor_id)


def sign_in_refused_while_locked(staff: Staff | None) -> None:
    """A sign-in attempt while the name is locked: recorded, not counted (the lock already runs)."""
    audit.record(audit.Event.LOGIN_FAILED, org_id=staff.org_id if staff else None, actor_id=staff.id if staff else None)


@transaction.atomic
def use_totp_code(staff: Staff, code: str) -> bool:
    """A right authenticator code uses up its time step: the same code cannot be replayed, even by
    two requests at once (the last step used is read under lock)."""
    last_step = Staff.objects.select_for_update().values_list("totp_last_step", flat=True).get(pk=staff.pk)
    staff.totp_last_step = last_step
    step = auth.matching_totp_step(staff, code)
    if step is None:
        return False
    staff.totp_last_step = step
    staff.save(update_fields=["totp_last_step"])
    return True


@transaction.atomic
def use_second_factor(staff: Staff, code: str) -> str | None:
    """'totp' or 'recovery' for a good code (used up, a recovery code with its row), None otherwise."""
    if use_totp_code(staff, code):
        return "totp"
    if RecoveryCode.looks_like(code) and RecoveryCode.use(staff, code):
        audit.record_by(staff, audit.Event.RECOVERY_CODE_USED)
        return "recovery"
    return None


@transaction.atomic
def complete_sign_in(request: HttpRequest, staff: Staff) -> str:
    """Both factors passed: the new session, the reset failure count and the sign-in's audit row in
    one transaction (nobody is signed in without its row).  Returns where to go next."""
    client = auth.client_address(request)
    next_url = auth.complete_login(request, staff)
    signed_in(staff, client)
    return next_url


@transaction.atomic
def signed_in(staff: Staff, client: str = "") -> None:
    """Both factors passed (the session has started): the name's failure count starts again from
    zero, and this client is known for this name (a stranger's failures no longer keep it out)."""
    name_key = LoginThrottle.key_for(staff.username)
    # Reset, not delete: a failure being recorded at this moment still finds its row.
    LoginThrottle.objects.filter(key=name_key).update(failures=0, lockouts=0, locked_until=None)
    LoginThrottle.objects.update_or_create(
        key=LoginThrottle.client_key_for(staff.username, client),
        defaults={"name_key": name_key, "failures": 0, "lockouts": 0, "locked_until": None, "known_at": timezone.now()},
    )
    audit.record_by(staff, audit.Event.LOGIN)


def start_authenticator_setup(staff: Staff) -> None:
    """Give the account its TOTP secret the first time the set-up page is shown (kept until confirmed,
    so a reload shows the same QR code)."""
    if not staff.totp_secret:
        staff.totp_secret = auth.new_totp_secret()
        staff.save(update_fields=["totp_secret"])


@transaction.atomic
def enrol_authenticator(staff: Staff) -> list[str]:
    """The first code from the authenticator app was right: the second factor is set up, and the
    first recovery codes are issued (returned once, to be shown once; only their hashes are kept)."""
    staff.totp_confirmed_at = timezone.now()
    staff.save(update_fields=["totp_confirmed_at"])
    codes = RecoveryCode.issue(staff)
    audit.record_by(staff, audit.Event.MFA_ENROLLED)
    return codes


def step_up_confirmed(staff: Staff) -> None:
    audit.record_by(staff, audit.Event.STEP_UP)


def confirm_step_up(request: HttpRequest, staff: Staff, password: str, code: str) -> bool:
    """Password and a new code again, from the step-up page or inline on a form that saves a secret:
    throttled and counted like sign-in (a failure is recorded and stays recorded), a success is
    recorded and lasts five minutes (``auth.step_up_is_recent``)."""
    gate = auth.gate_for(request, staff.username)
    if not gate.blocks() and staff.check_password(password) and use_totp_code(staff, code):
        request.session["wp_step_up_at"] = time.time()
        step_up_confirmed(staff)
        return True
    if gate.blocks():
        sign_in_refused_while_locked(staff)
    else:
        sign_in_failed(gate, staff, audit.Event.STEP_UP_FAILED)
    return False


def signed_out(staff: Staff) -> None:
    """Recorded before the session ends (the caller then calls Django's ``logout``)."""
    audit.record_by(staff, audit.Event.LOGOUT)


def session_expired(staff: Staff) -> None:
    audit.record_by(staff, audit.Event.SESSION_EXPIRED)


@transaction.atomic
def activate_account(invitation: Invitation, password: str) -> Staff:
    """Set the invited person's password from their link; the link is then used up, and the
    authenticator app is set up afresh at the first sign-in.  Refused when the link was used
    meanwhile (a second tab, a double submit)."""
    invitation = Invitation.objects.select_for_update().select_related("staff").get(pk=invitation.pk)
    if invitation.used_at is not None:
        raise Refused(_("This link has been used already."))
    staff = invitation.staff
    staff.set_password(password)
    staff.totp_secret, staff.totp_confirmed_at = "", None
    staff.save()
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    audit.record_by(staff, audit.Event.STAFF_ACTIVATED, staff)
    return staff


# --- The user's own account ----------------------------------------------------------------------


def _end_sessions(staff: Staff) -> int:
    deleted, _rows = StaffSession.objects.filter(staff_id=staff.id).delete()
    return deleted


@transaction.atomic
def end_session(staff: Staff, session: StaffSession) -> None:
    """End one of the user's other sessions (for the current one, sign out instead)."""
    StaffSession.objects.filter(pk=session.pk, staff_id=staff.id).delete()
    audit.record_by(staff, audit.Event.SESSIONS_ENDED)


@transaction.atomic
def end_all_sessions(staff: Staff) -> int:
    """Sign out everywhere, this browser included; returns how many sessions ended."""
    ended = _end_sessions(staff)
    audit.record_by(staff, audit.Event.SESSIONS_ENDED, staff)
    return ended


@transaction.atomic
def renew_recovery_codes(staff: Staff) -> list[str]:
    """New recovery codes replace all the old ones, used or not (returned once, to be shown once)."""
    codes = RecoveryCode.issue(staff)
    audit.record_by(staff, audit.Event.RECOVERY_CODES_RENEWED)
    return codes


def set_preferred_language(staff: Staff, language: str) -> None:
    """The language the user's pages are in from their next sign-in (not audited: no record data)."""
    Staff.objects.filter(pk=staff.pk).update(preferred_language=language)


PERSON_LABELS_ON = "staff.person_labels_on"
PERSON_LABELS_OFF = "staff.person_labels_off"
audit.register(
    {
        PERSON_LABELS_ON: gettext_lazy("Chose to see initials or aliases in lists"),
        PERSON_LABELS_OFF: gettext_lazy("Chose to see reference codes only in lists"),
    }
)


@transaction.atomic
def set_person_labels(staff: Staff, show: bool) -> None:
    """The user's own choice to see a person's initials or alias beside the code in lists (off by
    default).  Audited, since it changes what their lists show."""
    Staff.objects.filter(pk=staff.pk).update(show_person_labels=show)
    staff.show_person_labels = show
    audit.record_by(staff, PERSON_LABELS_ON if show else PERSON_LABELS_OFF, staff)


# --- Organisation admin --------------------------------------------------------------------------


def _issue_invitation(admin: Staff | None, staff: Staff) -> str:
    """A new activation link (earlier unused links stop working); returns the token, shown once."""
    _invitation, token = Invitation.issue(staff, admin)
    if admin is not None:
        audit.record_by(admin, audit.Event.STAFF_INVITED, staff)
    else:  # the first admin of a new organisation, from the command line
        audit.record(audit.Event.STAFF_INVITED, org_id=staff.org_id, object_type="staff", object_id=staff.id)
    return token


@transaction.atomic
def invite_staff(admin: Staff, username: str, display_name: str, email: str, roles: Iterable[str]) -> tuple[Staff, str]:
    """A new account in the admin's organisation, without a password: the returned token is its
    activation link (the caller shows it, and e-mails it when there is an address)."""
    chosen = set(roles)
    staff = Staff.objects.create_user(
        username,
        org=admin.org,
        display_name=display_name,
        email=email,
        **{f"is_{role}": True for role in chosen},  # type: ignore[arg-type]
    )
    token = _issue_invitation(admin, staff)
    if chosen & {role.value for role in CLINICAL_ROLES}:
        audit.record_by(admin, audit.Event.STAFF_CLINICAL_ROLE_GRANTED, staff)
    return staff, token


@transaction.atomic
def reinvite_staff(admin: Staff, staff: Staff) -> str:
    """A fresh activation link for an account that has not been activated."""
    if staff.has_usable_password():
        raise Refused(_("This account is already active."))
    return _issue_invitation(admin, staff)


def _last_admin(staff: Staff) -> bool:
    """Whether ``staff`` is their organisation's only active admin.  The admins' rows are locked, so
    two admins removing each other at the same moment cannot both pass."""
    admins = Staff.objects.select_for_update().filter(org_id=staff.org_id, is_org_admin=True, is_active=True)
    return not any(pk != staff.pk for pk in admins.values_list("pk", flat=True))


@transaction.atomic
def change_roles(admin: Staff, staff: Staff, roles: Iterable[str], interviews_as: str | None = None) -> Staff:
    """Set exactly these roles (and, when given, whether they can be offered as a male or a female
    interviewer).  Refused for one's own account (another admin must do it, so nobody
    hands themselves a role that opens records) and when it would leave the organisation with no
    active admin.  Granting a role that opens records writes its own row besides the roles row; the
    page asks for step-up first."""
    if staff.pk == admin.pk:
        raise Refused(_("You cannot change your own roles. Another admin of your organisation must do it."))
    chosen = set(roles)
    staff = Staff.objects.select_for_update().get(pk=staff.pk, org_id=admin.org_id)
    if Role.ORG_ADMIN not in chosen and staff.is_org_admin and _last_admin(staff):
        raise Refused(_("An organisation needs at least one active admin. Add another admin first."))
    granted = {role for role in Role if role.value in chosen} - staff.roles
    for role in Role:
        setattr(staff, f"is_{role.value}", role.value in chosen)
    if interviews_as is not None:
        staff.interviews_as = interviews_as
    staff.save()
    audit.record_by(admin, audit.Event.STAFF_ROLES_CHANGED, staff)
    if granted & CLINICAL_ROLES:
        audit.record_by(admin, audit.Event.STAFF_CLINICAL_ROLE_GRANTED, staff)
    return staff


@transaction.atomic
def deactivate_staff(admin: Staff, staff: Staff) -> None:
    """No more sign-in, and every session of theirs ends now.  Refused for one's own account."""
    if staff.pk == admin.pk:
        raise Refused(_("You cannot deactivate your own account."))
    staff = Staff.objects.select_for_update().get(pk=staff.pk)
    if staff.is_org_admin and staff.is_active and _last_admin(staff):
        raise Refused(_("An organisation needs at least one active admin. Add another admin first."))
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    _end_sessions(staff)
    audit.record_by(admin, audit.Event.STAFF_DEACTIVATED, staff)


@transaction.atomic
def reactivate_staff(admin: Staff, staff: Staff) -> None:
    """Sign-in works again (the page asks for step-up first).  The account is re-read under a row
    lock: refused when it is already active, so two admins or a double submit write one row."""
    staff = Staff.objects.select_for_update().get(pk=staff.pk, org_id=admin.org_id)
    if staff.is_active:
        raise Refused(_("This account is already active."))
    staff.is_active = True
    staff.save(update_fields=["is_active"])
    audit.record_by(admin, audit.Event.STAFF_REACTIVATED, staff)


@transaction.atomic
def unlock_sign_in(admin: Staff, staff: Staff) -> None:
    """End a sign-in pause on a staff member of the admin's organisation: every lock on that name,
    from every client, ends now.  Clients it signed in from start again from zero; other clients
    keep how often they were locked, so an attacker's next lock is as long as it would have been
    (an unlock asked for during an attack does not restart the attack)."""
    staff = Staff.objects.get(pk=staff.pk, org_id=admin.org_id)
    name_key = LoginThrottle.key_for(staff.username)
    rows = LoginThrottle.objects.select_for_update().filter(Q(key=name_key) | Q(name_key=name_key))
    known = Q(known_at__gte=timezone.now() - timedelta(seconds=KNOWN_CLIENT_SECONDS))
    rows.filter(known).update(failures=0, lockouts=0, locked_until=None)
    rows.exclude(known).update(failures=0, locked_until=None)
    audit.record_by(admin, audit.Event.STAFF_UNLOCKED, staff)


@transaction.atomic
def forget_stale_throttles() -> int:
    """Remove sign-in counts that no longer change anything: no failure inside the window, no lock
    still remembered for doubling, no client still known.  Defends against the throttle table growing
    without end (every attempt with a new name or from a new address makes a row).  Housekeeping of
    keyed hashes, not a change to anyone's record: no audit row.  Returns how many were removed."""
    now = timezone.now()
    quiet = now - timedelta(seconds=max(FAILURE_WINDOW_SECONDS, LOCK_MEMORY_SECONDS))
    stale = LoginThrottle.objects.filter(updated_at__lt=quiet).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now - timedelta(seconds=LOCK_MEMORY_SECONDS)),
        Q(known_at__isnull=True) | Q(known_at__lt=now - timedelta(seconds=KNOWN_CLIENT_SECONDS)),
    )
    removed, _rows = stale.delete()
    return removed


JURISDICTION_SAVED = "org.jurisdiction_saved"
DISCRETION_SAVED = "org.discretion_saved"
audit.register(
    {
        JURISDICTION_SAVED: gettext_lazy("Minors and jurisdiction settings saved"),
        DISCRETION_SAVED: gettext_lazy("Discretion settings saved"),
    }
)


def _save_org_fields(form: OrganisationForm | JurisdictionForm | DiscretionForm) -> Organisation:
    """Only the form's own columns are written: two admins saving two settings pages at once (or a
    page showing an organisation loaded earlier) cannot undo each other's changes."""
    org: Organisation = form.save(commit=False)
    org.save(update_fields=list(form._meta.fields or ()))
    return org


@transaction.atomic
def change_org_settings(admin: Staff, form: OrganisationForm) -> Organisation:
    """The organisation's name."""
    if form.instance.pk != admin.org_id:
        raise Refused(_("These are another organisation's settings."))
    org = _save_org_fields(form)
    audit.record_by(admin, audit.Event.ORG_SETTINGS_CHANGED, org)
    return org


@transaction.atomic
def save_jurisdiction(admin: Staff, form: JurisdictionForm) -> Organisation:
    """Minors and jurisdiction: the minor age, the mandated-report agency and how to reach it, whether
    a young person may agree to services alone, who signs a young person's release, the longest
    release.  A new minor age applies to records from their next page; an encounter keeps the branch
    it started on (``Encounter.is_minor``)."""
    if form.instance.pk != admin.org_id:
        raise Refused(_("These are another organisation's settings."))
    org = _save_org_fields(form)
    audit.record_by(admin, JURISDICTION_SAVED, org)
    return org


@transaction.atomic
def save_discretion(admin: Staff, form: DiscretionForm) -> Organisation:
    """The quick-exit page, the browser tab's name and the steps for someone in danger on a call."""
    if form.instance.pk != admin.org_id:
        raise Refused(_("These are another organisation's settings."))
    org = _save_org_fields(form)
    audit.record_by(admin, DISCRETION_SAVED, org)
    return org


@transaction.atomic
def add_site(admin: Staff, form: SiteForm) -> Site:
    site: Site = form.save(commit=False)
    site.org = admin.org
    site.save()
    audit.record_by(admin, audit.Event.ORG_SETTINGS_CHANGED, admin.org)
    return site


@transaction.atomic
def create_org(name: str, admin_username: str, admin_name: str) -> tuple[Organisation, Staff, str]:
    """A new organisation with its first admin (no password yet); the token is the admin's
    activation link.  Refused when the sign-in name is taken."""
    username = Staff.normalize_login(admin_username)
    if Staff.objects.filter(username=username).exists():
        raise Refused("That sign-in name is taken.")
    org = Organisation.objects.create(name=name)
    admin = Staff.objects.create_user(username, org=org, display_name=admin_name, is_org_admin=True)
    return org, admin, _issue_invitation(None, admin)


# --- Demo data (development only; seed_demo refuses production) ---------------------------------


@transaction.atomic
def ensure_demo_org(name: str, sites: Iterable[str]) -> tuple[Organisation, bool]:
    """The demo organisation and its sites, made once: ``(org, created)``."""
    org, created = Organisation.objects.get_or_create(name=name)
    for site in sites:
        Site.objects.get_or_create(org=org, name=site)
    if created:
        audit.record(audit.Event.ORG_SETTINGS_CHANGED, org_id=org.id, object_type="organisation", object_id=org.id)
    return org, created


@transaction.atomic
def ensure_demo_staff(org: Organisation, username: str, password: str, display_name: str, role: str) -> Staff:
    """A demo account that is already active, with a confirmed authenticator key (printed by
    seed_demo so a tester can sign in); made once, then returned as it is."""
    staff = Staff.objects.filter(username=username).first()
    if staff is not None:
        return staff
    staff = Staff.objects.create_user(
        username,
        org=org,
        password=password,
        display_name=display_name,
        **{f"is_{role}": True},  # type: ignore[arg-type]
    )
    staff.totp_secret = auth.new_totp_secret()
    staff.totp_confirmed_at = timezone.now()
    staff.save(update_fields=["totp_secret", "totp_confirmed_at"])
    audit.record(audit.Event.STAFF_ACTIVATED, org_id=org.id, object_type="staff", object_id=staff.id)
    return staff


# --- Staff orientation (issue 13) ----------------------------------------------------------------
# Imported here, not at the top, so this section is one block appended to the file.
from waypoint.orgs.models import ORIENTATION_VERSION, OrientationConfirmation  # noqa: E402
from waypoint.orgs.orientation import INTERVAL_MAX_DAYS, INTERVAL_MIN_DAYS  # noqa: E402

ORIENTATION_CONFIRMED = "orientation.confirmed"
ORIENTATION_INTERVAL_SAVED = "org.orientation_interval_saved"
audit.register(
    {
        ORIENTATION_CONFIRMED: gettext_lazy("Confirmed reading the staff orientation"),
        ORIENTATION_INTERVAL_SAVED: gettext_lazy("Changed how often staff read the orientation again"),
    }
)
# A second "I have read this" within this time (a double click, a resent form) makes no second row.
CONFIRM_AGAIN_SECONDS = 60


@transaction.atomic
def confirm_orientation(staff: Staff) -> OrientationConfirmation:
    """The signed-in staff member confirms they read the current orientation, for themselves only
    (there is no way to name anyone else).  A confirmation of the same version in the last minute is
    returned as it is: a double submit makes one row and one audit row."""
    Staff.objects.select_for_update().filter(pk=staff.pk).first()  # concurrent submits queue here
    recent = OrientationConfirmation.objects.filter(
        staff_id=staff.pk,
        version=ORIENTATION_VERSION,
        confirmed_at__gte=timezone.now() - timedelta(seconds=CONFIRM_AGAIN_SECONDS),
    ).first()
    if recent is not None:
        return recent
    confirmation = OrientationConfirmation.objects.create(
        staff=staff, version=ORIENTATION_VERSION, confirmed_at=timezone.now()
    )
    audit.record_by(staff, ORIENTATION_CONFIRMED, confirmation, object_type="orientation")
    return confirmation


@transaction.atomic
def set_orientation_interval(admin: Staff, days: int) -> Organisation:
    """How often the admin's organisation's staff read the orientation again (30 to 1095 days)."""
    if not INTERVAL_MIN_DAYS <= days <= INTERVAL_MAX_DAYS:
        raise Refused(_("Enter a number of days between 30 and 1095."))
    Organisation.objects.filter(pk=admin.org_id).update(orientation_every_days=days)
    admin.org.orientation_every_days = days
    audit.record_by(admin, ORIENTATION_INTERVAL_SAVED, admin.org)
    return admin.org

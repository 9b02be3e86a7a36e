"""Sign-in mechanics: TOTP, the failure throttle, and the pre-authentication state.  What a sign-in
records (failures, lockouts, the sign-in itself) is written by ``waypoint.orgs.actions``.

Defends against: password guessing (10 failures from one client lock that client out of that
sign-in name for 15 minutes, doubling on each repeat up to a day; 10 failures from anywhere pause
the name for clients it has never signed in from, for at most an hour; counts decay and an org admin
can unlock, so nobody can keep an account locked for ever); account enumeration (unknown names and
wrong passwords get the same answer and are throttled alike; the password hasher runs for unknown
names too); code replay (a TOTP time step is accepted once); single-factor access (Django's login()
runs only after the second factor, so no application page is reachable with a password alone).

Does not defend against: a phished password and code used within the same 30 seconds; WebAuthn is
the planned answer for org admins.
"""

from __future__ import annotations

import base64
import hmac
import io
import ipaddress
import secrets
import time
from dataclasses import dataclass
from functools import wraps
from typing import Any

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from waypoint.core.urls_util import safe_next
from waypoint.orgs.models import LoginThrottle, Staff

TOTP_STEP = 30
PREAUTH_SECONDS = 5 * 60
ISSUER = "Waypoint"


def new_totp_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()


def _totp(secret: str) -> TOTP:
    # RFC 6238 with SHA-1 is what every authenticator app implements; HMAC-SHA1 is not broken.
    return TOTP(base64.b32decode(secret), 6, SHA1(), TOTP_STEP, enforce_key_length=False)  # noqa: S303


def totp_code(secret: str, at: float | None = None) -> str:
    return _totp(secret).generate(int(at if at is not None else time.time())).decode()


def provisioning_uri(staff: Staff) -> str:
    return _totp(staff.totp_secret).get_provisioning_uri(staff.username, ISSUER)


def provisioning_qr_svg(staff: Staff) -> str:
    """The provisioning URI as an inline SVG QR code, for the authenticator set-up page."""
    buffer = io.BytesIO()
    qr = segno.make(provisioning_uri(staff), error="m")
    qr.save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True, title=_("QR code"))
    return buffer.getvalue().decode()


def matching_totp_step(staff: Staff, code: str) -> int | None:
    """The time step ``code`` belongs to: the current step or one either side, and only a step later
    than the last one used (so each step is accepted once; ``actions.use_totp_code`` records it).
    Only ASCII digits count (the forms turn other digit forms into them first)."""
    code = "".join(ch for ch in code if ch in "0123456789")
    if len(code) != 6 or not staff.totp_secret:
        return None
    now_step = int(time.time()) // TOTP_STEP
    for step in (now_step - 1, now_step, now_step + 1):
        if step > staff.totp_last_step and hmac.compare_digest(totp_code(staff.totp_secret, step * TOTP_STEP), code):
            return step
    return None


def throttle_for(username: str) -> LoginThrottle:
    """The sign-in name's own failure count (see ``LoginThrottle``)."""
    throttle, _created = LoginThrottle.objects.get_or_create(key=LoginThrottle.key_for(username))
    return throttle


def client_address(request: HttpRequest) -> str:
    """The client a sign-in attempt comes from: ``REMOTE_ADDR``, or, when ``TRUSTED_PROXY_HOPS`` says
    how many proxies of ours stand in front, the address they saw (from the right of
    X-Forwarded-For, so a client cannot choose it).  IPv6 clients count by their /64 network, which
    one household or attacker usually holds whole."""
    address = str(request.META.get("REMOTE_ADDR", ""))
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0))
    if hops > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass
class SignInGate:
    """The two counts a sign-in attempt is checked against: the name's and this client's for it."""

    name: LoginThrottle
    client: LoginThrottle

    def blocks(self) -> bool:
        """Whether this attempt is refused: the client is locked, or the name is paused and this
        client has not signed in as it before (a known client gets past a stranger's failures)."""
        return self.client.is_locked() or (self.name.is_locked() and not self.client.is_known())


def gate_for(request: HttpRequest, username: str) -> SignInGate:
    client_key = LoginThrottle.client_key_for(username, client_address(request))
    client, _created = LoginThrottle.objects.get_or_create(
        key=client_key, defaults={"name_key": LoginThrottle.key_for(username)}
    )
    return SignInGate(name=throttle_for(username), client=client)


def start_preauth(request: HttpRequest, staff: Staff, next_url: str) -> None:
    request.session.cycle_key()
    request.session["wp_preauth"] = {"staff": str(staff.id), "at": time.time(), "next": next_url}


def preauth_staff(request: HttpRequest) -> Staff | None:
    data: dict[str, Any] | None = request.session.get("wp_preauth")
    if not data or time.time() - float(data.get("at", 0)) > PREAUTH_SECONDS:
        return None
    return Staff.objects.select_related("org").filter(pk=data["staff"], is_active=True).first()


def complete_login(request: HttpRequest, staff: Staff) -> str:
    """Second factor passed: start the real session (new id) and return where to go next.  The
    caller records the sign-in with ``actions.signed_in``."""
    next_url = str(request.session.get("wp_preauth", {}).get("next", ""))
    with transaction.atomic():  # the new session row and last_login, as one write
        login(request, staff, backend="waypoint.orgs.backends.StaffBackend")
    now = time.time()
    request.session["wp_auth_at"] = now
    request.session["wp_last_seen"] = now
    request.session["wp_step_up_at"] = now
    request.session["wp_device"] = device_summary(request)
    if staff.preferred_language:
        request.session["wp_language"] = staff.preferred_language
    return next_url


def device_summary(request: HttpRequest) -> str:
    """A coarse browser/OS label for the session list; never the full user agent or an address."""
    agent = request.headers.get("User-Agent", "")
    browser = next((b for b in ("Edg", "Firefox", "Chrome", "Safari") if b in agent), "Browser")
    system = next((s for s in ("Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux") if s in agent), "")
    return f"{'Edge' if browser == 'Edg' else browser} {system}".strip()


def step_up_is_recent(request: HttpRequest) -> bool:
    return time.time() - float(request.session.get("wp_step_up_at", 0)) <= settings.STEP_UP_SECONDS


def require_step_up(view: Any) -> Any:
    """Send the user to confirm password and code unless they did so in the last 5 minutes.  A POST
    comes back to the page named by its ``return_to`` field, where the user repeats the action."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if step_up_is_recent(request):
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else request.POST.get("return_to", "")
        return step_up_redirect(request, back)

    return wrapped


def step_up_redirect(request: HttpRequest, back: str) -> HttpResponse:
    """To the step-up page, and from there back to ``back`` (a path on this site) to repeat the action."""
    messages.info(request, _("Please confirm it is you before this action."))
    query = urlencode({"next": safe_next(request, back)})
    return redirect(f"{reverse('orgs:step_up')}?{query}")

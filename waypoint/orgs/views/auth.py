"""Sign-in, second factor, first-time authenticator set-up, activation, step-up and sign-out."""

from __future__ import annotations

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.core.urls_util import safe_next
from waypoint.orgs import actions, auth
from waypoint.orgs.access import recovery_codes_left, staff_by_login
from waypoint.orgs.forms import (
    STEP_UP_FAILED,
    ActivationCodeForm,
    CodeForm,
    EnrolForm,
    LoginForm,
    ResumeForm,
    SetPasswordForm,
    StepUpForm,
)
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Invitation, Staff


def _failed_message() -> str:
    # The same words for an unknown name, a wrong password and a locked name: nothing to enumerate.
    return _(
        "That sign-in name and password did not work, or sign-in is paused after too many attempts. "
        "Check them and try again in a few minutes. If you are sure they are right, your "
        "organisation's admin can unlock your account."
    )


@policy(public=True)
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """A blocked client (locked for this name, or a client the name never signed in from while the
    name is paused) has nothing it sends checked and gets the same answer as a wrong password, which
    says how to get in (wait, or ask the organisation's admin to unlock): telling the right password
    apart during a pause would let many addresses guess it while the pause should stop them."""
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        gate = auth.gate_for(request, username)
        staff = authenticate(request, username=Staff.normalize_login(username), password=form.cleaned_data["password"])
        known = staff_by_login(username)
        if gate.blocks():
            actions.sign_in_refused_while_locked(known)
            form.add_error(None, _failed_message())
        elif not isinstance(staff, Staff):
            actions.sign_in_failed(gate, known, audit.Event.LOGIN_FAILED)
            form.add_error(None, _failed_message())
        else:
            auth.start_preauth(request, staff, safe_next(request, form.cleaned_data["next"], ""))
            return redirect("orgs:login_code" if staff.mfa_enrolled else "orgs:mfa_setup")
    expired = request.GET.get("expired") == "1"
    return TemplateResponse(request, "orgs/login.html", {"form": form, "expired": expired})


@policy(public=True)
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    staff = auth.preauth_staff(request)
    if staff is None or not staff.mfa_enrolled:
        return redirect("orgs:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        gate = auth.gate_for(request, staff.username)
        kind = None if gate.blocks() else actions.use_second_factor(staff, form.cleaned_data["code"])
        if kind is None:
            if not gate.blocks():
                actions.sign_in_failed(gate, staff, audit.Event.MFA_FAILED)
            form.add_error("code", _("That code did not work. Codes change every 30 seconds; try the newest one."))
        else:
            next_url = actions.complete_sign_in(request, staff)
            if kind == "recovery":
                remaining = recovery_codes_left(staff)
                text = ngettext(
                    "You used a recovery code. %(n)s code remains.",
                    "You used a recovery code. %(n)s codes remain.",
                    remaining,
                )
                messages.warning(request, text % {"n": remaining})
            return redirect(safe_next(request, next_url))
    return TemplateResponse(request, "orgs/login_code.html", {"form": form})


@policy(public=True)
@require_POST
def resume(request: HttpRequest) -> JsonResponse:
    """Sign in again from a page that locked itself at the idle limit, without leaving it, so what
    was typed there is still in the page's memory (never in browser storage).  Password and code come
    together and must belong to the staff member the page was built for; anyone else is refused, so a
    colleague cannot unlock someone else's half-typed form.  Same throttle and audit as the login."""
    form = ResumeForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False, "error": _failed_message()}, status=400)
    username = Staff.normalize_login(form.cleaned_data["username"])
    gate = auth.gate_for(request, username)
    known = staff_by_login(username)
    staff = authenticate(request, username=username, password=form.cleaned_data["password"])
    if gate.blocks():
        actions.sign_in_refused_while_locked(known)
        return JsonResponse({"ok": False, "error": _failed_message()}, status=400)
    if not isinstance(staff, Staff) or staff.id != form.cleaned_data["staff"] or not staff.mfa_enrolled:
        actions.sign_in_failed(gate, known, audit.Event.LOGIN_FAILED)
        return JsonResponse({"ok": False, "error": _failed_message()}, status=400)
    kind = actions.use_second_factor(staff, form.cleaned_data["code"])
    if kind is None:
        actions.sign_in_failed(gate, staff, audit.Event.MFA_FAILED)
        error = _("That code did not work. Codes change every 30 seconds; try the newest one.")
        return JsonResponse({"ok": False, "error": error}, status=400)
    if request.user.is_authenticated:
        logout(request)
    actions.complete_sign_in(request, staff)
    return JsonResponse({"ok": True, "csrf": get_token(request), "idle_seconds": settings.SESSION_IDLE_SECONDS})


@policy(public=True)
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Forced at first sign-in: nothing else is reachable until an authenticator app is set up."""
    staff = auth.preauth_staff(request)
    if staff is None or staff.mfa_enrolled:
        return redirect("orgs:login")
    actions.start_authenticator_setup(staff)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        gate = auth.gate_for(request, staff.username)
        if not gate.blocks() and actions.use_totp_code(staff, form.cleaned_data["code"]):
            with transaction.atomic():  # enrolled, signed in and audited together, or none of it
                codes = actions.enrol_authenticator(staff)
                actions.complete_sign_in(request, staff)
            return TemplateResponse(request, "orgs/recovery_codes.html", {"codes": codes, "first_time": True})
        if gate.blocks():
            actions.sign_in_refused_while_locked(staff)
        else:
            actions.sign_in_failed(gate, staff, audit.Event.MFA_FAILED)
        form.add_error("code", _("That code did not work. Check the time on your device and try the newest code."))
    context = {
        "form": form,
        "secret": staff.totp_secret,
        "qr": auth.provisioning_qr_svg(staff),
    }
    return TemplateResponse(request, "orgs/mfa_setup.html", context)


ACTIVATION_KEY = "wp_activation"
ACTIVATION_SECONDS = 15 * 60  # how long a checked code keeps this browser on that password form


def _pending_invitation(request: HttpRequest) -> Invitation | None:
    """The invitation whose code this browser sent in the last 15 minutes, if still usable.  Defends
    against a shared computer showing one person's password form to the next (for hours)."""
    pending = request.session.get(ACTIVATION_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > ACTIVATION_SECONDS:
        return None
    return Invitation.usable_by_id(pending.get("id"))


@policy(public=True)
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    """Set a password from an invitation.  The link is ``/activate/#<code>``: the code is in the
    fragment, which browsers never send, so it is in no access log or proxy log.  ``activate.js``
    (this page only) moves it into the form and posts it; without script it can be pasted.  A good
    code puts the invitation's id (never the code) in this browser's server-side session for 15
    minutes and comes back here by GET, where the password form is shown (a newer link opened in the
    same browser replaces it); the invitation is checked again on every request, and the password
    POST uses it up."""
    invitation = _pending_invitation(request)
    if request.method == "POST" and "token" in request.POST:
        code_form = ActivationCodeForm(request.POST)
        if not code_form.is_valid():
            return TemplateResponse(request, "orgs/activate_code.html", {"form": code_form})
        invitation = Invitation.find_usable(code_form.cleaned_data["token"])
        if invitation is None:
            request.session.pop(ACTIVATION_KEY, None)
            return TemplateResponse(request, "orgs/activate_invalid.html", status=404)
        request.session[ACTIVATION_KEY] = {"id": str(invitation.id), "at": time.time()}
        return redirect("orgs:activate")
    if invitation is None:
        if request.method == "POST":  # a password for an invitation that is gone (used, expired)
            return TemplateResponse(request, "orgs/activate_invalid.html", status=404)
        return TemplateResponse(request, "orgs/activate_code.html", {"form": ActivationCodeForm()})
    staff = invitation.staff
    form = SetPasswordForm(staff, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.activate_account(invitation, form.cleaned_data["password1"])
        except actions.Refused:  # used meanwhile, from another tab
            return TemplateResponse(request, "orgs/activate_invalid.html", status=404)
        request.session.pop(ACTIVATION_KEY, None)
        messages.success(request, _("Your password is set. Sign in to set up your authenticator app."))
        return redirect("orgs:login")
    return TemplateResponse(request, "orgs/activate.html", {"form": form, "staff": staff})


@policy(public=True)
@require_GET
def activate_legacy_link(request: HttpRequest, legacy: str) -> HttpResponse:
    """A link of the older kind (``/activate/<code>/``, sent before codes moved after ``#``): sent on
    to ``/activate/#<code>`` so it still works for its 24 hours.  A redirect, not a 404, so the code
    is not written to the application log as a missing page (the server's access log of this one
    request is beyond our reach)."""
    return HttpResponseRedirect(f"{reverse('orgs:activate')}#{quote(legacy, safe='')}")


@policy()
@require_http_methods(["GET", "POST"])
def step_up(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Confirm password and code again before a sensitive action (valid for five minutes)."""
    staff = request.user
    form = StepUpForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        if actions.confirm_step_up(request, staff, form.cleaned_data["password"], form.cleaned_data["code"]):
            return redirect(safe_next(request, form.cleaned_data["next"]))
        form.add_error(None, STEP_UP_FAILED)
    return TemplateResponse(request, "orgs/step_up.html", {"form": form})


@policy()
@require_POST
def logout_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    actions.signed_out(request.user)
    logout(request)
    return redirect("orgs:login")

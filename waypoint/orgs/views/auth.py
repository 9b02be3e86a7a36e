"""Sign-in, second factor, first-time authenticator set-up, activation, step-up and sign-out."""

from __future__ import annotations

import io
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.core.urls_util import safe_next
from waypoint.orgs import auth
from waypoint.orgs.forms import CodeForm, EnrolForm, LoginForm, ResumeForm, SetPasswordForm, StepUpForm
from waypoint.orgs.models import Invitation, RecoveryCode, Staff


def _failed_message() -> str:
    # The same words for an unknown name, a wrong password and a locked name: nothing to enumerate.
    return _(
        "That sign-in name and password did not work, or sign-in is paused after too many attempts. "
        "Check them and try again in a few minutes."
    )


@policy(public=True)
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        throttle = auth.throttle_for(username)
        staff = authenticate(request, username=Staff.normalize_login(username), password=form.cleaned_data["password"])
        known = Staff.objects.filter(username=Staff.normalize_login(username)).first()
        if throttle.is_locked() or not isinstance(staff, Staff):
            if not throttle.is_locked():
                auth.register_failure(throttle, known, audit.Event.LOGIN_FAILED)
            else:
                audit.record(
                    audit.Event.LOGIN_FAILED, org_id=getattr(known, "org_id", None), actor_id=getattr(known, "id", None)
                )
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
        throttle = auth.throttle_for(staff.username)
        kind = None if throttle.is_locked() else auth.check_second_factor(staff, form.cleaned_data["code"])
        if kind is None:
            if not throttle.is_locked():
                auth.register_failure(throttle, staff, audit.Event.MFA_FAILED)
            form.add_error("code", _("That code did not work. Codes change every 30 seconds; try the newest one."))
        else:
            if kind == "recovery":
                audit.record(audit.Event.RECOVERY_CODE_USED, org_id=staff.org_id, actor_id=staff.id)
            next_url = auth.complete_login(request, staff)
            if kind == "recovery":
                remaining = RecoveryCode.objects.filter(staff=staff, used_at__isnull=True).count()
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
    throttle = auth.throttle_for(username)
    known = Staff.objects.filter(username=username).first()
    staff = authenticate(request, username=username, password=form.cleaned_data["password"])
    if throttle.is_locked():
        audit.record(
            audit.Event.LOGIN_FAILED, org_id=getattr(known, "org_id", None), actor_id=getattr(known, "id", None)
        )
        return JsonResponse({"ok": False, "error": _failed_message()}, status=400)
    if not isinstance(staff, Staff) or staff.id != form.cleaned_data["staff"] or not staff.mfa_enrolled:
        auth.register_failure(throttle, known, audit.Event.LOGIN_FAILED)
        return JsonResponse({"ok": False, "error": _failed_message()}, status=400)
    kind = auth.check_second_factor(staff, form.cleaned_data["code"])
    if kind is None:
        auth.register_failure(throttle, staff, audit.Event.MFA_FAILED)
        error = _("That code did not work. Codes change every 30 seconds; try the newest one.")
        return JsonResponse({"ok": False, "error": error}, status=400)
    if kind == "recovery":
        audit.record(audit.Event.RECOVERY_CODE_USED, org_id=staff.org_id, actor_id=staff.id)
    if request.user.is_authenticated:
        logout(request)
    auth.complete_login(request, staff)
    return JsonResponse({"ok": True, "csrf": get_token(request), "idle_seconds": settings.SESSION_IDLE_SECONDS})


def _qr_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, xmldecl=False, svgns=True, title=_("QR code"))
    return buffer.getvalue().decode()


@policy(public=True)
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """Forced at first sign-in: nothing else is reachable until an authenticator app is set up."""
    staff = auth.preauth_staff(request)
    if staff is None or staff.mfa_enrolled:
        return redirect("orgs:login")
    if not staff.totp_secret:
        staff.totp_secret = auth.new_totp_secret()
        staff.save(update_fields=["totp_secret"])
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if auth.check_totp(staff, form.cleaned_data["code"]):
            staff.totp_confirmed_at = timezone.now()
            staff.save(update_fields=["totp_confirmed_at"])
            codes = RecoveryCode.issue(staff)
            audit.record(audit.Event.MFA_ENROLLED, org_id=staff.org_id, actor_id=staff.id)
            auth.complete_login(request, staff)
            return TemplateResponse(request, "orgs/recovery_codes.html", {"codes": codes, "first_time": True})
        throttle = auth.throttle_for(staff.username)
        auth.register_failure(throttle, staff, audit.Event.MFA_FAILED)
        form.add_error("code", _("That code did not work. Check the time on your device and try the newest code."))
    context = {
        "form": form,
        "secret": staff.totp_secret,
        "qr": _qr_svg(auth.provisioning_uri(staff)),
    }
    return TemplateResponse(request, "orgs/mfa_setup.html", context)


@policy(public=True)
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    invitation = Invitation.find_usable(token)
    if invitation is None:
        return TemplateResponse(request, "orgs/activate_invalid.html", status=404)
    staff = invitation.staff
    form = SetPasswordForm(staff, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            staff.set_password(form.cleaned_data["password1"])
            staff.totp_secret = ""
            staff.totp_confirmed_at = None
            staff.save()
            invitation.used_at = timezone.now()
            invitation.save(update_fields=["used_at"])
            audit.record(
                audit.Event.STAFF_ACTIVATED,
                org_id=staff.org_id,
                actor_id=staff.id,
                object_type="staff",
                object_id=staff.id,
            )
        messages.success(request, _("Your password is set. Sign in to set up your authenticator app."))
        return redirect("orgs:login")
    return TemplateResponse(request, "orgs/activate.html", {"form": form, "staff": staff})


@policy()
@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """Confirm password and code again before a sensitive action (valid for five minutes)."""
    staff = request.user
    assert isinstance(staff, Staff)
    form = StepUpForm(request.POST or None, initial={"next": request.GET.get("next", "")})
    if request.method == "POST" and form.is_valid():
        throttle = auth.throttle_for(staff.username)
        ok = (
            not throttle.is_locked()
            and staff.check_password(form.cleaned_data["password"])
            and auth.check_totp(staff, form.cleaned_data["code"])
        )
        if ok:
            request.session["wp_step_up_at"] = time.time()
            audit.record(audit.Event.STEP_UP, org_id=staff.org_id, actor_id=staff.id)
            return redirect(safe_next(request, form.cleaned_data["next"]))
        auth.register_failure(throttle, staff, audit.Event.STEP_UP_FAILED)
        form.add_error(None, _("The password or the code did not work. Try again with the newest code."))
    return TemplateResponse(request, "orgs/step_up.html", {"form": form})


@policy()
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    audit.record(audit.Event.LOGOUT, org_id=user.org_id, actor_id=user.id)  # type: ignore[union-attr]
    logout(request)
    return redirect("orgs:login")

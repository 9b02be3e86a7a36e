"""The signed-in user's own account: sessions, recovery codes, language."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from waypoint.core import audit
from waypoint.core.access import deny, policy
from waypoint.core.urls_util import safe_next
from waypoint.orgs import auth
from waypoint.orgs.forms import LanguageForm
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import RecoveryCode, Staff, StaffSession


@policy()
@require_GET
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    remaining = RecoveryCode.objects.filter(staff=staff, used_at__isnull=True).count()
    return TemplateResponse(request, "orgs/account.html", {"staff": staff, "recovery_remaining": remaining})


@policy()
@require_GET
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = StaffSession.objects.filter(staff_id=request.user.pk).order_by("-last_seen_at")
    current = request.session.session_key
    return TemplateResponse(request, "orgs/sessions.html", {"rows": rows, "current": current})


@policy()
@require_POST
def end_session(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """End one of the user's own sessions, chosen by its position in the list (keys never leave)."""
    rows = list(StaffSession.objects.filter(staff_id=request.user.pk).order_by("-last_seen_at"))
    if not 0 <= number < len(rows):
        deny(request, "session")
    target = rows[number]
    if target.session_key == request.session.session_key:
        return sign_out_everywhere_current_only(request)
    target.delete()
    audit.record(audit.Event.SESSIONS_ENDED, org_id=request.user.org_id, actor_id=request.user.pk)
    messages.success(request, _("That session has ended."))
    return redirect("orgs:sessions")


def sign_out_everywhere_current_only(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    audit.record(audit.Event.LOGOUT, org_id=staff.org_id, actor_id=staff.id)
    logout(request)
    return redirect("orgs:login")


@policy()
@require_POST
def end_all_sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    auth.end_all_sessions(staff)
    audit.record(
        audit.Event.SESSIONS_ENDED, org_id=staff.org_id, actor_id=staff.id, object_type="staff", object_id=staff.id
    )
    logout(request)
    return redirect("orgs:login")


@policy()
@require_POST
@auth.require_step_up
def renew_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    codes = RecoveryCode.issue(staff)
    audit.record(audit.Event.RECOVERY_CODES_RENEWED, org_id=staff.org_id, actor_id=staff.id)
    return TemplateResponse(request, "orgs/recovery_codes.html", {"codes": codes, "first_time": False})


@policy(public=True)
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    target = safe_next(request, request.POST.get("next"))
    response = redirect(target)
    if form.is_valid():
        from django.conf import settings

        language = form.cleaned_data["language"]
        request.session["wp_language"] = language
        if request.user.is_authenticated:
            Staff.objects.filter(pk=request.user.pk).update(preferred_language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            secure=settings.HTTPS,
            httponly=True,
            samesite="Lax",
        )
    return response

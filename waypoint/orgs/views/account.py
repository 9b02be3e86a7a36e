"""The signed-in user's own account: sessions, recovery codes, language, what lists of records show."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from waypoint.core.access import deny, policy
from waypoint.core.urls_util import safe_next
from waypoint.orgs import actions, auth
from waypoint.orgs.access import own_sessions, recovery_codes_left, recovery_codes_outdated
from waypoint.orgs.actions import CLINICAL_ROLES
from waypoint.orgs.forms import LanguageForm, PersonLabelsForm
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Staff


@policy()
@require_GET
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    staff = request.user
    context = {
        "staff": staff,
        "recovery_remaining": recovery_codes_left(staff),
        "recovery_outdated": recovery_codes_outdated(staff),
        "labels_form": PersonLabelsForm(initial={"show": staff.show_person_labels}) if _reads_records(staff) else None,
    }
    return TemplateResponse(request, "orgs/account.html", context)


def _reads_records(staff: Staff) -> bool:
    return staff.has_role(*CLINICAL_ROLES)


@policy(*CLINICAL_ROLES)
@require_POST
def person_labels(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own choice to see initials or aliases in lists of records (a checkbox: unticked is off)."""
    form = PersonLabelsForm(request.POST)
    show = form.is_valid() and bool(form.cleaned_data["show"])
    if show != request.user.show_person_labels:
        actions.set_person_labels(request.user, show)
    if show:
        messages.success(request, _("Lists of records now show initials or another name beside the code."))
    else:
        messages.success(request, _("Lists of records now show reference codes only."))
    return redirect("orgs:account")


@policy()
@require_GET
def sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"rows": own_sessions(request.user), "current": request.session.session_key}
    return TemplateResponse(request, "orgs/sessions.html", context)


@policy()
@require_POST
def end_session(request: AuthenticatedHttpRequest, number: int) -> HttpResponse:
    """End one of the user's own sessions, chosen by its position in the list (keys never leave)."""
    rows = list(own_sessions(request.user))
    if not 0 <= number < len(rows):
        deny(request, "session")
    target = rows[number]
    if target.session_key == request.session.session_key:
        return _sign_out(request)
    actions.end_session(request.user, target)
    messages.success(request, _("That session has ended."))
    return redirect("orgs:sessions")


def _sign_out(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ending the current session is signing out."""
    actions.signed_out(request.user)
    logout(request)
    return redirect("orgs:login")


@policy()
@require_POST
def end_all_sessions(request: AuthenticatedHttpRequest) -> HttpResponse:
    actions.end_all_sessions(request.user)
    logout(request)
    return redirect("orgs:login")


@policy()
@require_POST
@auth.require_step_up
def renew_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    codes = actions.renew_recovery_codes(request.user)
    return TemplateResponse(request, "orgs/recovery_codes.html", {"codes": codes, "first_time": False})


@policy(public=True)
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    target = safe_next(request, request.POST.get("next"))
    response = redirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        request.session["wp_language"] = language
        if isinstance(request.user, Staff):  # signed in: their next sign-in starts in this language
            actions.set_preferred_language(request.user, language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            secure=settings.HTTPS,
            httponly=True,
            samesite="Lax",
        )
    return response

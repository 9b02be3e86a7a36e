"""Organisation admin: staff invitations, roles, deactivation, and organisation settings."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.mail import send_mail
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.core.access import policy
from waypoint.orgs import actions, auth, discretion, jurisdiction
from waypoint.orgs.access import get_staff, sign_in_paused_until, staff_for
from waypoint.orgs.actions import CLINICAL_ROLES
from waypoint.orgs.forms import DiscretionForm, InviteForm, JurisdictionForm, OrganisationForm, RolesForm, SiteForm
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role, Staff, activation_link

ADMIN = Role.ORG_ADMIN
CLINICAL = {role.value for role in CLINICAL_ROLES}


@policy(ADMIN)
@require_http_methods(["GET"])
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = staff_for(request.user).order_by("display_name")
    return TemplateResponse(request, "orgs/staff_list.html", {"rows": rows})


def _invitation_page(request: AuthenticatedHttpRequest, staff: Staff, token: str) -> HttpResponse:
    """Show the activation link once, and e-mail it when the account has an address."""
    link = activation_link(request.build_absolute_uri(reverse("orgs:activate")), token)
    if staff.email:
        send_mail(
            _("Your Waypoint account"),
            _("An administrator created a Waypoint account for you. Set your password within 24 hours: %(link)s")
            % {"link": link},
            settings.DEFAULT_FROM_EMAIL,
            [staff.email],
        )
    return TemplateResponse(request, "orgs/invitation_link.html", {"staff": staff, "link": link})


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def staff_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if set(data["roles"]) & CLINICAL and not auth.step_up_is_recent(request):
            return auth.step_up_redirect(request, reverse("orgs:staff_invite"))  # nothing made yet
        staff, token = actions.invite_staff(
            request.user, data["username"], data["display_name"], data["email"], data["roles"]
        )
        return _invitation_page(request, staff, token)
    return TemplateResponse(request, "orgs/staff_invite.html", {"form": form})


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def staff_detail(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    """Roles.  Changing them needs a recent step-up (a POST without one changes nothing and comes
    back here through the step-up page); one's own roles are not offered (another admin changes them)."""
    staff = get_staff(request, staff_id)
    here = reverse("orgs:staff_detail", kwargs={"staff_id": staff.id})
    if request.method == "POST" and not auth.step_up_is_recent(request):
        return auth.step_up_redirect(request, here)
    initial = {"roles": [r.value for r in staff.roles], "interviews_as": staff.interviews_as}
    form = RolesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.change_roles(request.user, staff, form.cleaned_data["roles"], form.cleaned_data["interviews_as"])
        except actions.Refused as refused:
            form.add_error("roles", refused.message)
        else:
            messages.success(request, _("Roles saved. They apply from this person's next page."))
            return redirect(here)
    context = {
        "member": staff,
        "form": form,
        "pending": staff.invitation_pending,
        "is_self": staff.pk == request.user.pk,
        "paused_until": sign_in_paused_until(staff),
    }
    return TemplateResponse(request, "orgs/staff_detail.html", context)


def _change_and_back(
    request: AuthenticatedHttpRequest, staff_id: uuid.UUID, change: Callable[[Staff, Staff], None], done: str
) -> HttpResponse:
    """Apply one account change from the staff page, then back to it with what happened."""
    staff = get_staff(request, staff_id)
    try:
        change(request.user, staff)
    except actions.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return redirect("orgs:staff_detail", staff_id=staff.id)


@policy(ADMIN)
@require_POST
@auth.require_step_up
def staff_deactivate(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    done = _("Deactivated. All of this person's sessions have ended.")
    return _change_and_back(request, staff_id, actions.deactivate_staff, done)


@policy(ADMIN)
@require_POST
@auth.require_step_up
def staff_reactivate(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    """Reactivation gives sign-in back, with every role the account holds: step-up first."""
    return _change_and_back(
        request, staff_id, actions.reactivate_staff, _("Reactivated. This person can sign in again.")
    )


@policy(ADMIN)
@require_POST
def staff_unlock(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    """End a sign-in pause (after too many failed attempts) for a staff member of this organisation."""
    staff = get_staff(request, staff_id)
    actions.unlock_sign_in(request.user, staff)
    messages.success(request, _("Sign-in is unlocked. This person can try again now."))
    return redirect("orgs:staff_detail", staff_id=staff.id)


@policy(ADMIN)
@require_POST
def staff_reinvite(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    staff = get_staff(request, staff_id)
    try:
        token = actions.reinvite_staff(request.user, staff)
    except actions.Refused as refused:
        messages.error(request, refused.message)
        return redirect("orgs:staff_detail", staff_id=staff.id)
    return _invitation_page(request, staff, token)


def _settings_page(request: AuthenticatedHttpRequest, form: OrganisationForm, site_form: SiteForm) -> HttpResponse:
    context = {"form": form, "site_form": site_form, "org": request.user.org}
    return TemplateResponse(request, "orgs/settings.html", context)


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def org_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organisation's name and sites, with links to its other settings pages."""
    form = OrganisationForm(request.POST or None, instance=request.user.org, prefix="org")
    if request.method == "POST" and form.is_valid():
        actions.change_org_settings(request.user, form)
        messages.success(request, _("Settings saved."))
        return redirect("orgs:settings")
    return _settings_page(request, form, SiteForm(prefix="site"))


@policy(ADMIN)
@require_POST
def site_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    site_form = SiteForm(request.POST, prefix="site")
    if site_form.is_valid():
        actions.add_site(request.user, site_form)
        messages.success(request, _("Site added."))
        return redirect("orgs:settings")
    return _settings_page(request, OrganisationForm(instance=request.user.org, prefix="org"), site_form)


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def jurisdiction_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Minors and jurisdiction (``waypoint.orgs.jurisdiction``)."""
    form = JurisdictionForm(request.POST or None, instance=request.user.org)
    if request.method == "POST" and form.is_valid():
        actions.save_jurisdiction(request.user, form)
        messages.success(request, _("Saved. Providers see these rules wherever a minor's record is handled."))
        return redirect("orgs:jurisdiction")
    context = {"form": form, "panel": jurisdiction.panel(request.user.org)}
    return TemplateResponse(request, "orgs/settings_jurisdiction.html", context)


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def discretion_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Quick exit, the browser tab's name and the steps for a call (``waypoint.orgs.discretion``)."""
    form = DiscretionForm(request.POST or None, instance=request.user.org)
    if request.method == "POST" and form.is_valid():
        actions.save_discretion(request.user, form)
        messages.success(request, _("Saved. It applies from each person's next page."))
        return redirect("orgs:discretion")
    context = {"form": form, "default_phone_steps": discretion.default_phone_steps()}
    return TemplateResponse(request, "orgs/settings_discretion.html", context)

"""Organisation admin: staff invitations, roles, deactivation, and organisation settings."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.mail import send_mail
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.core import audit
from waypoint.core.access import policy
from waypoint.orgs import auth
from waypoint.orgs.access import get_staff
from waypoint.orgs.forms import InviteForm, OrganisationForm, RolesForm, SiteForm
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Invitation, Role, Staff

ADMIN = Role.ORG_ADMIN


@policy(ADMIN)
@require_http_methods(["GET"])
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = Staff.objects.filter(org_id=request.user.org_id).order_by("display_name")
    return TemplateResponse(request, "orgs/staff_list.html", {"rows": rows})


def _send_invitation(request: AuthenticatedHttpRequest, staff: Staff, link: str) -> None:
    if staff.email:
        send_mail(
            _("Your Waypoint account"),
            _("An administrator created a Waypoint account for you. Set your password within 24 hours: %(link)s")
            % {"link": link},
            settings.DEFAULT_FROM_EMAIL,
            [staff.email],
        )


def _issue_link(request: AuthenticatedHttpRequest, staff: Staff) -> str:
    _invitation, token = Invitation.issue(staff, request.user)
    link = request.build_absolute_uri(reverse("orgs:activate", args=[token]))
    _send_invitation(request, staff, link)
    audit.record_for(request, audit.Event.STAFF_INVITED, staff)
    return link


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def staff_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        staff = Staff.objects.create_user(
            data["username"],
            org=request.user.org,
            display_name=data["display_name"],
            email=data["email"],
            **{f"is_{role}": True for role in data["roles"]},  # type: ignore[arg-type]
        )
        link = _issue_link(request, staff)
        return TemplateResponse(request, "orgs/invitation_link.html", {"staff": staff, "link": link})
    return TemplateResponse(request, "orgs/staff_invite.html", {"form": form})


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def staff_detail(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    staff = get_staff(request, staff_id)
    form = RolesForm(request.POST or None, initial={"roles": [r.value for r in staff.roles]})
    if request.method == "POST" and form.is_valid():
        chosen = set(form.cleaned_data["roles"])
        admins_left = Staff.objects.filter(org_id=staff.org_id, is_org_admin=True, is_active=True).exclude(pk=staff.pk)
        if Role.ORG_ADMIN not in chosen and staff.is_org_admin and not admins_left.exists():
            form.add_error("roles", _("An organisation needs at least one active admin. Add another admin first."))
        else:
            for role in Role:
                setattr(staff, f"is_{role.value}", role.value in chosen)
            staff.save()
            audit.record_for(request, audit.Event.STAFF_ROLES_CHANGED, staff)
            messages.success(request, _("Roles saved. They apply from this person's next page."))
            return redirect("orgs:staff_detail", staff_id=staff.id)
    pending = staff.invitations.filter(used_at__isnull=True).exists() and not staff.has_usable_password()
    context = {"member": staff, "form": form, "pending": pending, "is_self": staff.pk == request.user.pk}
    return TemplateResponse(request, "orgs/staff_detail.html", context)


@policy(ADMIN)
@require_POST
@auth.require_step_up
def staff_deactivate(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    staff = get_staff(request, staff_id)
    if staff.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account."))
        return redirect("orgs:staff_detail", staff_id=staff.id)
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    auth.end_all_sessions(staff)
    audit.record_for(request, audit.Event.STAFF_DEACTIVATED, staff)
    messages.success(request, _("Deactivated. All of this person's sessions have ended."))
    return redirect("orgs:staff_detail", staff_id=staff.id)


@policy(ADMIN)
@require_POST
def staff_reactivate(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    staff = get_staff(request, staff_id)
    staff.is_active = True
    staff.save(update_fields=["is_active"])
    audit.record_for(request, audit.Event.STAFF_REACTIVATED, staff)
    messages.success(request, _("Reactivated. This person can sign in again."))
    return redirect("orgs:staff_detail", staff_id=staff.id)


@policy(ADMIN)
@require_POST
def staff_reinvite(request: AuthenticatedHttpRequest, staff_id: uuid.UUID) -> HttpResponse:
    staff = get_staff(request, staff_id)
    if staff.has_usable_password():
        messages.error(request, _("This account is already active."))
        return redirect("orgs:staff_detail", staff_id=staff.id)
    link = _issue_link(request, staff)
    return TemplateResponse(request, "orgs/invitation_link.html", {"staff": staff, "link": link})


@policy(ADMIN)
@require_http_methods(["GET", "POST"])
def org_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    org = request.user.org
    form = OrganisationForm(request.POST or None, instance=org, prefix="org")
    site_form = SiteForm(prefix="site")
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record_for(request, audit.Event.ORG_SETTINGS_CHANGED, org)
        messages.success(request, _("Settings saved."))
        return redirect("orgs:settings")
    return TemplateResponse(request, "orgs/settings.html", {"form": form, "site_form": site_form, "org": org})


@policy(ADMIN)
@require_POST
def site_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    org = request.user.org
    site_form = SiteForm(request.POST, prefix="site")
    if site_form.is_valid():
        site = site_form.save(commit=False)
        site.org = org
        site.save()
        audit.record_for(request, audit.Event.ORG_SETTINGS_CHANGED, org)
        messages.success(request, _("Site added."))
        return redirect("orgs:settings")
    form = OrganisationForm(instance=org, prefix="org")
    return TemplateResponse(request, "orgs/settings.html", {"form": form, "site_form": site_form, "org": org})

"""This app's sections of the home page: the organisation's settings (org admins), and the set-up
items of the organisation's own pages.  The see-alone policy's and retention's items are registered
here too, by page name and audit event, so the set-up list reads in one place what "done" means."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from waypoint.core.registry import HomePanel, SetupState, home_panels, setup_items
from waypoint.core.setup import SetupStep, by_event
from waypoint.orgs import orientation
from waypoint.orgs.access import staff_for
from waypoint.orgs.models import Role, Site


def _admin(request: HttpRequest) -> dict[str, Any] | None:
    user: Any = request.user
    return {} if user.has_role(Role.ORG_ADMIN) else None


def _sites(request: HttpRequest) -> SetupState:
    user: Any = request.user
    return SetupState(done=Site.objects.filter(org_id=user.org_id).exists())


def _staff(request: HttpRequest) -> SetupState:
    """Done when at least one provider is active and every active staff member is oriented; when is
    the latest confirmation among them."""
    user: Any = request.user
    active = staff_for(user).filter(is_active=True)
    rows = orientation.staff_rows(active, user.org.orientation_every_days)
    has_provider = any(row.staff.is_provider for row in rows)
    if not has_provider or not all(row.current for row in rows):
        return SetupState(done=False)
    return SetupState(done=True, at=max((row.confirmed_at for row in rows if row.confirmed_at), default=None))


def register() -> None:
    home_panels.register("admin", HomePanel("orgs/home_admin.html", 50, _admin))
    items = [
        by_event(
            _("See-alone policy"),
            _("Decide whether every person is seen alone for part of every visit, and the words that say so."),
            "encounters:see_alone_policy",
            30,
            "org.see_alone_saved",
        ),
        SetupStep(
            _("Sites"),
            "orgs:settings",
            40,
            _sites,
            why=_("Encounters, front-desk requests and the see-alone report are kept per site."),
        ),
        SetupStep(
            _("Staff invited and oriented"),
            "orgs:orientation_admin",
            50,
            _staff,
            why=_(
                "At least one provider, and every staff member has read the orientation: staff not oriented "
                "cannot run a separation."
            ),
        ),
        by_event(
            _("Neutral exit page"),
            _("Where the Exit button takes the browser: a page that looks ordinary to anyone watching."),
            "orgs:discretion",
            60,
            "org.discretion_saved",
        ),
        by_event(
            _("Minors and jurisdiction"),
            _("The age under which the minor steps apply, who may consent for a minor, and where reports go."),
            "orgs:jurisdiction",
            70,
            "org.jurisdiction_saved",
        ),
        by_event(
            _("Retention"),
            _("How long notes, answers, closed records and audit rows are kept before they are removed."),
            "retention:settings",
            80,
            "retention.policy_saved",
        ),
    ]
    for item in items:
        setup_items.register(item.url_name.replace(":", "_"), item)

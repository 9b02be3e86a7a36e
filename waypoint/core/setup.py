"""The set-up list on an organisation administrator's home page: what the apps say must be set up
before providers rely on it (``waypoint.core.registry.setup_items``), what is still to do first.

Each item says why (one sentence) and links to its page; a done item says who did it and when.
Items marked done by an audit event (``SetupStep.event``: "the see-alone policy was saved") are
answered together: one query for the latest row of every such event in the organisation, one for
the names of whoever wrote them, whatever the number of items.  The list heads the page while
anything is to do, and folds to one line once everything is done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from waypoint.core.models import AuditEvent
from waypoint.core.registry import HomePanel, SetupItem, SetupState, home_panels, setup_items

ORDER_WHEN_TO_DO = 1  # heads the home page while anything is to do
ORDER_WHEN_DONE = 95  # then one line near the end


@dataclass(frozen=True)
class SetupStep(SetupItem):
    """A set-up item with the sentence that says why it matters, and (``event``) the audit event
    whose latest row in the organisation marks it done (its actor and time are who and when)."""

    why: Any = ""
    event: str = ""


def by_event(label: Any, why: Any, url_name: str, order: int, event: str) -> SetupStep:
    """An item done once the organisation has a row of ``event`` (a settings page's save)."""
    return SetupStep(label, url_name, order, _done_by(event), why=why, event=event)


def _done_by(event: str) -> Callable[[HttpRequest], SetupState]:
    def state(request: HttpRequest) -> SetupState:
        return latest_events(request).get(event, SetupState(done=False))

    return state


def latest_events(request: HttpRequest) -> dict[str, SetupState]:
    """Event code -> done, by whom and when (the latest row in the user's organisation), for every
    registered item marked by an event; asked once per request."""
    kept: dict[str, SetupState] | None = getattr(request, "_wp_setup_events", None)
    if kept is not None:
        return kept
    user: Any = request.user
    codes = {item.event for item in setup_items if isinstance(item, SetupStep) and item.event}
    rows = AuditEvent.objects.filter(org_id=user.org_id, event__in=codes)
    latest = {row["event"]: row["last"] for row in rows.values("event").annotate(last=Max("id"))}
    found = list(AuditEvent.objects.filter(id__in=latest.values()).values("event", "actor_id", "at"))
    names = staff_names(request, {row["actor_id"] for row in found if row["actor_id"]})
    kept = {row["event"]: SetupState(True, names.get(row["actor_id"], ""), row["at"]) for row in found}
    request._wp_setup_events = kept  # type: ignore[attr-defined]
    return kept


def staff_names(request: HttpRequest, ids: set[Any]) -> dict[Any, str]:
    """Display names of staff of the user's organisation (who did a set-up item), in one query."""
    if not ids:
        return {}
    user: Any = request.user
    staff = get_user_model().objects.filter(pk__in=ids, org_id=user.org_id)
    return {member.pk: str(member) for member in staff}


def _url(name: str) -> str:
    """The item's page; "" while the app that owns it has not made it (the label then shows unlinked)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _setup(request: HttpRequest) -> dict[str, Any] | None:
    """The list for an org admin (asked once per request: both panels below read it)."""
    if not getattr(request.user, "is_org_admin", False) or not len(setup_items):
        return None
    kept: dict[str, Any] | None = getattr(request, "_wp_setup", None)
    if kept is not None:
        return kept
    rows = []
    for item in sorted(setup_items, key=lambda item: item.order):
        state = item.state(request)
        why = item.why if isinstance(item, SetupStep) else ""
        rows.append({"label": item.label, "why": why, "url": _url(item.url_name), "state": state})
    rows.sort(key=lambda row: row["state"].done)  # still to do first, each group in its order
    kept = {"setup_items": rows, "to_do": sum(not row["state"].done for row in rows)}
    request._wp_setup = kept  # type: ignore[attr-defined]
    return kept


def _to_do(request: HttpRequest) -> dict[str, Any] | None:
    found = _setup(request)
    return found if found is not None and found["to_do"] else None


def _complete(request: HttpRequest) -> dict[str, Any] | None:
    found = _setup(request)
    return found if found is not None and not found["to_do"] else None


def register() -> None:
    home_panels.register("setup", HomePanel("core/home_setup.html", ORDER_WHEN_TO_DO, _to_do))
    home_panels.register("setup_complete", HomePanel("core/home_setup.html", ORDER_WHEN_DONE, _complete))

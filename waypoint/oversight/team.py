"""The supervisor's view of the team on the home page: per staff member, counts only, never a
person's name, initials or reference code.

Open encounters they lead, front-desk separation requests they took today, their overdue follow-ups
and the safety plans of the people assigned to them whose review is due or overdue; and how many
requests wait for a provider.  Each number comes from one aggregate query through the apps' access
functions (the supervisor's own organisation only), so the page's cost does not grow with the rows:
five queries whatever the size of the team."""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone

from waypoint.contact.access import tasks_for
from waypoint.contact.models import TaskStatus
from waypoint.encounters.access import encounters_for, separation_requests_for
from waypoint.encounters.separation import RequestStatus
from waypoint.orgs.models import Role, Staff
from waypoint.plans.access import plans_for


@dataclass(frozen=True)
class TeamRow:
    name: str
    open_encounters: int = 0
    requests_taken: int = 0
    overdue_follow_ups: int = 0
    reviews_due: int = 0


@dataclass(frozen=True)
class Team:
    rows: list[TeamRow]
    unassigned: TeamRow  # follow-ups nobody is assigned to, plans of people nobody is assigned to
    waiting: int  # front-desk requests no provider has taken yet


def _counts(pairs: Any) -> Counter[uuid.UUID | None]:
    return Counter({key: n for key, n in pairs})


def team_for(user: Any) -> Team:
    today = timezone.localdate()
    day_start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    open_encounters = _counts(
        encounters_for(user).filter(closed_at__isnull=True).order_by().values_list("lead_id").annotate(n=Count("id"))
    )
    requests = separation_requests_for(user).filter(
        Q(status=RequestStatus.OPEN) | Q(taken_by_id__isnull=False, created_at__gte=day_start)
    )
    by_taker: Counter[uuid.UUID | None] = Counter()
    waiting = 0
    for status, taker, n in requests.order_by().values_list("status", "taken_by_id").annotate(n=Count("id")):
        if status == RequestStatus.OPEN:
            waiting += n
        else:
            by_taker[taker] += n
    overdue = _counts(
        tasks_for(user)
        .filter(Q(overdue=True) | Q(due_on__lt=today), status=TaskStatus.OPEN)
        .order_by()
        .values_list("assigned_to_id")
        .annotate(n=Count("id"))
    )
    reviews = _counts(
        plans_for(user)
        .filter(review_on__lte=today)
        .order_by()
        .values_list("person__assigned_staff")
        .annotate(n=Count("id", distinct=True))
    )
    named = {key for key in [*open_encounters, *by_taker, *overdue, *reviews] if key is not None}
    staff = Staff.objects.filter(org_id=user.org_id).filter(Q(is_provider=True, is_active=True) | Q(id__in=named))
    rows = [
        TeamRow(
            name=member.display_name or member.username,
            open_encounters=open_encounters[member.id],
            requests_taken=by_taker[member.id],
            overdue_follow_ups=overdue[member.id],
            reviews_due=reviews[member.id],
        )
        for member in staff.only("id", "display_name", "username").order_by("display_name", "username")
    ]
    unassigned = TeamRow(name="", overdue_follow_ups=overdue[None], reviews_due=reviews[None])
    return Team(rows=rows, unassigned=unassigned, waiting=waiting)


def team_panel(request: HttpRequest) -> dict[str, Any] | None:
    """The home page's team panel, for supervisors."""
    user: Any = request.user
    if not user.has_role(Role.SUPERVISOR):
        return None
    return {"team": team_for(user)}

"""The see-alone adherence report: per site and month, how many in-person visits there were, in how
many the person was seen alone for at least part of the visit, the share, and how the privacy step
was recorded when they were not (by the gate's choice: "not seen alone yet", "not possible", or not
recorded; never the free-text reason, which may describe the person).

Counts only, for the organisation's supervisors, admins and auditors (everyone else gets 404): no
person's data, so no read row.  Small numbers are shown as they are: the report stays inside the
organisation (reports that leave it suppress cells under 5).  The privacy gate is encrypted, so the
encounters of the last twelve months are read in one query (id-free: site, start, gate) and counted
here in one pass; the page's queries do not grow with the encounters.  Months are calendar months in
the server's time zone (``TIME_ZONE``)."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from waypoint.core.access import policy
from waypoint.encounters.models import Encounter, Gate, Mode
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.orgs.models import Role, Site

READERS = (Role.SUPERVISOR, Role.ORG_ADMIN, Role.AUDITOR)
MONTHS = 12
NO_SITE = None  # the key of encounters recorded without a site


def visits_for(user: Any) -> QuerySet[Encounter]:
    """The access rule of this report: the in-person encounters of the reader's organisation, for
    its supervisors, admins and auditors (counted, never listed); none for anyone else."""
    if not user.is_authenticated or not user.has_role(*READERS):
        return Encounter.objects.none()
    return Encounter.objects.filter(org_id=user.org_id, mode=Mode.IN_PERSON)


def sites_for(user: Any) -> QuerySet[Site]:
    if not user.is_authenticated or not user.has_role(*READERS):
        return Site.objects.none()
    return Site.objects.filter(org_id=user.org_id).order_by("name", "id")


@dataclass
class Cell:
    """One site's visits in one month (or over the twelve months)."""

    visits: int = 0
    alone: int = 0
    not_alone_yet: int = 0
    not_possible: int = 0
    not_recorded: int = 0

    def add(self, gate: str) -> None:
        self.visits += 1
        if gate == Gate.ALONE:
            self.alone += 1
        elif gate == Gate.NOT_ALONE:
            self.not_alone_yet += 1
        elif gate == Gate.NOT_POSSIBLE:
            self.not_possible += 1
        else:
            self.not_recorded += 1

    @property
    def share(self) -> int | None:
        """The share seen alone, a whole percentage rounded half up (None without visits)."""
        return (200 * self.alone + self.visits) // (2 * self.visits) if self.visits else None


@dataclass(frozen=True)
class Month:
    start: datetime.date  # the first day

    @property
    def key(self) -> tuple[int, int]:
        return (self.start.year, self.start.month)


@dataclass
class SiteRows:
    name: str
    site_id: uuid.UUID | None
    months: list[tuple[Month, Cell]]
    total: Cell = field(default_factory=Cell)


@dataclass(frozen=True)
class ChartBar:
    month: Month
    cell: Cell
    y: int
    width: int  # of the bar, out of BAR_WIDTH


@dataclass(frozen=True)
class Report:
    months: list[Month]  # newest first
    sites: list[SiteRows]
    overall: list[tuple[Month, Cell]]
    total: Cell
    bars: list[ChartBar]
    chart_height: int


def last_months(today: datetime.date, count: int = MONTHS) -> list[Month]:
    """The ``count`` calendar months up to the one of ``today``, newest first."""
    year, month = today.year, today.month
    found = []
    for _step in range(count):
        found.append(Month(datetime.date(year, month, 1)))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found


BAR_X, BAR_WIDTH, ROW_HEIGHT = 150, 300, 28


def adherence_for(user: Any, now: datetime.datetime | None = None) -> Report:
    """The report for ``user``'s organisation: two queries (the sites; the in-person encounters of
    the period with their site, start and gate), whatever the number of encounters."""
    local_now = timezone.localtime(now or timezone.now())
    months = last_months(local_now.date())
    since = timezone.make_aware(datetime.datetime.combine(months[-1].start, datetime.time.min))
    cells: dict[tuple[uuid.UUID | None, tuple[int, int]], Cell] = defaultdict(Cell)
    rows = (
        visits_for(user)
        .filter(started_at__gte=since)
        .order_by()
        .only("id", "org_id", "person_id", "site_id", "started_at", "gate")
    )
    for encounter in rows.iterator(chunk_size=2000):
        started = timezone.localtime(encounter.started_at)
        cells[(encounter.site_id, (started.year, started.month))].add(str(encounter.gate or ""))
    named: list[tuple[str, uuid.UUID | None]] = [(site.name, site.id) for site in sites_for(user).only("id", "name")]
    sites = []
    for name, site_id in [*named, (str(_("No site recorded")), NO_SITE)]:
        rows_of_site = SiteRows(name, site_id, [(m, cells.get((site_id, m.key), Cell())) for m in months])
        for _month, cell in rows_of_site.months:
            _merge(rows_of_site.total, cell)
        sites.append(rows_of_site)
    overall = [(m, _sum(cells.get((site.site_id, m.key), Cell()) for site in sites)) for m in months]
    total = _sum(cell for _month, cell in overall)
    bars = [
        ChartBar(m, cell, y=i * ROW_HEIGHT, width=(BAR_WIDTH * (cell.share or 0)) // 100)
        for i, (m, cell) in enumerate(reversed(overall))
    ]
    return Report(months, sites, overall, total, bars, chart_height=len(bars) * ROW_HEIGHT)


def _merge(into: Cell, cell: Cell) -> None:
    into.visits += cell.visits
    into.alone += cell.alone
    into.not_alone_yet += cell.not_alone_yet
    into.not_possible += cell.not_possible
    into.not_recorded += cell.not_recorded


def _sum(cells: Any) -> Cell:
    total = Cell()
    for cell in cells:
        _merge(total, cell)
    return total


@policy(*READERS)
@require_GET
def adherence(request: AuthenticatedHttpRequest) -> HttpResponse:
    report = adherence_for(request.user)
    context = {"report": report, "bar_x": BAR_X, "bar_width": BAR_WIDTH, "row_height": ROW_HEIGHT}
    return TemplateResponse(request, "oversight/adherence.html", context)

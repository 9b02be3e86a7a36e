"""The safe-to-carry gate: paper is printed only when the person said carrying it is safe.

Deny by default.  "Not asked" refuses.  A later safety check that recorded the hotline card as
"not safe to carry" overrides an earlier "safe" on the plan, until someone asks again.  A "safe"
answer allows printing for one hour: after that, Waypoint asks again (situations change)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from waypoint.encounters.models import Education, Encounter
from waypoint.plans.models import Carry, SafetyPlan

ANSWER_LASTS = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class CarryState:
    value: str
    from_safety_check: bool
    at: datetime.datetime | None

    @property
    def expired(self) -> bool:
        return self.value == Carry.SAFE and (self.at is None or timezone.now() - self.at > ANSWER_LASTS)

    @property
    def may_print(self) -> bool:
        return self.value == Carry.SAFE and not self.expired

    @property
    def label(self) -> str:
        return str(Carry(self.value).label)


def carry_state(plan: SafetyPlan) -> CarryState:
    unsafe_check = (
        Encounter.objects.filter(person_id=plan.person_id, education=Education.UNSAFE)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if unsafe_check is not None and (plan.carry_recorded_at is None or unsafe_check > plan.carry_recorded_at):
        return CarryState(Carry.UNSAFE, True, unsafe_check)
    return CarryState(plan.carry, False, plan.carry_recorded_at)

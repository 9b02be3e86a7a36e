"""The safe-to-carry gate: paper is printed only when the person said carrying it is safe.

Deny by default.  "Not asked" refuses.  A later safety check that recorded the hotline card as
"not safe to carry", or a "no" or "unsure" to "Are you able to take any resources with you when you
leave here?", overrides an earlier "safe" on the plan, until someone asks again.  A "safe"
answer allows printing for one hour: after that, Waypoint asks again (situations change)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.utils import timezone

from waypoint.encounters.models import latest_unsafe_carry_signal
from waypoint.plans.models import Carry, SafetyPlan

ANSWER_LASTS = datetime.timedelta(hours=1)
TAKE_RESOURCES = "take_resources"  # "Are you able to take any resources with you when you leave here?"


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


def _latest_unsafe_signal(person_id: uuid.UUID) -> datetime.datetime | None:
    return latest_unsafe_carry_signal(person_id, TAKE_RESOURCES)


def carry_state(plan: SafetyPlan) -> CarryState:
    unsafe_check = _latest_unsafe_signal(plan.person_id)
    if unsafe_check is not None and (plan.carry_recorded_at is None or unsafe_check > plan.carry_recorded_at):
        return CarryState(Carry.UNSAFE, True, unsafe_check)
    return CarryState(plan.carry, False, plan.carry_recorded_at)

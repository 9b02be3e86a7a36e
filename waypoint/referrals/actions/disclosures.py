"""Recording compelled disclosures (a mandated report, a court order, a subpoena, the child
protective services report of an encounter).  Each is one atomic transaction with its audit row
(ids only); when the person is to be told, a follow-up to tell them is made through the contact
app's actions in the same transaction, on a channel their rules allow (or, when none is, for the
next in-person meeting), assigned to their assigned provider, with neutral words only.

Defends against: a "tell them" follow-up on a channel the person forbade (the contact app's guard
decides, as for every follow-up); details of the disclosure on a follow-up task or in the audit log;
a disclosure recorded twice by a double submit (the form's token).

Does not defend against: a provider who tells the person in a way the rules forbid, outside the
app."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from waypoint.contact import actions as contact_actions
from waypoint.contact import assign, guard
from waypoint.contact.models import ContactRules, FollowUpTask
from waypoint.core import audit
from waypoint.core.concurrency import previous_result, remember_result
from waypoint.people.models import Person
from waypoint.referrals.events import DisclosureEvent
from waypoint.referrals.models import Disclosure, DisclosureKind

TOKEN_KIND = "disclosure"  # noqa: S105  (the idempotency key's object type, not a secret)


def tell_task_text() -> str:
    """The follow-up's words: neutral, no details of what was disclosed or to whom."""
    return gettext("Tell them about a disclosure the law required")


def _assignee(person: Person, staff: Any) -> Any:
    """The person's assigned provider (or supervisor) when there is an active one, else ``staff``;
    the person's wish for a male or female interviewer is then honoured by ``assign.choose``."""
    assigned = assign.candidates(person).filter(assigned_people=person).order_by("-is_provider", "display_name").first()
    return assign.choose(person, assigned or staff)


def add_tell_task(staff: Any, person: Person, due_on: datetime.date | None = None) -> FollowUpTask:
    """The follow-up to tell the person: on their best way when the rules allow it, else the first
    channel they allow, else at the next in-person meeting (no channel at all)."""
    due_on = due_on or timezone.localdate()
    rules = ContactRules.objects.filter(person_id=person.id).first()
    allowed = guard.usable_channels(rules)
    assignee = _assignee(person, staff)
    if rules is not None and rules.best_way in allowed:
        channel = rules.best_way
    else:
        channel = allowed[0] if allowed else ""
    if not channel:
        return contact_actions.add_in_person_task(
            staff, person, due_on=due_on, assignee=assignee, what=tell_task_text()
        )
    return contact_actions.add_task(
        staff, person, due_on=due_on, channel=channel, assignee=assignee, what=tell_task_text()
    )


def record_disclosure(staff: Any, person: Person, data: dict[str, Any]) -> Disclosure:
    """Record a disclosure from the form's cleaned ``data``.  A second submit of the same form (same
    ``form_token``) records nothing and returns the first one, also when both arrive at once."""
    token = data.get("form_token")
    try:
        return _record_once(staff, person, data, token)
    except IntegrityError:
        earlier = previous_result(staff.id, token, TOKEN_KIND)
        if earlier is None:
            raise
        return Disclosure.objects.get(pk=earlier)


@transaction.atomic
def _record_once(staff: Any, person: Person, data: dict[str, Any], token: uuid.UUID | None) -> Disclosure:
    earlier = previous_result(staff.id, token, TOKEN_KIND)
    if earlier is not None:
        return Disclosure.objects.get(pk=earlier)
    tell = data.get("tell") == "yes"
    disclosure = Disclosure(
        org_id=person.org_id, person=person, kind=data["kind"], what=data["what"], to_whom=data["to_whom"],
        legal_basis=data["legal_basis"], disclosed_on=data["disclosed_on"], tell_person=tell,
        not_telling_reason="" if tell else data.get("not_telling_reason", ""), created_by_id=staff.id,
    )  # fmt: skip
    if tell:
        disclosure.task_id = add_tell_task(staff, person).id
    disclosure.save()
    remember_result(staff.id, token, TOKEN_KIND, disclosure.id)
    audit.record_by(staff, DisclosureEvent.RECORDED, disclosure)
    return disclosure


def cps_what() -> str:
    return gettext("Child protective services report")


def cps_legal_basis() -> str:
    return gettext("Mandated report: minor")


@transaction.atomic
def record_child_protection(
    staff: Any,
    person: Person,
    *,
    encounter_id: uuid.UUID,
    agency: str,
    reported_on: datetime.date | None,
    told_first: bool,
    danger_reason: str | None = "",
) -> Disclosure:
    """The disclosure log's row for an encounter's child protective services report (made, not only
    deferred), created or updated; called inside the encounter step's own transaction.  The young
    person told first needs no follow-up; otherwise a follow-up to tell them is made once, unless
    ``danger_reason`` says telling them would put them in danger.

    Saved again (the step reopened to correct the agency, say): a danger recorded earlier stays
    recorded unless the provider cleared the reason on purpose (``danger_reason`` given empty: the
    step's field, shown filled, was emptied); ``None`` means the reason was not asked this time, and
    what was recorded stands.  A danger reason added after the follow-up to tell them was made
    closes that follow-up (through the contact app, audited).  Every save of an existing row is
    audited (``DisclosureEvent.UPDATED``)."""
    found = Disclosure.objects.select_for_update().filter(person_id=person.id, source_encounter_id=encounter_id)
    disclosure = next((d for d in found if d.kind == DisclosureKind.CHILD_PROTECTION), None)  # the kind is encrypted
    created = disclosure is None
    if disclosure is None:
        disclosure = Disclosure(
            org_id=person.org_id, person=person, kind=DisclosureKind.CHILD_PROTECTION,
            source_encounter_id=encounter_id, created_by_id=staff.id,
        )  # fmt: skip
    in_danger = not created and not disclosure.tell_person and bool(str(disclosure.not_telling_reason or "").strip())
    disclosure.what, disclosure.legal_basis = cps_what(), cps_legal_basis()
    disclosure.to_whom = agency
    disclosure.disclosed_on = reported_on or timezone.localdate()
    reason = (danger_reason or "").strip()
    if told_first:
        disclosure.tell_person, disclosure.not_telling_reason = True, ""
    elif reason:
        disclosure.tell_person, disclosure.not_telling_reason = False, reason
        _close_tell_task(staff, disclosure)
    elif in_danger and danger_reason is None:
        pass  # the danger recorded stands: not asked this time, so not cleared
    else:
        disclosure.tell_person, disclosure.not_telling_reason = True, ""
        if disclosure.task_id is None or in_danger:  # a danger cleared on purpose: a new follow-up
            disclosure.task_id = add_tell_task(staff, person).id
    disclosure.save()
    audit.record_by(staff, DisclosureEvent.RECORDED if created else DisclosureEvent.UPDATED, disclosure)
    return disclosure


def _close_tell_task(staff: Any, disclosure: Disclosure) -> None:
    """Telling them would now put them in danger: the follow-up to tell them, if still open, is
    closed through the contact app (its own audit row), so nobody acts on it."""
    if disclosure.task_id is None:
        return
    task = FollowUpTask.objects.filter(pk=disclosure.task_id).first()
    if task is not None:
        contact_actions.complete_task(staff, task)

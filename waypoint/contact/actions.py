"""Every change to contact rules, follow-up tasks and contact attempts.  Each function is one atomic
transaction that re-checks its rule under a row lock, writes the rows and its own audit row; the
safety checks, the plan, the contact pages and the ``contact_due`` command call these.

``record_rules`` is the only writer of a person's rules: the in-person and phone checks, the plan's
permissions and device items and the rules page all come through it with field names from
``waypoint.contact.rules.FIELDS``, so no answer can land in a field it does not belong to.  The
guard (``waypoint.contact.guard.may_use``) is asked when a task is created and again, against the
rules as they are then, when an attempt is logged (on a follow-up, or from the contact page with
no follow-up)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from waypoint.contact import assign, guard
from waypoint.contact.events import ContactEvent
from waypoint.contact.models import (
    RECONFIRM_DAYS,
    ConfirmedHow,
    ContactAttempt,
    ContactChannel,
    ContactRules,
    FollowUpTask,
    Outcome,
    TaskSource,
    TaskStatus,
)
from waypoint.contact.rules import FIELDS, clean_value
from waypoint.core import audit
from waypoint.core.actions import Refused
from waypoint.core.concurrency import once, previous_result, remember_result


class ContactRefused(Refused):
    """A change the contact rules do not allow (a channel they forbid, a done follow-up)."""


class RulesChanged(Exception):
    """The rules changed since the page that posted was opened: ``current`` is what they are now."""

    def __init__(self, current: ContactRules) -> None:
        super().__init__("The contact rules changed since the page was opened")
        self.current = current


def _locked_rules(person: Any) -> tuple[ContactRules, int]:
    """The person's rules locked for this transaction (made when there are none), and the version a
    page showed them at: 0 for rules that did not exist yet."""
    rules, created = ContactRules.objects.select_for_update().get_or_create(person_id=person.id)
    return rules, 0 if created else rules.version


# --- Rules ---------------------------------------------------------------------------------------


# Older free-text answers (``to_confirm``) and the rule field that settles each once recorded.
SETTLES = {"identify_as": "identify_as", "if_someone_answers": "someone_answers", "disconnection_plan": "on_disconnect"}


@transaction.atomic
def record_rules(
    staff: Any,
    person: Any,
    changes: Mapping[str, Any],
    *,
    how: str = "",
    source_encounter_id: uuid.UUID | None = None,
    base_version: int | None = None,
) -> ContactRules:
    """Write the rule fields in ``changes`` (names from ``rules.FIELDS`` only; each value checked
    again here).  A save of some rules confirms nothing else: only with ``how`` (in person, by phone)
    did the person go through every rule, so only then are the rules marked confirmed.  An older
    free-text answer kept to confirm is dropped once its field is recorded.  With ``base_version``,
    ``RulesChanged`` when someone saved since the page was opened."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"not contact-rule fields: {sorted(unknown)}")
    how = clean_value_how(how) if how else ""
    cleaned = {name: clean_value(name, value) for name, value in changes.items()}
    rules, shown_as = _locked_rules(person)
    if base_version is not None and shown_as != base_version:
        raise RulesChanged(rules)
    now = timezone.now()
    changed = [name for name, value in cleaned.items() if getattr(rules, name) != value]
    for name in changed:
        setattr(rules, name, cleaned[name])
    notes = dict(rules.to_confirm or {})
    settled = {note for note, field in SETTLES.items() if note in notes and cleaned.get(field) not in (None, "")}
    if settled:
        rules.to_confirm = {note: text for note, text in notes.items() if note not in settled}
    if changed or settled:
        rules.version += 1
        rules.changed_at, rules.changed_by_id = now, staff.id
    if source_encounter_id is not None:
        rules.source_encounter_id = source_encounter_id
    if how:
        rules.confirmed_at, rules.confirmed_by_id, rules.confirmed_how = now, staff.id, how
        rules.reconfirm_due = False
    rules.save()
    if changed or settled or how:
        event = ContactEvent.RULES_CHANGED if changed or settled else ContactEvent.RULES_CONFIRMED
        audit.record_by(staff, event, person)
    return rules


@transaction.atomic
def reconfirm_rules(staff: Any, person: Any, *, version: int, how: str) -> ContactRules:
    """The provider read the rules back to the person at the start of contact and they still hold.
    ``RulesChanged`` when the rules shown were not the current ones (read the new ones first);
    ``ContactRefused`` when the person has no rules yet (record them first)."""
    how = clean_value_how(how)
    rules = ContactRules.objects.select_for_update().filter(person_id=person.id).first()
    if rules is None:  # nothing to read back: no empty rules marked as confirmed
        raise ContactRefused(
            gettext(
                "No contact rules are recorded for them yet, so there is nothing to confirm. "
                "Record the rules with them first. Nothing was saved."
            )
        )
    if rules.version != version:
        raise RulesChanged(rules)
    rules.confirmed_at, rules.confirmed_by_id, rules.confirmed_how = timezone.now(), staff.id, how
    rules.reconfirm_due = False
    rules.save(update_fields=["confirmed_at", "confirmed_by_id", "confirmed_how", "reconfirm_due"])
    audit.record_by(staff, ContactEvent.RULES_CONFIRMED, person)
    return rules


def clean_value_how(how: str) -> str:
    if how not in ConfirmedHow.values:
        raise ValueError(f"not a way of confirming: {how!r}")
    return how


def is_stale(rules: ContactRules | None, now: datetime.datetime | None = None) -> bool:
    """Rules never confirmed, or last confirmed more than ``RECONFIRM_DAYS`` ago."""
    if rules is None or rules.confirmed_at is None:
        return True
    return (now or timezone.now()) - rules.confirmed_at > datetime.timedelta(days=RECONFIRM_DAYS)


# --- Follow-up tasks -----------------------------------------------------------------------------


def _check_channel(rules: ContactRules | None, channel: str) -> None:
    if not guard.may_use(rules, channel):
        raise ContactRefused(gettext("The contact rules do not allow this way of reaching them. Nothing was saved."))


def add_task(
    staff: Any,
    person: Any,
    *,
    due_on: datetime.date,
    channel: str,
    assignee: Any = None,
    what: str = "",
    source: str = TaskSource.MANUAL,
    plan_id: uuid.UUID | None = None,
    token: uuid.UUID | None = None,
    source_encounter_id: uuid.UUID | None = None,
) -> FollowUpTask:
    """A follow-up on a channel the rules allow now (``ContactRefused`` otherwise), assigned to
    ``assignee`` (by default, whoever ``assign.choose`` picks for the person's interviewer wish).
    A second submit of the same form (same ``token``) returns the first task."""
    return once(
        staff.id, token, "task", FollowUpTask,
        lambda: _add_task_once(
            staff, person, due_on, channel, assignee, what, source, plan_id, token, source_encounter_id
        ),
    )  # fmt: skip


@transaction.atomic
def _add_task_once(
    staff: Any,
    person: Any,
    due_on: datetime.date,
    channel: str,
    assignee: Any,
    what: str,
    source: str,
    plan_id: uuid.UUID | None,
    token: uuid.UUID | None,
    source_encounter_id: uuid.UUID | None = None,
) -> FollowUpTask:
    earlier = previous_result(staff.id, token, "task")
    if earlier is not None:
        return FollowUpTask.objects.get(pk=earlier)
    rules = ContactRules.objects.select_for_update().filter(person_id=person.id).first()
    _check_channel(rules, channel)
    assignee = assignee or assign.choose(person, staff)
    if problem := assign.problem(person, assignee):
        raise ContactRefused(problem)
    task = FollowUpTask.objects.create(
        org_id=person.org_id, person_id=person.id, plan_id=plan_id, what=what, channel=channel, source=source,
        due_on=due_on, assigned_to=assignee, created_by_id=staff.id, source_encounter_id=source_encounter_id,
    )  # fmt: skip
    remember_result(staff.id, token, "task", task.id)
    audit.record_by(staff, ContactEvent.TASK_ADDED, task, object_type="task")
    return task


@transaction.atomic
def add_in_person_task(
    staff: Any,
    person: Any,
    *,
    due_on: datetime.date,
    assignee: Any = None,
    what: str = "",
    source: str = TaskSource.MANUAL,
    source_encounter_id: uuid.UUID | None = None,
) -> FollowUpTask:
    """A follow-up for the next in-person meeting, for when the rules allow no way of reaching them:
    it has no channel, so nobody calls, texts or writes (the guard is never asked to allow one).
    Assigned like ``add_task`` (``ContactRefused`` when the assignee may not take it)."""
    assignee = assignee or assign.choose(person, staff)
    if problem := assign.problem(person, assignee):
        raise ContactRefused(problem)
    task = FollowUpTask.objects.create(
        org_id=person.org_id, person_id=person.id, what=what, channel="", source=source,
        due_on=due_on, assigned_to=assignee, created_by_id=staff.id, source_encounter_id=source_encounter_id,
    )  # fmt: skip
    audit.record_by(staff, ContactEvent.TASK_ADDED, task, object_type="task")
    return task


def _close(staff: Any, task: FollowUpTask) -> None:
    task.status, task.done_at, task.done_by_id, task.overdue = TaskStatus.DONE, timezone.now(), staff.id, False
    task.save(update_fields=["status", "done_at", "done_by_id", "overdue"])
    audit.record_by(staff, ContactEvent.TASK_DONE, task, object_type="task")


@transaction.atomic
def complete_task(staff: Any, task: FollowUpTask) -> bool:
    """Mark a task done; returns False (and writes nothing) when it already was."""
    current = FollowUpTask.objects.select_for_update().get(pk=task.pk)
    if current.status == TaskStatus.DONE:
        return False
    _close(staff, current)
    return True


# --- Attempts ------------------------------------------------------------------------------------


NOT_SAFE_RETRY_DAYS = 1  # "not safe to talk": the automatic follow-up is due the next day


def log_attempt(
    staff: Any,
    task: FollowUpTask,
    *,
    channel: str,
    outcome: str,
    voicemail_left: bool = False,
    note: str = "",
    close_task: bool = False,
    token: uuid.UUID | None = None,
) -> ContactAttempt:
    """One contact attempt on ``task``, checked against the rules as they are now (they may have
    changed since the task was made): the channel must be usable, and a voicemail may be recorded
    only where voicemail is.  "Not safe to talk" schedules a follow-up on the same channel for the
    next day, for the same assignee; a task is closed when asked (an open one stays open).
    A second submit of the same form (same ``token``) returns the first attempt and writes nothing."""
    return once(
        staff.id, token, "attempt", ContactAttempt,
        lambda: _log_attempt_once(staff, task, channel, outcome, voicemail_left, note, close_task, token),
    )  # fmt: skip


def log_contact_attempt(
    staff: Any,
    person: Any,
    *,
    channel: str,
    outcome: str,
    voicemail_left: bool = False,
    note: str = "",
    token: uuid.UUID | None = None,
) -> ContactAttempt:
    """One contact attempt made from the person's contact page, on no follow-up, with the same checks
    as ``log_attempt`` (the channel usable under the rules as they are now, a voicemail only where
    voicemail is).  "Not safe to talk" schedules a follow-up on the same channel for the next day,
    for whoever ``assign.choose`` picks (the one who tried, when they meet the person's wish).
    A second submit of the same form (same ``token``) returns the first attempt and writes nothing."""
    return once(
        staff.id, token, "attempt", ContactAttempt,
        lambda: _log_contact_attempt_once(staff, person, channel, outcome, voicemail_left, note, token),
    )  # fmt: skip


@transaction.atomic
def _log_attempt_once(
    staff: Any,
    task: FollowUpTask,
    channel: str,
    outcome: str,
    voicemail_left: bool,
    note: str,
    close_task: bool,
    token: uuid.UUID | None,
) -> ContactAttempt:
    current = FollowUpTask.objects.select_for_update().get(pk=task.pk)
    earlier = previous_result(staff.id, token, "attempt")  # under the task's lock: a second submit waits
    if earlier is not None:
        return ContactAttempt.objects.get(pk=earlier)
    if current.status == TaskStatus.DONE:
        raise ContactRefused(gettext("This follow-up is already done. Nothing was saved."))
    rules = ContactRules.objects.select_for_update().filter(person_id=current.person_id).first()
    attempt = _write_attempt(
        staff, current.org_id, current.person_id, current, rules, channel, outcome, voicemail_left, note, token
    )
    if attempt.outcome == Outcome.NOT_SAFE:
        keeper = current.assigned_to  # the same assignee, unless the interviewer wish now rules them out
        if keeper is None or assign.problem(current.person, keeper):
            keeper = None
        _follow_up_tomorrow(staff, current.person, attempt, keeper, current.plan_id)
        close_task = True  # the new follow-up carries it on
    if close_task:
        _close(staff, current)
    return attempt


@transaction.atomic
def _log_contact_attempt_once(
    staff: Any,
    person: Any,
    channel: str,
    outcome: str,
    voicemail_left: bool,
    note: str,
    token: uuid.UUID | None,
) -> ContactAttempt:
    rules = ContactRules.objects.select_for_update().filter(person_id=person.id).first()
    earlier = previous_result(staff.id, token, "attempt")  # under the rules' lock: a second submit waits
    if earlier is not None:
        return ContactAttempt.objects.get(pk=earlier)
    attempt = _write_attempt(
        staff, person.org_id, person.id, None, rules, channel, outcome, voicemail_left, note, token
    )
    if attempt.outcome == Outcome.NOT_SAFE:
        _follow_up_tomorrow(staff, person, attempt, None, None)
    return attempt


def _write_attempt(
    staff: Any,
    org_id: uuid.UUID,
    person_id: uuid.UUID,
    task: FollowUpTask | None,
    rules: ContactRules | None,
    channel: str,
    outcome: str,
    voicemail_left: bool,
    note: str,
    token: uuid.UUID | None,
) -> ContactAttempt:
    """The checks and rows both ways of logging share, inside the caller's transaction with the
    person's ``rules`` row locked: the channel usable now, a voicemail only where voicemail is, and
    one ATTEMPT_LOGGED audit row."""
    if outcome not in Outcome.values:
        raise ValueError(f"not an outcome: {outcome!r}")
    _check_channel(rules, channel)
    if voicemail_left and not (channel == ContactChannel.CALL and guard.may_use(rules, ContactChannel.VOICEMAIL)):
        raise ContactRefused(gettext("Voicemail is not allowed for this person. Nothing was saved."))
    attempt = ContactAttempt.objects.create(
        org_id=org_id, person_id=person_id, task=task, channel=channel, outcome=outcome,
        voicemail_left=voicemail_left, note=note, rules_version=rules.version if rules else None, by=staff,
    )  # fmt: skip
    remember_result(staff.id, token, "attempt", attempt.id)
    audit.record_by(staff, ContactEvent.ATTEMPT_LOGGED, attempt, object_type="attempt")
    return attempt


def _follow_up_tomorrow(
    staff: Any, person: Any, attempt: ContactAttempt, keeper: Any, plan_id: uuid.UUID | None
) -> FollowUpTask:
    """For "not safe to talk": a follow-up on the same channel for the next day (for ``keeper``, or
    whoever ``assign.choose`` picks), recorded on the attempt as the one it created."""
    retry = _add_task_once(
        staff, person, timezone.localdate() + datetime.timedelta(days=NOT_SAFE_RETRY_DAYS), attempt.channel,
        keeper, "", TaskSource.NOT_SAFE, plan_id, None,
    )  # fmt: skip
    attempt.next_task_id = retry.id
    attempt.save(update_fields=["next_task_id"])
    return retry


# --- Scheduled: overdue tasks and rules due for confirmation -------------------------------------


@transaction.atomic
def mark_due(today: datetime.date | None = None) -> dict[str, int]:
    """Flag open tasks past their due date and rules last confirmed more than ``RECONFIRM_DAYS`` ago
    (and clear flags that no longer hold); one audit row per organisation with what changed, as a
    count.  Run by the ``contact_due`` command from cron or a systemd timer."""
    today = today or timezone.localdate()
    now = timezone.now()
    counts: dict[Any, int] = {}
    for task in (
        FollowUpTask.objects.select_for_update()
        .filter(status=TaskStatus.OPEN)
        .only("id", "org_id", "due_on", "overdue")
    ):
        overdue = task.due_on < today
        if task.overdue != overdue:
            FollowUpTask.objects.filter(pk=task.pk).update(overdue=overdue)
            counts[task.org_id] = counts.get(task.org_id, 0) + 1
    for rules in (
        ContactRules.objects.select_for_update(of=("self",))  # not the people rows
        .select_related("person")
        .only("id", "confirmed_at", "reconfirm_due", "person__org_id")
    ):
        due = is_stale(rules, now)
        if rules.reconfirm_due != due:
            ContactRules.objects.filter(pk=rules.pk).update(reconfirm_due=due)
            counts[rules.person.org_id] = counts.get(rules.person.org_id, 0) + 1
    for org_id, count in counts.items():
        audit.record(ContactEvent.DUE_MARKED, org_id=org_id, count=count)
    return {"organisations": len(counts), "changed": sum(counts.values())}

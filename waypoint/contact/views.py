"""Contact screens: "contact this person" (the before-you-call panel, with an attempt logged on no
follow-up), the rules page, re-confirming the rules, a new follow-up, a follow-up with its attempts,
and marking a task done from the plan.

Every page with rules on it goes through ``reads.show`` (error re-renders and conflicts included);
every change is one call to ``waypoint.contact.actions``.  Numbers and addresses reach templates
only through ``guard.channel_rows``, which puts each permission beside its address and makes a link
only for a channel the rules allow."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from waypoint.contact import actions, assign, display
from waypoint.contact.access import (
    attempts_for,
    get_any_task,
    get_task,
    may_hold_secrets,
    may_see_secrets,
    rules_for,
    tasks_for,
)
from waypoint.contact.actions import ContactRefused, RulesChanged
from waypoint.contact.events import ContactEvent
from waypoint.contact.forms import AttemptForm, ReconfirmForm, RulesForm, TaskForm, group_names, rule_initial
from waypoint.contact.guard import channel_rows, may_use, usable_choices
from waypoint.contact.models import ContactChannel, ContactRules, FollowUpTask, Outcome, TaskSource, TaskStatus
from waypoint.contact.rules import GROUPS, SECRET_FIELDS
from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.orgs import stepup
from waypoint.orgs.access import site_names, staff_names
from waypoint.orgs.auth import step_up_is_recent, step_up_redirect
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.models import Person
from waypoint.plans.access import get_plan

ATTEMPTS_SHOWN = 20


def _rules(request: AuthenticatedHttpRequest, person: Person) -> ContactRules | None:
    return rules_for(request.user).filter(person_id=person.id).first()


def _other_names(person: Person, rules: ContactRules | None) -> list[str]:
    """The organisation's site names, which a voicemail must not say either while they have not
    allowed naming us (read only when a script with a name of theirs is about to be made)."""
    if not may_use(rules, ContactChannel.VOICEMAIL) or display.may_name_org(rules) or rules is None:
        return []
    if not (rules.cover_name or rules.identify_as):
        return []
    return site_names(person.org_id)


def _panel(
    request: AuthenticatedHttpRequest, person: Person, rules: ContactRules | None, **extra: Any
) -> dict[str, Any]:
    """Everything the before-you-call panel shows, read from the rules by field name."""
    secrets = may_see_secrets(request, person)
    holder = may_hold_secrets(request.user, person)
    words = ("safe_word", "danger_word", "whereabouts", "safe_word_action", "danger_word_action")
    return {
        "person": person,
        "rules": rules,
        "tiles": display.tiles(rules),
        "channels": channel_rows(rules, secrets=secrets),
        "answering": display.answering_summary(rules),
        "holder": holder,  # staff who may not hold the words get no row for them at all
        "words": {name: display.shown(rules, name, secrets=secrets) for name in words} if holder else {},
        "secrets_shown": secrets,
        "secrets_offered": holder and not secrets and display.has_secrets(rules),
        "secrets_withheld": not holder and display.has_secrets(rules),
        "reveal_url": f"{reverse('orgs:step_up')}?{urlencode({'next': request.get_full_path()})}",
        "best_way": display.best_way(rules),
        "best_times": display.shown(rules, "best_times", secrets=False),
        "to_confirm": display.to_confirm(rules),
        "stale": actions.is_stale(rules),
        "confirmed_by": staff_names(person.org_id).get(rules.confirmed_by_id, "")
        if rules and rules.confirmed_by_id
        else "",
        "script": display.voicemail_script(
            rules, person.org.name, person.preferred_language, short_names=_other_names(person, rules)
        ),
        "reconfirm": extra.pop("reconfirm", None)
        or ReconfirmForm(initial={"version": rules.version if rules else 0, "how": "phone"}),
        # The contact page's own "log an attempt" form (a follow-up's page brings its own).
        "attempt_form": extra.pop("attempt_form", None) or _contact_attempt_form(rules),
        "tasks": list(tasks_for(request.user).filter(person=person, status=TaskStatus.OPEN)[:20]),
        "attempts": list(attempts_for(request.user).filter(person=person).select_related("by")[:ATTEMPTS_SHOWN]),
        **extra,
    }


@policy(*READERS)
@require_http_methods(["GET"])
def contact_person(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Contact this person: the rules in large type before any call, text or visit."""
    person = get_person(request, person_id)
    context = _panel(request, person, _rules(request, person))
    return reads.show(request, "contact/person.html", context, event=ContactEvent.RULES_VIEWED, obj=person)


def _contact_attempt_form(rules: ContactRules | None, data: Any = None) -> AttemptForm:
    """An attempt made from the contact page, on no follow-up: the channels the rules allow now (their
    best way chosen when it is one of them, or the only one), voicemail only where it is allowed."""
    channels = usable_choices(rules)
    usable = [value for value, _label in channels]
    best = rules.best_way if rules is not None and rules.best_way in usable else ""
    initial = {"channel": best or (usable[0] if len(usable) == 1 else None)}
    voicemail = may_use(rules, ContactChannel.VOICEMAIL)
    return AttemptForm(data, channels=channels, voicemail=voicemail, task=False, initial=initial)


@policy(*READERS)
@require_POST
def contact_attempt(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Log one attempt from the contact page, on no follow-up, checked against the rules as they are
    now.  A refusal shows the page again with the message and everything typed, and writes nothing."""
    person = get_person(request, person_id)
    rules = _rules(request, person)
    form = _contact_attempt_form(rules, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            attempt = actions.log_contact_attempt(
                request.user, person, channel=data["channel"], outcome=data["outcome"],
                voicemail_left=bool(data.get("voicemail_left")), note=data["note"], token=data.get("form_token"),
            )  # fmt: skip
        except ContactRefused as refused:
            # The rules changed since the page was opened: the form again against the rules as they
            # are now (a way no longer allowed is no longer offered), with what was typed.
            rules = _rules(request, person)
            form = _contact_attempt_form(rules, request.POST)
            if not any(str(refused) in errors for errors in form.errors.values()):  # said once
                form.add_error(None, str(refused))
        else:
            if attempt.outcome == Outcome.NOT_SAFE and attempt.next_task_id:
                messages.info(request, _("Not safe to talk: a new follow-up is set for tomorrow on the same channel."))
                return redirect("contact:task", task_id=attempt.next_task_id)
            messages.success(request, _("Attempt logged."))
            return redirect("contact:person", person_id=person.id)
    context = _panel(request, person, rules, attempt_form=form)
    return reads.show(request, "contact/person.html", context, event=ContactEvent.RULES_VIEWED, obj=person, status=400)


def _task_of(request: AuthenticatedHttpRequest, person: Person) -> FollowUpTask | None:
    """The follow-up a confirmation was posted from, if it is one of this person's."""
    task_id = request.POST.get("task") or ""
    if not _is_uuid(task_id):
        return None
    return tasks_for(request.user).filter(person=person, pk=task_id).select_related("person", "assigned_to").first()


def _back(request: AuthenticatedHttpRequest, person: Person) -> str:
    """Where a confirmation from a follow-up page goes back to: that follow-up, if it is this
    person's; otherwise the person's contact page."""
    task = _task_of(request, person)
    if task is not None:
        return reverse("contact:task", kwargs={"task_id": task.id})
    return reverse("contact:person", kwargs={"person_id": person.id})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@policy(*READERS)
@require_POST
def contact_reconfirm(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """The rules read back to the person at the start of contact, and they still hold.  Rules that
    changed since the page was opened are shown again (409): confirm the new ones, not the old."""
    person = get_person(request, person_id)
    form = ReconfirmForm(request.POST)
    if form.is_valid():
        try:
            actions.reconfirm_rules(
                request.user, person, version=form.cleaned_data["version"], how=form.cleaned_data["how"]
            )
        except RulesChanged as changed:
            fresh = ReconfirmForm(initial={"version": changed.current.version, "how": form.cleaned_data["how"]})
            task = _task_of(request, person)
            if task is not None:
                return _task_page(request, task, None, 409, reconfirm=fresh, conflict=True)
            context = _panel(request, person, changed.current, reconfirm=fresh, conflict=True)
            return reads.show(
                request, "contact/person.html", context, event=ContactEvent.RULES_CONFLICT, obj=person, status=409
            )
        except ContactRefused as refused:  # no rules yet: nothing to confirm, nothing written
            form.add_error(None, str(refused))
            task = _task_of(request, person)
            if task is not None:
                return _task_page(request, task, None, 400, reconfirm=form)
        else:
            messages.success(request, _("Confirmed with them. Thank you."))
            return redirect(_back(request, person))
    context = _panel(request, person, _rules(request, person), reconfirm=form)
    return reads.show(request, "contact/person.html", context, event=ContactEvent.RULES_VIEWED, obj=person, status=400)


# --- The rules page ------------------------------------------------------------------------------


def _names(request: AuthenticatedHttpRequest, person: Person) -> list[str]:
    """Every rule field, without the secrets for staff who may not hold them."""
    everything = tuple(GROUPS)
    return group_names(everything, secrets=may_hold_secrets(request.user, person))


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def contact_rules(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Edit the whole rules with the person.  Staff who may hold the secrets see them in the form,
    so for them the page needs a recent step-up to open and to save."""
    person = get_person(request, person_id)
    names = _names(request, person)
    holds_secrets = any(name in SECRET_FIELDS for name in names)
    if holds_secrets and request.method == "GET" and not step_up_is_recent(request):
        return step_up_redirect(request, request.get_full_path())
    confirm = stepup.inline_form(request) if holds_secrets else None
    rules = _rules(request, person)
    initial = {f"rule_{name}": value for name, value in rule_initial(rules, names).items()}
    initial |= {"version": rules.version if rules else 0}
    data = request.POST if request.method == "POST" else None
    form = RulesForm(data, names=names, person_id=person.id, initial=initial)
    context: dict[str, Any] = {"person": person, "form": form, "confirm": confirm}
    if request.method == "GET":
        return reads.show(request, "contact/rules.html", context, event=ContactEvent.RULES_VIEWED, obj=person)
    if not stepup.confirmed(request, confirm):
        return reads.show(
            request, "contact/rules.html", context, event=ContactEvent.RULES_VIEWED, obj=person, status=403
        )
    context["confirm"] = None
    if not form.is_valid():
        return reads.show(
            request, "contact/rules.html", context, event=ContactEvent.RULES_VIEWED, obj=person, status=400
        )
    try:
        actions.record_rules(
            request.user, person, form.edited_rules(), how=form.confirmed_how(),
            base_version=form.cleaned_data["version"],
        )  # fmt: skip
    except RulesChanged as changed:
        secrets = may_see_secrets(request, person)
        holder = may_hold_secrets(request.user, person)
        context["yours"] = form.rebase_rules(changed.current, "version", secrets=secrets)
        context["conflict"] = display.groups(changed.current, secrets=secrets, holder=holder)
        context["conflict_channels"] = channel_rows(changed.current, secrets=secrets)
        return reads.show(
            request, "contact/rules.html", context, event=ContactEvent.RULES_CONFLICT, obj=person, status=409
        )
    messages.success(request, _("Contact rules saved."))
    return redirect("contact:person", person_id=person.id)


# --- Follow-ups ----------------------------------------------------------------------------------


def _assignees(person: Person) -> list[tuple[str, str]]:
    labels = {"female": _("female interviewer"), "male": _("male interviewer")}
    return [
        (str(s.id), f"{s.display_name} ({labels[s.interviews_as]})" if s.interviews_as in labels else s.display_name)
        for s in assign.candidates(person)
    ]


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def task_new(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """A follow-up on a channel the rules allow, due on a day, assigned (the person's wish for a male
    or a female interviewer honoured where the organisation can)."""
    person = get_person(request, person_id)
    rules = _rules(request, person)
    initial = {
        "due_on": timezone.localdate(),
        "assignee": str(assign.choose(person, request.user).id),
        "form_token": uuid.uuid4(),
    }
    form = TaskForm(
        request.POST if request.method == "POST" else None, channels=usable_choices(rules),
        assignees=_assignees(person), initial=initial,
    )  # fmt: skip
    context: dict[str, Any] = {
        "person": person, "form": form, "channels": channel_rows(rules, secrets=may_see_secrets(request, person)),
    }  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        assignee = assign.candidates(person).filter(pk=data["assignee"]).first()
        try:
            task = actions.add_task(
                request.user, person, due_on=data["due_on"], channel=data["channel"], assignee=assignee,
                what=data["what"], token=data["form_token"],
            )  # fmt: skip
        except ContactRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Follow-up added."))
            return redirect("contact:task", task_id=task.id)
    status = 400 if form.errors else 200
    return reads.show(
        request, "contact/task_new.html", context, event=ContactEvent.RULES_VIEWED, obj=person, status=status
    )


def _attempt_form(rules: ContactRules | None, task: FollowUpTask, data: Any = None) -> AttemptForm:
    voicemail = may_use(rules, ContactChannel.VOICEMAIL)
    initial = {"channel": task.channel or ContactChannel.CALL}
    return AttemptForm(data, channels=usable_choices(rules), voicemail=voicemail, initial=initial)


def _callback_words(task: FollowUpTask) -> str:
    """Their words about when and how to call back, kept on the call that made this follow-up (read
    only by the assigned staff and supervisors, like the call's summary shows them)."""
    if task.source != TaskSource.CALLBACK or task.source_encounter_id is None:
        return ""
    from waypoint.encounters.access import callback_words  # the call that made it (encounters builds on contact)

    return callback_words(task.source_encounter_id, task.person_id)


def _task_page(
    request: AuthenticatedHttpRequest, task: FollowUpTask, form: AttemptForm | None, status: int, **extra: Any
) -> HttpResponse:
    person = task.person
    rules = _rules(request, person)
    context = _panel(request, person, rules, task=task, attempt_form=form or _attempt_form(rules, task), **extra)
    # The follow-up's own way, once the rules no longer allow it (the tiles and the form say so too).
    context["task_channel_refused"] = bool(task.channel) and not may_use(rules, task.channel)
    context["task_attempts"] = list(task.attempts.select_related("by").all()[:ATTEMPTS_SHOWN])
    context["callback_words"] = _callback_words(task) if context["holder"] else ""
    context["callback_held"] = not context["holder"] and task.source == TaskSource.CALLBACK
    event = ContactEvent.RULES_CONFLICT if extra.get("conflict") else ContactEvent.TASK_VIEWED
    return reads.show(request, "contact/task.html", context, event=event, obj=task, object_type="task", status=status)


@policy(*READERS)
@require_http_methods(["GET"])
def task_detail(request: AuthenticatedHttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """A follow-up opened: the before-you-call panel, the task, its attempts and the attempt form."""
    return _task_page(request, get_any_task(request, task_id), None, 200)


@policy(*READERS)
@require_POST
def task_attempt(request: AuthenticatedHttpRequest, task_id: uuid.UUID) -> HttpResponse:
    """Log one attempt, checked against the rules as they are now (a refusal keeps what was typed)."""
    task = get_any_task(request, task_id)
    form = _attempt_form(_rules(request, task.person), task, request.POST)
    if not form.is_valid():
        return _task_page(request, task, form, 400)
    data = form.cleaned_data
    try:
        attempt = actions.log_attempt(
            request.user, task, channel=data["channel"], outcome=data["outcome"],
            voicemail_left=bool(data.get("voicemail_left")), note=data["note"], close_task=data["close_task"],
            token=data.get("form_token"),
        )  # fmt: skip
    except ContactRefused as refused:
        form.add_error(None, str(refused))
        return _task_page(request, task, form, 400)
    if attempt.outcome == Outcome.NOT_SAFE and attempt.next_task_id:
        messages.info(request, _("Not safe to talk: a new follow-up is set for tomorrow on the same channel."))
        return redirect("contact:task", task_id=attempt.next_task_id)
    messages.success(request, _("Attempt logged."))
    return redirect("contact:task", task_id=task.id)


@policy(*READERS)
@require_POST
def task_done(request: AuthenticatedHttpRequest, plan_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    actions.complete_task(request.user, get_task(request, plan.person_id, task_id))
    messages.success(request, _("Task marked as done."))
    return redirect("plans:detail", plan_id=plan.id)

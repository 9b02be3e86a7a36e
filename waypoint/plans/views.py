"""Safety plan screens: start, the plan at a glance, one screen per section, versions and comparison,
the check-in reminder and follow-up tasks.  Every read and every save is audited."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.contact.models import CHANNELS, Channel, ContactRules, FollowUpTask
from waypoint.content.models import read_aloud_scripts
from waypoint.core import audit
from waypoint.core.access import deny, policy
from waypoint.core.concurrency import with_version
from waypoint.encounters.models import Encounter
from waypoint.encounters.separation import SeparationProtocol
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.events import PersonEvent
from waypoint.plans.access import get_plan
from waypoint.plans.display import compare, section_rows
from waypoint.plans.events import PlanEvent
from waypoint.plans.forms import ItemForm, OverviewForm, VersionForm, step_formset, steps_from
from waypoint.plans.models import PlanVersion, SafetyPlan
from waypoint.plans.service import SectionConflict, save_section, start_plan
from waypoint.plans.spec import (
    DOMAIN_BY_KEY,
    DOMAINS,
    ITEM_BY_KEY,
    ITEMS,
    OVERVIEW,
    ItemStatus,
    Timeframe,
    domain_section,
    item_section,
    section_label,
)
from waypoint.printing.safety import carry_state
from waypoint.referrals.models import ServiceRecord


def ledger(person_id: Any) -> list[ServiceRecord]:
    return list(ServiceRecord.objects.filter(person_id=person_id))


def service_names(person_id: Any) -> dict[str, str]:
    return {str(s.id): f"{s.service} ({s.provider})" for s in ledger(person_id)}


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def plan_for_person(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """GET: the plan, or a page to start one.  POST: start it (once; a second start opens the first)."""
    person = get_person(request, person_id)
    existing = SafetyPlan.objects.filter(person=person).first()
    if existing is not None:
        return redirect("plans:detail", plan_id=existing.id)
    if request.method == "GET":
        audit.record_for(request, PersonEvent.VIEWED, person)
        return TemplateResponse(request, "plans/start.html", {"person": person, "services": ledger(person.id)})
    encounter = None
    if request.POST.get("encounter"):
        try:
            encounter = Encounter.objects.get(pk=request.POST["encounter"], person=person)
        except (Encounter.DoesNotExist, ValueError, ValidationError):
            return HttpResponseBadRequest(_("That encounter does not belong to this record."))
    try:
        with transaction.atomic():
            plan, created = start_plan(person, request.user, encounter)
    except IntegrityError:  # a colleague started it in the same moment: open theirs
        plan, created = SafetyPlan.objects.get(person=person), False
    if created:
        audit.record_for(request, PlanEvent.STARTED, plan)
    return redirect("plans:detail", plan_id=plan.id)


def check_in_seconds(plan: SafetyPlan) -> int:
    """Seconds until the next check-in prompt: the organisation's interval after the last check-in."""
    interval = SeparationProtocol.for_org(plan.org_id).check_in_minutes * 60
    if plan.last_check_in_at is None:
        return interval
    elapsed = (timezone.now() - plan.last_check_in_at).total_seconds()
    return max(1, int(interval - elapsed))


def _reminder_context(plan: SafetyPlan, request: AuthenticatedHttpRequest) -> dict[str, Any]:
    scripts = read_aloud_scripts(plan.org_id, plan.person.preferred_language, request.LANGUAGE_CODE)
    return {
        "check_in_script": scripts.get("check_in"),
        "services": ledger(plan.person_id),
        "check_in_seconds": check_in_seconds(plan),
    }


@policy(*READERS)
@require_GET
def plan_detail(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    audit.record_for(request, PlanEvent.VIEWED, plan)
    content = plan.content
    names = service_names(plan.person_id)
    domains = [
        {
            "spec": d,
            "current": content[domain_section(d.key)]["current"],
            "future": content[domain_section(d.key)]["future"],
        }
        for d in DOMAINS
    ]
    items = []
    for item in ITEMS:
        value = content[item_section(item.key)]
        rows = [row for row in section_rows(item_section(item.key), value, names)[1:] if row[1] and row[1] != "—"]
        items.append({"spec": item, "value": value, "rows": rows})
    context = {
        "plan": plan,
        "person": plan.person,
        "overview": content[OVERVIEW],
        "overview_rows": section_rows(OVERVIEW, content[OVERVIEW]),
        "domains": domains,
        "items": items,
        "tasks": FollowUpTask.objects.filter(person_id=plan.person_id)[:50],
        "review_due": plan.review_on is not None and plan.review_on <= timezone.localdate(),
        "carry": carry_state(plan),
        **_reminder_context(plan, request),
    }
    return TemplateResponse(request, "plans/detail.html", context)


def _conflict(
    request: AuthenticatedHttpRequest,
    plan: SafetyPlan,
    template: str,
    context: dict[str, Any],
    section: str,
    saved: Any,
) -> HttpResponse:
    audit.record_for(request, PlanEvent.CONFLICT, plan)
    context.update(
        {
            "conflict": True,
            "saved_rows": section_rows(section, saved, service_names(plan.person_id)),
            "version": plan.version,
        }
    )
    return TemplateResponse(request, template, context, status=409)


def _save(
    request: AuthenticatedHttpRequest, plan: SafetyPlan, section: str, value: Any, base: int, after: Any = None
) -> SafetyPlan:
    """Save a section and its side effects in one transaction; SectionConflict passes through."""
    with transaction.atomic():
        saved, changed = save_section(plan.pk, section, value, base, request.user)
        if after is not None:
            after(saved)
        if changed:
            audit.record_for(request, PlanEvent.UPDATED, saved)
    messages.success(
        request, _("Saved as version %(number)s.") % {"number": saved.version} if changed else _("No changes to save.")
    )
    return saved


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def plan_overview(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    data = request.POST if request.method == "POST" else None
    form = OverviewForm(data, initial={**OverviewForm.initial_from(plan.content[OVERVIEW]), "version": plan.version})
    context: dict[str, Any] = {"plan": plan, "person": plan.person, "form": form}
    if request.method == "GET":
        audit.record_for(request, PlanEvent.VIEWED, plan)
        return TemplateResponse(request, "plans/overview.html", context)
    if not form.is_valid():
        return TemplateResponse(request, "plans/overview.html", context, status=400)
    try:
        _save(request, plan, OVERVIEW, form.section_value(), form.cleaned_data["version"])
    except SectionConflict as conflict:
        form.data = with_version(form.data, conflict.plan.version)
        return _conflict(request, conflict.plan, "plans/overview.html", context, OVERVIEW, conflict.saved)
    return redirect("plans:detail", plan_id=plan.id)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def plan_domain(request: AuthenticatedHttpRequest, plan_id: uuid.UUID, domain: str) -> HttpResponse:
    plan = get_plan(request, plan_id)
    spec = DOMAIN_BY_KEY.get(domain)
    if spec is None:
        deny(request, "plan", plan.id)
    section = domain_section(domain)
    value = plan.content[section]
    data = request.POST if request.method == "POST" else None
    version_form = VersionForm(data, initial={"version": plan.version})
    formsets = {t.value: step_formset(t.value, value[t.value], data) for t in Timeframe}
    context: dict[str, Any] = {
        "plan": plan, "person": plan.person, "spec": spec, "version_form": version_form,
        "formsets": [(Timeframe(t).label, fs) for t, fs in formsets.items()], "glossary": plan.person.glossary,
        "check_in_seconds": check_in_seconds(plan),
    }  # fmt: skip
    if request.method == "GET":
        audit.record_for(request, PlanEvent.VIEWED, plan)
        return TemplateResponse(request, "plans/domain.html", context)
    if not (version_form.is_valid() and all(fs.is_valid() for fs in formsets.values())):
        context["invalid"] = True
        return TemplateResponse(request, "plans/domain.html", context, status=400)
    new_value = {t: steps_from(fs) for t, fs in formsets.items()}
    try:
        _save(request, plan, section, new_value, version_form.cleaned_data["version"])
    except SectionConflict as conflict:
        rebased = with_version(data, conflict.plan.version)
        context["version_form"] = VersionForm(rebased)
        context["formsets"] = [(Timeframe(t).label, step_formset(t.value, [], rebased)) for t in Timeframe]
        return _conflict(request, conflict.plan, "plans/domain.html", context, section, conflict.saved)
    return redirect("plans:detail", plan_id=plan.id)


def _apply_item_effects(request: AuthenticatedHttpRequest, item_key: str, form: ItemForm) -> Any:
    """What saving an item does beyond the plan: contact rules and follow-up tasks."""
    staff = request.user

    def effects(plan: SafetyPlan) -> None:
        if item_key == "permissions" and form.cleaned_data["status"] == ItemStatus.FILLED:
            rules, _created = ContactRules.objects.get_or_create(person_id=plan.person_id)
            for channel in CHANNELS:
                setattr(rules, channel, form.cleaned_data[channel] or Channel.UNKNOWN)
            rules.confirmed_at, rules.confirmed_by_id = timezone.now(), staff.id
            rules.save()
        for what, due in form.new_tasks():
            task = FollowUpTask.objects.create(
                org_id=plan.org_id, person_id=plan.person_id, plan_id=plan.id, what=what, due_on=due,
                assigned_to=staff, created_by_id=staff.id,
            )  # fmt: skip
            audit.record_for(request, PlanEvent.UPDATED, task, object_type="task")

    return effects


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def plan_item(request: AuthenticatedHttpRequest, plan_id: uuid.UUID, item: str) -> HttpResponse:
    plan = get_plan(request, plan_id)
    spec = ITEM_BY_KEY.get(item)
    if spec is None:
        deny(request, "plan", plan.id)
    section = item_section(item)
    initial = {**ItemForm.initial_from(plan.content[section]), "version": plan.version}
    if item == "permissions":
        rules = ContactRules.objects.filter(person_id=plan.person_id).first()
        if rules is not None:
            initial.update({channel: getattr(rules, channel) for channel in CHANNELS})
    data = request.POST if request.method == "POST" else None
    form = ItemForm(data, item=spec, person_id=plan.person_id, initial=initial)
    context: dict[str, Any] = {
        "plan": plan, "person": plan.person, "spec": spec, "form": form,
        "services": ledger(plan.person_id) if spec.ledger else None,
        "tasks": FollowUpTask.objects.filter(person_id=plan.person_id) if spec.tasks else None,
        "check_in_seconds": check_in_seconds(plan),
    }  # fmt: skip
    if request.method == "GET":
        audit.record_for(request, PlanEvent.VIEWED, plan)
        return TemplateResponse(request, "plans/item.html", context)
    if not form.is_valid():
        return TemplateResponse(request, "plans/item.html", context, status=400)
    try:
        _save(
            request,
            plan,
            section,
            form.section_value(),
            form.cleaned_data["version"],
            _apply_item_effects(request, item, form),
        )
    except SectionConflict as conflict:
        form.data = with_version(form.data, conflict.plan.version)
        return _conflict(request, conflict.plan, "plans/item.html", context, section, conflict.saved)
    return redirect("plans:detail", plan_id=plan.id)


@policy(*READERS)
@require_GET
def plan_versions(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    audit.record_for(request, PlanEvent.VERSIONS_VIEWED, plan)
    versions = PlanVersion.objects.filter(plan=plan).select_related("author").defer("content_json")[:500]
    rows = [
        {"number": v.number, "at": v.saved_at, "who": v.author.display_name,
         "what": [section_label(s) for s in v.sections] or [_("Plan started")]}
        for v in versions
    ]  # fmt: skip
    return TemplateResponse(request, "plans/versions.html", {"plan": plan, "person": plan.person, "rows": rows})


def _version_number(raw: str | None, default: int) -> int | None:
    if raw is None or raw == "":
        return default
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@policy(*READERS)
@require_GET
def plan_compare(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    first = _version_number(request.GET.get("a"), max(plan.version - 1, 1))
    second = _version_number(request.GET.get("b"), plan.version)
    found = {v.number: v for v in PlanVersion.objects.filter(plan=plan, number__in=[first or 0, second or 0])}
    if first not in found or second not in found:
        context = {"plan": plan, "person": plan.person, "missing": True, "latest": plan.version}
        return TemplateResponse(request, "plans/compare.html", context, status=400)
    audit.record_for(request, PlanEvent.VERSIONS_VIEWED, plan)
    old, new = found[first], found[second]  # type: ignore[index]
    sections = compare(old.content, new.content, service_names(plan.person_id))
    context = {
        "plan": plan,
        "person": plan.person,
        "old": old,
        "new": new,
        "latest": plan.version,
        "sections": sections,
        "changed_count": sum(section["changed"] for section in sections),
    }
    return TemplateResponse(request, "plans/compare.html", context)


@policy(*READERS)
@require_POST
def plan_check_in(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The first reminder, acted on: safety details and quick-exit steps confirmed with the person."""
    plan = get_plan(request, plan_id)
    plan.last_check_in_at, plan.last_check_in_by_id = timezone.now(), request.user.id
    plan.save(update_fields=["last_check_in_at", "last_check_in_by_id", "updated_at"])
    audit.record_for(request, PlanEvent.CHECK_IN, plan)
    messages.success(request, _("Check-in recorded."))
    return redirect("plans:detail", plan_id=plan.id)

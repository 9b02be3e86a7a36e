"""Safety plan screens: start, the plan at a glance, one screen per section, versions and comparison,
the check-in reminder.  Every page with the plan on it goes through ``reads.show`` (error re-renders
and conflicts included); every change is one call to ``waypoint.plans.actions``.

Safe words (``waypoint.plans.display.SECRET_FIELDS``) are shown only within five minutes of a
step-up: the plan page and the comparison say "Hidden" with a link to confirm and come back, and the
item that holds them cannot be opened or saved without it."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waypoint.contact import display as contact_display
from waypoint.contact.access import may_hold_secrets, may_see_secrets, rules_for, tasks_for
from waypoint.contact.actions import ContactRefused, RulesChanged
from waypoint.contact.events import ContactEvent
from waypoint.contact.forms import group_names, rule_initial
from waypoint.contact.guard import channel_rows, usable_choices
from waypoint.contact.models import ContactRules, SafeToContact
from waypoint.contact.rules import FIELDS as RULE_FIELDS
from waypoint.content.models import read_aloud_scripts
from waypoint.core import reads
from waypoint.core.access import deny, policy
from waypoint.core.concurrency import with_version
from waypoint.encounters.access import encounters_for
from waypoint.encounters.models import Encounter
from waypoint.encounters.separation import SeparationProtocol
from waypoint.orgs import stepup
from waypoint.orgs.auth import require_step_up
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.events import PersonEvent
from waypoint.people.models import Person
from waypoint.plans import actions
from waypoint.plans.access import get_plan, plan_of, versions_for
from waypoint.plans.actions import ItemRefused, RulesEdit, SectionConflict
from waypoint.plans.display import compare, has_secrets, section_rows
from waypoint.plans.events import PlanEvent
from waypoint.plans.forms import ItemForm, OverviewForm, VersionForm, step_formset, steps_from
from waypoint.plans.models import SafetyPlan
from waypoint.plans.spec import (
    DOMAIN_BY_KEY,
    DOMAINS,
    ITEM_BY_KEY,
    ITEMS,
    MAX_STEPS,
    OVERVIEW,
    ActionStatus,
    ItemSpec,
    ItemStatus,
    Timeframe,
    domain_section,
    item_holds_content,
    item_section,
    section_label,
)
from waypoint.plans.suggestions import find, grouped, suggestions
from waypoint.printing.safety import carry_state
from waypoint.referrals.access import services_for
from waypoint.referrals.models import ServiceRecord


def ledger(request: AuthenticatedHttpRequest, person_id: Any) -> list[ServiceRecord]:
    return list(services_for(request.user).filter(person_id=person_id))


def service_names(
    request: AuthenticatedHttpRequest, person_id: Any, services: list[ServiceRecord] | None = None
) -> dict[str, str]:
    services = ledger(request, person_id) if services is None else services
    return {str(s.id): f"{s.service} ({s.provider})" for s in services}


def _own_encounter(request: AuthenticatedHttpRequest, person: Person, raw_id: str) -> Encounter | None:
    """The encounter the plan starts from, only when it belongs to this record."""
    try:
        return encounters_for(request.user).filter(pk=raw_id, person=person).prefetch_related(*SUGGESTED_FROM).first()
    except (ValueError, ValidationError):
        return None


SUGGESTED_FROM = ("assessments", "needs")


def _encounter_for(request: AuthenticatedHttpRequest, plan: SafetyPlan) -> Encounter | None:
    """The encounter the plan's pages offer suggestions from and link back to: the one the address
    names (``?encounter=``, or the form's hidden field), only when it is this person's; else their
    encounter still open, if any.  Another record's or organisation's encounter is simply none."""
    raw = request.POST.get("encounter") if request.method == "POST" else request.GET.get("encounter")
    if raw:
        return _own_encounter(request, plan.person, raw)
    still_open = encounters_for(request.user).filter(person_id=plan.person_id, closed_at__isnull=True)
    return still_open.order_by("-started_at").prefetch_related(*SUGGESTED_FROM).first()


def _with_encounter(url: str, encounter: Encounter | None) -> str:
    return f"{url}?{urlencode({'encounter': str(encounter.id)})}" if encounter is not None else url


def _named(request: AuthenticatedHttpRequest, encounter: Encounter | None) -> Encounter | None:
    """The encounter when the address or the form named it (the plan's links and the save keep it),
    None when it was only found as their open encounter (the next page finds it again)."""
    data = request.POST if request.method == "POST" else request.GET
    return encounter if encounter is not None and data.get("encounter") else None


def _encounter_context(request: AuthenticatedHttpRequest, encounter: Encounter | None) -> dict[str, Any]:
    named = _named(request, encounter)
    return {"encounter": encounter, "encounter_query": _with_encounter("", named)}


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def plan_for_person(request: AuthenticatedHttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """GET: the plan, or a page to start one.  POST: start it (once; a second start opens the first)."""
    person = get_person(request, person_id)
    existing = plan_of(request.user, person)
    if existing is not None:
        return redirect("plans:detail", plan_id=existing.id)
    if request.method == "GET":
        context = {"person": person, "services": ledger(request, person.id)}
        return reads.show(request, "plans/start.html", context, event=PersonEvent.VIEWED, obj=person)
    encounter = None
    if request.POST.get("encounter"):
        encounter = _own_encounter(request, person, request.POST["encounter"])
        if encounter is None:
            return HttpResponseBadRequest(_("That encounter does not belong to this record."))
    plan, _created = actions.start_plan(request.user, person, encounter)
    return redirect(_with_encounter(reverse("plans:detail", args=[plan.id]), encounter))


def check_in_seconds(plan: SafetyPlan) -> int:
    """Seconds until the next check-in prompt: the organisation's interval after the last check-in."""
    interval = SeparationProtocol.for_org(plan.org_id).check_in_minutes * 60
    if plan.last_check_in_at is None:
        return interval
    elapsed = (timezone.now() - plan.last_check_in_at).total_seconds()
    return max(1, int(interval - elapsed))


def _reminder_context(
    plan: SafetyPlan, request: AuthenticatedHttpRequest, services: list[ServiceRecord]
) -> dict[str, Any]:
    scripts = read_aloud_scripts(plan.org_id, plan.person.preferred_language, request.LANGUAGE_CODE)
    return {
        "check_in_script": scripts.get("check_in"),
        "services": services,
        "check_in_seconds": check_in_seconds(plan),
    }


def _secrets_context(request: AuthenticatedHttpRequest, rules: ContactRules | None) -> dict[str, Any]:
    """Whether this page may show the contact rules' secrets (safe and danger words), and if not,
    where to confirm it is you first (offered only to staff who may hold them)."""
    shown = rules is not None and may_see_secrets(request, rules.person)
    holder = rules is not None and may_hold_secrets(request.user, rules.person)
    return {
        "secrets_shown": shown,
        "secrets_hidden": not shown and holder and contact_display.has_secrets(rules),
        "reveal_url": f"{reverse('orgs:step_up')}?{urlencode({'next': request.get_full_path()})}",
    }


def _reach_rows(rules: ContactRules | None) -> list[tuple[str, str]]:
    """The permissions item's rows beside its channel table: whether contact after today is safe at
    all (always: "no" or "not asked" forbids every channel), the best way only while the guard allows
    it, and the best times.  Each channel, with its number or address, is in the table."""
    safe = rules.get_safe_to_contact_display() if rules is not None else SafeToContact.NOT_ASKED.label
    rows = [(str(RULE_FIELDS["safe_to_contact"].label), str(safe))]
    if best := contact_display.best_way(rules):
        rows.append((str(RULE_FIELDS["best_way"].label), best))
    if times := contact_display.shown(rules, "best_times", secrets=False):
        rows.append((str(RULE_FIELDS["best_times"].label), times))
    return rows


def _item_rows(
    content: dict[str, Any], names: dict[str, str], rules: ContactRules | None, secrets: bool, holder: bool
) -> list[dict[str, Any]]:
    """Each resources item's rows; an item that edits contact rules shows the rules themselves (one
    source), read through the contact app's display.  The ways to reach them are the guard's table
    (``channel_rows``): a permission beside every number and address, "not asked" included, and
    nothing usable unless contact after today is safe."""
    items = []
    for item in ITEMS:
        value = content[item_section(item.key)]
        rows = section_rows(item_section(item.key), value, names)
        rows = [row for row in rows[1:] if row[1] and row[1] != "—"]
        for group in contact_display.groups(rules, secrets=secrets, only=item.rules, holder=holder):
            if group.key == "reach":
                rows = _reach_rows(rules) + rows
            else:
                rows = [row for row in group.rows if row[1] != _("Not recorded")] + rows
        channels = channel_rows(rules, secrets=secrets) if "reach" in item.rules else None
        items.append({"spec": item, "value": value, "rows": rows, "channels": channels, "stale": _stale(value)})
    return items


@policy(*READERS)
@require_GET
def plan_detail(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    content = plan.content
    domains = [
        {
            "spec": d,
            "current": content[domain_section(d.key)]["current"],
            "future": content[domain_section(d.key)]["future"],
        }
        for d in DOMAINS
    ]
    rules = rules_for(request.user).filter(person_id=plan.person_id).select_related("person").first()
    secrets = _secrets_context(request, rules)
    encounter = _encounter_for(request, plan)
    services = ledger(request, plan.person_id)  # read once: the items and the reminders both list it
    context = {
        **_encounter_context(request, encounter),
        "suggestions": (found := suggestions(encounter, content)),
        "suggestion_groups": grouped(found),
        "plan": plan,
        "person": plan.person,
        "overview": content[OVERVIEW],
        "overview_rows": section_rows(OVERVIEW, content[OVERVIEW]),
        "domains": domains,
        "items": _item_rows(
            content,
            service_names(request, plan.person_id, services),
            rules,
            secrets["secrets_shown"],
            may_hold_secrets(request.user, plan.person),
        ),
        **secrets,
        "tasks": tasks_for(request.user).filter(person_id=plan.person_id)[:50],
        "review_due": plan.review_on is not None and plan.review_on <= timezone.localdate(),
        "carry": carry_state(plan),
        **_reminder_context(plan, request, services),
    }
    return reads.show(request, "plans/detail.html", context, event=PlanEvent.VIEWED, obj=plan)


def _show(
    request: AuthenticatedHttpRequest, plan: SafetyPlan, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A plan page, as opened or shown again after input it could not take (400)."""
    return reads.show(request, template, context, event=PlanEvent.VIEWED, obj=plan, status=status)


def _conflict(
    request: AuthenticatedHttpRequest,
    plan: SafetyPlan,
    template: str,
    context: dict[str, Any],
    section: str,
    saved: Any,
) -> HttpResponse:
    context |= {
        "conflict": True,
        "saved_rows": section_rows(section, saved, service_names(request, plan.person_id)),
        "version": plan.version,
    }
    return reads.show(request, template, context, event=PlanEvent.CONFLICT, obj=plan, status=409)


def _saved(
    request: AuthenticatedHttpRequest, saved: SafetyPlan, changed: bool, encounter: Encounter | None = None
) -> HttpResponse:
    messages.success(
        request, _("Saved as version %(number)s.") % {"number": saved.version} if changed else _("No changes to save.")
    )
    return redirect(_with_encounter(reverse("plans:detail", args=[saved.id]), encounter))


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def plan_overview(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    data = request.POST if request.method == "POST" else None
    form = OverviewForm(data, initial={**OverviewForm.initial_from(plan.content[OVERVIEW]), "version": plan.version})
    context: dict[str, Any] = {"plan": plan, "person": plan.person, "form": form}
    if request.method == "GET":
        return _show(request, plan, "plans/overview.html", context)
    if not form.is_valid():
        return _show(request, plan, "plans/overview.html", context, status=400)
    try:
        saved, changed = actions.save_section(
            request.user, plan, OVERVIEW, form.section_value(), form.cleaned_data["version"]
        )
    except SectionConflict as conflict:
        form.data = with_version(form.data, conflict.plan.version)
        return _conflict(request, conflict.plan, "plans/overview.html", context, OVERVIEW, conflict.saved)
    return _saved(request, saved, changed)


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
    encounter = _encounter_for(request, plan)
    context: dict[str, Any] = {
        "plan": plan, "person": plan.person, "spec": spec, "version_form": version_form,
        "formsets": [(Timeframe(t).label, fs) for t, fs in formsets.items()], "glossary": plan.person.glossary,
        "check_in_seconds": check_in_seconds(plan),
        **_encounter_context(request, encounter), "suggestions": suggestions(encounter, plan.content, domain),
    }  # fmt: skip
    if request.method == "GET":
        return _show(request, plan, "plans/domain.html", context)
    if request.POST.get("use") and version_form.is_valid():
        return _use_suggestion(request, plan, context, encounter, domain, version_form.cleaned_data["version"])
    if not (version_form.is_valid() and all(fs.is_valid() for fs in formsets.values())):
        context["invalid"] = True
        return _show(request, plan, "plans/domain.html", context, status=400)
    new_value = {t: steps_from(fs) for t, fs in formsets.items()}
    if not _sources_allowed(request, plan, new_value):
        context |= {"invalid": True, "source_error": True}
        return _show(request, plan, "plans/domain.html", context, status=400)
    try:
        saved, changed = actions.save_section(
            request.user, plan, section, new_value, version_form.cleaned_data["version"]
        )
    except SectionConflict as conflict:
        rebased = with_version(data, conflict.plan.version)
        context["version_form"] = VersionForm(rebased)
        context["formsets"] = [(Timeframe(t).label, step_formset(t.value, [], rebased)) for t in Timeframe]
        return _conflict(request, conflict.plan, "plans/domain.html", context, section, conflict.saved)
    return _saved(request, saved, changed, _named(request, encounter))


def _posted_rows(data: Any, timeframe: str) -> list[dict[str, Any]]:
    """The step rows as typed (valid or not), to show them again unsaved: nothing typed is lost."""
    try:
        total = min(max(int(data.get(f"{timeframe}-TOTAL_FORMS", 0)), 0), MAX_STEPS + 2)
    except (TypeError, ValueError):
        total = 0
    rows = []
    for number in range(total):
        prefix = f"{timeframe}-{number}-"
        row = {name: data.get(prefix + name, "") for name in ("text", "idea", "status", "due_on", "source")}
        if str(row["text"]).strip():
            rows.append(
                {**row, "status": row["status"] or ActionStatus.TO_DO, "DELETE": bool(data.get(prefix + "DELETE"))}
            )
    return rows[:MAX_STEPS]


def _use_suggestion(
    request: AuthenticatedHttpRequest,
    plan: SafetyPlan,
    context: dict[str, Any],
    encounter: Encounter | None,
    domain: str,
    version: int,
) -> HttpResponse:
    """Put one suggestion into an empty step row of the form, unsaved, beside everything typed so
    far (and the version the page was opened at, so the save keeps its conflict check).  The
    provider then says whose idea it is and saves, or removes it."""
    timeframe, _sep, key = request.POST["use"].partition("|")
    chosen = find(encounter, plan.content, domain, key) if timeframe in Timeframe.values else None
    rows = {t: _posted_rows(request.POST, t) for t in Timeframe.values}
    status = 200
    if chosen is None:
        context["use_error"] = _("That suggestion is no longer there. Nothing was added; what you typed is below.")
        status = 400
    elif len(rows[timeframe]) >= MAX_STEPS:
        context["use_error"] = _("There is no empty row left for it. Nothing was added; what you typed is below.")
        status = 400
    else:
        rows[timeframe].append({"text": chosen.text, "status": ActionStatus.TO_DO, "source": chosen.source})
        number = len(rows[timeframe])
        context["added"] = {
            "timeframe": Timeframe(timeframe).label, "timeframe_key": timeframe, "number": number,
            "index": number - 1, "key": key,
        }  # fmt: skip
    context["version_form"] = VersionForm(initial={"version": version})
    context["formsets"] = [(Timeframe(t).label, step_formset(t, rows[t])) for t in Timeframe.values]
    return _show(request, plan, "plans/domain.html", context, status=status)


def _sources_allowed(request: AuthenticatedHttpRequest, plan: SafetyPlan, value: dict[str, Any]) -> bool:
    """Every step that says it came from an encounter names one of this person's encounters."""
    named = {step["source"].partition("/")[0] for steps in value.values() for step in steps if step.get("source")}
    if not named:
        return True
    own = encounters_for(request.user).filter(person_id=plan.person_id, pk__in=named).values_list("id", flat=True)
    return {str(found) for found in own} == named


def _item_initial(plan: SafetyPlan, item: ItemSpec, rules: ContactRules | None, names: list[str]) -> dict[str, Any]:
    """The saved item, and the person's current contact rules for the groups it edits."""
    initial = {**ItemForm.initial_from(plan.content[item_section(item.key)]), "version": plan.version}
    if item.rules:
        initial |= {f"rule_{name}": value for name, value in rule_initial(rules, names).items()}
        initial["rules_version"] = rules.version if rules is not None else 0
    return initial


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def plan_item(request: AuthenticatedHttpRequest, plan_id: uuid.UUID, item: str) -> HttpResponse:
    """One resources item.  The item holding the safe word needs a recent step-up to open or save
    (checked after access, so another organisation's plan is still a plain 404)."""
    plan = get_plan(request, plan_id)
    if ITEM_BY_KEY.get(item) is None:
        deny(request, "plan", plan.id)
    if has_secrets(item_section(item)) and request.method == "GET":
        return require_step_up(_plan_item)(request, plan, item)  # type: ignore[no-any-return]
    return _plan_item(request, plan, item)


def _stale(value: dict[str, Any]) -> bool:
    """An item saved before the rule that only "Filled in" items hold text: not filled in, yet not
    empty.  Its pages say so instead of hiding what it holds."""
    return value.get("status") != ItemStatus.FILLED and item_holds_content(value)


def _plan_item(request: AuthenticatedHttpRequest, plan: SafetyPlan, item: str) -> HttpResponse:
    spec = ITEM_BY_KEY[item]
    section = item_section(item)
    data = request.POST if request.method == "POST" else None
    rules = rules_for(request.user).filter(person_id=plan.person_id).first()
    names = group_names(spec.rules, secrets=may_hold_secrets(request.user, plan.person))
    channels = usable_choices(rules)
    form = ItemForm(
        data, item=spec, person_id=plan.person_id, channels=channels, rule_names=names,
        initial=_item_initial(plan, spec, rules, names),
    )  # fmt: skip
    confirm = stepup.inline_form(request) if has_secrets(section) else None
    context: dict[str, Any] = {
        "plan": plan, "person": plan.person, "spec": spec, "form": form, "confirm": confirm,
        "services": ledger(request, plan.person_id) if spec.ledger else None,
        "stale": _stale(plan.content[section]),
        "glossary": plan.person.glossary,
        **_encounter_context(request, _encounter_for(request, plan)),
        "tasks": tasks_for(request.user).filter(person_id=plan.person_id) if spec.tasks else None,
        "check_in_seconds": check_in_seconds(plan),
    }  # fmt: skip
    if request.method == "GET":
        return _show(request, plan, "plans/item.html", context)
    if not stepup.confirmed(request, confirm):
        return _show(request, plan, "plans/item.html", context, status=403)
    context["confirm"] = None
    if not form.is_valid():
        return _show(request, plan, "plans/item.html", context, status=400)
    edit = None
    if names:
        edit = RulesEdit(form.edited_rules(), form.cleaned_data["rules_version"])  # only what they changed
    try:
        saved, changed = actions.save_item(
            request.user, plan, item, form.section_value(), form.cleaned_data["version"], form.new_tasks(), edit
        )
    except SectionConflict as conflict:
        form.data = with_version(form.data, conflict.plan.version)
        return _conflict(request, conflict.plan, "plans/item.html", context, section, conflict.saved)
    except RulesChanged as changed_rules:
        current = changed_rules.current
        secrets_shown = may_see_secrets(request, plan.person)
        context |= {
            # fields they did not change now show the saved rules; theirs are kept and listed
            "rules_yours": form.rebase_rules(current, "rules_version", secrets=secrets_shown),
            "rules_conflict": contact_display.groups(
                current,
                secrets=secrets_shown,
                only=spec.rules,
                holder=may_hold_secrets(request.user, plan.person),
            ),
            "rules_conflict_channels": channel_rows(current, secrets=secrets_shown) if "reach" in spec.rules else None,
        }
        return reads.show(request, "plans/item.html", context, event=ContactEvent.RULES_CONFLICT, obj=plan, status=409)
    except ContactRefused as refused:
        form.add_error(None, str(refused))
        return _show(request, plan, "plans/item.html", context, status=400)
    except ItemRefused as refused_item:
        form.add_error("status", str(refused_item))
        return _show(request, plan, "plans/item.html", context, status=400)
    return _saved(request, saved, changed, _named(request, context["encounter"]))


@policy(*READERS)
@require_GET
def plan_versions(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    versions = versions_for(plan).select_related("author").defer("content_json")[:500]
    rows = [
        {"number": v.number, "at": v.saved_at, "who": v.author.display_name,
         "what": [section_label(s) for s in v.sections] or [_("Plan started")]}
        for v in versions
    ]  # fmt: skip
    context = {"plan": plan, "person": plan.person, "rows": rows}
    return reads.show(request, "plans/versions.html", context, event=PlanEvent.VERSIONS_VIEWED, obj=plan)


MAX_NUMBER_CHARS = 9  # more digits than any plan has versions; bounds the work on hostile input


def _version_number(raw: str | None, default: int) -> int | None:
    """A version number from the query string, or None when it is not one.  Defends against a 500
    from digit forms int() refuses (superscripts, circled digits): the text is NFKC-normalised
    (full-width and other compatibility forms become plain digits), then must be decimal digits of
    any script (Arabic-Indic and the like are what a keyboard in that script types)."""
    if raw is None or raw.strip() == "":
        return default
    if len(raw) > MAX_NUMBER_CHARS * 4:
        return None
    text = unicodedata.normalize("NFKC", raw).strip()
    if not (text.isdecimal() and len(text) <= MAX_NUMBER_CHARS):
        return None
    return int(text)


@policy(*READERS)
@require_GET
def plan_compare(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    plan = get_plan(request, plan_id)
    first = _version_number(request.GET.get("a"), max(plan.version - 1, 1))
    second = _version_number(request.GET.get("b"), plan.version)
    found = {v.number: v for v in versions_for(plan).filter(number__in=[first or 0, second or 0])}
    context: dict[str, Any] = {"plan": plan, "person": plan.person, "latest": plan.version}
    if first is None or second is None or first not in found or second not in found:
        context["missing"] = True
        return reads.show(request, "plans/compare.html", context, event=PlanEvent.VERSIONS_VIEWED, obj=plan, status=400)
    old, new = found[first], found[second]
    sections = compare(old.content, new.content, service_names(request, plan.person_id))
    context |= {"old": old, "new": new, "sections": sections, "changed_count": sum(s["changed"] for s in sections)}
    return reads.show(request, "plans/compare.html", context, event=PlanEvent.VERSIONS_VIEWED, obj=plan)


@policy(*READERS)
@require_POST
def plan_check_in(request: AuthenticatedHttpRequest, plan_id: uuid.UUID) -> HttpResponse:
    """The first reminder, acted on: safety details and quick-exit steps confirmed with the person."""
    plan = actions.record_check_in(request.user, get_plan(request, plan_id))
    messages.success(request, _("Check-in recorded."))
    return redirect("plans:detail", plan_id=plan.id)

"""One page a supervisor can review, and print, of everything an encounter recorded: who, where and
when, privacy and who was present, each step with its reason, every question of the check version
used (what was written down and what was only asked), escalations, the four areas and needs,
consent or the child protective services step, separation runs, the comfort log and amendments.
Read-only (one read row, like every encounter page); printable through the print style sheet."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from waypoint.contact.access import may_hold_secrets
from waypoint.content.models import ContentSet
from waypoint.core.access import policy
from waypoint.encounters.actions import HELD_QUESTIONS  # whereabouts and injuries: holders only
from waypoint.encounters.models import URGENT_ANSWERS, Domain, Encounter, Escalation, SafetyAnswer, Step
from waypoint.encounters.views.common import encounter_step, show
from waypoint.orgs.access import staff_names
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS
from waypoint.plans.access import plans_for


def _questions(request: AuthenticatedHttpRequest, encounter: Encounter) -> tuple[ContentSet, list[dict[str, Any]]]:
    """Every question of the check version the answers were given to (the current one if none were),
    in the staff member's language, each with what was kept of it."""
    answers = list(encounter.answers.select_related("content_set"))
    content = answers[0].content_set if answers else ContentSet.current(encounter.org_id, encounter.check_kind)
    kept = {answer.question_key: answer for answer in answers if answer.content_set_id == content.id}
    rows = []
    for line in content.lines(request.LANGUAGE_CODE):
        answer = kept.get(line.key)
        if answer is None:
            status = _("Not asked, or left unanswered")
        elif answer.consented:
            status = _("Recorded, with their agreement")
        else:
            status = _("Asked only: they did not agree to have the answer written down")
        held = line.key in HELD_QUESTIONS and not may_hold_secrets(request.user, encounter.person)
        in_rules = answer is not None and answer.consented and bool(answer.rules_written)  # the parts it set
        rows.append(
            {"key": line.key, "text": line.text, "status": status, "answer": answer, "held": held, "in_rules": in_rules}
        )
    return content, rows


def _escalations(encounter: Encounter, answers: dict[str, SafetyAnswer]) -> list[str]:
    """The urgent answers written down with their consent, in the order the check acts on them;
    an emergency call recorded counts as injured."""
    found = []
    for key, urgent in URGENT_ANSWERS.items():
        answer = answers.get(key)
        said = answer is not None and answer.consented and answer.answer == urgent.answer
        if said or (urgent.escalation == Escalation.INJURED and encounter.emergency_call):
            found.append(str(urgent.label))
    return found


@policy(*READERS)
@require_GET
@encounter_step()
def encounter_summary(request: AuthenticatedHttpRequest, encounter: Encounter) -> HttpResponse:
    names = staff_names(encounter.org_id)
    states = encounter.step_status()
    content, questions = _questions(request, encounter)
    answers = {row["key"]: row["answer"] for row in questions if row["answer"] is not None}
    levels = {row.domain: row for row in encounter.assessments.all()}
    context = {
        "lead": names.get(encounter.lead_id, "—"),
        "closed_by": names.get(encounter.closed_by_id, "—") if encounter.closed_by_id else "",
        "steps": [
            {
                "label": Step(s).label,
                "state": states.get(s),
                "by": names.get(states[s].by_id, "—") if s in states else "",
            }
            for s in encounter.steps()
        ],
        "content": content,
        "questions": questions,
        "escalations": _escalations(encounter, answers),
        "areas": [{"label": label, "row": levels.get(domain)} for domain, label in Domain.choices],
        "needs": list(encounter.needs.all()),
        "report": encounter.child_protection_report() if encounter.is_minor else None,
        "runs": [{"run": run, "by": names.get(run.by_id, "—")} for run in encounter.separations.order_by("at")],
        "comfort": encounter.comfort_events.all(),
        "amendments": [{"item": item, "by": names.get(item.by_id, "—")} for item in encounter.amendments.all()],
        "plan": plans_for(request.user).filter(source_encounter=encounter).only("id").first(),
        "holds": may_hold_secrets(request.user, encounter.person),
    }
    return show(request, "encounters/summary.html", encounter, context)

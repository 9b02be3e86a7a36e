"""What a share shows for each item a release covers, built only from the items listed: the page or
PDF a recipient receives, and the preview the provider checks before sharing.

Each ``ReleaseItem`` reads one source and nothing else:

- CONTACT: the person's contact rules (``waypoint.contact``): whether contact after today is
  allowed, the channels the guard allows (``guard.channel_rows``), each marked "Allowed" beside its
  number or address, the channels not allowed (so the recipient does not use them; their numbers are
  never shown), best times and how staff identify themselves.  Never the safe or danger words, where they are, the
  device answers or the cover for someone else who answers, and never a postal or visit address
  (where they live is a secret of the rules; the section says the channel is allowed, not where).
- PLAN_<domain>: that domain's current and future steps from the safety plan.
- SAFETY_CHECK: the latest encounter's safety-check answers the person agreed to have written down
  (``SafetyAnswer.consented``), except where they are (whereabouts are never shared); for what to
  do if someone comes on the line and the plan if the call is cut, only the answer (yes, no, not
  sure), never the note (it says how they hide the calls: a cover name, a callback plan).
- SERVICES: the services ledger.
- DOCUMENTS: the documents the release itself lists.

A header names the person (the name as recorded, else the reference code): a release is consent to
identify them to that recipient.

Defends against: a share page that shows more than the release covers (a source is read only when
its item is listed, and only that item's section is built).

Does not defend against: what the recipient does with the page; the page says it is shared under a
release with its dates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from waypoint.contact.guard import channel_rows
from waypoint.contact.models import ContactChannel, ContactRules, SafeToContact, YesNoUnsure
from waypoint.content.vocabulary import SafetyDomain
from waypoint.encounters.models import Answer, Encounter
from waypoint.people.models import Person
from waypoint.plans.spec import ActionStatus, Timeframe, domain_section
from waypoint.referrals.models import Release, ReleaseItem, ServiceRecord, ServiceStatus

PLAN_DOMAINS: dict[str, str] = {
    ReleaseItem.PLAN_PHYSICAL: SafetyDomain.PHYSICAL,
    ReleaseItem.PLAN_COMMUNICATION: SafetyDomain.COMMUNICATION,
    ReleaseItem.PLAN_ENVIRONMENTAL: SafetyDomain.ENVIRONMENTAL,
    ReleaseItem.PLAN_EMOTIONAL: SafetyDomain.EMOTIONAL,
}
NEVER_SHARED_QUESTIONS = frozenset({"where_are_you"})  # whereabouts are never shared
# The phone check's questions whose notes say how they keep the calls hidden: the answer only.
ANSWER_ONLY_QUESTIONS = frozenset({"someone_on_line", "disconnection"})
# Postal and visit addresses say where the person lives or stays: a secret of the contact rules
# (assigned staff and supervisors only, after a step-up), so a share never carries them.
ADDRESS_KEPT = frozenset({ContactChannel.POST, ContactChannel.VISIT})


@dataclass
class Section:
    key: str
    title: Any
    rows: list[tuple[str, str]] = field(default_factory=list)
    empty: Any = ""  # what the section says when it has no rows


@dataclass
class Content:
    person_label: str
    sections: list[Section]


def person_label(person: Person) -> str:
    return str(person.name or "").strip() or person.reference


def ordered_items(items: Iterable[str]) -> list[str]:
    """The items in the release form's order; unknown codes are dropped."""
    wanted = set(items)
    return [item for item in ReleaseItem.values if item in wanted]


def sections(person: Person, items: Iterable[str], release: Release | None, language: str = "en") -> Content:
    """What ``items`` show about ``person`` (under ``release``, for its documents)."""
    built = [_section(person, item, release, language) for item in ordered_items(items)]
    return Content(person_label=person_label(person), sections=built)


def _section(person: Person, item: str, release: Release | None, language: str) -> Section:
    title = ReleaseItem(item).label
    if item == ReleaseItem.CONTACT:
        return Section(item, title, _contact_rows(person), _("No contact details recorded: no contact is allowed."))
    if item in PLAN_DOMAINS:
        return Section(item, title, _plan_rows(person, PLAN_DOMAINS[item]), _("No steps recorded."))
    if item == ReleaseItem.SAFETY_CHECK:
        return Section(item, title, _check_rows(person, language), _("No answers they agreed to have written down."))
    if item == ReleaseItem.SERVICES:
        return Section(item, title, _service_rows(person), _("No services recorded."))
    documents = str(release.documents or "").strip() if release is not None else ""
    rows = [(_("Documents"), documents)] if documents else []
    return Section(item, title, rows, _("No documents listed."))


def _contact_rows(person: Person) -> list[tuple[str, str]]:
    """Whether contact after today is allowed, then every channel as the guard decides it
    (``channel_rows``): an allowed one says "Allowed" beside its number or address, the others say
    not to use them and carry no address (a forbidden number is never shared)."""
    rules = ContactRules.objects.filter(person_id=person.id).first()
    if rules is None:
        return []
    safe = rules.safe_to_contact == SafeToContact.YES
    rows: list[tuple[str, str]] = [
        (_("Contact after today"), _("Allowed") if safe else _("Not allowed: do not contact them"))
    ]
    channels = channel_rows(rules)
    for row in channels:
        if not row.usable:
            continue
        if row.channel in ADDRESS_KEPT:
            text = _("Allowed; the address is not shared")
        elif row.address:
            text = _("Allowed: %(address)s") % {"address": row.address}
        else:
            text = _("Allowed")
        rows.append((str(row.label), text))
    rows += [(str(row.label), _("Not allowed: do not use")) for row in channels if not row.usable]
    if rules.best_times:
        rows.append((_("Best times"), str(rules.best_times)))
    if rules.identify_as:
        rows.append((_("How to identify yourself"), str(rules.identify_as)))
    if rules.may_name_org in (YesNoUnsure.YES, YesNoUnsure.NO):
        said = _("Yes") if rules.may_name_org == YesNoUnsure.YES else _("No")
        rows.append((_("May name the organisation"), said))
    return rows


def _plan_rows(person: Person, domain: str) -> list[tuple[str, str]]:
    from waypoint.plans.models import SafetyPlan

    plan = SafetyPlan.objects.filter(person_id=person.id).first()
    if plan is None:
        return []
    value = plan.content.get(domain_section(domain)) or {}
    statuses = dict(ActionStatus.choices)
    rows = []
    for timeframe in Timeframe:
        for number, step in enumerate(value.get(timeframe.value) or [], start=1):
            text = str(step.get("text") or "").strip()
            if not text:
                continue
            status = statuses.get(step.get("status", ""), "")
            rows.append((f"{timeframe.label} {number}", f"{text} · {status}" if status else text))
    return rows


def _check_rows(person: Person, language: str) -> list[tuple[str, str]]:
    encounter = Encounter.objects.filter(person_id=person.id, answers__isnull=False).order_by("-started_at").first()
    if encounter is None:
        return []
    kept = [a for a in encounter.answers.select_related("content_set") if a.consented]
    if not kept:
        return []
    by_key = {answer.question_key: answer for answer in kept}
    answers = dict(Answer.choices)
    rows = []
    for line in kept[0].content_set.lines(language):
        answer = by_key.get(line.key)
        if answer is None or line.key in NEVER_SHARED_QUESTIONS:
            continue
        said = str(answers.get(answer.answer, "")) if answer.answer else ""
        note = "" if line.key in ANSWER_ONLY_QUESTIONS else str(answer.note or "").strip()
        text = " · ".join(part for part in (said, note) if part)
        rows.append((line.text, text or "—"))
    return rows


def _service_rows(person: Person) -> list[tuple[str, str]]:
    statuses = dict(ServiceStatus.choices)
    rows = []
    for record in ServiceRecord.objects.filter(person_id=person.id):
        status = str(statuses.get(record.status, ""))
        rows.append((str(record.provider), " · ".join(p for p in (str(record.service), status) if p)))
    return rows

"""Every response that shows record data writes exactly one read audit row, error re-renders
included; a response that shows none (a redirect after a change, a 404, a 405) writes none.

The sweep sends, as a provider of the record's organisation, a GET and two invalid POSTs (junk in
every field; the same with a stale version) to every record page, in two states of the record: as
made (encounter not started, nothing safe to print) and advanced (privacy and confidentiality done,
carrying paper recorded as safe), so that the locked pages and the printing pages render too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from tests.test_sweeps import CASES, ENTRY, NONE, STAFF
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import Gate, Step, StepState, StepStatus

NOT_RECORDS = {STAFF, ENTRY}  # staff pages and directory listings are the organisation's, not a person's record
LISTS = {"people:list", "people:search"}  # no object id, but they show records
RECORD_PAGES = sorted(name for name, case in CASES.items() if case[1] not in (NONE, *NOT_RECORDS)) + sorted(LISTS)
RENDERED = {200, 400, 409}  # a page with the record on it (a PDF is a 200 too)

JUNK = {
    "version": "not-a-number", "carry": "sideways", "callback_plan": "x" * 5000, "wp_find": "",
    "status": "bogus", "kind": "bogus", "text": "", "reason": "", "gate": "bogus", "mode": "bogus",
    "form_token": "not-a-uuid", "emergency_call": "bogus", "consent": "bogus", "education": "bogus",
    "sections": "nowhere:none", "layout": "bogus", "language": "xx", "a": "x", "b": "y",
    "provider": "", "service": "", "phrase": "bogus", "outcome": "bogus",
    "how": "bogus", "channel": "bogus", "due_on": "2024-02-30", "rules_how": "bogus", "rules_version": "x",
    "rule_safe_to_contact": "bogus", "rule_phone_number": "call me maybe", "task_0_what": "x",
    "task_0_channel": "bogus",
}  # fmt: skip
STALE = {**JUNK, "version": "0"}


def advance(world: OrgWorld) -> None:
    """Privacy and confidentiality done, paper recorded as safe to carry (this hour)."""
    encounter = world.encounter
    encounter.gate = Gate.ALONE
    encounter.save()
    for step in (Step.GATE, Step.CONFIDENTIALITY):
        StepState.objects.create(encounter=encounter, step=step, status=StepStatus.DONE, by_id=world.provider.id)
    plan = world.plan
    plan.carry, plan.carry_recorded_at = "safe", timezone.now()
    plan.print_sections = ["domain:physical"]
    plan.save()


def _reads_during(call: Any) -> tuple[Any, int]:
    reads = audit.read_events()
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = call()
    return response, AuditEvent.objects.filter(id__gt=last, event__in=reads).count()


def sweep(world: OrgWorld) -> list[tuple[str, str, int, int]]:
    client = sign_in(Client(), world.provider)
    wrong: list[tuple[str, str, int, int]] = []
    for name in RECORD_PAGES:
        kwargs = CASES[name][1](world) if name in CASES else {}
        url = reverse(name, kwargs=kwargs)
        for label, send in (
            ("GET", lambda url=url: client.get(url)),
            ("junk POST", lambda url=url: client.post(url, JUNK)),
            ("stale POST", lambda url=url: client.post(url, STALE)),
        ):
            response, reads = _reads_during(send)
            expected = 1 if response.status_code in RENDERED else 0
            if reads != expected:
                wrong.append((name, label, response.status_code, reads))
    return wrong


def test_record_pages_are_swept() -> None:
    assert len(RECORD_PAGES) >= 35


@pytest.mark.parametrize("state", ["as made", "advanced"])
def test_every_record_response_writes_exactly_one_read_row(world_a: OrgWorld, state: str) -> None:
    if state == "advanced":
        advance(world_a)
    wrong = sweep(world_a)
    print(f"record pages swept: {len(RECORD_PAGES)} x 3 requests ({state}); wrong: {len(wrong)}")
    assert wrong == []


def test_a_read_whose_audit_row_fails_sends_no_record(world_a: OrgWorld, monkeypatch: Any) -> None:
    """If the read row cannot be written, the page is not sent: a plain error, no record text."""

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "record_for", fail)
    client = sign_in(Client(raise_request_exception=False), world_a.provider)
    response = client.get(reverse("people:detail", kwargs={"person_id": world_a.person.id}))
    assert response.status_code == 500
    assert world_a.person.reference not in response.content.decode()

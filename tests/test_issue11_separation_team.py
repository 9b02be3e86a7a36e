"""Issue 11, items 5, 6 and 9: a separation settles the privacy gate and leads to a record and an
encounter; front-desk requests reach providers through a poll that never keeps a session alive, with
a room; a supervisor's home shows the team's work as counts, without a person's name."""

from __future__ import annotations

import datetime
import json
import time
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import OrgWorld, make_staff, sign_in
from waypoint.contact.models import FollowUpTask, TaskStatus
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters import actions
from waypoint.encounters.actions import Refused
from waypoint.encounters.events import EncounterEvent
from waypoint.encounters.models import Encounter, Gate, Mode, Step, StepStatus
from waypoint.encounters.separation import RequestStatus, SeparationRequest, SeparationRun
from waypoint.orgs import middleware
from waypoint.orgs.models import Role
from waypoint.people.models import Person

POLL = "/encounters/separation/requests/waiting/"
REQUESTS = "/encounters/separation/requests/"
POLL_HEADERS = {"HTTP_X_WAYPOINT_POLL": "1", "HTTP_ACCEPT": "application/json"}


def new_rows(since: int) -> list[str]:
    return list(AuditEvent.objects.filter(id__gt=since).order_by("id").values_list("event", flat=True))


def last_audit_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def gate_state(encounter: Encounter) -> Any:
    return Encounter.objects.get(pk=encounter.pk).step_status().get(Step.GATE)


def separated_request_run(world: OrgWorld, client: Client, room: str = "Room 4") -> SeparationRun:
    """The front desk raises a request with a room; the provider takes it and separates."""
    desk = sign_in(Client(), world.front_desk)
    assert desk.post(REQUESTS, {"phrase": "room_4", "site": str(world.site.id), "room": room}).status_code == 302
    found = SeparationRequest.objects.get(phrase="room_4", org=world.org)
    assert client.post(f"{REQUESTS}{found.id}/take/")["Location"] == f"{REQUESTS}{found.id}/"
    done = client.post(f"{REQUESTS}{found.id}/", {"separator": "Me", "outcome": "separated"})
    assert done.status_code == 302 and done["Location"] == f"{REQUESTS}{found.id}/"
    return SeparationRun.objects.get(request=found)


# --- 5. The separation settles the privacy gate --------------------------------------------------


def test_a_successful_separation_records_seen_alone_in_one_action(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    assert encounter.locked_reason(Step.SAFETY_CHECK).endswith("(Privacy).")
    before = last_audit_id()
    response = as_provider.post(f"/encounters/{encounter.id}/separation/", {"separator": "Me", "outcome": "separated"})
    assert response.status_code == 302 and response["Location"].startswith(f"/encounters/{encounter.id}/")
    assert new_rows(before) == [EncounterEvent.SEPARATION_UPDATED]  # one audit row for the one action
    fresh = Encounter.objects.get(pk=encounter.pk)
    assert fresh.gate == Gate.ALONE and fresh.gate_passed
    assert gate_state(encounter).status == StepStatus.DONE
    assert "Privacy" not in fresh.locked_reason(Step.SAFETY_CHECK)  # only confidentiality is left
    assert fresh.locked_reason(Step.ASSESSMENT) == ""
    page = as_provider.get(f"/encounters/{encounter.id}/").content.decode()
    assert "data-step-waiting" not in page


@pytest.mark.parametrize("outcome", ["refused", "not_attempted"])
def test_a_separation_that_did_not_happen_leaves_the_gate(as_provider: Client, world_a: OrgWorld, outcome: str) -> None:
    data = {"separator": "Me", "outcome": outcome, "why_not": "Busy"}
    as_provider.post(f"/encounters/{world_a.encounter.id}/separation/", data)
    assert Encounter.objects.get(pk=world_a.encounter.pk).gate == ""
    assert gate_state(world_a.encounter) is None


def test_a_failed_run_writes_nothing(as_provider: Client, world_a: OrgWorld) -> None:
    """A closed encounter refuses the run: no run, no gate, no audit row of a change."""
    Encounter.objects.filter(pk=world_a.encounter.pk).update(closed_at=timezone.now())
    before = last_audit_id()
    as_provider.post(f"/encounters/{world_a.encounter.id}/separation/", {"separator": "Me", "outcome": "separated"})
    assert not SeparationRun.objects.exists() and Encounter.objects.get(pk=world_a.encounter.pk).gate == ""
    assert EncounterEvent.SEPARATION_UPDATED not in new_rows(before)


def test_not_seen_alone_yet_does_not_settle_privacy(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    actions.record_gate(
        world_a.provider, encounter, gate=Gate.NOT_ALONE, gate_reason="", interpreter="not_needed",
        gender_preference_offered=False,
    )  # fmt: skip
    assert gate_state(encounter).status == StepStatus.PAUSED
    page = as_provider.get(f"/encounters/{encounter.id}/").content.decode()
    assert 'data-step-waiting="1"' in page and "Not seen alone yet" in page
    lock = Encounter.objects.get(pk=encounter.pk).locked_reason(Step.SAFETY_CHECK)
    assert "not been seen alone yet" in lock  # the step list and the lock say the same thing
    refused = as_provider.get(f"/encounters/{encounter.id}/assessment/", follow=True).content.decode()
    assert "not been seen alone yet" in refused
    for gate in (Gate.ALONE, Gate.NOT_POSSIBLE):
        actions.record_gate(
            world_a.provider, encounter, gate=gate, gate_reason="Companion", interpreter="not_needed",
            gender_preference_offered=False,
        )  # fmt: skip
        assert gate_state(encounter).status == StepStatus.DONE
        assert "data-step-waiting" not in as_provider.get(f"/encounters/{encounter.id}/").content.decode()


def test_an_older_done_state_with_not_alone_is_shown_as_waiting(as_provider: Client, world_a: OrgWorld) -> None:
    """Rows saved before this change say "done" for "not seen alone yet": computed, not rewritten."""
    encounter = world_a.encounter
    fresh = Encounter.objects.get(pk=encounter.pk)
    fresh.gate = Gate.NOT_ALONE
    fresh.save()
    fresh.step_states.create(step=Step.GATE, status=StepStatus.DONE, by_id=world_a.provider.id)
    page = as_provider.get(f"/encounters/{encounter.id}/").content.decode()
    assert 'data-step-waiting="1"' in page
    assert gate_state(encounter).status == StepStatus.DONE  # the stored row is left as it was


# --- 5. From a front-desk request to a record and an encounter -----------------------------------


def test_request_run_leads_to_a_record_and_an_encounter_seen_alone(as_provider: Client, world_a: OrgWorld) -> None:
    run = separated_request_run(world_a, as_provider)
    assert run.encounter_id is None and run.request is not None
    assert run.request.status == RequestStatus.CLOSED
    page = as_provider.get(f"{REQUESTS}{run.request.id}/").content.decode()
    assert f'data-separation-done="{run.id}"' in page
    assert 'href="/people/"' in page and 'href="/people/new/"' in page
    assert 'name="outcome"' not in page  # done: nothing more to record here
    person = world_a.person
    start = as_provider.get(f"/people/{person.id}/encounters/new/?separation={run.id}").content.decode()
    assert f'value="{run.id}"' in start and "checked" in start.split(f'value="{run.id}"')[1].split(">")[0]
    before = Encounter.objects.count()
    audit_before = last_audit_id()
    response = as_provider.post(
        f"/people/{person.id}/encounters/new/",
        {"mode": Mode.IN_PERSON, "separation": str(run.id), "form_token": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    encounter = Encounter.objects.exclude(pk=world_a.encounter.pk).get()
    assert Encounter.objects.count() == before + 1
    assert new_rows(audit_before) == [EncounterEvent.STARTED]
    assert SeparationRun.objects.get(pk=run.pk).encounter_id == encounter.id
    assert encounter.gate == Gate.ALONE and gate_state(encounter).status == StepStatus.DONE
    assert "Privacy" not in encounter.locked_reason(Step.SAFETY_CHECK)
    detail = as_provider.get(f"/encounters/{encounter.id}/").content.decode()
    assert "data-step-waiting" not in detail
    # Linked once only: the start page no longer offers it, and a replay of the id is refused.
    assert f'value="{run.id}"' not in as_provider.get(f"/people/{person.id}/encounters/new/").content.decode()
    again = as_provider.post(
        f"/people/{person.id}/encounters/new/",
        {"mode": Mode.IN_PERSON, "separation": str(run.id), "form_token": str(uuid.uuid4())},
    )
    assert again.status_code == 400 and Encounter.objects.count() == before + 1


def test_a_separation_links_only_to_an_in_person_encounter(as_provider: Client, world_a: OrgWorld) -> None:
    run = separated_request_run(world_a, as_provider)
    before = Encounter.objects.count()
    response = as_provider.post(
        f"/people/{world_a.person.id}/encounters/new/",
        {"mode": Mode.PHONE, "separation": str(run.id), "form_token": str(uuid.uuid4())},
    )
    assert response.status_code == 400 and "in-person" in response.content.decode()
    assert Encounter.objects.count() == before and SeparationRun.objects.get(pk=run.pk).encounter_id is None


def test_start_refuses_runs_of_others_and_runs_that_did_not_succeed(world_a: OrgWorld, world_b: OrgWorld) -> None:
    provider = world_a.provider
    other_org = SeparationRun.objects.create(
        org=world_b.org, request=world_b.separation_request, separator="X", outcome="separated",
        by_id=world_b.provider.id,
    )  # fmt: skip
    refused = SeparationRun.objects.create(
        org=world_a.org, request=world_a.separation_request, separator="X", outcome="refused", by_id=provider.id
    )
    for run_id in (other_org.id, refused.id, uuid.uuid4()):
        with pytest.raises(Refused):
            actions.start_encounter(
                provider, world_a.person, mode=Mode.IN_PERSON, site=None, token=None, separation=run_id
            )
    assert Encounter.objects.filter(org=world_a.org).count() == 1
    # Nor are they offered: the start page lists only this provider's own successful, unlinked runs.
    client = sign_in(Client(), provider)
    page = client.get(f"/people/{world_a.person.id}/encounters/new/?separation={other_org.id}").content.decode()
    assert f'value="{other_org.id}"' not in page and f'value="{refused.id}"' not in page
    assert 'name="separation"' not in page


def test_a_colleagues_run_is_not_offered(world_a: OrgWorld) -> None:
    colleague = make_staff(world_a.org, "colleague.a", Role.PROVIDER)
    run = separated_request_run(world_a, sign_in(Client(), colleague))
    page = sign_in(Client(), world_a.provider).get(f"/people/{world_a.person.id}/encounters/new/?separation={run.id}")
    assert f'value="{run.id}"' not in page.content.decode() and 'name="separation"' not in page.content.decode()
    # Nor taken by the action if posted anyway (the same rule, checked again under the lock).
    with pytest.raises(Refused):
        actions.start_encounter(
            world_a.provider, world_a.person, mode=Mode.IN_PERSON, site=None, token=None, separation=run.id
        )
    SeparationRun.objects.filter(pk=run.pk).update(at=timezone.now() - datetime.timedelta(hours=13))
    with pytest.raises(Refused):  # too old, even for the colleague who ran it
        actions.start_encounter(
            colleague, world_a.person, mode=Mode.IN_PERSON, site=None, token=None, separation=run.id
        )
    assert SeparationRun.objects.get(pk=run.pk).encounter_id is None


def test_after_a_refusal_the_request_stays_taken_and_a_later_success_is_recorded(
    as_provider: Client, world_a: OrgWorld
) -> None:
    found = world_a.separation_request
    url = f"{REQUESTS}{found.id}/"
    as_provider.post(f"{url}take/")
    refused = as_provider.post(url, {"separator": "Me", "outcome": "refused"})
    assert refused.status_code == 200 and 'name="outcome"' in refused.content.decode()  # try again later
    assert SeparationRequest.objects.get(pk=found.pk).status == RequestStatus.TAKEN
    assert as_provider.post(url, {"separator": "Me", "outcome": "separated"})["Location"] == url
    assert SeparationRequest.objects.get(pk=found.pk).status == RequestStatus.CLOSED
    assert SeparationRun.objects.filter(request=found).count() == 2
    page = as_provider.get(url).content.decode()
    assert "data-separation-done" in page and 'name="outcome"' not in page


def test_a_request_already_done_refuses_another_run(as_provider: Client, world_a: OrgWorld) -> None:
    found = world_a.separation_request
    url = f"{REQUESTS}{found.id}/"
    as_provider.post(f"{url}take/")
    as_provider.post(url, {"separator": "Me", "outcome": "not_attempted", "why_not": "They left"})
    before = last_audit_id()
    again = as_provider.post(url, {"separator": "Me", "outcome": "separated"})
    assert again.status_code == 302 and again["Location"] == url
    assert SeparationRun.objects.filter(request=found).count() == 1
    assert EncounterEvent.SEPARATION_UPDATED not in new_rows(before)
    page = as_provider.get(url).content.decode()
    assert "already done" in page and 'name="outcome"' not in page and "data-separation-done" not in page


# --- 6. The room, and the run page repeating phrase and room -------------------------------------


def test_request_with_a_room_is_shown_to_providers_and_on_the_run_page(world_a: OrgWorld) -> None:
    desk = sign_in(Client(), world_a.front_desk)
    assert desk.post(REQUESTS, {"phrase": "chart_review", "room": "Room 12B"}).status_code == 302
    found = SeparationRequest.objects.get(phrase="chart_review")
    assert found.room == "Room 12B"
    with connection.cursor() as cursor:
        cursor.execute("SELECT room FROM encounters_separationrequest WHERE phrase = 'chart_review'")
        assert "Room 12" not in cursor.fetchone()[0]  # encrypted: free text could hold a name
    provider = sign_in(Client(), world_a.provider)
    assert "Room 12B" in provider.get("/").content.decode()
    page = provider.get(f"{REQUESTS}{found.id}/").content.decode()
    callout = page.split("data-request-callout")[1].split("</div>")[0]
    assert "Chart review requested" in callout and "Room 12B" in callout


@pytest.mark.parametrize(
    "data",
    [
        {"phrase": "form_b", "room": "R" * 41},
        {"phrase": "form_b", "room": "Room 4" + "0" * 7},  # 13 characters
        {"phrase": "form_b", "room": "Maria Lopez"},  # a name: no number, refused
        {"phrase": "form_b", "room": "María 4"},  # letters outside a room code
        {"phrase": "form_b", "room": "<script>alert(1)</script>"},
        {"phrase": "form_b", "room": "Room\u202e4"},
        {"phrase": "bogus", "room": "Room 4"},
        {"room": "Room 4"},
        {"phrase": "form_b", "site": str(uuid.uuid4())},
    ],
)
def test_bad_request_input_is_refused_whole_and_keeps_what_was_typed(world_a: OrgWorld, data: dict[str, str]) -> None:
    desk = sign_in(Client(), world_a.front_desk)
    before = SeparationRequest.objects.count()
    response = desk.post(REQUESTS, data)
    assert response.status_code == 400
    assert SeparationRequest.objects.count() == before
    body = response.content.decode()
    assert 'id="error-summary"' in body
    if data.get("room") == "Room 4":
        assert 'value="Room 4"' in body


def test_a_site_of_another_organisation_is_refused(world_a: OrgWorld, world_b: OrgWorld) -> None:
    desk = sign_in(Client(), world_a.front_desk)
    assert desk.post(REQUESTS, {"phrase": "form_b", "site": str(world_b.site.id)}).status_code == 400
    assert not SeparationRequest.objects.filter(site=world_b.site).exists()


# --- 6. The poll ---------------------------------------------------------------------------------


def test_poll_answers_what_the_panel_shows_and_nothing_else(world_a: OrgWorld, world_b: OrgWorld) -> None:
    SeparationRequest.objects.filter(pk=world_a.separation_request.pk).update(room="Room 4", site=world_a.site)
    taken = SeparationRequest.objects.create(
        org=world_a.org, phrase="room_4", created_by_id=world_a.front_desk.id, status=RequestStatus.TAKEN
    )
    client = sign_in(Client(), world_a.provider)
    before = last_audit_id()
    response = client.get(POLL, **POLL_HEADERS)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["count"] == 1 and len(data["requests"]) == 1
    item = data["requests"][0]
    assert set(item) == {"id", "phrase", "site", "room", "minutes", "take"}
    assert item["phrase"] == "Form B is needed" and item["room"] == "Room 4" and item["site"] == world_a.site.name
    assert item["take"] == f"{REQUESTS}{world_a.separation_request.id}/take/"
    assert item["minutes"] == 0
    body = response.content.decode()
    assert str(taken.id) not in body and str(world_b.separation_request.id) not in body
    assert "Canary" not in body and world_a.person.reference not in body
    assert new_rows(before) == []  # no record data: no read row
    assert sign_in(Client(), world_a.supervisor).get(POLL).status_code == 200


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.AUDITOR, Role.ORG_ADMIN])
def test_poll_is_refused_to_everyone_else(world_a: OrgWorld, role: Role) -> None:
    assert sign_in(Client(), world_a.staff[role]).get(POLL, **POLL_HEADERS).status_code == 404
    anonymous = Client().get(POLL, **POLL_HEADERS)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")


def test_poll_is_get_only(world_a: OrgWorld) -> None:
    assert sign_in(Client(), world_a.provider).post(POLL).status_code == 405


def test_poll_is_cheap(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    client.get(POLL)
    for _n in range(6):
        SeparationRequest.objects.create(org=world_a.org, phrase="form_b", created_by_id=world_a.front_desk.id)
    with CaptureQueriesContext(connection) as captured:
        assert len(json.loads(client.get(POLL).content)["requests"]) == 7
    assert len(captured.captured_queries) <= 3  # session, staff member, the requests


def test_poll_does_not_touch_the_last_seen_time(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    session = client.session
    seen = time.time() - 120
    session["wp_last_seen"] = seen
    session.save()
    assert client.get(POLL, **POLL_HEADERS).status_code == 200
    assert client.session["wp_last_seen"] == seen
    assert client.get("/").status_code == 200  # a page is activity
    assert client.session["wp_last_seen"] > seen


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_a_polling_page_still_reaches_the_idle_limit(world_a: OrgWorld, monkeypatch: Any) -> None:
    """Poll every five seconds for sixteen minutes without doing anything else: signed out at fifteen,
    with an answer the script understands (401, no redirect to follow), then no loop."""
    clock = Clock()
    monkeypatch.setattr(middleware, "time", clock)
    client = sign_in(Client(), world_a.provider)
    session = client.session
    session["wp_last_seen"] = session["wp_auth_at"] = clock.now
    session.save()
    answers = []
    for _tick in range(16 * 60 // 5):
        clock.now += 5
        answers.append(client.get(POLL, **POLL_HEADERS).status_code)
        if answers[-1] != 200:
            break
    polled_for = len(answers) * 5
    assert 15 * 60 < polled_for <= 15 * 60 + 5, polled_for
    assert answers[:-1] == [200] * (len(answers) - 1)
    assert answers[-1] == 401
    assert AuditEvent.objects.filter(event=audit.Event.SESSION_EXPIRED, actor_id=world_a.provider.id).count() == 1
    after = client.get(POLL, **POLL_HEADERS)  # signed out now: sent to sign in, once; the script stops
    assert after.status_code == 302 and after["Location"].startswith("/login/")
    assert client.get("/").status_code == 302


def test_an_expired_session_without_the_poll_header_is_sent_to_sign_in(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    session = client.session
    session["wp_last_seen"] = time.time() - 15 * 60 - 5
    session.save()
    response = client.get(POLL)
    assert response.status_code == 302 and response["Location"] == "/login/?expired=1"


def test_provider_pages_carry_the_notice_region_and_script(world_a: OrgWorld) -> None:
    page = sign_in(Client(), world_a.provider).get("/people/").content.decode()
    assert 'id="request-notice"' in page and f'data-poll-url="{POLL}"' in page and "requests.js" in page
    assert 'aria-live="polite"' in page
    desk = sign_in(Client(), world_a.front_desk).get("/").content.decode()
    assert "request-notice" not in desk and "requests.js" not in desk


# --- 9. The team -----------------------------------------------------------------------------------


def add_work(world: OrgWorld) -> None:
    """Open encounters, requests taken and waiting, overdue follow-ups and plans due for review."""
    today = timezone.localdate()
    second = make_staff(world.org, f"second.{world.site.name[-1].lower()}", Role.PROVIDER)
    for lead in (world.provider, world.provider, second):
        Encounter.objects.create(org=world.org, person=world.person, mode=Mode.PHONE, lead=lead)
    Encounter.objects.create(
        org=world.org, person=world.person, mode=Mode.PHONE, lead=second, closed_at=timezone.now()
    )  # closed: not counted
    SeparationRequest.objects.create(
        org=world.org, phrase="form_b", created_by_id=world.front_desk.id, status=RequestStatus.TAKEN,
        taken_by_id=second.id,
    )  # fmt: skip
    SeparationRequest.objects.create(org=world.org, phrase="room_4", created_by_id=world.front_desk.id)
    for assigned, due, status in [
        (world.provider, today - datetime.timedelta(days=2), TaskStatus.OPEN),
        (second, today - datetime.timedelta(days=1), TaskStatus.OPEN),
        (second, today - datetime.timedelta(days=1), TaskStatus.DONE),  # done: not counted
        (second, today + datetime.timedelta(days=3), TaskStatus.OPEN),  # not due: not counted
        (None, today - datetime.timedelta(days=1), TaskStatus.OPEN),
    ]:
        FollowUpTask.objects.create(
            org=world.org, person=world.person, what="x", due_on=due, status=status, assigned_to=assigned
        )
    type(world.plan).objects.filter(pk=world.plan.pk).update(review_on=today - datetime.timedelta(days=1))


def team_rows(page: str) -> dict[str, list[str]]:
    section = page.split("data-team-panel")[1].split("</section>")[0]
    rows = {}
    for chunk in section.split("<tr data-team")[1:]:
        name = chunk.split('<th scope="row">')[1].split("</th>")[0].strip()
        rows[name] = [cell.split(">")[1].split("<")[0] for cell in chunk.split("<td")[1:]]
    return rows


def test_supervisor_home_shows_the_team_as_counts(world_a: OrgWorld, world_b: OrgWorld) -> None:
    add_work(world_a)
    add_work(world_b)  # another organisation's work is never counted
    page = sign_in(Client(), world_a.supervisor).get("/").content.decode()
    rows = team_rows(page)
    # world's encounter (in person, open) + two phone ones; the request the fixture made waits too
    assert rows[world_a.provider.display_name] == ["3", "0", "1", "1"]
    assert rows["Second.A"] == ["1", "1", "1", "0"]
    assert rows["Not assigned to anyone"][2:] == ["1", "0"]  # the fixture's task is due today: not overdue
    assert "2 requests from the front desk are waiting" in page
    for private in (world_a.person.name, world_a.person.reference, "Canary", world_b.provider.display_name):
        assert private not in page.split("data-team-panel")[1].split("</section>")[0]


def test_team_panel_is_for_supervisors_only(world_a: OrgWorld) -> None:
    for role in (Role.PROVIDER, Role.FRONT_DESK, Role.AUDITOR, Role.ORG_ADMIN):
        assert "data-team-panel" not in sign_in(Client(), world_a.staff[role]).get("/").content.decode()


def test_team_panel_cost_does_not_grow_with_the_team(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.supervisor)

    def count() -> int:
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            client.get("/")
        return len(captured.captured_queries)

    before = count()
    add_work(world_a)
    for n in range(4):
        extra = make_staff(world_a.org, f"extra{n}.provider", Role.PROVIDER)
        person = Person.objects.create(org=world_a.org, name=f"P {n}", estimated_age=30, created_by_id=extra.id)
        Encounter.objects.create(org=world_a.org, person=person, mode=Mode.PHONE, lead=extra)
    assert count() == before


def test_the_review_page_agrees_with_the_step_list(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    actions.record_gate(
        world_a.provider, encounter, gate=Gate.NOT_ALONE, gate_reason="", interpreter="not_needed",
        gender_preference_offered=False,
    )  # fmt: skip
    review = as_provider.get(f"/encounters/{encounter.id}/close/").content.decode()
    assert "Waiting: Not seen alone yet" in review

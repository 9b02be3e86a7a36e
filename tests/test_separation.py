"""Separation protocol per organisation, front-desk requests with a neutral phrase, and the runner."""

from __future__ import annotations

from django.test import Client

from tests.conftest import OrgWorld, sign_in
from waypoint.core.models import AuditEvent
from waypoint.encounters.separation import SeparationProtocol, SeparationRequest, SeparationRun


def protocol_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "who_separates": "Charge nurse",
        "discreet_reasons": "X-ray\nForms",
        "refusal_steps": "Stay calm\nCall security",
        "emergency_steps": "Call security",
        "security_contact": "Security 555-0100",
        "local_police": "PD 555-0111",
        "tribal_police": "",
        "federal_contact": "",
        "adult_consent_script": "May I share?",
        "cps_contact": "CPS 555-0122",
        "check_in_minutes": "10",
        "version": "1",
    }
    data.update(overrides)
    return data


def test_default_protocol_says_it_must_be_reviewed(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    page = client.get("/encounters/separation/protocol/").content.decode()
    assert "must be reviewed" in page
    assert not SeparationProtocol.objects.exists()  # a GET writes nothing


def test_admin_saves_protocol_and_it_is_marked_reviewed(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    assert client.post("/encounters/separation/protocol/", protocol_data()).status_code == 302
    protocol = SeparationProtocol.objects.get(org=world_a.org)
    assert protocol.reviewed_by_id == world_a.org_admin.id and protocol.lines(protocol.discreet_reasons) == [
        "X-ray",
        "Forms",
    ]
    stale = client.post("/encounters/separation/protocol/", protocol_data(who_separates="Someone", version="1"))
    assert stale.status_code == 409 and "Someone" in stale.content.decode()
    protocol.refresh_from_db()
    assert protocol.who_separates == "Charge nurse"
    bad = client.post("/encounters/separation/protocol/", protocol_data(check_in_minutes="0", version="2"))
    assert bad.status_code == 200 and SeparationProtocol.objects.get().check_in_minutes == 10


def test_providers_cannot_edit_the_protocol(as_provider: Client) -> None:
    assert as_provider.get("/encounters/separation/protocol/").status_code == 404


def test_front_desk_request_is_neutral_and_reaches_providers(world_a: OrgWorld) -> None:
    desk = sign_in(Client(), world_a.front_desk)
    home = desk.get("/").content.decode()
    assert "Form B is needed" in home
    assert (
        desk.post("/encounters/separation/requests/", {"phrase": "room_4", "site": str(world_a.site.id)})["Location"]
        == "/"
    )
    request = SeparationRequest.objects.get(phrase="room_4")
    assert request.created_by_id == world_a.front_desk.id
    assert desk.post("/encounters/separation/requests/", {"phrase": "tell me everything"}).status_code == 400
    assert SeparationRequest.objects.filter(phrase="room_4").count() == 1
    provider_home = sign_in(Client(), world_a.provider).get("/").content.decode()
    assert "Room 4 paperwork" in provider_home and world_a.site.name in provider_home
    assert desk.get(f"/encounters/separation/requests/{request.id}/").status_code == 404  # front desk: no runner


def test_take_request_and_record_refusal_shows_escalation(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    request = world_a.separation_request
    assert client.post(f"/encounters/separation/requests/{request.id}/take/")["Location"] == (
        f"/encounters/separation/requests/{request.id}/"
    )
    other = sign_in(Client(), world_a.supervisor)
    assert other.post(f"/encounters/separation/requests/{request.id}/take/")["Location"] == "/"
    response = client.post(
        f"/encounters/separation/requests/{request.id}/",
        {"separator": "Provider A", "reason_given": "Forms", "outcome": "refused"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "The companion refused" in body and "1-888-373-7888" in body
    assert "(add" not in body  # no contact filled in yet: 911 and the hotline, never a placeholder
    run = SeparationRun.objects.get()
    assert run.outcome == "refused" and run.request == request
    request.refresh_from_db()
    assert request.status == "taken"  # refused: the provider is still on it and may try again (issue 11)
    assert AuditEvent.objects.filter(event="separation.updated").count() == 2


def test_runner_from_an_encounter(as_provider: Client, world_a: OrgWorld) -> None:
    url = f"/encounters/{world_a.encounter.id}/separation/"
    assert as_provider.post(url, {"separator": "A", "outcome": "not_attempted"}).status_code == 400
    ok = as_provider.post(url, {"separator": "A", "outcome": "separated", "reason_given": "X-ray"})
    assert ok["Location"].split("#")[0] == f"/encounters/{world_a.encounter.id}/"  # Privacy is done: the steps
    assert SeparationRun.objects.get().encounter == world_a.encounter


def test_other_org_cannot_see_requests(world_a: OrgWorld, world_b: OrgWorld) -> None:
    client = sign_in(Client(), world_b.provider)
    home = client.get("/").content.decode()
    assert str(world_b.separation_request.id) in home
    assert str(world_a.separation_request.id) not in home
    assert client.get(f"/encounters/separation/requests/{world_a.separation_request.id}/").status_code == 404

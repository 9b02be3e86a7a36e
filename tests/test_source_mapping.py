"""Rows S1-S9, T1-T4 and T6 of PRODUCT.md: where each requirement of the practice guides appears in the
running product.  Each row names the page and the words a provider sees there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.conftest import OrgWorld, sign_in
from waypoint.content.source import CONTENT, IN_PERSON, PHONE
from waypoint.encounters.models import Encounter, Mode, StepState
from waypoint.orgs.models import Role

Url = Callable[[OrgWorld], str]


def ready(world: OrgWorld, mode: str) -> Encounter:
    """An encounter past the privacy gate and the confidentiality step."""
    encounter = Encounter.objects.create(
        org=world.org, person=world.person, mode=mode, lead=world.provider, gate="alone"
    )
    StepState.objects.create(encounter=encounter, step="confidentiality", status="done", by_id=world.provider.id)
    return encounter


def enc(path: str) -> Url:
    return lambda w: f"/encounters/{w.encounter.id}/{path}"


ROWS: dict[str, list[tuple[Url, Role, list[str]]]] = {
    "S1 physical comfort": [
        (
            enc(""),
            Role.PROVIDER,
            ["Water offered", "Restroom shown", "Asked if they need anything", "data-check-in-seconds"],
        )
    ],
    "S2 provider's manner": [
        (
            lambda w: f"/people/{w.person.id}/encounters/new/",
            Role.PROVIDER,
            ["calm tone, eye contact", "Respect personal space, do not touch", "eye level"],
        )
    ],
    "S3 pace, their language, break, interviewer gender": [
        (enc(""), Role.PROVIDER, ["Break offered", "Break taken", "Their words", "Match their pace"]),
        (enc("privacy/"), Role.PROVIDER, ["male or a female interviewer"]),
    ],
    "S4 concern and confidential services": [
        (enc("confidentiality/"), Role.PROVIDER, ["I am concerned for your safety", "confidential"])
    ],
    "S5 seen alone, signs, orientation": [
        (
            enc("privacy/"),
            Role.PROVIDER,
            [
                "alone for at least part of every visit",
                "signs in the waiting and exam rooms",
                "every staff member is told",
                "only when you are alone",
            ],
        ),
        # Issue 13: the organisation's side of S5
        (lambda w: "/encounters/see-alone-policy/", Role.ORG_ADMIN, ["we see every patient or client alone"]),
        (lambda w: "/signs/", Role.ORG_ADMIN, ["Waiting room", "Exam room", "Restroom", "A4"]),
        (lambda w: "/orientation/", Role.PROVIDER, ["I have read this", "Exit"]),
        (lambda w: "/settings/orientation/", Role.ORG_ADMIN, ["Oriented on"]),
        (lambda w: "/oversight/see-alone/", Role.SUPERVISOR, ["Seen alone"]),
    ],
    "S6 separation protocol": [
        (enc("separation/"), Role.PROVIDER, ["Who separates", "Reasons you can give", "If the companion refuses"]),
        (
            lambda w: "/encounters/separation/protocol/",
            Role.ORG_ADMIN,
            [
                "Hospital or building security",
                "Local law enforcement",
                "Tribal law enforcement",
                "Federal law enforcement",
                "Informed-consent script for adults",
            ],
        ),
        (lambda w: "/settings/jurisdiction/", Role.ORG_ADMIN, ["mandated-report agency"]),
    ],
    "S7 in-person safety check": [
        (
            lambda w: f"/encounters/{ready(w, Mode.IN_PERSON).id}/safety-check/",
            Role.PROVIDER,
            [text.split("?")[0] for _k, text, _es in CONTENT[IN_PERSON]],
        )
    ],
    "S8 phone safety check": [
        (
            # On a call the reminder and "is it safe to speak right now?" come first, on their own page.
            lambda w: f"/encounters/{ready(w, Mode.PHONE).id}/safe-to-talk/",
            Role.PROVIDER,
            ["free to hang up", "Is it safe for you to speak with me right now"],
        ),
        (
            lambda w: f"/encounters/{ready(w, Mode.PHONE).id}/safety-check/",
            Role.PROVIDER,
            [text.split("?")[0] for _k, text, _es in CONTENT[PHONE]],
        ),
    ],
    "T1 person-centred, their language": [
        (lambda w: "/people/new/", Role.PROVIDER, ["Preferred language", "Their words", "Preferred interviewer"])
    ],
    "T2 four areas of safety": [
        (
            lambda w: f"/encounters/{ready(w, Mode.IN_PERSON).id}/assessment/",
            Role.PROVIDER,
            ["Physical safety", "Communication safety", "Environmental safety", "Emotional safety"],
        )
    ],
    "T3 de-escalation": [
        (enc(""), Role.PROVIDER, ["Grounding", "Breathing", "Model calm", "Mirror the words", "Listen actively"])
    ],
    "T4 emergency needs": [
        (
            lambda w: f"/encounters/{ready(w, Mode.IN_PERSON).id}/needs/",
            Role.PROVIDER,
            ["Injuries", "Medications", "Shelter", "Food and water"],
        ),
        (enc("injured/"), Role.PROVIDER, ["911 or an ambulance"]),
        (
            lambda w: f"/encounters/{ready(w, Mode.IN_PERSON).id}/needs/",
            Role.PROVIDER,
            ["Make a referral for these needs", "/referrals/new/?encounter="],
        ),
    ],
    "S9 the hotline and local experts": [
        (
            lambda w: "/directory/",
            Role.PROVIDER,
            ["National Human Trafficking Hotline", "1-888-373-7888", "233733", "Canary Legal Aid A"],
        ),
        (enc("hotline-card/"), Role.PROVIDER, ["1-888-373-7888", "233733"]),
    ],
    "T6 resources and next steps: confirm stakeholder services": [
        (
            lambda w: f"/people/{w.person.id}/referrals/new/",
            Role.PROVIDER,
            ["Already receiving — check before referring", "Canary Clinic A", "Canary Legal Aid A"],
        ),
        (
            lambda w: f"/people/{w.person.id}/referrals/",
            Role.PROVIDER,
            ["Services already received", "Referrals", "Releases of information", "Disclosures required by law"],
        ),
    ],
}


@pytest.mark.parametrize("row", sorted(ROWS))
def test_row_appears_in_the_running_product(world_a: OrgWorld, row: str) -> None:
    for url, role, phrases in ROWS[row]:
        client = sign_in(Client(), world_a.staff[role])
        response = client.get(url(world_a))
        assert response.status_code == 200, (row, response.status_code)
        body = response.content.decode()
        missing = [phrase for phrase in phrases if phrase not in body]
        assert missing == [], (row, missing)


def test_every_row_s1_to_s9_t1_to_t4_and_t6_is_mapped() -> None:
    assert sorted(key.split()[0] for key in ROWS) == sorted(
        [f"S{n}" for n in range(1, 10)] + [f"T{n}" for n in range(1, 5)] + ["T6"]
    )

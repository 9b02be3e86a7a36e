"""Two submits of the same new-record form arriving together: both may pass the "was this token used?"
check before either has recorded it.  The second insert of the token then fails; that whole attempt
is rolled back and the page answers with the first record, never a 500 and never a second record.
The race is forced by letting the check miss once, exactly as the loser of a real race would."""

from __future__ import annotations

import uuid
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, sign_in
from tests.test_people import person_data
from waypoint.core import concurrency
from waypoint.people.models import Person
from waypoint.referrals.models import ServiceRecord


def miss_once(monkeypatch: Any, module: str) -> None:
    """The next "was this token used?" check inside the action says no, as in the losing request."""
    real = concurrency.previous_result
    calls = {"n": 0}

    def check(*args: Any) -> Any:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args)

    monkeypatch.setattr(f"{module}.previous_result", check)


def test_a_person_form_submitted_twice_at_once_makes_one_record(
    client: Client, world_a: OrgWorld, monkeypatch: Any
) -> None:
    sign_in(client, world_a.provider)
    data = person_data()
    before = Person.objects.count()
    first = client.post("/people/new/", data)
    miss_once(monkeypatch, "waypoint.people.actions")
    second = client.post("/people/new/", data)
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Person.objects.count() == before + 1


def test_a_service_submitted_twice_at_once_is_added_once(client: Client, world_a: OrgWorld, monkeypatch: Any) -> None:
    sign_in(client, world_a.provider)
    url = reverse("referrals:services", args=[world_a.person.id])
    data = {"provider": "Legal Aid", "service": "Visa help", "status": "ongoing", "form_token": str(uuid.uuid4())}
    before = ServiceRecord.objects.filter(person=world_a.person).count()
    assert client.post(url, data).status_code == 302
    miss_once(monkeypatch, "waypoint.referrals.actions.services")
    assert client.post(url, data).status_code == 302
    assert ServiceRecord.objects.filter(person=world_a.person).count() == before + 1

"""Org admins adjust wording or add a language as a new version; old answers keep their version."""

from __future__ import annotations

from django.test import Client

from tests.conftest import OrgWorld, sign_in
from waypoint.content.models import ContentSet
from waypoint.content.source import PHONE
from waypoint.encounters.models import SafetyAnswer


def test_add_a_language_as_a_new_version(world_a: OrgWorld, world_b: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    default = ContentSet.current(world_a.org.id, PHONE)
    page = client.get("/settings/content/phone_check/vi/").content.decode()
    assert "Is it safe for you to speak with me right now?" in page  # the English wording labels each field
    data = {key: f"VI {key}" for key in default.keys()}
    data["version"] = str(default.version)
    assert client.post("/settings/content/phone_check/vi/", data)["Location"] == "/settings/content/"
    mine = ContentSet.current(world_a.org.id, PHONE)
    assert mine.org_id == world_a.org.id and mine.version == default.version + 1
    assert mine.text("safe_to_talk", "vi") == "VI safe_to_talk"
    assert mine.text("safe_to_talk", "en") == default.text("safe_to_talk", "en")  # other languages copied
    assert ContentSet.current(world_b.org.id, PHONE) == default  # another organisation is unaffected


def test_stale_version_and_bad_input_are_refused(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    default = ContentSet.current(world_a.org.id, PHONE)
    data = {key: "x" for key in default.keys()}
    assert client.post("/settings/content/phone_check/es/", {**data, "version": "999"}).status_code == 302
    assert ContentSet.current(world_a.org.id, PHONE) == default
    empty = client.post("/settings/content/phone_check/es/", {"version": str(default.version)})
    assert empty.status_code == 400
    assert client.get("/settings/content/bogus/es/").status_code == 404
    assert client.get("/settings/content/phone_check/xx/").status_code == 404


def test_answers_keep_the_version_they_were_asked_in(world_a: OrgWorld) -> None:
    default = ContentSet.current(world_a.org.id, PHONE)
    answer = SafetyAnswer.objects.create(
        encounter=world_a.encounter,
        content_set=default,
        question_key="safe_to_talk",
        answer="yes",
        consented=True,
        by_id=world_a.provider.id,
    )
    client = sign_in(Client(), world_a.org_admin)
    data = {key: f"changed {key}" for key in default.keys()}
    client.post("/settings/content/phone_check/en/", {**data, "version": str(default.version)})
    answer.refresh_from_db()
    assert answer.content_set == default
    assert answer.content_set.text("safe_to_talk", "en") == "Is it safe for you to speak with me right now?"
    assert ContentSet.current(world_a.org.id, PHONE).text("safe_to_talk", "en") == "changed safe_to_talk"


def test_only_org_admins(as_provider: Client) -> None:
    assert as_provider.get("/settings/content/").status_code == 404

"""Property tests: whatever is typed into the forms, the answer is a page (never a 500) and either
the whole record is saved or nothing is."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_org, sign_in
from waypoint.people.models import Person

NASTY = st.one_of(
    st.text(max_size=300),
    st.sampled_from(
        [
            "\x00",
            "\u202e",
            "\u2066x\u2069",
            "\u200b",
            "\ufeff",
            "\ud800",
            "\udfff",
            "\ufffd",
            "' OR 1=1 --",
            "{{ request }}",
            "{% debug %}",
            "<img src=x onerror=alert(1)>",
            '=HYPERLINK("x")',
            "x" * 70000,
        ]
    ),
)
FIELDS = [
    "name",
    "alias",
    "date_of_birth",
    "estimated_age",
    "preferred_language",
    "pronouns",
    "interviewer_gender",
    "interpreter_language",
    "their_words",
    "notes",
    "version",
    "form_token",
    "assigned_staff",
]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def form_body(data: dict[str, str]) -> bytes:
    """URL-encode as a browser would, passing lone surrogates through as the (invalid) bytes a
    hostile client could send."""
    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in data.items()).encode()


def post(client: Client, path: str, data: dict[str, str]) -> Any:
    return client.post(path, form_body(data), content_type="application/x-www-form-urlencoded")


@pytest.fixture
def provider_client(db: Any) -> tuple[Client, Any]:
    world = make_org("p")
    return sign_in(Client(), world.provider), world


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(FIELDS), NASTY, max_size=len(FIELDS)))
def test_create_person_never_errors_and_never_half_saves(
    provider_client: tuple[Client, Any], data: dict[str, str]
) -> None:
    client, _world = provider_client
    before = Person.objects.count()
    response = post(client, "/people/new/", data)
    assert response.status_code in (200, 302, 400)
    after = Person.objects.count()
    if response.status_code == 302:
        assert after == before + 1 or data.get("form_token")
        person = Person.objects.order_by("-created_at").first()
        assert person is not None and person.name == data.get("name", "").strip()
    else:
        assert after == before


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(FIELDS), NASTY, max_size=len(FIELDS)))
def test_edit_person_never_errors(provider_client: tuple[Client, Any], data: dict[str, str]) -> None:
    client, world = provider_client
    person = Person.objects.get(pk=world.person.pk)
    response = post(client, f"/people/{person.id}/edit/", data)
    assert response.status_code in (200, 302, 400, 409)
    person.refresh_from_db()
    if response.status_code != 302:
        assert person.notes == "Canary note P"


@SETTINGS
@given(query=NASTY)
def test_search_never_errors(provider_client: tuple[Client, Any], query: str) -> None:
    client, _world = provider_client
    with override_settings(WAYPOINT_SEARCHES_PER_MINUTE=10**6):  # Hypothesis searches more than a person can
        assert post(client, "/people/search/", {"wp_find": query}).status_code == 200


@SETTINGS
@given(params=st.dictionaries(st.sampled_from(["reference", "staff", "event", "start", "end", "page"]), NASTY))
def test_audit_filters_never_error(db: Any, params: dict[str, str]) -> None:
    world = make_org(uuid.uuid4().hex[:6])
    client = sign_in(Client(), world.auditor)
    response = client.get("/oversight/audit/?" + form_body(params).decode())
    assert response.status_code in (200, 400)


@SETTINGS
@given(username=NASTY, password=NASTY, next_url=NASTY)
def test_login_never_errors(db: Any, username: str, password: str, next_url: str) -> None:
    response = post(Client(), "/login/", {"username": username, "password": password, "next": next_url})
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("body", [b"name=%ED%A0%80", b"name=%FF%FE", b"name=R%C3", b"\xff\xfe\x00garbage"])
def test_invalid_utf8_bodies(provider_client: tuple[Client, Any], body: bytes) -> None:
    client, _world = provider_client
    response = client.post("/people/new/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 400)
    assert Person.objects.count() == 1


# --- Safety plan, ledger and printing --------------------------------------------------------------

STEP_FIELDS = "version current-TOTAL_FORMS current-INITIAL_FORMS current-0-text current-0-idea current-0-status "
STEP_FIELDS += "current-0-due_on current-0-DELETE future-TOTAL_FORMS future-0-text"
ITEM_FIELDS = "version status what where refills voicemail safe_word contact_0_name contact_0_number task_0_what "
ITEM_FIELDS += "task_0_due services"
PRINT_FIELDS = ["carry", "sections", "layout", "language", "contacts", "items"]


def plan_state(world: Any) -> tuple[int, str]:
    from waypoint.plans.models import SafetyPlan

    plan = SafetyPlan.objects.get(pk=world.plan.pk)
    return plan.version, plan.content_json


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(STEP_FIELDS.split()), NASTY, max_size=10))
def test_plan_domain_never_errors_and_never_half_saves(provider_client: tuple[Client, Any], data: dict) -> None:
    client, world = provider_client
    before = plan_state(world)
    response = post(client, f"/plans/{world.plan.id}/domains/physical/", data)
    assert response.status_code in (200, 302, 400, 409)
    if response.status_code != 302:
        assert plan_state(world) == before


@SETTINGS
@given(
    item=st.sampled_from(["medications", "permissions", "device", "follow_up", "immediate_help", "services"]),
    data=st.dictionaries(st.sampled_from(ITEM_FIELDS.split()), NASTY, max_size=12),
)
def test_plan_items_never_error_and_never_half_save(provider_client: tuple[Client, Any], item: str, data: dict) -> None:
    from waypoint.contact.models import FollowUpTask

    client, world = provider_client
    before, tasks = plan_state(world), FollowUpTask.objects.count()
    response = post(client, f"/plans/{world.plan.id}/resources/{item}/", data)
    assert response.status_code in (200, 302, 400, 409)
    if response.status_code != 302:
        assert plan_state(world) == before and FollowUpTask.objects.count() == tasks


@SETTINGS
@given(
    path=st.sampled_from(["print/", "print/plan/", "print/card/", "memorise/"]),
    data=st.dictionaries(st.sampled_from(PRINT_FIELDS), NASTY, max_size=len(PRINT_FIELDS)),
)
def test_print_routes_never_error_and_never_print_unasked(
    provider_client: tuple[Client, Any], path: str, data: dict
) -> None:
    client, world = provider_client
    response = post(client, f"/plans/{world.plan.id}/{path}", data)
    assert response.status_code in (200, 302, 400, 409)
    assert not response.content.startswith(b"%PDF")


@SETTINGS
@given(data=st.dictionaries(st.sampled_from(["provider", "service", "status", "started_on", "ended_on",
                                             "contact_person", "notes", "form_token"]), NASTY))  # fmt: skip
def test_services_ledger_never_errors(provider_client: tuple[Client, Any], data: dict) -> None:
    from waypoint.referrals.models import ServiceRecord

    client, world = provider_client
    before = ServiceRecord.objects.count()
    response = post(client, f"/people/{world.person.id}/services/", data)
    assert response.status_code in (200, 302, 400)
    if response.status_code != 302:
        assert ServiceRecord.objects.count() == before

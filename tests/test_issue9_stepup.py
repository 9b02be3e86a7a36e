"""Issue 9, item 4: every export (plan PDF, wallet card), the things-to-remember screen and every
view of a safe word need a step-up within the last five minutes.  Without one: a redirect to the
step-up page (or "Hidden" with a link through it), nothing rendered, no PDF bytes, nothing written."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, OrgWorld, sign_in
from tests.test_plans import item_data
from tests.test_printing import CHOSEN, build_plan, record_carry
from waypoint.core.models import AuditEvent
from waypoint.orgs import auth
from waypoint.plans.display import SECRET_FIELDS
from waypoint.plans.models import SafetyPlan
from waypoint.plans.spec import ITEMS, item_section

SAFE_WORD = "blue"  # what build_plan saves as the safe word
OLD = 5 * 60 + 5  # seconds since the last step-up: just past the limit


def set_step_up(client: Client, seconds_ago: float) -> None:
    session = client.session
    session["wp_step_up_at"] = time.time() - seconds_ago
    session.save()


def ready_plan(client: Client, world: OrgWorld) -> SafetyPlan:
    """A plan with contacts, a safe word and a recorded "safe to carry" answer (step-up fresh)."""
    sign_in(client, world.provider)
    build_plan(client, world.plan)
    assert record_carry(client, world.plan, "safe", CHOSEN).status_code == 302
    world.plan.refresh_from_db()
    return world.plan


def step_up_target(response: object, expected_next: str) -> None:
    location = response["Location"]  # type: ignore[index]
    parts = urlsplit(location)
    assert response.status_code == 302, response.status_code  # type: ignore[attr-defined]
    assert parts.path == reverse("orgs:step_up")
    assert parse_qs(parts.query)["next"] == [expected_next]


def is_pdf(response: object) -> bool:
    content = getattr(response, "content", b"")
    return response.get("Content-Type", "").startswith("application/pdf") or content[:5] == b"%PDF-"  # type: ignore[attr-defined]


EXPORTS = {
    "printing:plan": {"sections": CHOSEN, "layout": "discreet", "language": "en"},
    "printing:card": {"contacts": ["0"], "language": "en"},
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_exports_need_a_recent_step_up(client: Client, world_a: OrgWorld, name: str) -> None:
    plan = ready_plan(client, world_a)
    setup = reverse("printing:setup", args=[plan.id])
    set_step_up(client, OLD)
    before = AuditEvent.objects.count()
    response = client.post(reverse(name, args=[plan.id]), {**EXPORTS[name], "return_to": setup})
    step_up_target(response, setup)
    assert not is_pdf(response) and b"%PDF" not in response.content
    assert AuditEvent.objects.filter(event__in=["plan.printed", "plan.card_printed"]).count() == 0
    assert AuditEvent.objects.count() == before  # nothing printed, nothing recorded as printed
    assert client.get(reverse(name, args=[plan.id])).status_code == 405  # still POST only

    set_step_up(client, 10)
    response = client.post(reverse(name, args=[plan.id]), EXPORTS[name])
    assert response.status_code == 200 and is_pdf(response)


def test_the_print_page_says_a_download_asks_to_confirm(client: Client, world_a: OrgWorld) -> None:
    plan = ready_plan(client, world_a)
    setup = reverse("printing:setup", args=[plan.id])
    set_step_up(client, OLD)
    page = client.get(setup).content.decode()
    assert "asks for your password and code again" in page
    assert page.count(f'name="return_to" value="{setup}"') == 2  # the plan and the card forms come back here


def test_memorising_needs_a_recent_step_up(client: Client, world_a: OrgWorld) -> None:
    plan = ready_plan(client, world_a)
    url = reverse("printing:memorise", args=[plan.id])
    assert client.post(url, {"items": ["hotline", "safe_word"]}).status_code == 302
    set_step_up(client, OLD)
    response = client.get(url)
    step_up_target(response, url)
    assert SAFE_WORD.encode() not in response.content and b"555-0101" not in response.content
    response = client.post(url, {"items": ["hotline"], "return_to": url})
    step_up_target(response, url)
    plan.refresh_from_db()
    assert plan.memorise_items == ["hotline", "safe_word"]  # the POST changed nothing

    set_step_up(client, 10)
    page = client.get(url)
    assert page.status_code == 200 and f"Safe word: {SAFE_WORD}" in page.content.decode()


def test_the_plan_page_hides_the_safe_word_until_step_up(client: Client, world_a: OrgWorld) -> None:
    plan = ready_plan(client, world_a)
    url = reverse("plans:detail", args=[plan.id])
    set_step_up(client, OLD)
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<dd class="pre">{SAFE_WORD}</dd>' not in body and "Hidden: confirm it is you to see it" in body
    assert "Charger at work" in body  # the rest of the item is still shown
    link = f'href="{reverse("orgs:step_up")}?next={url.replace("/", "%2F")}"'
    assert "Show safe words (confirm it is you)" in body and link in body

    set_step_up(client, 10)
    body = client.get(url).content.decode()
    assert f'<dd class="pre">{SAFE_WORD}</dd>' in body and "Show safe words" not in body


def test_the_comparison_hides_the_safe_word_until_step_up(client: Client, world_a: OrgWorld) -> None:
    plan = ready_plan(client, world_a)
    url = reverse("plans:compare", args=[plan.id])
    query = {"a": 1, "b": plan.version}
    set_step_up(client, OLD)
    page = client.get(url, query)
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<td class="pre">{SAFE_WORD}</td>' not in body and "Hidden: confirm it is you to see it" in body
    assert "Show safe words (confirm it is you)" in body
    assert "Charger at work" in body

    set_step_up(client, 10)
    body = client.get(url, query).content.decode()
    assert f'<td class="pre">{SAFE_WORD}</td>' in body and "Show safe words" not in body


def test_the_safe_word_item_needs_a_recent_step_up_to_open_or_save(client: Client, world_a: OrgWorld) -> None:
    plan = ready_plan(client, world_a)
    url = reverse("plans:item", args=[plan.id, "device"])
    set_step_up(client, OLD)
    response = client.get(url)
    step_up_target(response, url)
    assert SAFE_WORD.encode() not in response.content
    version = plan.version
    other = client.get(reverse("plans:item", args=[plan.id, "medications"]))
    assert other.status_code == 200  # items without a safe word are not held back

    set_step_up(client, 10)
    page = client.get(url).content.decode()
    assert f'value="{SAFE_WORD}"' in page and f'name="return_to" value="{url}"' in page
    assert client.post(url, item_data("d", version, safe_word="red")).status_code == 302
    plan.refresh_from_db()
    assert plan.content[item_section("device")]["fields"]["safe_word"] == "red"


def test_a_save_after_the_step_up_ran_out_keeps_what_was_typed_and_confirms_inline(
    client: Client, world_a: OrgWorld
) -> None:
    """Typing for longer than five minutes loses nothing: the save asks for password and code on the
    same page, with the typed values still in their fields; a wrong code saves nothing."""
    plan = ready_plan(client, world_a)
    url = reverse("plans:item", args=[plan.id, "device"])
    version = plan.version
    set_step_up(client, OLD)
    typed = {**item_data("d", version, safe_word="green", battery="Charger at work"), "return_to": url}
    response = client.post(url, typed)
    assert response.status_code == 403
    page = response.content.decode()
    assert 'value="green"' in page and "Charger at work" in page and 'name="confirm-password"' in page
    plan.refresh_from_db()
    assert plan.version == version and plan.content[item_section("device")]["fields"]["safe_word"] == SAFE_WORD

    staff = world_a.provider
    wrong = client.post(url, {**typed, "confirm-password": PASSWORD, "confirm-code": "000000"})
    assert wrong.status_code == 403 and 'value="green"' in wrong.content.decode()
    assert AuditEvent.objects.filter(event="auth.step_up_failed", actor_id=staff.id).count() == 1
    plan.refresh_from_db()
    assert plan.version == version

    code = auth.totp_code(staff.totp_secret, time.time() + 30)  # the sign-in used this step's code
    saved = client.post(url, {**typed, "confirm-password": PASSWORD, "confirm-code": code})
    assert saved.status_code == 302
    plan.refresh_from_db()
    assert plan.content[item_section("device")]["fields"]["safe_word"] == "green"
    assert AuditEvent.objects.filter(event="auth.step_up", actor_id=staff.id).exists()


def test_another_organisation_gets_404_not_a_step_up(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    plan = world_a.plan
    sign_in(client, world_b.provider)
    set_step_up(client, OLD)
    for name in ("printing:plan", "printing:card"):
        assert client.post(reverse(name, args=[plan.id]), EXPORTS[name]).status_code == 404
    assert client.get(reverse("printing:memorise", args=[plan.id])).status_code == 404
    assert client.get(reverse("plans:item", args=[plan.id, "device"])).status_code == 404
    assert client.get(reverse("plans:item", args=[plan.id, "nonsense"])).status_code == 404


def test_every_word_field_of_the_plan_is_a_secret() -> None:
    """A new "danger word" or "code word" field is hidden like the safe word, or this fails."""
    words = {(item_section(item.key), f.name) for item in ITEMS for f in item.fields if "word" in f.name}
    assert words and words <= SECRET_FIELDS

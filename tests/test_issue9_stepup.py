"""Issue 9, item 4: every export (plan PDF, wallet card), the things-to-remember screen and every
view of a safe word need a step-up within the last five minutes.  Without one: a redirect to the
step-up page (or "Hidden" with a link through it), nothing rendered, no PDF bytes, nothing written."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, OrgWorld, make_staff, sign_in
from tests.test_plans import item_data, post_item
from tests.test_printing import CHOSEN, build_plan, record_carry
from waypoint.contact.models import ContactRules
from waypoint.contact.rules import FIELDS, GROUPS
from waypoint.contact.rules import SECRET_FIELDS as RULE_SECRETS
from waypoint.core.models import AuditEvent
from waypoint.orgs import auth
from waypoint.orgs.models import Role
from waypoint.plans.display import SECRET_SECTIONS
from waypoint.plans.models import SafetyPlan
from waypoint.plans.spec import ITEMS, item_section

SAFE_WORD = "blue"  # what build_plan saves as the safe word (in the person's contact rules)
DEVICE = {"rule_safe_word": SAFE_WORD, "rule_battery_plan": "Charger at work"}  # the device item build_plan saves
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


def safe_word(person: object) -> str:
    return ContactRules.objects.get(person=person).safe_word


def test_the_plan_page_hides_the_safe_word_until_step_up(client: Client, world_a: OrgWorld) -> None:
    plan = ready_plan(client, world_a)
    url = reverse("plans:detail", args=[plan.id])
    set_step_up(client, OLD)
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert f'<dd class="pre">{SAFE_WORD}</dd>' not in body and "Hidden: confirm it is you to see it" in body
    assert "Charger at work" in body  # the rest of the item (the rules' battery plan) is still shown
    link = f'href="{reverse("orgs:step_up")}?next={url.replace("/", "%2F")}"'
    assert "Show safe words (confirm it is you)" in body and link in body

    set_step_up(client, 10)
    body = client.get(url).content.decode()
    assert f'<dd class="pre">{SAFE_WORD}</dd>' in body and "Show safe words" not in body


def test_the_plan_page_shows_the_safe_word_only_to_those_who_may_hold_it(client: Client, world_a: OrgWorld) -> None:
    """A provider of the organisation who is not assigned to the record and holds no follow-up of it
    may read the plan, but never the safe word, even after a step-up: no row for it at all, and no
    offer to reveal it.  Holding an open follow-up of the person is not enough (any reader may make
    one and assign it to themselves); being assigned to the record, or a supervisor, is."""
    from django.utils import timezone

    from waypoint.contact.models import FollowUpTask

    plan = ready_plan(client, world_a)
    url = reverse("plans:detail", args=[plan.id])
    stranger = make_staff(world_a.org, "provider2.a", Role.PROVIDER)
    other = sign_in(Client(), stranger)
    body = other.get(url).content.decode()
    assert "Charger at work" in body
    assert SAFE_WORD not in body and "Show safe words" not in body and "Hidden: confirm it is you" not in body
    assert "<dt>Safe word</dt>" not in body
    device = other.get(reverse("plans:item", args=[plan.id, "device"])).content.decode()
    assert SAFE_WORD not in device and 'name="rule_safe_word"' not in device
    FollowUpTask.objects.create(
        org=world_a.org, person=world_a.person, due_on=timezone.localdate(), channel="call", assigned_to=stranger
    )
    assert SAFE_WORD not in other.get(url).content.decode()
    world_a.person.assigned_staff.add(stranger)
    assert f'<dd class="pre">{SAFE_WORD}</dd>' in other.get(url).content.decode()
    supervisor = sign_in(Client(), world_a.supervisor)
    assert f'<dd class="pre">{SAFE_WORD}</dd>' in supervisor.get(url).content.decode()


def test_the_comparison_never_shows_the_safe_word(client: Client, world_a: OrgWorld) -> None:
    """The plan holds no safe word (it lives in the contact rules), so no version and no comparison
    can show it, with or without a step-up, and nothing offers to reveal it there."""
    plan = ready_plan(client, world_a)
    url = reverse("plans:compare", args=[plan.id])
    query = {"a": 1, "b": plan.version}
    assert all(SAFE_WORD not in repr(v.content) for v in plan.versions.all())
    for seconds_ago in (OLD, 10):
        set_step_up(client, seconds_ago)
        page = client.get(url, query)
        body = page.content.decode()
        assert page.status_code == 200 and str(ITEMS[-1].title) in body
        assert SAFE_WORD not in body and "Show safe words" not in body and "Hidden: confirm it is you" not in body


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
    changed = item_data("d", version, **{**DEVICE, "rule_safe_word": "red"})
    assert post_item(client, plan, "device", changed).status_code == 302
    assert safe_word(plan.person) == "red"
    plan.refresh_from_db()
    assert "red" not in repr(plan.content[item_section("device")])  # the plan keeps no copy


def test_a_save_after_the_step_up_ran_out_keeps_what_was_typed_and_confirms_inline(
    client: Client, world_a: OrgWorld
) -> None:
    """Typing for longer than five minutes loses nothing: the save asks for password and code on the
    same page, with the typed values still in their fields; a wrong code saves nothing."""
    plan = ready_plan(client, world_a)
    url = reverse("plans:item", args=[plan.id, "device"])
    version = plan.version
    rules_version = ContactRules.objects.get(person=plan.person).version
    set_step_up(client, OLD)
    typed = {
        **item_data("d", version, **{**DEVICE, "rule_safe_word": "green"}),
        "rules_how": "in_person", "rules_version": rules_version, "return_to": url,
    }  # fmt: skip
    response = client.post(url, typed)
    assert response.status_code == 403
    page = response.content.decode()
    assert 'value="green"' in page and "Charger at work" in page and 'name="confirm-password"' in page
    plan.refresh_from_db()
    assert plan.version == version and safe_word(plan.person) == SAFE_WORD

    staff = world_a.provider
    wrong = client.post(url, {**typed, "confirm-password": PASSWORD, "confirm-code": "000000"})
    assert wrong.status_code == 403 and 'value="green"' in wrong.content.decode()
    assert AuditEvent.objects.filter(event="auth.step_up_failed", actor_id=staff.id).count() == 1
    plan.refresh_from_db()
    assert plan.version == version and safe_word(plan.person) == SAFE_WORD

    code = auth.totp_code(staff.totp_secret, time.time() + 30)  # the sign-in used this step's code
    saved = client.post(url, {**typed, "confirm-password": PASSWORD, "confirm-code": code})
    assert saved.status_code == 302
    assert safe_word(plan.person) == "green"
    assert AuditEvent.objects.filter(event="auth.step_up", actor_id=staff.id).exists()


def test_the_rules_page_needs_a_recent_step_up_to_open_or_save(client: Client, world_a: OrgWorld) -> None:
    """The contact rules page holds the safe word for those who may hold it: a stale step-up sends a
    GET to the step-up page and holds a POST back (the typed word kept), exactly like the device item."""
    plan = ready_plan(client, world_a)
    url = reverse("contact:rules", args=[plan.person_id])
    set_step_up(client, OLD)
    response = client.get(url)
    step_up_target(response, url)
    assert SAFE_WORD.encode() not in response.content
    rules = ContactRules.objects.get(person=plan.person)
    typed = {
        "version": rules.version,
        "how": "phone",
        "rule_safe_word": "violet",
        "rule_battery_plan": DEVICE["rule_battery_plan"],
    }
    response = client.post(url, typed)
    assert response.status_code == 403 and 'value="violet"' in response.content.decode()
    assert safe_word(plan.person) == SAFE_WORD

    set_step_up(client, 10)
    assert f'value="{SAFE_WORD}"' in client.get(url).content.decode()
    assert client.post(url, typed).status_code == 302
    assert safe_word(plan.person) == "violet"


def test_another_organisation_gets_404_not_a_step_up(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    plan = world_a.plan
    sign_in(client, world_b.provider)
    set_step_up(client, OLD)
    for name in ("printing:plan", "printing:card"):
        assert client.post(reverse(name, args=[plan.id]), EXPORTS[name]).status_code == 404
    assert client.get(reverse("printing:memorise", args=[plan.id])).status_code == 404
    assert client.get(reverse("plans:item", args=[plan.id, "device"])).status_code == 404
    assert client.get(reverse("plans:item", args=[plan.id, "nonsense"])).status_code == 404


def test_every_word_field_is_a_secret() -> None:
    """A new "danger word" or "code word" rule is hidden like the safe word, or this fails; the plan
    itself has no word field (its device item edits the rules), and every item that edits the words
    needs a step-up to open."""
    words = {name for name in FIELDS if name.endswith("_word")}  # not "_word_action" or "someone_answers_words"
    assert words >= {"safe_word", "danger_word"} and words <= RULE_SECRETS
    assert not [(item.key, f.name) for item in ITEMS for f in item.fields if "word" in f.name]
    editing_words = {item_section(item.key) for item in ITEMS if set(item.rules) & {"words", "whereabouts"}}
    assert editing_words == {item_section("device")} and editing_words <= SECRET_SECTIONS
    where = {"post_address", "visit_address"}  # where they live, shown like the words
    assert RULE_SECRETS - where <= {name for group in ("words", "whereabouts") for name in GROUPS[group]}

"""Printing that respects safety: the safe-to-carry gate on every print URL, only the chosen
sections on paper, neutral PDF metadata, the discreet layout, the wallet card and memorising."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, sign_in
from tests.sweeps import all_patterns
from tests.test_plans import domain_data, item_data, post_item, save_domain
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import Education
from waypoint.plans.models import SafetyPlan

POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="LOUD SKIP: poppler-utils (pdftotext, pdfinfo, pdftoppm) missing: apt-get install poppler-utils"
)
PAYLOAD = "<script>alert(1)</script>"
RTL_EMOJI = "مرحبا 😀"


def print_urls() -> list[str]:
    """The plan's print URLs (the policy signs of issue 13 hold no record data)."""
    return sorted(
        n for n, (route, _v) in all_patterns().items() if n.startswith("printing:") and "<uuid:plan_id>" in route
    )


def build_plan(client: Client, plan: SafetyPlan) -> None:
    steps = [{"text": f"Bandages in the locker {PAYLOAD}"}, {"text": RTL_EMOJI}]
    save_domain(client, plan, "physical", domain_data(1, steps))
    save_domain(client, plan, "emotional", domain_data(2, [{"text": "Secret emotional step"}]))
    data = item_data(
        "i", 3, contact_0_name="Ana", contact_0_number="555-0101", contact_1_name="Not on card",
        contact_1_number="555-0199",
    )  # fmt: skip
    assert client.post(reverse("plans:item", args=[plan.id, "immediate_help"]), data).status_code == 302
    device = item_data("d", 4, rule_safe_word="blue", rule_battery_plan="Charger at work")
    assert post_item(client, plan, "device", device).status_code == 302
    plan.refresh_from_db()


def record_carry(client: Client, plan: SafetyPlan, carry: str, sections: list[str]) -> Any:
    return client.post(reverse("printing:setup", args=[plan.id]), {"carry": carry, "sections": sections})


CHOSEN = ["domain:physical", "resource:immediate_help"]


def pdf_posts(plan: SafetyPlan) -> dict[str, dict[str, Any]]:
    return {
        "printing:plan": {"sections": CHOSEN, "layout": "discreet", "language": "es"},
        "printing:card": {"contacts": ["0"], "language": "en"},
        "printing:setup": {"sections": CHOSEN},  # no answer given: the form is shown again
        "printing:memorise": {"items": ["hotline"]},
    }


@pytest.mark.parametrize("carry", ["unknown", "unsafe", "unsafe_from_safety_check"])
def test_no_print_url_produces_a_pdf_when_carrying_is_not_safe(client: Client, world_a: OrgWorld, carry: str) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    if carry == "unsafe":
        assert record_carry(client, plan, "unsafe", []).status_code == 302
    if carry == "unsafe_from_safety_check":
        assert record_carry(client, plan, "safe", CHOSEN).status_code == 302
        world_a.encounter.__class__.objects.create(
            org=world_a.org, person=world_a.person, mode="phone", lead=world_a.provider, education=Education.UNSAFE
        )
    names = print_urls()
    assert names == ["printing:card", "printing:memorise", "printing:plan", "printing:setup"]
    produced = 0
    for name in names:
        url = reverse(name, args=[plan.id])
        for response in (client.get(url), client.post(url, pdf_posts(plan)[name])):
            produced += (
                response.get("Content-Type", "").startswith("application/pdf") or response.content[:5] == b"%PDF-"
            )
            assert response.status_code < 500
        if carry == "unsafe_from_safety_check" and name == "printing:setup":
            assert record_carry(client, plan, "unsafe", []).status_code == 302  # the answer stays recorded
    assert produced == 0
    refused = AuditEvent.objects.filter(event="plan.print_refused", object_id=plan.id).count()
    assert refused >= 2  # plan and card, each refused and audited
    assert AuditEvent.objects.filter(event__in=["plan.printed", "plan.card_printed"]).count() == 0


def test_unsafe_answer_leads_to_memorising(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    build_plan(client, world_a.plan)
    response = record_carry(client, world_a.plan, "unsafe", CHOSEN)
    assert response["Location"] == reverse("printing:memorise", args=[world_a.plan.id])
    world_a.plan.refresh_from_db()
    assert world_a.plan.carry == "unsafe" and world_a.plan.print_sections == []
    url = reverse("printing:memorise", args=[world_a.plan.id])
    too_many = ["hotline", "contact:0", "contact:1", "safe_word", "step:physical:0", "step:emotional:0"]
    assert client.post(url, {"items": too_many}).status_code == 400
    assert client.post(url, {"items": ["nonsense"]}).status_code == 400
    assert client.post(url, {"items": ["hotline", "safe_word"]}).status_code == 302
    page = client.get(url).content.decode()
    shown = page[page.index('class="memorise-list"') : page.index("</ul>", page.index('class="memorise-list"'))]
    assert "1-888-373-7888" in shown and "Safe word: blue" in shown and "Secret emotional step" not in shown


def test_safe_answer_needs_chosen_sections(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    build_plan(client, world_a.plan)
    assert record_carry(client, world_a.plan, "safe", []).status_code == 400
    assert record_carry(client, world_a.plan, "safe", ["resource:weather"]).status_code == 400
    world_a.plan.refresh_from_db()
    assert world_a.plan.carry == "unknown"


def test_printing_sections_the_person_did_not_choose_is_refused(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    record_carry(client, plan, "safe", ["domain:physical"])
    data = {"sections": ["domain:physical", "domain:emotional"], "layout": "discreet", "language": "en"}
    response = client.post(reverse("printing:plan", args=[plan.id]), data)
    assert response.status_code == 400 and not response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(event="plan.print_refused", object_id=plan.id).count() == 1


def pdf_text(tmp_path: Path, pdf: bytes, name: str = "out") -> tuple[str, str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return text, info


def metadata_names_nothing(info: str, org_name: str) -> list[str]:
    problems = []
    for line in info.splitlines():
        key, _sep, value = line.partition(":")
        if key in ("Author", "Creator", "Producer", "Subject", "Keywords", "CreationDate", "ModDate"):
            problems.append(line)
        if key == "Title" and value.strip() not in ("Notes", "Notas"):
            problems.append(line)
    if org_name in info:
        problems.append("organisation name")
    return problems


@needs_poppler
def test_discreet_spanish_pdf_has_only_chosen_sections_and_neutral_metadata(
    client: Client, world_a: OrgWorld, tmp_path: Path
) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    record_carry(client, plan, "safe", CHOSEN)
    data = {"sections": CHOSEN, "layout": "discreet", "language": "es"}
    response = client.post(reverse("printing:plan", args=[plan.id]), data)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'
    text, info = pdf_text(tmp_path, response.content)
    assert metadata_names_nothing(info, world_a.org.name) == []
    assert f"Bandages in the locker {PAYLOAD}" in text  # markup printed literally, never interpreted
    assert "Ana" in text and "555-0101" in text and "مرحبا" in text and "😀" in text
    assert "Secret emotional step" not in text and "blue" not in text
    lowered = text.lower()
    for word in ("safety", "seguridad", "plan", "trafficking", "trata", world_a.org.name.lower()):
        assert word not in lowered, word
    assert "Notas" in text and "Ahora" in text
    assert AuditEvent.objects.filter(event="plan.printed", object_id=plan.id).count() == 1
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(tmp_path / "out.pdf"), str(tmp_path / "page")], check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 1000


@needs_poppler
def test_plain_layout_names_the_organisation_and_the_plan(client: Client, world_a: OrgWorld, tmp_path: Path) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    record_carry(client, plan, "safe", CHOSEN)
    response = client.post(
        reverse("printing:plan", args=[plan.id]), {"sections": CHOSEN, "layout": "plain", "language": "en"}
    )
    text, info = pdf_text(tmp_path, response.content)
    assert world_a.org.name in text and "My safety plan" in text
    assert metadata_names_nothing(info, world_a.org.name) == []  # the file's metadata stays neutral


@needs_poppler
def test_wallet_card_has_the_hotline_and_only_chosen_contacts(
    client: Client, world_a: OrgWorld, tmp_path: Path
) -> None:
    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    record_carry(client, plan, "safe", CHOSEN)
    response = client.post(reverse("printing:card", args=[plan.id]), {"contacts": ["0"], "language": "es"})
    assert response.status_code == 200
    text, info = pdf_text(tmp_path, response.content, "card")
    assert "1-888-373-7888" in text and "233733" in text and "555-0101" in text
    assert "Not on card" not in text and "555-0199" not in text and world_a.org.name not in text
    assert metadata_names_nothing(info, world_a.org.name) == []
    assert (
        client.post(reverse("printing:card", args=[plan.id]), {"contacts": ["7"], "language": "es"}).status_code == 400
    )
    assert AuditEvent.objects.filter(event="plan.card_printed", object_id=plan.id).count() == 1


@needs_poppler
def test_a_minor_plan_follows_the_same_rules(client: Client, world_a: OrgWorld, tmp_path: Path) -> None:
    world_a.person.estimated_age = 15
    world_a.person.save()
    sign_in(client, world_a.provider)
    build_plan(client, world_a.plan)
    url = reverse("printing:plan", args=[world_a.plan.id])
    assert client.post(url, {"sections": CHOSEN, "layout": "discreet", "language": "en"}).status_code == 409
    record_carry(client, world_a.plan, "safe", CHOSEN)
    assert client.post(url, {"sections": CHOSEN, "layout": "discreet", "language": "en"}).status_code == 200


def test_an_empty_plan_has_nothing_to_print(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(reverse("printing:setup", args=[world_a.plan.id])).content.decode()
    assert "The plan has nothing to print yet." in page
    assert record_carry(client, world_a.plan, "safe", ["domain:physical"]).status_code == 400


def test_the_renderer_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from waypoint.printing import render

    probe = '<img src="http://example.invalid/x.png"><link rel="stylesheet" href="file:///etc/passwd">'
    monkeypatch.setattr(render, "render_to_string", lambda template, context: probe)
    with pytest.raises(BaseException, match="fetches nothing"):
        render.render_pdf("printing/card_pdf.html", {}, "en")


def test_a_safe_answer_lasts_one_hour(client: Client, world_a: OrgWorld) -> None:
    import datetime

    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    record_carry(client, plan, "safe", CHOSEN)
    SafetyPlan.objects.filter(pk=plan.pk).update(
        carry_recorded_at=plan.updated_at - datetime.timedelta(hours=1, minutes=1)
    )
    data = {"sections": CHOSEN, "layout": "discreet", "language": "en"}
    response = client.post(reverse("printing:plan", args=[plan.id]), data)
    assert response.status_code == 409 and not response.content.startswith(b"%PDF")
    assert "ask again before printing" in client.get(reverse("printing:setup", args=[plan.id])).content.decode()


@pytest.mark.parametrize("answer, refused", [("no", True), ("unsure", True), ("yes", False)])
def test_the_safety_check_answer_about_taking_resources_is_read(
    client: Client, world_a: OrgWorld, answer: str, refused: bool
) -> None:
    from waypoint.content.models import ContentSet
    from waypoint.encounters.models import SafetyAnswer

    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    record_carry(client, plan, "safe", CHOSEN)
    SafetyAnswer.objects.create(
        encounter=world_a.encounter, content_set=ContentSet.current(world_a.org.id, "in_person_check"),
        question_key="take_resources", answer=answer, consented=True, by_id=world_a.provider.id,
    )  # fmt: skip
    response = client.post(
        reverse("printing:plan", args=[plan.id]), {"sections": CHOSEN, "layout": "discreet", "language": "en"}
    )
    assert (response.status_code == 409) is refused
    assert response.content.startswith(b"%PDF") is not refused


@needs_poppler
def test_the_phone_section_prints_the_battery_plan_from_the_rules_never_the_safe_word(
    client: Client, world_a: OrgWorld, tmp_path: Path
) -> None:
    """The device item's answers live in the contact rules: the battery plan may go on paper with it,
    the safe word and the answers about the phone never do."""
    sign_in(client, world_a.provider)
    plan = world_a.plan
    build_plan(client, plan)
    device = item_data(
        "d", plan.version, rule_safe_word="blue", rule_battery_plan="Charger at work", rule_danger_word="crimson",
        rule_phone_from_exploiter="yes",
    )  # fmt: skip
    assert post_item(client, plan, "device", device).status_code == 302
    sections = [*CHOSEN, "resource:device"]
    assert record_carry(client, plan, "safe", sections).status_code == 302
    data = {"sections": sections, "layout": "plain", "language": "en"}
    response = client.post(reverse("printing:plan", args=[plan.id]), data)
    assert response.status_code == 200
    text, _info = pdf_text(tmp_path, response.content)
    assert "Charger at work" in text
    assert "blue" not in text and "crimson" not in text and "given by" not in text


def test_only_staff_who_may_hold_the_safe_word_may_choose_to_memorise_it(client: Client, world_a: OrgWorld) -> None:
    """A provider of the organisation who is not assigned to the record (and holds no follow-up of it)
    is not offered the safe word on the memorise page, even after a step-up."""
    from tests.conftest import make_staff
    from waypoint.orgs.models import Role

    sign_in(client, world_a.provider)
    build_plan(client, world_a.plan)
    url = reverse("printing:memorise", args=[world_a.plan.id])
    assert client.post(url, {"items": ["hotline", "safe_word"]}).status_code == 302  # chosen with the person
    assert "Safe word: blue" in client.get(url).content.decode()
    other = sign_in(Client(), make_staff(world_a.org, "provider2.a", Role.PROVIDER))
    page = other.get(url)
    assert page.status_code == 200 and "blue" not in page.content.decode() and "1-888-373-7888" in page.content.decode()
    assert other.post(url, {"items": ["hotline", "safe_word"]}).status_code == 400

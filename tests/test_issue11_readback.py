"""Issue 11, items 4 and 8 (server side): a closed encounter read back step by step (read-only, one
read row each, a POST still refused), its one-page summary and who may see it, several timeline
lines per encounter, the start form's remembered site and usual mode, and the step list that opens
at the next step after a save."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters import actions
from waypoint.encounters.models import (
    Amendment,
    ComfortEvent,
    DomainAssessment,
    EmergencyNeed,
    Encounter,
    Gate,
    Interpreter,
    Mode,
    SafetyAnswer,
    Step,
    StepState,
    StepStatus,
)
from waypoint.encounters.separation import Outcome, SeparationRun
from waypoint.orgs.models import Role, Site, Staff

STEP_PATHS = {
    Step.GATE: "privacy/",
    Step.CONFIDENTIALITY: "confidentiality/",
    Step.SAFETY_CHECK: "safety-check/",
    Step.ASSESSMENT: "assessment/",
    Step.NEEDS: "needs/",
    Step.CONSENT: "consent/",
    Step.EDUCATION: "hotline-card/",
}
NOTE = "wrist hurts since Tuesday"  # their words: on the summary, never on the timeline


def reads_during(call: object) -> tuple[object, int]:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = call()  # type: ignore[operator]
    return response, AuditEvent.objects.filter(id__gt=last, event__in=audit.read_events()).count()


def main_of(response: object) -> str:
    body = response.content.decode()  # type: ignore[attr-defined]
    return body.split("<main", 1)[1].split("</main>", 1)[0]


def fill(world: OrgWorld, *, close: bool = True) -> Encounter:
    """The world's in-person encounter with something recorded at every step, then closed."""
    encounter, staff = world.encounter, world.provider
    actions.record_gate(
        staff,
        encounter,
        gate=Gate.ALONE,
        gate_reason="",
        interpreter=Interpreter.PROFESSIONAL,
        gender_preference_offered=True,
    )
    actions.confirm_confidentiality(staff, encounter)
    content = ContentSet.current(world.org.id, IN_PERSON)
    keys = [line.key for line in content.lines("en")]
    for key, answer, consented in ((keys[0], "yes", True), (keys[1], "", False), ("danger_here", "yes", True)):
        if key in keys:
            SafetyAnswer.objects.update_or_create(
                encounter=encounter,
                content_set=content,
                question_key=key,
                defaults={"answer": answer, "consented": consented, "by_id": staff.id},
            )
    StepState.objects.create(encounter=encounter, step=Step.SAFETY_CHECK, status=StepStatus.DONE, by_id=staff.id)
    actions.save_assessment(staff, encounter, {"physical__level": "some", "physical__note": NOTE})
    actions.save_needs(staff, encounter, {"shelter__needed": True, "shelter__note": "tonight"})
    actions.record_consent(staff, encounter, "given")
    actions.set_step_state(staff, encounter, Step.EDUCATION, StepStatus.SKIPPED, "ran out of time")
    actions.add_comfort_event(staff, encounter, "water")
    actions.record_emergency_call(staff, encounter, "declined")
    SeparationRun.objects.create(
        org=world.org, encounter=encounter, separator="Nurse on duty", outcome=Outcome.SEPARATED, by_id=staff.id
    )
    if close:
        actions.close_encounter(staff, encounter)
        actions.amend_encounter(staff, encounter, "Water was offered twice, not once.")
    encounter.refresh_from_db()
    return encounter


# --- Read back: every step of a closed encounter, read-only --------------------------------------


def test_every_step_of_a_closed_encounter_reads_back_read_only(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    for step, path in STEP_PATHS.items():
        response, reads = reads_during(lambda path=path: as_provider.get(f"/encounters/{encounter.id}/{path}"))
        assert response.status_code == 200, step  # type: ignore[attr-defined]
        assert reads == 1, step
        main = main_of(response)
        assert "closed and locked" in main, step
        assert 'type="submit"' not in main, step
        controls = re.findall(r"<(?:input|textarea|select)\b[^>]*>", main)
        editable = [c for c in controls if 'type="hidden"' not in c and "disabled" not in c]
        assert editable == [], (step, editable)
    assessment = main_of(as_provider.get(f"/encounters/{encounter.id}/assessment/"))
    assert NOTE in assessment and re.search(r'value="some"[^>]*checked|checked[^>]*value="some"', assessment)


def test_a_post_to_a_closed_step_is_still_refused(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    before = (encounter.version, list(DomainAssessment.objects.filter(encounter=encounter).values_list("note")))
    for path in ("privacy/", "assessment/", "consent/"):
        response = as_provider.post(
            f"/encounters/{encounter.id}/{path}", {"gate": "not_alone", "physical__note": "x", "consent": "declined"}
        )
        assert response.status_code == 302 and response["Location"] == f"/encounters/{encounter.id}/"
        assert "closed" in as_provider.get(response["Location"]).content.decode()
    encounter.refresh_from_db()
    after = (encounter.version, list(DomainAssessment.objects.filter(encounter=encounter).values_list("note")))
    assert after == before and encounter.consent == "given" and encounter.gate == Gate.ALONE


def test_a_closed_encounter_reads_back_even_steps_never_unlocked(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    actions.close_encounter(world_a.provider, encounter)  # privacy never recorded: the checks stayed locked
    for path in ("safety-check/", "assessment/", "needs/"):
        response = as_provider.get(f"/encounters/{encounter.id}/{path}")
        assert response.status_code == 200, path
        assert 'type="submit"' not in main_of(response), path


def test_closed_step_list_links_every_step_and_the_summary(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    page = main_of(as_provider.get(f"/encounters/{encounter.id}/"))
    for path in STEP_PATHS.values():
        assert f'href="/encounters/{encounter.id}/{path}"' in page, path
    assert f'href="/encounters/{encounter.id}/summary/"' in page
    assert 'id="next-step"' not in page  # nothing is left to do on a closed encounter


def test_other_organisations_get_404_for_closed_steps_and_summary(world_a: OrgWorld, world_b: OrgWorld) -> None:
    encounter = fill(world_b)
    client = sign_in(Client(), world_a.provider)
    for path in [*STEP_PATHS.values(), "summary/"]:
        assert client.get(f"/encounters/{encounter.id}/{path}").status_code == 404, path


# --- The summary ----------------------------------------------------------------------------------


def test_summary_shows_everything_recorded_with_one_read_row(world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    client = sign_in(Client(), world_a.supervisor)
    response, reads = reads_during(lambda: client.get(f"/encounters/{encounter.id}/summary/"))
    assert response.status_code == 200 and reads == 1  # type: ignore[attr-defined]
    page = main_of(response)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    for line in content.lines("en"):  # every question of the version used, asked or not
        assert f'data-question="{line.key}"' in page
    for text in (
        "In person",
        world_a.site.name if encounter.site_id else "Site",
        "Provider.A",
        "Seen alone for at least part of the visit",
        "Professional interpreter",
        "Recorded, with their agreement",
        "Asked only: they did not agree",
        "Not asked, or left unanswered",
        "In danger here",
        "They did not want a call",
        NOTE,
        "Shelter",
        "tonight",
        "Gave informed consent",
        "ran out of time",
        "Nurse on duty",
        "Water offered",
        "Water was offered twice, not once.",
        "A safety plan was started from this encounter",
    ):
        assert text in page, text
    assert page.count("<h2") >= 8


def test_summary_of_a_minor_shows_the_child_protection_step(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    Encounter.objects.filter(pk=encounter.pk).update(is_minor=True)
    encounter.refresh_from_db()
    actions.record_gate(
        world_a.provider, encounter, gate=Gate.ALONE, gate_reason="", interpreter="", gender_preference_offered=False
    )
    actions.save_child_protection_report(
        world_a.provider, encounter, {"agency": "County CPS", "deferred_reason": "", "told_first": True}
    )
    page = main_of(as_provider.get(f"/encounters/{encounter.id}/summary/"))
    assert "Child protective services" in page and "County CPS" in page
    assert 'data-summary="consent"' not in page


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.AUDITOR, Role.ORG_ADMIN])
def test_summary_is_refused_to_staff_who_may_not_read_the_record(world_a: OrgWorld, role: Role) -> None:
    encounter = fill(world_a)
    client = sign_in(Client(), world_a.staff[role])
    response = client.get(f"/encounters/{encounter.id}/summary/")
    assert response.status_code == 404
    assert world_a.person.reference not in response.content.decode()


def test_summary_is_read_only(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    response, reads = reads_during(lambda: as_provider.post(f"/encounters/{encounter.id}/summary/", {"x": "1"}))
    assert response.status_code == 405 and reads == 0  # type: ignore[attr-defined]
    assert Amendment.objects.filter(encounter=encounter).count() == 1


def test_summary_is_linked_from_the_record_timeline(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    page = as_provider.get(f"/people/{world_a.person.id}/timeline/").content.decode()
    assert f'href="/encounters/{encounter.id}/summary/"' in page


# --- Timeline -------------------------------------------------------------------------------------


def test_timeline_has_several_lines_per_encounter(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    page = main_of(as_provider.get(f"/people/{world_a.person.id}/timeline/"))
    items = re.findall(r"<li>.*?</li>", page, flags=re.S)
    ours = [item for item in items if f"/encounters/{encounter.id}/" in item]
    text = " ".join(ours)
    assert len(ours) >= 6, ours
    for expected in (
        "In person encounter",
        "Privacy",
        "Seen alone for at least part of the visit",
        "In danger here",
        "They did not want a call",
        "Safety plan started from this encounter",
        "Encounter closed",
    ):
        assert expected in text, expected
    for private in (NOTE, "tonight", "Nurse on duty", "Water was offered twice"):
        assert private not in page, private


def test_timeline_shows_not_seen_alone_and_an_open_encounter(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    actions.record_gate(
        world_a.provider,
        encounter,
        gate=Gate.NOT_POSSIBLE,
        gate_reason="a relative would not leave",
        interpreter="",
        gender_preference_offered=False,
    )
    page = main_of(as_provider.get(f"/people/{world_a.person.id}/timeline/"))
    assert "Seeing them alone is not possible" in page
    assert "a relative would not leave" not in page  # the reason is on the step and the summary only
    assert "Encounter closed" not in page


# --- Fewer clicks: the start form, the next step --------------------------------------------------


def start(client: Client, world: OrgWorld, **data: str) -> Encounter:
    response = client.post(f"/people/{world.person.id}/encounters/new/", {"form_token": str(uuid.uuid4()), **data})
    assert response.status_code == 302
    return Encounter.objects.get(pk=response["Location"].split("/")[2])


def checked_value(page: str, name: str) -> str | None:
    for tag in re.findall(rf'<(?:input|option)\b[^>]*(?:name="{name}")?[^>]*>', page):
        if f'name="{name}"' in tag and "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
    select = re.search(rf'<select name="{name}".*?</select>', page, flags=re.S)
    if select:
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(0))
        return chosen.group(1) or None if chosen else None  # the empty choice is no choice
    return None


def test_start_remembers_the_site_and_offers_the_usual_mode(as_provider: Client, world_a: OrgWorld) -> None:
    url = f"/people/{world_a.person.id}/encounters/new/"
    other = Site.objects.create(org=world_a.org, name="Clinic two")
    Encounter.objects.filter(lead=world_a.provider).update(lead=world_a.supervisor)  # no history of their own
    first = as_provider.get(url).content.decode()
    assert checked_value(first, "mode") == Mode.IN_PERSON  # no history: in person, the common case
    assert checked_value(first, "site") is None  # two sites and none used yet: nothing chosen for them
    encounter = start(as_provider, world_a, mode="phone", site=str(other.id))
    assert encounter.site_id == other.id
    assert Staff.objects.get(pk=world_a.provider.pk).last_site_id == other.id
    again = as_provider.get(url).content.decode()
    assert checked_value(again, "site") == str(other.id) and checked_value(again, "mode") == Mode.PHONE


def test_start_chooses_the_only_site(as_provider: Client, world_a: OrgWorld) -> None:
    page = as_provider.get(f"/people/{world_a.person.id}/encounters/new/").content.decode()
    assert checked_value(page, "site") == str(world_a.site.id)
    assert checked_value(page, "mode") == Mode.IN_PERSON  # the world's encounter was in person


def test_start_without_a_site_keeps_the_last_one(as_provider: Client, world_a: OrgWorld) -> None:
    Staff.objects.filter(pk=world_a.provider.pk).update(last_site=world_a.site)
    start(as_provider, world_a, mode="in_person")
    assert Staff.objects.get(pk=world_a.provider.pk).last_site_id == world_a.site.id


def test_after_a_save_the_step_list_opens_at_the_next_step(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    response = as_provider.post(f"/encounters/{encounter.id}/privacy/", {"gate": "alone", "interpreter": "not_needed"})
    assert response["Location"] == f"/encounters/{encounter.id}/#next-step"
    page = main_of(as_provider.get(response["Location"]))
    link = re.search(r'<a href="([^"]+)" id="next-step"[^>]*>', page)
    assert link and link.group(1) == f"/encounters/{encounter.id}/confidentiality/"
    assert 'data-shortcut="next-step"' in link.group(0) and 'role="status"' in page
    skipped = as_provider.post(
        f"/encounters/{encounter.id}/steps/confidentiality/", {"status": "paused", "reason": "later"}
    )
    assert skipped["Location"].endswith("#next-step")  # a paused step is still the next one to do
    page = main_of(as_provider.get(f"/encounters/{encounter.id}/"))
    assert re.search(r'href="[^"]+/confidentiality/" id="next-step"', page)


def test_a_refused_save_does_not_jump_to_the_next_step(as_provider: Client, world_a: OrgWorld) -> None:
    response = as_provider.post(f"/encounters/{world_a.encounter.id}/needs/", {"shelter__needed": "on"})
    assert response["Location"] == f"/encounters/{world_a.encounter.id}/"  # locked: back with the reason


# --- Shortcuts: no accesskeys, one script -----------------------------------------------------------


def test_shortcuts_replace_accesskeys(as_provider: Client, world_a: OrgWorld) -> None:
    page = as_provider.get(f"/encounters/{world_a.encounter.id}/").content.decode()
    assert "accesskey" not in page
    for name in ("exit", "check-in", "grounding", "breathing", "next-step"):
        assert f'data-shortcut="{name}"' in page, name
    assert 'id="shortcut-help"' in page and page.count("data-shortcut-label=") == 7
    nonce = re.search(r'<script src="/static/waypoint.js" nonce="([^"]+)"', page)
    assert nonce and f'<script src="/static/shortcuts.js" nonce="{nonce.group(1)}" defer></script>' in page
    home = as_provider.get("/").content.decode()
    assert 'data-shortcut="exit"' in home and "accesskey" not in home


def test_closed_encounter_pages_record_no_comfort_or_other_change(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = fill(world_a)
    count = ComfortEvent.objects.filter(encounter=encounter).count()
    as_provider.post(f"/encounters/{encounter.id}/comfort/", {"kind": "water"})
    assert ComfortEvent.objects.filter(encounter=encounter).count() == count
    assert EmergencyNeed.objects.filter(encounter=encounter).count() == 1
    assert encounter.closed_at is not None and encounter.closed_at <= timezone.now()


def test_phone_summary_and_timeline_show_the_callback_plan(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a, mode="phone")
    actions.record_callback_plan(world_a.provider, encounter, "after six, say it is the pharmacy")
    page = main_of(as_provider.get(f"/encounters/{encounter.id}/summary/"))
    content = ContentSet.current(world_a.org.id, "phone_check")
    assert page.count("data-question=") == len(content.lines("en"))
    # The callback plan is what was agreed; "not safe to talk" is listed only when that answer was
    # written down with their consent, never guessed from the plan.
    assert "after six, say it is the pharmacy" in page and "Not safe to talk" not in page
    assert 'data-summary="gate"' not in page  # no privacy gate on a call
    timeline = main_of(as_provider.get(f"/people/{world_a.person.id}/timeline/"))
    assert "Callback plan agreed" in timeline and "Phone encounter" in timeline
    assert "pharmacy" not in timeline


def test_only_a_saved_step_moves_to_the_next_step(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = world_a.encounter
    detail = f"/encounters/{encounter.id}/"
    assert as_provider.post(f"{detail}comfort/", {"kind": "water"})["Location"] == detail  # not a step
    refused = as_provider.post(f"{detail}steps/bogus/", {"status": "skipped", "reason": "x"})
    assert refused["Location"] == detail  # refused: back at the top, where the reason is
    assert as_provider.post(f"{detail}close/")["Location"] == detail


def test_start_offers_the_most_frequent_mode_not_just_the_last(as_provider: Client, world_a: OrgWorld) -> None:
    url = f"/people/{world_a.person.id}/encounters/new/"
    start(as_provider, world_a, mode="in_person")  # with the world's: in person twice
    start(as_provider, world_a, mode="phone")
    assert checked_value(as_provider.get(url).content.decode(), "mode") == Mode.IN_PERSON
    start(as_provider, world_a, mode="phone")  # two each: a tie goes to the latest
    assert checked_value(as_provider.get(url).content.decode(), "mode") == Mode.PHONE


def test_summary_keeps_whereabouts_and_injuries_to_the_assigned_staff_and_supervisors(world_a: OrgWorld) -> None:
    """The field-level rule: a provider of the organisation who is not assigned to the record reads
    the summary without where they are, the injury answer, the emergency call or the callback plan."""
    from tests.conftest import make_staff
    from waypoint.content.source import PHONE

    encounter = Encounter.objects.create(org=world_a.org, person=world_a.person, mode="phone", lead=world_a.provider)
    content = ContentSet.current(world_a.org.id, PHONE)
    for key, answer, note in (("where_are_you", "yes", "WHEREABOUTS-CANARY"), ("injured", "yes", "INJURY-CANARY")):
        SafetyAnswer.objects.create(
            encounter=encounter, content_set=content, question_key=key, answer=answer, note=note, consented=True,
            by_id=world_a.provider.id,
        )  # fmt: skip
    actions.record_callback_plan(world_a.provider, encounter, "CALLBACK-CANARY after six")
    url = f"/encounters/{encounter.id}/summary/"
    other = make_staff(world_a.org, "unassigned.a", Role.PROVIDER)
    for staff, holds in ((world_a.provider, True), (world_a.supervisor, True), (other, False)):
        page = sign_in(Client(), staff).get(url).content.decode()
        for canary in ("WHEREABOUTS-CANARY", "INJURY-CANARY", "CALLBACK-CANARY"):
            assert (canary in page) is holds, (staff.username, canary)
        assert ('data-held="where_are_you"' in page) is not holds and ('data-held="callback_plan"' in page) is not holds


def test_a_follow_up_set_from_a_call_shows_on_the_timeline(as_provider: Client, world_a: OrgWorld) -> None:
    from waypoint.contact import actions as contact_actions
    from waypoint.contact.models import FollowUpTask

    contact_actions.record_rules(
        world_a.provider, world_a.person, {"safe_to_contact": "yes", "text": "allowed"}, how="in_person"
    )
    encounter = start(as_provider, world_a, mode="phone")
    actions.record_callback_plan(world_a.provider, encounter, "FOLLOWUP-CANARY tomorrow", "text", timezone.localdate())
    task = FollowUpTask.objects.get(source_encounter_id=encounter.id)
    timeline = main_of(as_provider.get(f"/people/{world_a.person.id}/timeline/"))
    assert "Follow-up set from this encounter" in timeline and f"/follow-ups/{task.id}/" in timeline
    assert "FOLLOWUP-CANARY" not in timeline  # their words stay on the follow-up itself

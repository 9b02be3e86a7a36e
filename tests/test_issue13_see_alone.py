"""Issue 13, the see-alone policy: the organisation's policy page, the privacy gate it enforces on
in-person encounters (pages and actions), and the adherence report per site and month."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, sign_in
from waypoint.core.models import AuditEvent
from waypoint.encounters import actions
from waypoint.encounters.actions import Refused
from waypoint.encounters.models import DomainAssessment, EmergencyNeed, Encounter, Gate, Mode, Step, StepState
from waypoint.encounters.policy import (
    DEFAULT_SEE_ALONE_TEXT,
    SeeAlonePolicyForm,
    assessment_open,
    gate_required,
    policy_applies,
    site_field,
)
from waypoint.orgs.models import Organisation, Role, SeeAlone, Site
from waypoint.oversight.adherence import Cell, adherence_for

POLICY_URL = "/encounters/see-alone-policy/"
ADHERENCE_URL = "/oversight/see-alone/"


@pytest.fixture
def tagged(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy's gettext tags each text with the language it is asked in, so that which language
    the default is shown in is checked whatever the catalogues hold (Spanish is added with the
    integrator's translations)."""
    from waypoint.encounters import policy

    monkeypatch.setattr(policy, "gettext", lambda text: f"[{translation.get_language()}] {text}")


# Every step page after Privacy, by URL part (minor and consent: one or the other, by the record).
AFTER_GATE = {
    Step.CONFIDENTIALITY: "confidentiality/",
    Step.SAFETY_CHECK: "safety-check/",
    Step.ASSESSMENT: "assessment/",
    Step.NEEDS: "needs/",
    Step.CONSENT: "consent/",
    Step.MINOR: "child-protection/",
    Step.EDUCATION: "hotline-card/",
}
STEP_URLS = {Step.GATE: "privacy/", Step.SAFE_TO_TALK: "safe-to-talk/", **AFTER_GATE}


def policy_data(world: OrgWorld, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "see_alone": "on",
        "see_alone_text": "We see everyone alone for part of each visit.",
        site_field(world.site.id): SeeAlone.FOLLOW,
    }
    data.update(overrides)
    return data


def turn_on(world: OrgWorld, on: bool = True) -> None:
    Organisation.objects.filter(pk=world.org.pk).update(see_alone=on)


def in_person(world: OrgWorld, site: Site | None = None, mode: str = Mode.IN_PERSON) -> Encounter:
    return Encounter.objects.create(org=world.org, person=world.person, mode=mode, site=site, lead=world.provider)


def saved_events(world: OrgWorld) -> int:
    return AuditEvent.objects.filter(org_id=world.org.id, event="org.see_alone_saved").count()


# --- The policy page -----------------------------------------------------------------------------


def test_admin_sees_the_policy_page_with_the_default_text(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    response = client.get(POLICY_URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert "To give everyone privacy" in page and world_a.site.name in page
    assert 'autocomplete="off"' in page and "<fieldset" in page
    assert not AuditEvent.objects.filter(
        org_id=world_a.org.id, event__endswith=".viewed"
    ).exists()  # settings, not a record


def test_the_default_text_is_shown_in_the_readers_language(world_a: OrgWorld, tagged: None) -> None:
    client = sign_in(Client(), world_a.org_admin, language="es")
    assert f"[es] {DEFAULT_SEE_ALONE_TEXT}" in client.get(POLICY_URL).content.decode()


def test_admin_saves_the_policy_sites_and_text(world_a: OrgWorld) -> None:
    other_site = Site.objects.create(org=world_a.org, name="Clinic East")
    client = sign_in(Client(), world_a.org_admin)
    data = policy_data(world_a, **{site_field(other_site.id): SeeAlone.OFF})
    response = client.post(POLICY_URL, data)
    assert response.status_code == 302 and response["Location"] == POLICY_URL
    world_a.org.refresh_from_db()
    other_site.refresh_from_db()
    world_a.site.refresh_from_db()
    assert world_a.org.see_alone is True
    assert world_a.org.see_alone_text == "We see everyone alone for part of each visit."
    assert other_site.see_alone == SeeAlone.OFF and world_a.site.see_alone == SeeAlone.FOLLOW
    assert saved_events(world_a) == 1
    row = AuditEvent.objects.get(org_id=world_a.org.id, event="org.see_alone_saved")
    assert row.actor_id == world_a.org_admin.id and row.object_id == world_a.org.id


@pytest.mark.parametrize(
    "language, text",
    [("en", DEFAULT_SEE_ALONE_TEXT), ("es", f"[es] {DEFAULT_SEE_ALONE_TEXT}"), ("en", "   "), ("es", "")],
)
def test_the_default_text_left_unchanged_is_kept_as_the_default(
    world_a: OrgWorld, tagged: None, language: str, text: str
) -> None:
    """Waypoint's text, in English or in the admin's language, is saved as "" so every reader sees
    it in their own language."""
    Organisation.objects.filter(pk=world_a.org.pk).update(see_alone_text="Old text")
    client = sign_in(Client(), world_a.org_admin, language=language)
    assert client.post(POLICY_URL, policy_data(world_a, see_alone_text=text)).status_code == 302
    world_a.org.refresh_from_db()
    assert world_a.org.see_alone_text == ""


@pytest.mark.parametrize(
    "change, field",
    [
        ({"see_alone": ""}, "see_alone"),
        ({"see_alone": "maybe"}, "see_alone"),
        ({"see_alone_text": "x" * 4001}, "see_alone_text"),
        ({"see_alone_text": "Alone\x00 please"}, "see_alone_text"),
        ({"see_alone_text": "Alone\u202e please"}, "see_alone_text"),
        ({"site": "sometimes"}, "site"),
        ({"site": ""}, "site"),
    ],
)
def test_bad_input_shows_the_form_again_and_saves_nothing(
    world_a: OrgWorld, change: dict[str, str], field: str
) -> None:
    client = sign_in(Client(), world_a.org_admin)
    data = policy_data(world_a, see_alone_text="Typed policy text that must be kept")
    if "site" in change:
        data[site_field(world_a.site.id)] = change.pop("site")
    data.update(change)
    response = client.post(POLICY_URL, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'class="error-summary"' in page
    name = site_field(world_a.site.id) if field == "site" else field
    assert f'id="id_{name}_error"' in page  # the message beside the field, linked from the summary
    if field != "see_alone_text":
        assert "Typed policy text that must be kept" in page
    world_a.org.refresh_from_db()
    world_a.site.refresh_from_db()
    assert (world_a.org.see_alone, world_a.org.see_alone_text, world_a.site.see_alone) == (False, "", SeeAlone.FOLLOW)
    assert saved_events(world_a) == 0


@pytest.mark.parametrize("whose", ["unknown", "other_org"])
def test_a_site_that_is_not_the_organisations_is_refused(world_a: OrgWorld, world_b: OrgWorld, whose: str) -> None:
    client = sign_in(Client(), world_a.org_admin)
    stranger = uuid.uuid4() if whose == "unknown" else world_b.site.id
    data = policy_data(world_a, **{site_field(stranger): SeeAlone.ON})
    response = client.post(POLICY_URL, data)
    page = response.content.decode()
    assert response.status_code == 400 and "not one of your organisation&#x27;s sites" in page
    assert world_b.site.name not in page
    world_a.org.refresh_from_db()
    world_b.site.refresh_from_db()
    assert world_a.org.see_alone is False and world_b.site.see_alone == SeeAlone.FOLLOW
    assert saved_events(world_a) == 0 and saved_events(world_b) == 0


def test_the_action_refuses_another_organisations_site_and_saves_nothing(world_a: OrgWorld, world_b: OrgWorld) -> None:
    form = SeeAlonePolicyForm(policy_data(world_a), org=world_a.org)
    assert form.is_valid(), form.errors
    choices = {**form.site_choices(), world_b.site.id: SeeAlone.ON}
    with pytest.raises(Refused):
        actions.save_see_alone_policy(world_a.org_admin, form, choices)
    with pytest.raises(Refused):
        actions.save_see_alone_policy(world_a.org_admin, form, {world_a.site.id: "sometimes"})
    world_a.org.refresh_from_db()
    world_b.site.refresh_from_db()
    assert world_a.org.see_alone is False and world_b.site.see_alone == SeeAlone.FOLLOW
    assert saved_events(world_a) == 0


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.SUPERVISOR, Role.AUDITOR, Role.FRONT_DESK])
def test_only_org_admins_reach_the_policy_page(world_a: OrgWorld, role: Role) -> None:
    client = sign_in(Client(), world_a.staff[role])
    assert client.get(POLICY_URL).status_code == 404
    assert client.post(POLICY_URL, policy_data(world_a)).status_code == 404
    world_a.org.refresh_from_db()
    assert world_a.org.see_alone is False and saved_events(world_a) == 0


def test_anonymous_goes_to_sign_in(db: Any) -> None:
    for url in (POLICY_URL, ADHERENCE_URL):
        response = Client().get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_another_organisations_admin_changes_only_their_own(world_a: OrgWorld, world_b: OrgWorld) -> None:
    client = sign_in(Client(), world_b.org_admin)
    assert client.post(POLICY_URL, policy_data(world_b)).status_code == 302
    world_a.org.refresh_from_db()
    world_b.org.refresh_from_db()
    assert world_b.org.see_alone is True and world_a.org.see_alone is False
    assert world_a.site.name not in client.get(POLICY_URL).content.decode()


# --- The gate, enforced --------------------------------------------------------------------------


def test_policy_on_every_step_after_privacy_goes_back_to_privacy(world_a: OrgWorld) -> None:
    turn_on(world_a)
    encounter = in_person(world_a)
    client = sign_in(Client(), world_a.provider)
    for step in encounter.steps()[1:]:
        response = client.get(f"/encounters/{encounter.id}/{AFTER_GATE[Step(step)]}", follow=True)
        assert response.redirect_chain[-1][0] == f"/encounters/{encounter.id}/privacy/", step
        page = response.content.decode()
        assert "Your organisation sees everyone alone for part of every visit" in page
        assert "To give everyone privacy" in page  # the policy, read aloud at Privacy


def test_policy_on_posts_to_later_steps_are_refused_and_save_nothing(world_a: OrgWorld) -> None:
    turn_on(world_a)
    encounter = in_person(world_a)
    client = sign_in(Client(), world_a.provider)
    posts = {
        "confidentiality/": {},
        "assessment/": {"physical__level": "urgent", "physical__note": "Canary assessment"},
        "needs/": {"food_water__needed": "on", "food_water__note": "Canary need"},
        "consent/": {"consent": "given"},
        "hotline-card/": {"education": "taken"},
    }
    for path, data in posts.items():
        response = client.post(f"/encounters/{encounter.id}/{path}", data)
        assert response.status_code == 302 and response["Location"] == f"/encounters/{encounter.id}/privacy/"
    encounter.refresh_from_db()
    assert not DomainAssessment.objects.filter(encounter=encounter).exists()
    assert not EmergencyNeed.objects.filter(encounter=encounter).exists()
    assert not StepState.objects.filter(encounter=encounter).exists()
    assert encounter.education == "" and encounter.consent == "not_asked"
    assert not AuditEvent.objects.filter(object_id=encounter.id, event="encounter.updated").exists()


def test_policy_on_the_actions_refuse_too(world_a: OrgWorld) -> None:
    turn_on(world_a)
    encounter = in_person(world_a)
    staff = world_a.provider
    for change in (
        lambda: actions.confirm_confidentiality(staff, encounter),
        lambda: actions.save_assessment(staff, encounter, {"physical__level": "some"}),
        lambda: actions.save_needs(staff, encounter, {}),
        lambda: actions.record_consent(staff, encounter, "given"),
        lambda: actions.record_education(staff, encounter, "taken"),
    ):
        with pytest.raises(Refused):
            change()
    assert not StepState.objects.filter(encounter=encounter).exists()


@pytest.mark.parametrize("gate, opens", [("alone", True), ("not_possible", True), ("not_alone", False)])
def test_passing_or_recording_the_gate_opens_the_steps(world_a: OrgWorld, gate: str, opens: bool) -> None:
    turn_on(world_a)
    encounter = in_person(world_a)
    client = sign_in(Client(), world_a.provider)
    data = {"gate": gate, "interpreter": "not_needed", "gate_reason": "Companion stayed" if gate != "alone" else ""}
    assert client.post(f"/encounters/{encounter.id}/privacy/", data).status_code == 302
    for path in ("confidentiality/", "assessment/", "hotline-card/"):
        response = client.get(f"/encounters/{encounter.id}/{path}")
        assert (response.status_code == 200) is opens, path
        if not opens:
            assert response["Location"] == f"/encounters/{encounter.id}/privacy/"
    if opens:
        response = client.post(f"/encounters/{encounter.id}/assessment/", {"physical__level": "some"})
        assert response.status_code == 302 and DomainAssessment.objects.filter(encounter=encounter).count() == 4


def test_not_possible_needs_its_reason(world_a: OrgWorld) -> None:
    turn_on(world_a)
    encounter = in_person(world_a)
    client = sign_in(Client(), world_a.provider)
    response = client.post(
        f"/encounters/{encounter.id}/privacy/", {"gate": "not_possible", "interpreter": "not_needed"}
    )
    assert response.status_code == 200 and "Say briefly why" in response.content.decode()
    assert client.get(f"/encounters/{encounter.id}/confidentiality/").status_code == 302


def test_policy_off_keeps_todays_behaviour(world_a: OrgWorld) -> None:
    encounter = in_person(world_a)
    client = sign_in(Client(), world_a.provider)
    assert client.get(f"/encounters/{encounter.id}/confidentiality/").status_code == 200
    assert client.post(f"/encounters/{encounter.id}/confidentiality/").status_code == 302
    assert client.get(f"/encounters/{encounter.id}/hotline-card/").status_code == 200
    # The safety questions still wait for Privacy, as before: back to the step list, not to Privacy.
    response = client.get(f"/encounters/{encounter.id}/assessment/")
    assert response.status_code == 302 and response["Location"] == f"/encounters/{encounter.id}/"
    assert "To give everyone privacy" not in client.get(f"/encounters/{encounter.id}/privacy/").content.decode()


@pytest.mark.parametrize("mode", [Mode.PHONE, Mode.VIDEO])
def test_calls_are_not_affected(world_a: OrgWorld, mode: str) -> None:
    turn_on(world_a)
    encounter = in_person(world_a, mode=mode)
    client = sign_in(Client(), world_a.provider)
    assert client.get(f"/encounters/{encounter.id}/safe-to-talk/").status_code == 200
    # The call's own lock stays: safe to talk first, as before.
    StepState.objects.create(encounter=encounter, step=Step.SAFE_TO_TALK, status="done", by_id=world_a.provider.id)
    assert client.get(f"/encounters/{encounter.id}/confidentiality/").status_code == 200
    assert client.get(f"/encounters/{encounter.id}/hotline-card/").status_code == 200
    assert client.get(f"/encounters/{encounter.id}/privacy/").status_code == 404  # a call has no gate


@pytest.mark.parametrize(
    "org_on, site_choice, locked",
    [
        (True, SeeAlone.FOLLOW, True),
        (True, SeeAlone.OFF, False),
        (False, SeeAlone.ON, True),
        (False, SeeAlone.FOLLOW, False),
    ],
)
def test_a_site_follows_or_overrides_the_organisation(
    world_a: OrgWorld, org_on: bool, site_choice: str, locked: bool
) -> None:
    turn_on(world_a, org_on)
    Site.objects.filter(pk=world_a.site.pk).update(see_alone=site_choice)
    encounter = in_person(world_a, site=world_a.site)
    client = sign_in(Client(), world_a.provider)
    response = client.get(f"/encounters/{encounter.id}/confidentiality/")
    assert (response.status_code == 302) is locked
    # An encounter with no site follows the organisation.
    no_site = in_person(world_a)
    assert (client.get(f"/encounters/{no_site.id}/confidentiality/").status_code == 302) is org_on


def test_the_gate_reads_the_organisations_own_text_and_the_default_in_the_persons_language(
    world_a: OrgWorld, tagged: None
) -> None:
    turn_on(world_a)
    encounter = in_person(world_a)
    Encounter.objects.filter(pk=encounter.pk).update(language="es")  # the person's language
    client = sign_in(Client(), world_a.provider)
    page = client.get(f"/encounters/{encounter.id}/privacy/").content.decode()
    assert f'lang="es">[es] {DEFAULT_SEE_ALONE_TEXT}' in page  # to read aloud, in their language
    assert f"</span>[en] {DEFAULT_SEE_ALONE_TEXT}" in page  # and the provider's, beside it
    Organisation.objects.filter(pk=world_a.org.pk).update(see_alone_text="Our own words about privacy.")
    page = client.get(f"/encounters/{encounter.id}/privacy/").content.decode()
    assert "Our own words about privacy." in page and "[es]" not in page


def test_other_organisations_and_roles_get_404_on_the_locked_steps(world_a: OrgWorld, world_b: OrgWorld) -> None:
    turn_on(world_a)
    encounter = in_person(world_a)
    for staff in (world_b.provider, world_a.front_desk, world_a.org_admin, world_a.auditor):
        client = sign_in(Client(), staff)
        for path in ("confidentiality/", "assessment/"):
            assert client.get(f"/encounters/{encounter.id}/{path}").status_code == 404
            assert client.post(f"/encounters/{encounter.id}/{path}", {}).status_code == 404
    assert Client().get(f"/encounters/{encounter.id}/assessment/").status_code == 302


def test_a_closed_encounter_is_read_back_not_locked(world_a: OrgWorld) -> None:
    encounter = in_person(world_a)
    Encounter.objects.filter(pk=encounter.pk).update(closed_at=timezone.now(), closed_by_id=world_a.provider.id)
    turn_on(world_a)
    client = sign_in(Client(), world_a.provider)
    assert client.get(f"/encounters/{encounter.id}/confidentiality/").status_code == 200
    assert client.post(f"/encounters/{encounter.id}/confidentiality/").status_code == 302
    assert not StepState.objects.filter(encounter=encounter).exists()


# --- The rule, as a property ---------------------------------------------------------------------

GATES = ["", Gate.ALONE, Gate.NOT_ALONE, Gate.NOT_POSSIBLE]
SITES = [None, SeeAlone.FOLLOW, SeeAlone.ON, SeeAlone.OFF]


def expected_locked(org_on: bool, site_choice: str | None, mode: str, gate: str, step: str) -> bool:
    """The rule, written again from the issue: in person, the policy on where the encounter is (its
    site's own choice, else the organisation's), Privacy not settled, a step after Privacy."""
    on = org_on if site_choice in (None, SeeAlone.FOLLOW) else site_choice == SeeAlone.ON
    settled = gate in (Gate.ALONE, Gate.NOT_POSSIBLE)
    return mode == Mode.IN_PERSON and on and not settled and step in AFTER_GATE


@pytest.fixture
def one_world(world_a: OrgWorld) -> tuple[OrgWorld]:
    """The world in a tuple: Hypothesis probes its arguments for attributes, which ``OrgWorld``
    answers with roles."""
    return (world_a,)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    org_on=st.booleans(),
    site_choice=st.sampled_from(SITES),
    mode=st.sampled_from(list(Mode)),
    gate=st.sampled_from(GATES),
    step=st.sampled_from(list(STEP_URLS)),
    method=st.sampled_from(["get", "post"]),
    minor=st.booleans(),
)
def test_an_assessment_step_is_reachable_only_as_the_rule_says(
    one_world: tuple[OrgWorld],
    org_on: bool,
    site_choice: str | None,
    mode: str,
    gate: str,
    step: Step,
    method: str,
    minor: bool,
) -> None:
    (world_a,) = one_world
    turn_on(world_a, org_on)
    if site_choice is not None:
        Site.objects.filter(pk=world_a.site.pk).update(see_alone=site_choice)
    encounter = Encounter.objects.create(
        org=world_a.org, person=world_a.person, mode=mode, lead=world_a.provider, gate=gate,
        site=world_a.site if site_choice is not None else None, is_minor=minor,
    )  # fmt: skip
    client = sign_in(Client(), world_a.provider)
    fresh = Encounter.objects.select_related("org", "site").get(pk=encounter.pk)
    locked = expected_locked(org_on, site_choice, mode, gate, step) and fresh.has_step(step)
    assert gate_required(fresh) is (expected_locked(org_on, site_choice, mode, gate, Step.EDUCATION))
    assert assessment_open(fresh, step) is not locked
    assert policy_applies(fresh) is (
        mode == Mode.IN_PERSON and expected_locked(org_on, site_choice, mode, "", Step.EDUCATION)
    )
    before = StepState.objects.filter(encounter=encounter).count()
    response = getattr(client, method)(f"/encounters/{encounter.id}/{STEP_URLS[step]}", {})
    if not fresh.has_step(step):
        assert response.status_code == 404
        return
    sent_to_privacy = response.status_code == 302 and response["Location"] == f"/encounters/{encounter.id}/privacy/"
    assert sent_to_privacy is locked
    if locked:  # 0 reachable without the gate, and nothing saved
        assert StepState.objects.filter(encounter=encounter).count() == before
        assert not DomainAssessment.objects.filter(encounter=encounter).exists()


# --- The adherence report ------------------------------------------------------------------------

NOW = datetime.datetime(2026, 4, 15, 12, 0, tzinfo=datetime.UTC)


def visit(
    world: OrgWorld, at: datetime.datetime, gate: str = "", site: Site | None = None, mode: str = Mode.IN_PERSON
) -> Encounter:
    encounter = Encounter.objects.create(
        org=world.org, person=world.person, mode=mode, site=site, lead=world.provider, gate=gate,
        gate_reason="Canary gate reason" if gate else "",
    )  # fmt: skip
    Encounter.objects.filter(pk=encounter.pk).update(started_at=at)
    return encounter


def march(day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, tzinfo=datetime.UTC)


@pytest.fixture
def counted(world_a: OrgWorld, world_b: OrgWorld) -> dict[str, Site]:
    """The hand-counted fixture.  Site A, March: 3 visits, 2 seen alone, 1 not possible (the
    companion refused to leave), plus a phone call that does not count.  Site B (Clinic East),
    March: 1 not seen alone yet, 1 with Privacy not recorded; February: 1 seen alone.  No site,
    March: 1 seen alone.  Too old (March 2025) and another organisation's: not counted."""
    Encounter.objects.filter(org__in=[world_a.org, world_b.org]).update(
        started_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    )
    site_a = world_a.site
    site_b = Site.objects.create(org=world_a.org, name="Clinic East")
    visit(world_a, march(2), Gate.ALONE, site_a)
    visit(world_a, march(9), Gate.ALONE, site_a)
    visit(world_a, march(31, 23), Gate.NOT_POSSIBLE, site_a)
    visit(world_a, march(10), Gate.NOT_ALONE, site_a, mode=Mode.PHONE)
    visit(world_a, march(3), Gate.NOT_ALONE, site_b)
    visit(world_a, march(4), "", site_b)
    visit(world_a, datetime.datetime(2026, 2, 28, 8, tzinfo=datetime.UTC), Gate.ALONE, site_b)
    visit(world_a, march(5), Gate.ALONE, None)
    visit(world_a, datetime.datetime(2025, 3, 20, tzinfo=datetime.UTC), Gate.ALONE, site_a)  # 13 months ago
    for _n in range(3):
        visit(world_b, march(6), Gate.NOT_ALONE, world_b.site)
    return {"a": site_a, "b": site_b}


def cells(report: Any, site_id: uuid.UUID | None) -> dict[str, Cell]:
    rows = next(rows for rows in report.sites if rows.site_id == site_id)
    return {month.start.strftime("%Y-%m"): cell for month, cell in rows.months} | {"total": rows.total}


def as_tuple(cell: Cell) -> tuple[int, int, int | None, int, int, int]:
    return (cell.visits, cell.alone, cell.share, cell.not_alone_yet, cell.not_possible, cell.not_recorded)


def test_the_report_matches_the_hand_counted_fixture(world_a: OrgWorld, counted: dict[str, Site]) -> None:
    report = adherence_for(world_a.supervisor, now=NOW)
    assert [m.start.strftime("%Y-%m") for m in report.months][:3] == ["2026-04", "2026-03", "2026-02"]
    assert len(report.months) == 12 and report.months[-1].start == datetime.date(2025, 5, 1)
    a, b, none = cells(report, counted["a"].id), cells(report, counted["b"].id), cells(report, None)
    assert as_tuple(a["2026-03"]) == (3, 2, 67, 0, 1, 0)
    assert as_tuple(a["2026-04"]) == (0, 0, None, 0, 0, 0)
    assert as_tuple(a["total"]) == (3, 2, 67, 0, 1, 0)
    assert as_tuple(b["2026-03"]) == (2, 0, 0, 1, 0, 1)
    assert as_tuple(b["2026-02"]) == (1, 1, 100, 0, 0, 0)
    assert as_tuple(b["total"]) == (3, 1, 33, 1, 0, 1)
    assert as_tuple(none["2026-03"]) == (1, 1, 100, 0, 0, 0)
    overall = {m.start.strftime("%Y-%m"): cell for m, cell in report.overall}
    assert as_tuple(overall["2026-03"]) == (6, 3, 50, 1, 1, 1)
    assert as_tuple(report.total) == (7, 4, 57, 1, 1, 1)
    assert [site.name for site in report.sites] == ["Clinic East", world_a.site.name, "No site recorded"]


@override_settings(TIME_ZONE="America/Chicago")
def test_months_follow_the_servers_time_zone(world_a: OrgWorld, counted: dict[str, Site]) -> None:
    """31 March 23:00 UTC is 31 March 18:00 in Chicago; 1 April 03:00 UTC is still 31 March there."""
    visit(world_a, datetime.datetime(2026, 4, 1, 3, tzinfo=datetime.UTC), Gate.ALONE, counted["a"])
    a = cells(adherence_for(world_a.org_admin, now=NOW), counted["a"].id)
    assert as_tuple(a["2026-03"]) == (4, 3, 75, 0, 1, 0) and a["2026-04"].visits == 0


def test_the_page_shows_the_table_and_the_chart_and_no_person_data(world_a: OrgWorld, world_b: OrgWorld) -> None:
    Encounter.objects.filter(org=world_a.org).update(gate=Gate.ALONE)  # the fixture's own encounter: now, no site
    visit(world_a, timezone.now(), Gate.NOT_POSSIBLE, world_a.site)
    visit(world_b, timezone.now(), Gate.ALONE, world_b.site)
    client = sign_in(Client(), world_a.supervisor)
    response = client.get(ADHERENCE_URL)
    page = response.content.decode()
    assert response.status_code == 200
    month = timezone.localdate().strftime("%Y-%m")
    site_table = page.split(f'data-adherence-site="{world_a.site.id}"')[1].split("</table>")[0]
    row = site_table.split(f'data-month="{month}"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">([^<]*)', row) == ["1", "0", "0%", "0", "1", "0"]
    none_table = page.split('data-adherence-site="none"')[1].split("</table>")[0]
    row = none_table.split(f'data-month="{month}"')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num">([^<]*)', row) == ["1", "1", "100%", "0", "0", "0"]
    assert '<svg class="chart" role="img"' in page and "<title" in page
    assert "style=" not in page.split("<main")[-1]
    for canary in ("Canary", world_a.person.reference, world_b.site.name):
        assert canary not in page
    assert not AuditEvent.objects.filter(org_id=world_a.org.id, event__endswith=".viewed").exists()


@pytest.mark.parametrize("role, allowed", [(r, r in (Role.SUPERVISOR, Role.ORG_ADMIN, Role.AUDITOR)) for r in Role])
def test_who_may_see_the_report(world_a: OrgWorld, role: Role, allowed: bool) -> None:
    client = sign_in(Client(), world_a.staff[role])
    assert client.get(ADHERENCE_URL).status_code == (200 if allowed else 404)
    assert client.post(ADHERENCE_URL).status_code in (404, 405)


def test_the_reports_queries_do_not_grow_with_the_encounters(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    client.get(ADHERENCE_URL)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ADHERENCE_URL).status_code == 200
        return len(captured.captured_queries)

    few = count()
    for n in range(25):
        visit(
            world_a,
            timezone.now() - datetime.timedelta(days=n * 9),
            [Gate.ALONE, Gate.NOT_POSSIBLE, ""][n % 3],
            world_a.site,
        )
    assert count() == few


# --- Bad input, as a property --------------------------------------------------------------------

NASTY = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        [
            "on", "off", "follow", "ON", "\x00", "\u202e", "\u200b", "\ud800", "\ufffd", "' OR 1=1 --",
            "{{ request }}", "<img src=x onerror=alert(1)>", "x" * 5000, str(uuid.uuid4()),
        ]
    ),
)  # fmt: skip


def form_body(data: dict[str, str]) -> bytes:
    """URL-encoded as a hostile client could send it (lone surrogates as their invalid bytes)."""
    from urllib.parse import quote

    return "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'))}" for k, v in data.items()).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.dictionaries(
        st.sampled_from(["see_alone", "see_alone_text", "site", "stranger_site", "other"]), NASTY, max_size=5
    )
)
def test_the_policy_page_never_errors_and_never_half_saves(one_world: tuple[OrgWorld], data: dict[str, str]) -> None:
    (world,) = one_world
    Organisation.objects.filter(pk=world.org.pk).update(see_alone=False, see_alone_text="")
    Site.objects.filter(pk=world.site.pk).update(see_alone=SeeAlone.FOLLOW)
    names = {"site": site_field(world.site.id), "stranger_site": site_field(uuid.uuid4())}
    body = {names.get(key, key): value for key, value in data.items()}
    before = saved_events(world)
    client = sign_in(Client(), world.org_admin)
    response = client.post(POLICY_URL, form_body(body), content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 400)
    world.org.refresh_from_db()
    world.site.refresh_from_db()
    if response.status_code == 302:
        assert body.get("see_alone") in ("on", "off") and "stranger_site" not in data
        assert world.org.see_alone is (body["see_alone"] == "on") and saved_events(world) == before + 1
        assert world.site.see_alone == body[names["site"]]
    else:
        assert (world.org.see_alone, world.org.see_alone_text, world.site.see_alone) == (False, "", SeeAlone.FOLLOW)
        assert saved_events(world) == before

"""Issue 13, staff orientation: the page every staff member confirms (for themselves only), the due
rule (the current version within the organisation's interval), the admin's view and interval, the
banner (and what it costs), and the refusal to run a separation before the orientation is read."""

from __future__ import annotations

import datetime
import io
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, make_staff, sign_in
from waypoint.core.models import AuditEvent
from waypoint.encounters import separation_actions
from waypoint.encounters.policy import DEFAULT_SEE_ALONE_TEXT
from waypoint.encounters.separation import RequestStatus, SeparationRequest, SeparationRun
from waypoint.orgs import actions, orientation
from waypoint.orgs.models import ORIENTATION_VERSION, Organisation, OrientationConfirmation, Role, Staff

PAGE = "/orientation/"
ADMIN_PAGE = "/settings/orientation/"
BANNER = 'id="orientation-banner"'
RUN = {"separator": "Me", "outcome": "separated"}


def confirm(staff: Staff, days_ago: float = 0, version: int = ORIENTATION_VERSION) -> OrientationConfirmation:
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return OrientationConfirmation.objects.create(staff=staff, version=version, confirmed_at=at)


def events(code: str, org: Organisation | None = None) -> int:
    rows = AuditEvent.objects.filter(event=code)
    return rows.filter(org_id=org.id).count() if org else rows.count()


@pytest.fixture
def world_a(world_a: OrgWorld) -> OrgWorld:
    """The shared world with nobody oriented, whatever ``make_staff`` does: each test orients whom it needs."""
    OrientationConfirmation.objects.filter(staff__org=world_a.org).delete()
    return world_a


@pytest.fixture
def world_b(world_b: OrgWorld) -> OrgWorld:
    OrientationConfirmation.objects.filter(staff__org=world_b.org).delete()
    return world_b


# --- The due rule -----------------------------------------------------------------------------------


def test_the_rule_current_version_within_the_interval(world_a: OrgWorld) -> None:
    staff = world_a.provider
    now = timezone.now()
    assert not orientation.oriented(staff, now)  # never confirmed: due now
    row = confirm(staff)
    due = orientation.staff_due_at(staff)
    assert due == row.confirmed_at + datetime.timedelta(days=365)  # yearly by default
    assert orientation.oriented(staff, now)
    assert orientation.oriented(staff, row.confirmed_at + datetime.timedelta(days=364, hours=23))
    assert not orientation.oriented(staff, row.confirmed_at + datetime.timedelta(days=365))  # due again


def test_the_interval_is_the_organisations(world_a: OrgWorld) -> None:
    staff = world_a.provider
    confirm(staff, days_ago=40)
    assert orientation.oriented(staff)
    actions.set_orientation_interval(world_a.org_admin, 30)
    staff = Staff.objects.select_related("org").get(pk=staff.pk)
    assert not orientation.oriented(staff)  # 40 days ago is older than the new 30-day interval


def test_an_older_version_does_not_count(world_a: OrgWorld) -> None:
    confirm(world_a.provider, version=ORIENTATION_VERSION - 1)
    assert not orientation.oriented(world_a.provider)


def test_due_at_is_none_when_never_confirmed() -> None:
    assert orientation.due_at(None, 365) is None
    assert not orientation.is_current(None, timezone.now())


# --- The orientation page ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_orientation(world_a: OrgWorld, role: Role) -> None:
    client = sign_in(Client(), world_a.staff[role])
    before = AuditEvent.objects.count()
    response = client.get(PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert DEFAULT_SEE_ALONE_TEXT.split(",")[0] in page  # the policy (default text)
    assert "The provider seeing the person" in page  # the protocol's who separates (default)
    assert "Stay calm and do not confront the companion." in page  # refusal steps
    assert "Emergency: 911" in page and "(add" not in page
    assert 'href="/about-exit/"' in page and "Shift three times" in page  # quick exit
    assert "I have read this" in page
    assert BANNER not in page  # not on the orientation page itself
    assert "trafficking" not in page.split("<main")[0].lower()  # nothing alarming in the head or header
    assert AuditEvent.objects.count() == before  # settings, not a record: no read row


def test_the_organisations_own_policy_text_and_contacts_are_shown(world_a: OrgWorld) -> None:
    Organisation.objects.filter(pk=world_a.org.pk).update(see_alone_text="Our own words about privacy.")
    admin = sign_in(Client(), world_a.org_admin)
    data = {
        "who_separates": "The charge nurse", "discreet_reasons": "Weighing", "refusal_steps": "Call security",
        "security_contact": "Desk 5555", "local_police": "555-0101", "tribal_police": "", "federal_contact": "",
        "emergency_steps": "Call 911", "adult_consent_script": "Consent", "cps_contact": "CPS 555-0102",
        "check_in_minutes": "10", "version": "1",
    }  # fmt: skip
    admin.post("/encounters/separation/protocol/", data)
    page = sign_in(Client(), world_a.provider).get(PAGE).content.decode()
    assert "Our own words about privacy." in page
    assert "The charge nurse" in page and "Desk 5555" in page and "555-0101" in page


def test_anonymous_is_sent_to_sign_in(client: Client, db: Any) -> None:
    for path in (PAGE, ADMIN_PAGE):
        response = client.get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert client.post(path, {}).status_code == 302
    assert not OrientationConfirmation.objects.exists()


def test_confirming_records_one_row_for_oneself(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    response = client.post(PAGE)
    assert response.status_code == 302 and response["Location"] == PAGE
    rows = OrientationConfirmation.objects.filter(staff=world_a.provider)
    assert rows.count() == 1 and rows.get().version == ORIENTATION_VERSION
    row = AuditEvent.objects.get(event=actions.ORIENTATION_CONFIRMED)
    assert row.actor_id == world_a.provider.id and row.org_id == world_a.org.id
    assert orientation.oriented(world_a.provider)
    page = client.get(PAGE).content.decode()
    assert "Thank you. Your orientation is recorded." in page and "Please read it again by" in page


@pytest.mark.parametrize("field", ["staff", "staff_id", "user", "id", "confirmed_at", "version"])
def test_a_confirmation_for_someone_else_confirms_only_the_signed_in_user(
    world_a: OrgWorld, world_b: OrgWorld, field: str
) -> None:
    client = sign_in(Client(), world_a.front_desk)
    for other in (world_a.supervisor, world_b.provider):
        value = str(other.id) if field != "confirmed_at" else "2020-01-01T00:00:00Z"
        value = "0" if field == "version" else value
        client.post(PAGE, {field: value, "staff": str(other.id)})
    assert not OrientationConfirmation.objects.exclude(staff=world_a.front_desk).exists()
    mine = OrientationConfirmation.objects.get(staff=world_a.front_desk)  # one row: the second is a double submit
    assert mine.version == ORIENTATION_VERSION and timezone.now() - mine.confirmed_at < datetime.timedelta(minutes=1)
    assert events(actions.ORIENTATION_CONFIRMED) == 1


def test_double_submit_makes_one_row(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    for _n in range(3):
        assert client.post(PAGE).status_code == 302
    assert OrientationConfirmation.objects.filter(staff=world_a.provider).count() == 1
    assert events(actions.ORIENTATION_CONFIRMED) == 1


def test_confirming_again_after_the_minute_makes_a_new_row(world_a: OrgWorld) -> None:
    confirm(world_a.provider, days_ago=400)
    actions.confirm_orientation(world_a.provider)
    assert OrientationConfirmation.objects.filter(staff=world_a.provider).count() == 2
    assert orientation.oriented(world_a.provider)


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ("/encounters/", "/encounters/"),
        ("//evil.example/", PAGE),
        ("https://evil.example/", PAGE),
        ("/\\evil.example", PAGE),
        ("javascript:alert(1)", PAGE),
        ("", PAGE),
    ],
)
def test_next_goes_back_only_to_a_local_page(world_a: OrgWorld, posted: str, expected: str) -> None:
    client = sign_in(Client(), world_a.provider)
    assert client.post(PAGE, {"next": posted})["Location"] == expected


def test_next_from_the_query_is_kept_in_the_form_and_bad_ones_dropped(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    page = client.get(PAGE, {"next": "/encounters/x/separation/"}).content.decode()
    assert 'name="next" value="/encounters/x/separation/"' in page.split('id="orientation-form"')[1]
    bad = client.get(PAGE, {"next": "//evil.example"}).content.decode()
    assert 'name="next"' not in bad.split('id="orientation-form"')[1]


def test_bad_characters_in_the_post_change_nothing_but_the_confirmation(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    response = client.post(PAGE, {"next": "/\x00x", "staff": "\u202e" + str(world_a.supervisor.id)})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert list(OrientationConfirmation.objects.values_list("staff_id", flat=True)) == [world_a.provider.id]


def test_orientation_page_is_get_and_post_only(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    assert client.put(PAGE).status_code == 405
    assert client.delete(ADMIN_PAGE).status_code in (404, 405)


# --- The admin's page -------------------------------------------------------------------------------


def test_admin_sees_who_is_oriented_and_who_is_due(world_a: OrgWorld, world_b: OrgWorld) -> None:
    confirm(world_a.provider, days_ago=10)
    confirm(world_a.supervisor, days_ago=400)  # due again
    gone = make_staff(world_a.org, "gone.a", Role.PROVIDER, is_active=False)
    client = sign_in(Client(), world_a.org_admin)
    before = AuditEvent.objects.count()
    response = client.get(ADMIN_PAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before  # staff and settings, no record: no read row
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr ")[1:]
    assert len(rows) == len(Role)  # every active staff member, and nobody else
    assert not any(gone.display_name in row for row in rows)
    assert world_b.provider.display_name not in page
    by_name = {row.split("<td>")[1].split("</td>")[0]: row for row in rows}
    provider = by_name[world_a.provider.display_name]
    due = timezone.localtime(timezone.now() - datetime.timedelta(days=10) + datetime.timedelta(days=365)).date()
    assert 'data-oriented="1"' in provider and str(due.year) in provider
    assert "Due now" in by_name[world_a.supervisor.display_name]
    assert "Not oriented yet" in by_name[world_a.front_desk.display_name]
    assert rows[-1] == provider  # those still to orient come first


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ORG_ADMIN])
def test_only_admins_reach_the_admin_page(world_a: OrgWorld, role: Role) -> None:
    client = sign_in(Client(), world_a.staff[role])
    assert client.get(ADMIN_PAGE).status_code == 404
    assert client.post(ADMIN_PAGE, {"orientation_every_days": "30"}).status_code == 404
    assert Organisation.objects.get(pk=world_a.org.pk).orientation_every_days == 365


def test_admin_sets_the_interval(world_a: OrgWorld, world_b: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    response = client.post(ADMIN_PAGE, {"orientation_every_days": "180"})
    assert response.status_code == 302 and response["Location"] == ADMIN_PAGE
    assert Organisation.objects.get(pk=world_a.org.pk).orientation_every_days == 180
    assert Organisation.objects.get(pk=world_b.org.pk).orientation_every_days == 365  # only their own
    row = AuditEvent.objects.get(event=actions.ORIENTATION_INTERVAL_SAVED)
    assert row.org_id == world_a.org.id and row.actor_id == world_a.org_admin.id and row.object_id == world_a.org.id


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Enter at least 30 days."),
        ("-5", "Enter at least 30 days."),
        ("29", "Enter at least 30 days."),
        ("1096", "Enter at most 1095 days"),
        ("99999", "Enter at most 1095 days"),
        ("letters", "Enter a whole number of days"),
        ("12.5", "Enter a whole number of days"),
        ("", "Enter a number of days between 30 and 1095."),
        ("3\x000", "Enter a whole number of days"),
        (None, "Enter a number of days between 30 and 1095."),
    ],
)
def test_bad_intervals_are_refused_and_kept(world_a: OrgWorld, value: str | None, message: str) -> None:
    client = sign_in(Client(), world_a.org_admin)
    response = client.post(ADMIN_PAGE, {} if value is None else {"orientation_every_days": value})
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page and 'href="#id_orientation_every_days"' in page  # the summary links to the field
    if value and "\x00" not in value:
        assert f'value="{value}"' in page  # what was typed is kept
    assert Organisation.objects.get(pk=world_a.org.pk).orientation_every_days == 365
    assert events(actions.ORIENTATION_INTERVAL_SAVED) == 0


@pytest.mark.parametrize("value", [30, 1095])
def test_the_limits_are_accepted(world_a: OrgWorld, value: int) -> None:
    client = sign_in(Client(), world_a.org_admin)
    assert client.post(ADMIN_PAGE, {"orientation_every_days": str(value)}).status_code == 302
    assert Organisation.objects.get(pk=world_a.org.pk).orientation_every_days == value


@pytest.fixture
def admin_only(db: Any) -> SimpleNamespace:
    """An admin, wrapped: Hypothesis probes fixture values for attributes OrgWorld answers with roles."""
    org = Organisation.objects.create(name="Org H")
    return SimpleNamespace(admin=make_staff(org, "admin.h", Role.ORG_ADMIN), org=org)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.integers(min_value=-(10**6), max_value=10**6))
def test_the_action_accepts_exactly_30_to_1095_days(admin_only: SimpleNamespace, days: int) -> None:
    """Deny by default: any number outside 30..1095 is refused and changes nothing, audit included."""
    admin = Staff.objects.select_related("org").get(pk=admin_only.admin.pk)
    Organisation.objects.filter(pk=admin_only.org.pk).update(orientation_every_days=365)
    saved = events(actions.ORIENTATION_INTERVAL_SAVED)
    if 30 <= days <= 1095:
        actions.set_orientation_interval(admin, days)
        assert Organisation.objects.get(pk=admin_only.org.pk).orientation_every_days == days
        assert events(actions.ORIENTATION_INTERVAL_SAVED) == saved + 1
    else:
        with pytest.raises(actions.Refused):
            actions.set_orientation_interval(admin, days)
        assert Organisation.objects.get(pk=admin_only.org.pk).orientation_every_days == 365
        assert events(actions.ORIENTATION_INTERVAL_SAVED) == saved


# --- The banner -------------------------------------------------------------------------------------


def test_staff_not_oriented_see_the_banner_after_exit(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    page = client.get("/").content.decode()
    assert BANNER in page
    assert "Please read the short orientation before your next visit." in page
    assert 'href="/orientation/"' in page.split(BANNER)[1].split("</aside>")[0]
    assert page.index('id="quick-exit"') < page.index('class="skip-link"') < page.index(BANNER)  # tab order
    assert page.index(BANNER) < page.index('<main id="main"')
    assert "trafficking" not in page.split(BANNER)[1].split("</aside>")[0].lower()


@pytest.mark.parametrize("path", ["/", "/account/", "/about-exit/", "/people/"])
def test_the_banner_shows_on_every_page(world_a: OrgWorld, path: str) -> None:
    client = sign_in(Client(), world_a.supervisor)
    assert BANNER in client.get(path).content.decode()


def test_no_banner_on_sign_in_pages_or_for_visitors(client: Client, world_a: OrgWorld) -> None:
    assert BANNER not in client.get("/login/").content.decode()
    assert BANNER not in client.get("/about-exit/").content.decode()
    signed = sign_in(Client(), world_a.provider)
    assert BANNER not in signed.get("/confirm/").content.decode()  # step-up: a sign-in step


def test_no_banner_once_oriented_and_again_when_due(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    assert BANNER in client.get("/").content.decode()
    client.post(PAGE)
    assert BANNER not in client.get("/").content.decode()  # the session's note is renewed at once
    OrientationConfirmation.objects.update(confirmed_at=timezone.now() - datetime.timedelta(days=100))
    admin = sign_in(Client(), world_a.org_admin)
    assert admin.post(ADMIN_PAGE, {"orientation_every_days": "90"}).status_code == 302
    assert BANNER in client.get("/").content.decode()  # a new interval is seen at the next page


def test_a_confirmation_elsewhere_shows_after_the_recheck(world_a: OrgWorld, monkeypatch: Any) -> None:
    client = sign_in(Client(), world_a.provider)
    assert BANNER in client.get("/").content.decode()
    confirm(world_a.provider)  # as if confirmed in another browser
    assert BANNER in client.get("/").content.decode()  # the note in this session is still fresh
    later = orientation.time.time() + orientation.BANNER_RECHECK_SECONDS + 1
    monkeypatch.setattr(orientation.time, "time", lambda: later)
    assert BANNER not in client.get("/").content.decode()


def test_the_banner_costs_no_query_once_noted(world_a: OrgWorld) -> None:
    confirm(world_a.provider)
    client = sign_in(Client(), world_a.provider)
    client.get("/account/")  # notes the answer in the session
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/account/").content.decode()
    assert BANNER not in page
    assert not [q for q in captured.captured_queries if "orientationconfirmation" in q["sql"]]


def test_the_session_note_of_another_staff_member_is_not_trusted(world_a: OrgWorld) -> None:
    confirm(world_a.supervisor)
    client = sign_in(Client(), world_a.provider)
    session = client.session
    session[orientation.SESSION_KEY] = {
        "key": [str(world_a.supervisor.id), ORIENTATION_VERSION, 365], "due": 4e9, "checked": 4e9,
    }  # fmt: skip
    session.save()
    assert BANNER in client.get("/").content.decode()


# --- No separation before the orientation -----------------------------------------------------------


def test_a_provider_not_oriented_cannot_run_a_separation(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    url = f"/encounters/{world_a.encounter.id}/separation/"
    before = AuditEvent.objects.count()
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="orientation-needed"' in page
    assert f'href="/orientation/?next=/encounters/{world_a.encounter.id}/separation/"' in page
    assert "Emergency: 911" in page and "Call security." in page  # in danger now: what to do, who to call
    assert 'name="outcome"' not in page  # no form to record a run
    assert AuditEvent.objects.count() == before + 1  # one read row, as the runner's
    response = client.post(url, RUN)
    assert response.status_code == 409 and 'id="orientation-needed"' in response.content.decode()
    assert not SeparationRun.objects.exists()


def test_after_the_orientation_the_provider_goes_back_and_runs_it(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    url = f"/encounters/{world_a.encounter.id}/separation/"
    assert client.post(PAGE, {"next": url})["Location"] == url
    assert 'name="outcome"' in client.get(url).content.decode()
    assert client.post(url, RUN).status_code == 302
    assert SeparationRun.objects.filter(encounter=world_a.encounter).count() == 1


def test_a_provider_due_again_cannot_run_one(world_a: OrgWorld) -> None:
    confirm(world_a.provider, days_ago=366)
    client = sign_in(Client(), world_a.provider)
    client.post(f"/encounters/{world_a.encounter.id}/separation/", RUN)
    assert not SeparationRun.objects.exists()


def test_the_actions_refuse_staff_not_oriented(world_a: OrgWorld) -> None:
    with pytest.raises(separation_actions.NotOriented):
        separation_actions.record_separation_run(world_a.provider, RUN, encounter=world_a.encounter)
    with pytest.raises(separation_actions.NotOriented):
        separation_actions.take_separation_request(world_a.provider, world_a.separation_request)
    assert not SeparationRun.objects.exists()
    assert SeparationRequest.objects.get(pk=world_a.separation_request.pk).status == RequestStatus.OPEN
    confirm(world_a.provider)
    run = separation_actions.record_separation_run(world_a.provider, RUN, encounter=world_a.encounter)
    assert run.by_id == world_a.provider.id


def test_a_request_is_not_taken_by_staff_not_oriented(world_a: OrgWorld) -> None:
    request = world_a.separation_request
    client = sign_in(Client(), world_a.provider)
    response = client.post(f"/encounters/separation/requests/{request.id}/take/")
    assert response.status_code == 302 and response["Location"] == f"/encounters/separation/requests/{request.id}/"
    assert SeparationRequest.objects.get(pk=request.pk).status == RequestStatus.OPEN  # still open for a colleague
    page = client.get(response["Location"]).content.decode()
    assert 'id="orientation-needed"' in page and "data-request-callout" in page
    assert client.post(response["Location"], RUN).status_code == 409
    assert not SeparationRun.objects.exists()


def test_the_front_desk_still_raises_requests_without_the_orientation(world_a: OrgWorld) -> None:
    desk = sign_in(Client(), world_a.front_desk)
    response = desk.post("/encounters/separation/requests/", {"phrase": "room_4", "site": str(world_a.site.id)})
    assert response.status_code == 302
    assert SeparationRequest.objects.filter(phrase="room_4", org=world_a.org).count() == 1


def test_another_orgs_encounter_is_still_404_for_staff_not_oriented(world_a: OrgWorld, world_b: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    assert client.get(f"/encounters/{world_b.encounter.id}/separation/").status_code == 404
    assert client.post(f"/encounters/separation/requests/{world_b.separation_request.id}/take/").status_code == 404
    assert client.get(f"/encounters/{uuid.uuid4()}/separation/").status_code == 404


# --- Demo data --------------------------------------------------------------------------------------


def test_seed_demo_orients_everyone_but_one_provider_and_says_who(db: Any) -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "except provider.b" in out.getvalue()
    not_oriented = [s.username for s in Staff.objects.select_related("org") if not orientation.oriented(s)]
    assert not_oriented == ["provider.b"]
    count = OrientationConfirmation.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    assert OrientationConfirmation.objects.count() == count  # running it again changes nothing

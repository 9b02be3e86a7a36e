"""Issue 12, the disclosure log and where things show: the disclosure form (happy path, bad input, a
reason required when the person is not to be told, the follow-up to tell them on a channel their
rules allow or for the next in-person meeting, never on one they do not), the child protective
services step writing the log, the person page and the timeline listing referrals, releases,
shares and disclosures, the home panel of releases about to expire (the assigned provider only),
and the scheduled command marking expired releases."""

from __future__ import annotations

import datetime
import io
import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, make_staff, sign_in
from tests.test_encounters import start
from waypoint.contact.actions import record_rules
from waypoint.contact.guard import may_use
from waypoint.contact.models import ContactRules, FollowUpTask
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role
from waypoint.people.parts import owners, record_object_ids, timeline
from waypoint.referrals.actions.disclosures import record_child_protection, tell_task_text
from waypoint.referrals.actions.expiry import mark_expired
from waypoint.referrals.actions.releases import revoke_release
from waypoint.referrals.actions.shares import share
from waypoint.referrals.events import DisclosureEvent, ReleaseEvent
from waypoint.referrals.models import Disclosure, DisclosureKind, Release, ReleaseItem


def new_url(world: OrgWorld) -> str:
    return reverse("referrals:disclosure_new", args=[world.person.id])


def good(**more: Any) -> dict[str, Any]:
    data = {
        "kind": DisclosureKind.SUBPOENA, "what": "Attendance records", "to_whom": "Canary County Court",
        "legal_basis": "Subpoena 42-B", "disclosed_on": timezone.localdate().isoformat(), "tell": "yes",
        "form_token": str(uuid.uuid4()),
    }  # fmt: skip
    return data | more


def count(event: str) -> int:
    return AuditEvent.objects.filter(event=event).count()


def rules(world: OrgWorld, **changes: str) -> ContactRules:
    return record_rules(world.provider, world.person, {"safe_to_contact": "yes", **changes}, how="in_person")


# --- The form -------------------------------------------------------------------------------------


def test_form_page_and_happy_path(client: Client, world_a: OrgWorld) -> None:
    rules(world_a, text="allowed", text_number="5550101234", best_way="text")
    sign_in(client, world_a.supervisor)  # a supervisor records it; the task goes to the assigned provider
    page = client.get(new_url(world_a))
    assert page.status_code == 200 and 'autocomplete="off"' in page.content.decode()
    before = Disclosure.objects.count()
    response = client.post(new_url(world_a), good())
    assert response.status_code == 302
    disclosure = Disclosure.objects.exclude(pk=world_a.disclosure.pk).get()
    assert Disclosure.objects.count() == before + 1
    assert response["Location"] == reverse("referrals:disclosure", args=[world_a.person.id, disclosure.id])
    assert disclosure.kind == DisclosureKind.SUBPOENA and disclosure.to_whom == "Canary County Court"
    assert disclosure.tell_person and disclosure.task_id is not None
    task = FollowUpTask.objects.get(pk=disclosure.task_id)
    assert task.channel == "text" and task.assigned_to == world_a.provider
    assert task.what == tell_task_text() and "Canary" not in task.what and "Subpoena" not in task.what
    recorded = AuditEvent.objects.get(event=DisclosureEvent.RECORDED)
    assert recorded.object_id == disclosure.id and recorded.actor_id == world_a.supervisor.id


def test_a_second_submit_records_nothing_more(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    data = good()
    client.post(new_url(world_a), data)
    second = client.post(new_url(world_a), data)
    assert second.status_code == 302
    assert Disclosure.objects.count() == 2  # the world's and this one
    assert count(DisclosureEvent.RECORDED) == 1 and FollowUpTask.objects.exclude(pk=world_a.task.pk).count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kind": "bogus"}, "kind", "Select a valid choice"),
        ({"what": ""}, "what", "This field is required"),
        ({"to_whom": ""}, "to_whom", "This field is required"),
        ({"legal_basis": ""}, "legal_basis", "This field is required"),
        ({"what": "x" * 2001}, "what", "at most 2000"),
        ({"disclosed_on": ""}, "disclosed_on", "This field is required"),
        ({"disclosed_on": "2024-02-30"}, "disclosed_on", "Enter a valid date"),
        ({"disclosed_on": "1899-12-31"}, "disclosed_on", "Check the year"),
        ({"disclosed_on": (datetime.date.today() + datetime.timedelta(days=2)).isoformat()}, "disclosed_on", "future"),
        ({"tell": ""}, "tell", "This field is required"),
        ({"tell": "no", "not_telling_reason": "  "}, "not_telling_reason", "put them in danger"),
        ({"to_whom": "Court\u202e"}, "to_whom", "invisible"),
    ],
)
def test_bad_input_is_400_with_the_message_and_nothing_written(
    client: Client, world_a: OrgWorld, change: dict[str, str], field: str, message: str
) -> None:
    sign_in(client, world_a.provider)
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.post(new_url(world_a), good(**change))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and f'id="id_{field}' in body
    if field != "to_whom":
        assert "Canary County Court" in body  # nothing typed is lost
    assert Disclosure.objects.count() == 1
    assert FollowUpTask.objects.count() == 1
    assert [r.event for r in AuditEvent.objects.filter(id__gt=last)] == [DisclosureEvent.VIEWED]


def test_not_telling_with_a_reason_makes_no_task(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    response = client.post(new_url(world_a), good(tell="no", not_telling_reason="The exploiter reads their texts"))
    assert response.status_code == 302
    disclosure = Disclosure.objects.exclude(pk=world_a.disclosure.pk).get()
    assert not disclosure.tell_person and disclosure.task_id is None
    assert disclosure.not_telling_reason == "The exploiter reads their texts"
    assert FollowUpTask.objects.count() == 1


def test_telling_drops_a_stray_reason(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    client.post(new_url(world_a), good(not_telling_reason="typed then changed mind"))
    assert Disclosure.objects.exclude(pk=world_a.disclosure.pk).get().not_telling_reason == ""


RULE_CASES = [
    ({}, ""),  # no rules at all: in person
    ({"call": "allowed", "phone_number": "5550100000", "safe_to_contact": "no"}, ""),  # not safe: in person
    ({"call": "not_allowed", "text": "allowed", "text_number": "5550101111", "best_way": "call"}, "text"),
    ({"call": "allowed", "phone_number": "5550100000", "email": "allowed", "best_way": "email"}, "email"),
    ({"voicemail": "allowed", "best_way": "voicemail"}, ""),  # voicemail needs calls: nothing usable
    ({"visit": "unknown", "post": "not_allowed", "best_way": "visit"}, ""),  # not asked counts as not allowed
    ({"email": "allowed", "best_way": ""}, "email"),
]


@pytest.mark.parametrize(("changes", "channel"), RULE_CASES)
def test_the_tell_task_uses_an_allowed_channel_or_the_next_meeting(
    client: Client, world_a: OrgWorld, changes: dict[str, str], channel: str
) -> None:
    if changes:
        record_rules(world_a.provider, world_a.person, {"safe_to_contact": "yes", **changes}, how="in_person")
    sign_in(client, world_a.provider)
    assert client.post(new_url(world_a), good()).status_code == 302
    disclosure = Disclosure.objects.exclude(pk=world_a.disclosure.pk).get()
    task = FollowUpTask.objects.get(pk=disclosure.task_id)
    assert task.channel == channel
    current = ContactRules.objects.filter(person=world_a.person).first()
    assert task.channel == "" or may_use(current, task.channel)  # never a channel they do not allow


def test_the_task_honours_the_interviewer_wish(client: Client, world_a: OrgWorld) -> None:
    from waypoint.orgs.models import InterviewsAs

    female = make_staff(world_a.org, "fem.provider", Role.PROVIDER, interviews_as=InterviewsAs.FEMALE)
    world_a.person.interviewer_gender = "female"
    world_a.person.save()
    world_a.person.assigned_staff.add(female)
    sign_in(client, world_a.provider)
    client.post(new_url(world_a), good())
    disclosure = Disclosure.objects.exclude(pk=world_a.disclosure.pk).get()
    assert FollowUpTask.objects.get(pk=disclosure.task_id).assigned_to == female


# --- The disclosure page --------------------------------------------------------------------------


def test_disclosure_page_reads_once_and_links_the_task(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    client.post(new_url(world_a), good())
    disclosure = Disclosure.objects.exclude(pk=world_a.disclosure.pk).get()
    url = reverse("referrals:disclosure", args=[world_a.person.id, disclosure.id])
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Canary County Court" in body and "Subpoena 42-B" in body
    assert reverse("contact:task", args=[disclosure.task_id]) in body
    rows = list(AuditEvent.objects.filter(id__gt=last).values_list("event", "object_id"))
    assert rows == [(DisclosureEvent.VIEWED, disclosure.id)]


def test_not_telling_shows_the_reason(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    body = client.get(reverse("referrals:disclosure", args=[world_a.person.id, world_a.disclosure.id])).content
    assert b"Would endanger" in body


@pytest.mark.parametrize("role", ["front_desk", "org_admin", "auditor"])
def test_other_roles_get_404(client: Client, world_a: OrgWorld, role: str) -> None:
    sign_in(client, getattr(world_a, role))
    assert client.get(new_url(world_a)).status_code == 404
    assert client.post(new_url(world_a), good()).status_code == 404
    assert (
        client.get(reverse("referrals:disclosure", args=[world_a.person.id, world_a.disclosure.id])).status_code == 404
    )
    assert Disclosure.objects.count() == 1


def test_another_organisation_gets_404(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_b.provider)
    assert client.post(new_url(world_a), good()).status_code == 404
    assert (
        client.get(reverse("referrals:disclosure", args=[world_a.person.id, world_a.disclosure.id])).status_code == 404
    )
    mixed = reverse("referrals:disclosure", args=[world_b.person.id, world_a.disclosure.id])
    assert client.get(mixed).status_code == 404
    assert Disclosure.objects.count() == 2


# --- The child protective services step -----------------------------------------------------------


def minor_encounter(world: OrgWorld) -> tuple[Client, Any]:
    world.person.estimated_age = 15
    world.person.save()
    client = sign_in(Client(), world.provider)
    return client, start(client, world)


def cps(world: OrgWorld) -> Disclosure:
    (found,) = [d for d in Disclosure.objects.filter(person=world.person) if d.kind == DisclosureKind.CHILD_PROTECTION]
    return found


def test_a_report_made_writes_the_disclosure_and_a_tell_task(world_a: OrgWorld) -> None:
    client, encounter = minor_encounter(world_a)
    url = f"/encounters/{encounter.id}/child-protection/"
    assert client.post(url, {"agency": "County CPS", "reported_at": "2026-01-05T10:00"}).status_code == 302
    disclosure = cps(world_a)
    assert disclosure.source_encounter_id == encounter.id and disclosure.to_whom == "County CPS"
    assert disclosure.what == "Child protective services report" and disclosure.legal_basis == "Mandated report: minor"
    assert disclosure.disclosed_on == datetime.date(2026, 1, 5)
    assert disclosure.tell_person and disclosure.task_id is not None
    assert FollowUpTask.objects.get(pk=disclosure.task_id).channel == ""  # no rules: the next meeting
    # Saved again (a corrected agency): the same row, no second task.
    client.post(url, {"agency": "State CPS", "reported_at": "2026-01-05T10:00"})
    assert cps(world_a).to_whom == "State CPS" and cps(world_a).task_id == disclosure.task_id
    assert count(DisclosureEvent.RECORDED) == 1


def test_told_first_needs_no_task(world_a: OrgWorld) -> None:
    client, encounter = minor_encounter(world_a)
    data = {"agency": "County CPS", "reported_at": "2026-01-05T10:00", "told_first": "on", "told_by": "me"}
    assert client.post(f"/encounters/{encounter.id}/child-protection/", data).status_code == 302
    disclosure = cps(world_a)
    assert disclosure.tell_person and disclosure.task_id is None


def test_a_danger_reason_means_no_task(world_a: OrgWorld) -> None:
    client, encounter = minor_encounter(world_a)
    data = {"agency": "County CPS", "reported_at": "2026-01-05T10:00", "danger_reason": "The parent is the exploiter"}
    assert client.post(f"/encounters/{encounter.id}/child-protection/", data).status_code == 302
    disclosure = cps(world_a)
    assert not disclosure.tell_person and disclosure.task_id is None
    assert disclosure.not_telling_reason == "The parent is the exploiter"


def test_a_deferred_report_writes_nothing(world_a: OrgWorld) -> None:
    client, encounter = minor_encounter(world_a)
    client.post(f"/encounters/{encounter.id}/child-protection/", {"deferred_reason": "supervisor calling now"})
    assert [d.kind for d in Disclosure.objects.all()] == [DisclosureKind.COURT_ORDER]  # the world's only


def test_record_child_protection_defaults_to_today(world_a: OrgWorld) -> None:
    disclosure = record_child_protection(
        world_a.provider, world_a.person, encounter_id=world_a.encounter.id, agency="CPS", reported_on=None,
        told_first=True,
    )  # fmt: skip
    assert disclosure.disclosed_on == timezone.localdate()


# --- Where it shows ---------------------------------------------------------------------------------


def test_person_page_lists_referrals_releases_and_disclosures(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    revoked = Release.objects.create(
        org=world_a.org, person=world_a.person, entry=world_a.entry, items=["contact"], purpose="p",
        benefits_risks="b", consenting_party="person", signed_how="typed", signed_on=timezone.localdate(),
        expires_at=world_a.release.expires_at, recorded_by_id=world_a.provider.id,
    )  # fmt: skip
    revoke_release(world_a.provider, revoked, "oral")
    body = client.get(reverse("people:detail", args=[world_a.person.id])).content.decode()
    assert reverse("referrals:referral", args=[world_a.person.id, world_a.referral.id]) in body
    assert reverse("referrals:release", args=[world_a.person.id, world_a.release.id]) in body
    assert reverse("referrals:release", args=[world_a.person.id, revoked.id]) in body
    assert reverse("referrals:disclosure", args=[world_a.person.id, world_a.disclosure.id]) in body
    assert reverse("referrals:person", args=[world_a.person.id]) in body
    assert reverse("referrals:directory") in body
    assert "Revoked" in body and "Valid" in body and "Canary Court A" in body


def test_timeline_lists_them_with_labels_only(client: Client, world_a: OrgWorld) -> None:
    made = share(world_a.provider, world_a.person, release_id=world_a.release.id, entry_id=world_a.entry.id,
                 items=["contact"])  # fmt: skip
    revoke_release(world_a.provider, world_a.release, "oral")
    expired = Release.objects.create(
        org=world_a.org, person=world_a.person, entry=world_a.entry, items=["contact"], purpose="p",
        benefits_risks="b", consenting_party="person", signed_how="typed",
        signed_on=timezone.localdate() - datetime.timedelta(days=40),
        expires_at=timezone.now() - datetime.timedelta(days=1), recorded_by_id=world_a.provider.id,
    )  # fmt: skip
    whats = [str(entry.what) for entry in timeline(world_a.person)]
    assert "Referral made · Legal help" in whats
    assert "Release of information recorded" in whats and "Release of information revoked" in whats
    assert "Release of information expired" in whats
    assert "Information shared under a release" in whats
    assert "Disclosure recorded · Court order" in whats
    assert not any("Canary" in what for what in whats)  # no recipient, reason or name
    ids = set(record_object_ids(world_a.person))
    assert {world_a.referral.id, world_a.release.id, world_a.disclosure.id, made.id, expired.id} <= ids
    found = owners(world_a.org.id, [world_a.referral.id, world_a.release.id, world_a.disclosure.id, made.id])
    assert set(found.values()) == {world_a.person.id} and len(found) == 4
    sign_in(client, world_a.provider)
    page = client.get(reverse("people:timeline", args=[world_a.person.id])).content.decode()
    assert "Information shared under a release" in page and "Canary Legal Aid" not in page


def expiring(world: OrgWorld, days: int = 5) -> Release:
    Release.objects.filter(pk=world.release.pk).update(expires_at=timezone.now() + datetime.timedelta(days=days))
    world.release.refresh_from_db()
    return world.release


def test_home_shows_an_expiring_release_to_the_assigned_provider_only(client: Client, world_a: OrgWorld) -> None:
    release = expiring(world_a)
    sign_in(client, world_a.provider)
    body = client.get("/").content.decode()
    assert "Releases of information expiring soon" in body
    assert world_a.person.reference in body and "Canary Legal Aid A" in body
    assert reverse("referrals:release", args=[world_a.person.id, release.id]) in body
    assert "Canary Name A" not in body  # the reference code, never the name
    other = make_staff(world_a.org, "other.provider", Role.PROVIDER)
    body = sign_in(Client(), other).get("/").content.decode()
    assert "Releases of information expiring soon" not in body and world_a.person.reference not in body


def test_home_leaves_out_far_revoked_and_expired_releases(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    assert "expiring soon" not in client.get("/").content.decode()  # 30 days left
    expiring(world_a, days=-1)
    assert "expiring soon" not in client.get("/").content.decode()
    expiring(world_a, days=3)
    revoke_release(world_a.provider, world_a.release, "written")
    assert "expiring soon" not in client.get("/").content.decode()


def test_home_panel_writes_one_read_row_with_the_count(client: Client, world_a: OrgWorld) -> None:
    expiring(world_a)
    sign_in(client, world_a.provider)
    client.get("/")
    row = AuditEvent.objects.filter(event=ReleaseEvent.VIEWED).get()
    assert row.count == 1 and row.object_type == "release"


# --- The scheduled command ----------------------------------------------------------------------------


def test_the_command_marks_expired_releases_and_audits_per_organisation(world_a: OrgWorld, world_b: OrgWorld) -> None:
    Release.objects.filter(pk=world_a.release.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    out = io.StringIO()
    call_command("contact_due", stdout=out)
    assert "releases expired: 1" in out.getvalue()
    world_a.release.refresh_from_db()
    world_b.release.refresh_from_db()
    assert world_a.release.expired_marked and not world_b.release.expired_marked
    rows = list(AuditEvent.objects.filter(event=ReleaseEvent.EXPIRED).values_list("org_id", "count"))
    assert rows == [(world_a.org.id, 1)]
    out = io.StringIO()
    call_command("contact_due", stdout=out)  # nothing new: no new row
    assert (
        "releases expired: 0" in out.getvalue() and AuditEvent.objects.filter(event=ReleaseEvent.EXPIRED).count() == 1
    )


def test_mark_expired_uses_the_clock_given(world_a: OrgWorld) -> None:
    end = world_a.release.expires_at
    assert mark_expired(now=end - datetime.timedelta(seconds=1)) == 0
    assert mark_expired(now=end) == 1


def test_release_item_labels_exist() -> None:
    assert ReleaseItem.CONTACT.label


# --- The child protective services step saved again (security review) ----------------------------

DANGER = "Canary the parent is the exploiter"
REPORT = {"agency": "County CPS", "reported_at": "2026-01-05T10:00"}


def cps_url(encounter: Any) -> str:
    return f"/encounters/{encounter.id}/child-protection/"


def test_reopening_the_step_shows_the_danger_reason(world_a: OrgWorld) -> None:
    client, encounter = minor_encounter(world_a)
    assert client.post(cps_url(encounter), {**REPORT, "danger_reason": DANGER}).status_code == 302
    page = client.get(cps_url(encounter)).content.decode()
    assert DANGER in page


def test_saving_again_keeps_the_danger_and_makes_no_task(world_a: OrgWorld) -> None:
    client, encounter = minor_encounter(world_a)
    client.post(cps_url(encounter), {**REPORT, "danger_reason": DANGER})
    tasks = FollowUpTask.objects.count()
    # The step reopened to correct the agency, the reason shown filled: saved as it is shown.
    assert (
        client.post(cps_url(encounter), {**REPORT, "agency": "State CPS", "danger_reason": DANGER}).status_code == 302
    )
    # And a post without the field at all (not asked this time): the danger stands.
    assert client.post(cps_url(encounter), {**REPORT, "agency": "State CPS"}).status_code == 302
    disclosure = cps(world_a)
    assert disclosure.to_whom == "State CPS"
    assert not disclosure.tell_person and disclosure.not_telling_reason == DANGER and disclosure.task_id is None
    assert FollowUpTask.objects.count() == tasks
    assert count(DisclosureEvent.RECORDED) == 1 and count(DisclosureEvent.UPDATED) == 2


def test_clearing_the_danger_reason_on_purpose_makes_the_task(world_a: OrgWorld) -> None:
    client, encounter = minor_encounter(world_a)
    client.post(cps_url(encounter), {**REPORT, "danger_reason": DANGER})
    assert client.post(cps_url(encounter), {**REPORT, "danger_reason": ""}).status_code == 302
    disclosure = cps(world_a)
    assert disclosure.tell_person and disclosure.not_telling_reason == "" and disclosure.task_id is not None
    assert FollowUpTask.objects.get(pk=disclosure.task_id).status == "open"


def test_a_danger_added_later_closes_the_tell_task(world_a: OrgWorld) -> None:
    from waypoint.contact.events import ContactEvent

    client, encounter = minor_encounter(world_a)
    client.post(cps_url(encounter), REPORT)
    task_id = cps(world_a).task_id
    assert task_id is not None and FollowUpTask.objects.get(pk=task_id).status == "open"
    assert client.post(cps_url(encounter), {**REPORT, "danger_reason": DANGER}).status_code == 302
    disclosure = cps(world_a)
    assert not disclosure.tell_person and disclosure.not_telling_reason == DANGER
    assert FollowUpTask.objects.get(pk=task_id).status == "done"
    assert AuditEvent.objects.filter(event=ContactEvent.TASK_DONE, object_id=task_id).count() == 1
    assert AuditEvent.objects.filter(event=DisclosureEvent.UPDATED, object_id=disclosure.id).count() == 1
    # Cleared on purpose later: a new follow-up, not the closed one.
    client.post(cps_url(encounter), {**REPORT, "danger_reason": ""})
    again = cps(world_a)
    assert again.tell_person and again.task_id not in (None, task_id)


def test_record_child_protection_keeps_a_danger_when_not_asked(world_a: OrgWorld) -> None:
    kwargs: dict[str, Any] = {"encounter_id": world_a.encounter.id, "reported_on": None, "told_first": False}
    record_child_protection(world_a.provider, world_a.person, agency="CPS", danger_reason=DANGER, **kwargs)
    disclosure = record_child_protection(world_a.provider, world_a.person, agency="CPS 2", danger_reason=None, **kwargs)
    assert not disclosure.tell_person and disclosure.not_telling_reason == DANGER and disclosure.task_id is None


def test_a_contact_refusal_during_the_step_is_a_message_not_a_500(world_a: OrgWorld) -> None:
    from unittest import mock

    from waypoint.contact.actions import ContactRefused

    client, encounter = minor_encounter(world_a)
    refusal = ContactRefused("Canary refusal: that channel is not allowed")
    with mock.patch("waypoint.referrals.actions.disclosures.add_tell_task", side_effect=refusal):
        response = client.post(cps_url(encounter), REPORT)
    assert response.status_code == 302 and response["Location"] == f"/encounters/{encounter.id}/"
    page = client.get(response["Location"]).content.decode()
    assert "Canary refusal: that channel is not allowed" in page
    assert not [d for d in Disclosure.objects.all() if d.kind == DisclosureKind.CHILD_PROTECTION]  # all or nothing

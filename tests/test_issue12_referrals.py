"""Referrals (issue 12, item 2): the services ledger shown first, the three ways of sharing, the
lifecycle with its history, the check of the release when a referral is sent, a completed referral
into the ledger, and the ledger's provider picked from the directory."""

from __future__ import annotations

import datetime
import itertools
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, sign_in
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import EmergencyNeed, Encounter, Mode, NeedKind
from waypoint.people.models import Person
from waypoint.referrals.actions.referrals import ReferralRefused, change_status
from waypoint.referrals.events import ReferralEvent, ShareEvent
from waypoint.referrals.models import (
    HOTLINE_ID,
    NEXT_STATUS,
    Referral,
    ReferralChange,
    ReferralStatus,
    Release,
    ReleaseItem,
    ServiceKind,
    ServiceRecord,
    SharingMode,
    SignedHow,
)
from waypoint.referrals.sharing import expires_at_end_of

pytestmark = pytest.mark.django_db


def new_url(world: OrgWorld, query: str = "") -> str:
    return reverse("referrals:referral_new", args=[world.person.id]) + query


def referral_url(world: OrgWorld, name: str = "referral", referral: Referral | None = None) -> str:
    return reverse(f"referrals:{name}", args=[world.person.id, (referral or world.referral).id])


def form_data(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "need": ServiceKind.LEGAL,
        "entry": str(HOTLINE_ID),
        "reason": "Needs advice about their visa",
        "sharing": SharingMode.ANONYMOUS,
        "form_token": str(uuid.uuid4()),
    }
    data.update(extra)
    return data


def under_release(world: OrgWorld, **extra: Any) -> dict[str, Any]:
    data = form_data(entry=str(world.entry.id), sharing=SharingMode.RELEASE, release=str(world.release.id))
    data["items"] = [ReleaseItem.CONTACT]
    data.update(extra)
    return data


def make_release(world: OrgWorld, person: Person | None = None, **extra: Any) -> Release:
    today = timezone.localdate()
    fields: dict[str, Any] = {
        "org": world.org, "person": person or world.person, "entry": world.entry, "items": [ReleaseItem.CONTACT],
        "purpose": "Legal help", "benefits_risks": "Discussed", "consenting_party": "person",
        "signed_how": SignedHow.TYPED, "signed_name": "X", "signed_on": today,
        "expires_at": expires_at_end_of(today + datetime.timedelta(days=30)), "recorded_by_id": world.provider.id,
    }  # fmt: skip
    fields.update(extra)
    return Release.objects.create(**fields)


def reads_during(call: Any) -> tuple[Any, list[str]]:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = call()
    rows = AuditEvent.objects.filter(id__gt=last, event__in=audit.read_events())
    return response, list(rows.values_list("event", flat=True))


def events_of(obj_id: Any) -> list[str]:
    return list(AuditEvent.objects.filter(object_id=obj_id).order_by("id").values_list("event", flat=True))


# --- The new-referral page -----------------------------------------------------------------------


def test_the_ledger_is_shown_before_the_form(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(new_url(world_a)).content.decode()
    assert "Already receiving — check before referring" in page
    assert page.index("Canary Clinic A") < page.index('<form method="post" novalidate')
    # the hotline is the first listing offered, then the organisation's own; never another organisation's
    assert page.index(str(HOTLINE_ID)) < page.index(str(world_a.entry.id))
    assert "Canary Legal Aid B" not in page
    assert 'autocomplete="off"' in page


def test_encounter_needs_are_offered_first(client: Client, world_a: OrgWorld) -> None:
    EmergencyNeed.objects.create(encounter=world_a.encounter, kind=NeedKind.FOOD_WATER)
    EmergencyNeed.objects.create(encounter=world_a.encounter, kind=NeedKind.INJURIES)
    sign_in(client, world_a.provider)
    page = client.get(new_url(world_a, f"?encounter={world_a.encounter.id}")).content.decode()
    order = [page.index(f'value="{kind}"') for kind in ("medical", "food", "shelter")]
    assert order == sorted(order) and "listed first" in page
    response = client.post(new_url(world_a, f"?encounter={world_a.encounter.id}&plan={world_a.plan.id}"), form_data())
    assert response.status_code == 302
    referral = Referral.objects.latest("created_at")
    assert referral.source_encounter_id == world_a.encounter.id and referral.source_plan_id == world_a.plan.id


def test_foreign_or_malformed_query_ids_are_ignored(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    other = Person.objects.create(org=world_a.org, estimated_age=40, created_by_id=world_a.provider.id)
    elsewhere = Encounter.objects.create(org=world_a.org, person=other, mode=Mode.IN_PERSON, lead=world_a.provider)
    EmergencyNeed.objects.create(encounter=world_b.encounter, kind=NeedKind.SHELTER)
    sign_in(client, world_a.provider)
    for query in (
        f"?encounter={world_b.encounter.id}", f"?encounter={elsewhere.id}", "?encounter=junk", "?encounter=",
        f"?plan={world_b.plan.id}", "?plan=%00", f"?entry={world_b.entry.id}", "?entry=nope",
    ):  # fmt: skip
        response = client.get(new_url(world_a, query))
        assert response.status_code == 200, query
        body = response.content.decode()
        assert "The needs ticked in the encounter" not in body and "Canary Legal Aid B" not in body
        assert client.post(new_url(world_a, query), form_data()).status_code == 302, query
    for referral in Referral.objects.filter(person=world_a.person).exclude(pk=world_a.referral.pk):
        assert referral.source_encounter_id is None and referral.source_plan_id is None


def test_entry_in_the_query_is_chosen(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(new_url(world_a, f"?entry={world_a.entry.id}")).content.decode()
    assert f'<option value="{world_a.entry.id}" selected>' in page


# --- Making a referral: the three ways of sharing -----------------------------------------------


@pytest.mark.parametrize("mode", [SharingMode.ANONYMOUS, SharingMode.WARM_HANDOFF])
def test_anonymous_and_warm_hand_off_need_no_release(client: Client, world_a: OrgWorld, mode: str) -> None:
    person = Person.objects.create(org=world_a.org, estimated_age=40, created_by_id=world_a.provider.id)
    sign_in(client, world_a.provider)
    url = reverse("referrals:referral_new", args=[person.id])
    # a release id and items posted along (even another person's) are dropped, never refused
    data = form_data(sharing=mode, release=str(world_a.release.id), items=["documents", "bogus"])
    response = client.post(url, data)
    assert response.status_code == 302
    referral = Referral.objects.get(person=person)
    assert referral.sharing == mode and referral.release is None and referral.items == []
    assert referral.status == ReferralStatus.DRAFT and referral.entry_id == HOTLINE_ID
    assert list(referral.changes.values_list("status", "by_id")) == [("draft", world_a.provider.id)]
    assert events_of(referral.id) == [ReferralEvent.CREATED]
    assert response["Location"] == reverse("referrals:referral", args=[person.id, referral.id])


def test_double_submit_makes_one_referral(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    data = form_data()
    assert client.post(new_url(world_a), data).status_code == 302
    assert client.post(new_url(world_a), data).status_code == 302
    assert Referral.objects.filter(person=world_a.person).count() == 2  # the world's own and this one


def test_under_a_valid_release(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    data = under_release(world_a, items=[ReleaseItem.CONTACT, ReleaseItem.SERVICES])
    assert client.post(new_url(world_a), data).status_code == 302
    referral = Referral.objects.filter(person=world_a.person).latest("created_at")
    assert referral.release_id == world_a.release.id and referral.items == ["contact", "services"]


def _refusals(world: OrgWorld, world_b: OrgWorld) -> dict[str, tuple[dict[str, Any], str]]:
    today = timezone.localdate()
    expired = make_release(world, signed_on=today - datetime.timedelta(days=40), expires_at=timezone.now())
    revoked = make_release(world, revoked_at=timezone.now(), revoked_by_id=world.provider.id, revoked_how="oral")
    other_person = Person.objects.create(org=world.org, estimated_age=30, created_by_id=world.provider.id)
    theirs = make_release(world, person=other_person)
    return {
        "none chosen": (under_release(world, release=""), "There is no release for this recipient"),
        "junk id": (under_release(world, release="junk"), "There is no release for this recipient"),
        "another organisation's": (
            under_release(world, release=str(world_b.release.id)),
            "There is no release for this recipient",
        ),
        "another person's": (under_release(world, release=str(theirs.id)), "There is no release for this recipient"),
        "expired": (under_release(world, release=str(expired.id)), "That release has expired"),
        "revoked": (under_release(world, release=str(revoked.id)), "That release was revoked"),
        "other recipient": (under_release(world, entry=str(HOTLINE_ID)), "That release names another recipient"),
        "items outside": (under_release(world, items=[ReleaseItem.DOCUMENTS]), "Only what the release lists"),
        "no items": (under_release(world, items=[]), "Choose what to share"),
        "unknown item": (under_release(world, items=["bogus"]), "Select a valid choice"),
    }


def test_sharing_without_a_valid_release_is_refused(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    for label, (data, message) in _refusals(world_a, world_b).items():
        before = (Referral.objects.count(), ReferralChange.objects.count())
        response, reads = reads_during(lambda data=data: client.post(new_url(world_a), data))
        body = response.content.decode()
        assert response.status_code == 400, label
        assert message in body, label
        assert (Referral.objects.count(), ReferralChange.objects.count()) == before, label
        assert reads == [ReferralEvent.VIEWED], label
        assert "Needs advice about their visa" in body  # nothing typed is lost
    assert not AuditEvent.objects.filter(event=ReferralEvent.CREATED).exists()


def test_no_release_offers_to_record_one(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    body = client.post(new_url(world_a), under_release(world_a, entry=str(HOTLINE_ID), release="")).content.decode()
    assert reverse("referrals:release_new", args=[world_a.person.id]) + f"?entry={HOTLINE_ID}" in body


def test_only_usable_releases_are_offered(client: Client, world_a: OrgWorld) -> None:
    revoked = make_release(world_a, revoked_at=timezone.now(), revoked_by_id=world_a.provider.id, revoked_how="oral")
    sign_in(client, world_a.provider)
    page = client.get(new_url(world_a)).content.decode()
    assert f'value="{world_a.release.id}"' in page and f'value="{revoked.id}"' not in page


@pytest.mark.parametrize(
    "bad",
    [
        {"need": "bogus"}, {"need": ""}, {"entry": ""}, {"entry": "not-a-uuid"}, {"sharing": "telepathy"},
        {"reason": "x" * 2001}, {"reason": "bad\u202etext"}, {"form_token": "nope"},
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_nothing_written(client: Client, world_a: OrgWorld, bad: dict[str, Any]) -> None:
    sign_in(client, world_a.provider)
    before = Referral.objects.count()
    response, reads = reads_during(lambda: client.post(new_url(world_a), form_data(**bad)))
    assert response.status_code == 400 and Referral.objects.count() == before
    assert reads == [ReferralEvent.VIEWED]
    assert "error-message" in response.content.decode()


def test_another_organisations_entry_is_refused(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    response = client.post(new_url(world_a), form_data(entry=str(world_b.entry.id)))
    assert response.status_code == 400 and "Canary Legal Aid B" not in response.content.decode()


# --- The lifecycle -------------------------------------------------------------------------------


def move(client: Client, world: OrgWorld, status: str, reason: str = "", referral: Referral | None = None) -> Any:
    referral = Referral.objects.get(pk=(referral or world.referral).pk)
    data = {"status": status, "reason": reason, "version": referral.version}
    return client.post(referral_url(world, "referral_status", referral), data)


def test_lifecycle_to_the_ledger(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(referral_url(world_a)).content.decode()
    assert "Mark as sent" in page and "Mark as completed" not in page
    assert reverse("referrals:share", args=[world_a.person.id, world_a.referral.id]) in page
    for status in ("sent", "accepted", "completed"):
        assert move(client, world_a, status).status_code == 302, status
    referral = Referral.objects.get(pk=world_a.referral.pk)
    assert referral.status == "completed" and referral.version == 4
    assert list(referral.changes.values_list("status", flat=True)) == ["sent", "accepted", "completed"]
    page = client.get(referral_url(world_a)).content.decode()
    assert "Add to the services ledger" in page
    assert page.count(world_a.provider.display_name) >= 3  # who, on each row of the history
    assert client.post(referral_url(world_a, "referral_ledger")).status_code == 302
    assert client.post(referral_url(world_a, "referral_ledger")).status_code == 302  # again: nothing more
    records = ServiceRecord.objects.filter(person=world_a.person, entry=world_a.entry)
    assert records.count() == 1
    record = records.get()
    assert record.provider == "Canary Legal Aid A" and record.service == "Legal help"
    assert record.status == "completed" and record.started_on == timezone.localdate()
    referral.refresh_from_db()
    assert referral.ledger_entry_id == record.id
    assert events_of(referral.id).count(ReferralEvent.TO_LEDGER) == 1
    assert events_of(referral.id).count(ReferralEvent.STATUS_CHANGED) == 3
    page = client.get(referral_url(world_a)).content.decode()
    assert "Add to the services ledger" not in page and "in the services ledger" in page


def test_a_draft_is_not_added_to_the_ledger(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    before = ServiceRecord.objects.count()
    response = client.post(referral_url(world_a, "referral_ledger"))
    assert response.status_code == 302 and ServiceRecord.objects.count() == before
    assert "Only a completed referral" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("status", ["accepted", "declined", "completed", "draft", "bogus", ""])
def test_moves_outside_next_status_are_refused(client: Client, world_a: OrgWorld, status: str) -> None:
    sign_in(client, world_a.provider)
    response, reads = reads_during(lambda: move(client, world_a, status, reason="because"))
    assert response.status_code == 400 and reads == [ReferralEvent.VIEWED]
    referral = Referral.objects.get(pk=world_a.referral.pk)
    assert referral.status == "draft" and referral.version == 1 and not referral.changes.exists()
    assert "error-message" in response.content.decode()


def test_decline_needs_a_reason_and_keeps_who_and_when(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    assert move(client, world_a, "sent").status_code == 302
    response = move(client, world_a, "declined", reason="   ")
    assert response.status_code == 400 and "Say why the service declined." in response.content.decode()
    assert move(client, world_a, "declined", reason="x" * 1001).status_code == 400
    assert Referral.objects.get(pk=world_a.referral.pk).status == "sent"
    sign_in(client, world_a.supervisor)
    assert move(client, world_a, "declined", reason="No space until March").status_code == 302
    change = ReferralChange.objects.get(referral=world_a.referral, status="declined")
    assert change.reason == "No space until March" and change.by_id == world_a.supervisor.id
    assert timezone.now() - change.at < datetime.timedelta(minutes=1)
    page = client.get(referral_url(world_a)).content.decode()
    assert "No space until March" in page and world_a.supervisor.display_name in page
    assert "Mark as" not in page  # declined is the end


def test_withdraw_with_or_without_a_reason(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    assert move(client, world_a, "withdrawn").status_code == 302
    assert Referral.objects.get(pk=world_a.referral.pk).status == "withdrawn"


def test_sent_rechecks_the_release(client: Client, world_a: OrgWorld) -> None:
    Release.objects.filter(pk=world_a.release.pk).update(
        revoked_at=timezone.now(), revoked_by_id=world_a.provider.id, revoked_how="oral"
    )
    sign_in(client, world_a.provider)
    response = move(client, world_a, "sent")
    body = response.content.decode()
    assert response.status_code == 400 and "That release was revoked" in body and "anonymous" in body
    referral = Referral.objects.get(pk=world_a.referral.pk)
    assert referral.status == "draft" and not referral.changes.exists()
    assert events_of(world_a.release.id) == [ShareEvent.REFUSED]
    assert move(client, world_a, "withdrawn").status_code == 302  # withdrawing needs no release


def test_sent_refused_one_second_after_expiry(world_a: OrgWorld) -> None:
    expires = world_a.release.expires_at
    referral = world_a.referral
    with pytest.raises(ReferralRefused):
        change_status(world_a.provider, referral, status="sent", version=1, now=expires + datetime.timedelta(seconds=1))
    done = change_status(
        world_a.provider, referral, status="sent", version=1, now=expires - datetime.timedelta(seconds=1)
    )
    assert done.status == "sent"


def test_anonymous_referral_is_sent_with_no_release(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    client.post(new_url(world_a), form_data())
    referral = Referral.objects.filter(person=world_a.person).latest("created_at")
    assert referral.sharing == SharingMode.ANONYMOUS
    Release.objects.filter(person=world_a.person).update(revoked_at=timezone.now())
    assert move(client, world_a, "sent", referral=referral).status_code == 302
    page = client.get(referral_url(world_a, referral=referral)).content.decode()
    assert reverse("referrals:share", args=[world_a.person.id, referral.id]) not in page


def test_stale_version_is_409_with_the_current_state(world_a: OrgWorld) -> None:
    first, second = sign_in(Client(), world_a.provider), sign_in(Client(), world_a.supervisor)
    data = {"status": "sent", "reason": "", "version": 1}
    assert first.post(referral_url(world_a, "referral_status"), data).status_code == 302
    response, reads = reads_during(
        lambda: second.post(
            referral_url(world_a, "referral_status"), {**data, "status": "withdrawn", "reason": "Moved"}
        )
    )
    body = response.content.decode()
    assert response.status_code == 409 and reads == [ReferralEvent.VIEWED]
    assert 'data-status="sent"' in body and "Moved" in body and 'name="version" value="2"' in body
    assert Referral.objects.get(pk=world_a.referral.pk).status == "sent"


# --- The hub page, reads and access --------------------------------------------------------------


def test_hub_lists_everything_with_its_action_links(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    response, reads = reads_during(lambda: client.get(reverse("referrals:person", args=[world_a.person.id])))
    body = response.content.decode()
    assert response.status_code == 200 and reads == [ReferralEvent.VIEWED]
    assert "Canary Clinic A" in body and "Canary Legal Aid A" in body
    assert reverse("referrals:referral", args=[world_a.person.id, world_a.referral.id]) in body
    assert reverse("referrals:release", args=[world_a.person.id, world_a.release.id]) in body
    assert reverse("referrals:disclosure", args=[world_a.person.id, world_a.disclosure.id]) in body
    for name in ("referral_new", "release_new", "disclosure_new"):
        assert reverse(f"referrals:{name}", args=[world_a.person.id]) in body
    assert reverse("referrals:directory") in body
    assert "<title>Waypoint</title>" in body or "Canary" not in body.split("</title>")[0]


def test_one_read_row_per_page(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    for url in (new_url(world_a), referral_url(world_a), reverse("referrals:person", args=[world_a.person.id])):
        response, reads = reads_during(lambda url=url: client.get(url))
        assert response.status_code == 200 and reads == [ReferralEvent.VIEWED], url
    row = AuditEvent.objects.filter(event=ReferralEvent.VIEWED).latest("id")
    assert row.object_id == world_a.person.id
    client.get(referral_url(world_a))
    assert AuditEvent.objects.filter(event=ReferralEvent.VIEWED).latest("id").object_id == world_a.referral.id


def test_another_organisations_referral_is_404_everywhere(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    mixed = reverse("referrals:referral", args=[world_a.person.id, world_b.referral.id])
    assert client.get(mixed).status_code == 404
    for name, method in (("referral", "get"), ("referral_status", "post"), ("referral_ledger", "post")):
        for person in (world_a.person, world_b.person):
            url = reverse(f"referrals:{name}", args=[person.id, world_b.referral.id])
            assert getattr(client, method)(url, {"status": "sent", "version": 1}).status_code == 404, name
    for name in ("person", "referral_new"):
        assert client.get(reverse(f"referrals:{name}", args=[world_b.person.id])).status_code == 404
    assert Referral.objects.get(pk=world_b.referral.pk).status == "draft"


@pytest.mark.parametrize("role", ["front_desk", "org_admin", "auditor"])
def test_other_roles_get_404(client: Client, world_a: OrgWorld, role: str) -> None:
    sign_in(client, getattr(world_a, role))
    assert client.get(new_url(world_a)).status_code == 404
    assert client.get(referral_url(world_a)).status_code == 404
    assert client.post(new_url(world_a), form_data()).status_code == 404
    assert not Referral.objects.exclude(pk=world_a.referral.pk).filter(person=world_a.person).exists()


def test_entry_points_link_here(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    plan = client.get(reverse("plans:detail", args=[world_a.plan.id])).content.decode()
    assert new_url(world_a, f"?plan={world_a.plan.id}") in plan


# --- The ledger's provider from the directory ----------------------------------------------------


def test_ledger_provider_from_the_directory(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    url = reverse("referrals:services", args=[world_a.person.id])
    page = client.get(url).content.decode()
    assert "From the directory" in page and str(world_a.entry.id) in page and str(world_b.entry.id) not in page
    data = {"entry": str(world_a.entry.id), "provider": "", "service": "Visa help", "status": "ongoing"}
    assert client.post(url, {**data, "form_token": str(uuid.uuid4())}).status_code == 302
    record = ServiceRecord.objects.filter(person=world_a.person).latest("created_at")
    assert record.service == "Visa help"
    assert record.provider == "Canary Legal Aid A" and record.entry_id == world_a.entry.id
    typed = {**data, "provider": "Their own name for it", "service": "Court", "form_token": str(uuid.uuid4())}
    assert client.post(url, typed).status_code == 302
    assert ServiceRecord.objects.filter(person=world_a.person).latest("created_at").provider == "Their own name for it"
    before = ServiceRecord.objects.count()
    for bad in ({**data, "entry": str(world_b.entry.id)}, {**data, "entry": ""}, {**data, "entry": "junk"}):
        response = client.post(url, bad)
        assert response.status_code == 400 and "Canary Legal Aid B" not in response.content.decode(), bad
    assert ServiceRecord.objects.count() == before
    edit = reverse("referrals:service_edit", args=[world_a.person.id, record.id])
    assert client.post(edit, {**data, "entry": str(HOTLINE_ID), "provider": "", "version": 1}).status_code == 302
    record.refresh_from_db()
    assert record.entry_id == HOTLINE_ID and record.provider == "National Human Trafficking Hotline"


# --- Property: the lifecycle never leaves NEXT_STATUS --------------------------------------------

STATUSES = [*ReferralStatus.values, "bogus"]


@pytest.fixture
def one_world(world_a: OrgWorld) -> tuple[OrgWorld]:
    return (world_a,)  # a tuple: hypothesis probes its arguments' attributes, which OrgWorld answers with roles


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(moves=st.lists(st.tuples(st.sampled_from(STATUSES), st.booleans()), max_size=8))
def test_random_moves_never_leave_next_status(one_world: tuple[OrgWorld], moves: list[tuple[str, bool]]) -> None:
    (world_a,) = one_world
    referral = Referral.objects.create(
        org=world_a.org, person=world_a.person, entry_id=HOTLINE_ID, need="legal", sharing=SharingMode.ANONYMOUS,
        created_by_id=world_a.provider.id,
    )  # fmt: skip
    path = ["draft"]
    for status, with_reason in moves:
        current = Referral.objects.get(pk=referral.pk)
        try:
            change_status(
                world_a.provider, current, status=status, reason="r" if with_reason else "", version=current.version
            )
        except ReferralRefused:
            assert status not in NEXT_STATUS[current.status] or (status == "declined" and not with_reason)
        else:
            assert status in NEXT_STATUS[current.status]
            path.append(status)
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == path[-1] and stored.version == len(path)
    history = ["draft", *referral.changes.values_list("status", flat=True)]
    assert history == path
    assert all(b in NEXT_STATUS[a] for a, b in itertools.pairwise(path))


# --- A referral refused because of its release is audited (security review) -------------------------


def test_a_referral_refused_for_its_release_writes_one_refused_row(
    client: Client, world_a: OrgWorld, world_b: OrgWorld
) -> None:
    sign_in(client, world_a.provider)
    input_only = {"no items", "unknown item"}  # the form's own input: not a refusal to share
    for label, (data, _message) in _refusals(world_a, world_b).items():
        before = AuditEvent.objects.filter(event=ShareEvent.REFUSED).count()
        response, reads = reads_during(lambda data=data: client.post(new_url(world_a), data))
        assert response.status_code == 400, label
        assert reads == [ReferralEvent.VIEWED], label  # the one read row of the page shown again
        refused = AuditEvent.objects.filter(event=ShareEvent.REFUSED).order_by("id")[before:]
        if label in input_only:
            assert not refused, label
        else:
            assert [(row.object_type, row.object_id) for row in refused] == [("person", world_a.person.id)], label

"""Issue 12, sharing goes through the release: what each item shows (and nothing else), the share
pages (preview, share as a page or a PDF, refusals), and the proofs: with a frozen clock a share
works one second before expiry and is refused at expiry and one second after; an oral revocation
blocks the next share at once; another recipient and items outside the release are refused, each
refusal audited with no share logged; a property test over random releases, clocks and item sets
finds no share outside a valid release."""

from __future__ import annotations

import datetime
import uuid
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, make_org, sign_in
from waypoint.contact.actions import record_rules
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters.models import SafetyAnswer
from waypoint.referrals import share_content
from waypoint.referrals.actions.releases import revoke_release
from waypoint.referrals.actions.shares import ShareRefused, share
from waypoint.referrals.events import ReferralEvent, ReleaseEvent, ShareEvent
from waypoint.referrals.models import (
    DirectoryEntry,
    Referral,
    Release,
    ReleaseItem,
    ServiceKind,
    Share,
    SharingMode,
    SignedHow,
)
from waypoint.referrals.sharing import expires_at_end_of, signed_from

SECOND = datetime.timedelta(seconds=1)

# Canaries: each source's own words; a section must show its own and none of the others'.
CANARIES = {
    ReleaseItem.CONTACT: ["5550107777", "canary.mail@example.org", "CanaryTimes", "CanaryIdentify"],
    ReleaseItem.PLAN_PHYSICAL: ["CanaryPhysicalStep", "CanaryPhysicalLater"],
    ReleaseItem.PLAN_COMMUNICATION: ["CanaryCommunicationStep"],
    ReleaseItem.PLAN_ENVIRONMENTAL: ["CanaryEnvironmentalStep"],
    ReleaseItem.PLAN_EMOTIONAL: ["CanaryEmotionalStep"],
    ReleaseItem.SAFETY_CHECK: ["CanaryCheckKept"],
    ReleaseItem.SERVICES: ["Canary Clinic"],
    ReleaseItem.DOCUMENTS: ["CanaryPassportCopy"],
}
# Never shared under any item.
NEVER = [
    "CanarySafeWord", "CanaryDangerWord", "CanaryWhereabouts", "CanaryBattery", "CanaryCover", "5550108888",
    "CanaryCheckNotKept", "CanaryWhereAnswer", "Canary note", "CanaryPrivacyConcern",
]  # fmt: skip


def plant_canaries(world: OrgWorld) -> None:
    """Contact rules (calls and e-mail allowed; texts and voicemail not), a plan with a step in each
    domain, safety-check answers (one kept with consent, one not, and where they are), documents
    on the world's release."""
    record_rules(
        world.provider, world.person,
        {
            "safe_to_contact": "yes", "call": "allowed", "phone_number": "5550107777", "email": "allowed",
            "email_address": "canary.mail@example.org", "voicemail": "not_allowed", "text": "not_allowed",
            "text_number": "5550108888", "best_times": "CanaryTimes", "identify_as": "CanaryIdentify",
            "safe_word": "CanarySafeWord", "danger_word": "CanaryDangerWord", "whereabouts": "CanaryWhereabouts",
            "battery_plan": "CanaryBattery", "cover_name": "CanaryCover",
        },
        how="in_person",
    )  # fmt: skip
    plan = world.plan
    content = plan.content
    content["domain:physical"] = {
        "current": [{"text": "CanaryPhysicalStep", "status": "to_do", "idea": "person"}],
        "future": [{"text": "CanaryPhysicalLater", "status": "doing", "idea": "together"}],
    }
    for domain in ("communication", "environmental", "emotional"):
        step = {"text": f"Canary{domain.title()}Step", "status": "to_do", "idea": "person"}
        content[f"domain:{domain}"] = {"current": [step], "future": []}
    content["resource:privacy"] = {"status": "filled", "fields": {"concerns": "CanaryPrivacyConcern"}, "contacts": []}
    plan.set_content(content)
    plan.save()
    check = ContentSet.current(world.org.id, IN_PERSON)
    keys = [line.key for line in check.lines("en")]
    by = world.provider.id
    enc = world.encounter
    SafetyAnswer.objects.create(
        encounter=enc, content_set=check, question_key=keys[0], answer="yes", note="CanaryCheckKept", consented=True,
        by_id=by,
    )  # fmt: skip
    SafetyAnswer.objects.create(
        encounter=enc, content_set=check, question_key=keys[1], answer="no", note="CanaryCheckNotKept", by_id=by
    )
    if "where_are_you" in keys:
        SafetyAnswer.objects.create(
            encounter=enc, content_set=check, question_key="where_are_you", answer="yes", note="CanaryWhereAnswer",
            consented=True, by_id=by,
        )  # fmt: skip
    Release.objects.filter(pk=world.release.pk).update(documents="CanaryPassportCopy")
    world.release.refresh_from_db()


def text_of(content: share_content.Content) -> str:
    parts = [content.person_label]
    for section in content.sections:
        parts += [str(section.title), str(section.empty)]
        for label, value in section.rows:
            parts += [str(label), str(value)]
    return "\n".join(parts)


def new_release(world: OrgWorld, items: list[str], **extra: Any) -> Release:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "org": world.org, "person": world.person, "entry": world.entry, "items": items, "purpose": "p",
        "benefits_risks": "b", "consenting_party": "person", "signed_how": SignedHow.TYPED, "signed_name": "x",
        "signed_on": today, "expires_at": expires_at_end_of(today + datetime.timedelta(days=30)),
        "recorded_by_id": world.provider.id,
    }  # fmt: skip
    values.update(extra)
    return Release.objects.create(**values)


def events(event: str) -> int:
    return AuditEvent.objects.filter(event=event).count()


# --- What each item shows ------------------------------------------------------------------------


@pytest.mark.parametrize("item", ReleaseItem.values)
def test_each_item_shows_only_its_own_data(world_a: OrgWorld, item: str) -> None:
    plant_canaries(world_a)
    text = text_of(share_content.sections(world_a.person, [item], world_a.release))
    for canary in CANARIES[ReleaseItem(item)]:
        assert canary in text, (item, canary)
    for other, canaries in CANARIES.items():
        if other != item:
            for canary in canaries:
                assert canary not in text, (item, canary)
    for canary in NEVER:
        assert canary not in text, (item, canary)
    assert "Canary Name A" in text  # the header names them: a release is consent to identify them


def test_contact_says_which_channels_are_not_allowed(world_a: OrgWorld) -> None:
    plant_canaries(world_a)
    rows = dict(share_content.sections(world_a.person, [ReleaseItem.CONTACT], None).sections[0].rows)
    assert rows["Phone call"] == "Allowed: 5550107777"  # the permission beside the number (review gap 13)
    assert rows["Voicemail"] == "Not allowed: do not use"
    assert rows["Text message"] == "Not allowed: do not use"


def test_nothing_recorded_reads_as_empty_sections(world_b: OrgWorld) -> None:
    content = share_content.sections(world_b.person, ReleaseItem.values, None)
    assert [s.key for s in content.sections] == ReleaseItem.values
    assert not content.sections[0].rows  # no contact rules: no channel at all


def test_the_header_falls_back_to_the_reference_code(world_a: OrgWorld) -> None:
    world_a.person.name = ""
    assert share_content.sections(world_a.person, [], None).person_label == world_a.person.reference


# --- The decision, with a frozen clock -------------------------------------------------------------


def test_allowed_one_second_before_expiry_refused_at_and_after(world_a: OrgWorld) -> None:
    release = world_a.release
    end = release.expires_at
    made = share(
        world_a.provider, world_a.person, release_id=release.id, entry_id=world_a.entry.id,
        items=[ReleaseItem.CONTACT], now=end - SECOND,
    )  # fmt: skip
    assert made.release_id == release.id and made.items == [ReleaseItem.CONTACT]
    assert events(ShareEvent.MADE) == 1
    for moment in (end, end + SECOND):
        with pytest.raises(ShareRefused) as refused:
            share(
                world_a.provider, world_a.person, release_id=release.id, entry_id=world_a.entry.id,
                items=[ReleaseItem.CONTACT], now=moment,
            )  # fmt: skip
        assert "expired" in str(refused.value.message)
    assert Share.objects.count() == 1
    assert events(ShareEvent.REFUSED) == 2


def test_oral_revocation_blocks_the_next_share_at_once(world_a: OrgWorld) -> None:
    release = world_a.release
    kwargs = {"release_id": release.id, "entry_id": world_a.entry.id, "items": [ReleaseItem.SERVICES]}
    share(world_a.provider, world_a.person, **kwargs)
    assert revoke_release(world_a.provider, release, "oral")
    with pytest.raises(ShareRefused) as refused:
        share(world_a.provider, world_a.person, **kwargs)
    assert "revoked" in str(refused.value.message)
    # Whatever the clock says: a moment before the revocation is refused too.
    with pytest.raises(ShareRefused):
        share(world_a.provider, world_a.person, **kwargs, now=timezone.now() - datetime.timedelta(days=1))
    assert Share.objects.count() == 1 and events(ShareEvent.REFUSED) == 2


def test_another_recipient_is_refused(world_a: OrgWorld) -> None:
    other = DirectoryEntry.objects.create(org=world_a.org, name="Other Service", services=[ServiceKind.MEDICAL])
    with pytest.raises(ShareRefused) as refused:
        share(
            world_a.provider, world_a.person, release_id=world_a.release.id, entry_id=other.id,
            items=[ReleaseItem.CONTACT],
        )  # fmt: skip
    assert "another recipient" in str(refused.value.message)
    with pytest.raises(ShareRefused):  # the named outside party of a listing's release: no
        share(world_a.provider, world_a.person, release_id=world_a.release.id, entry_id=None, items=["contact"])
    assert not Share.objects.exists() and events(ShareEvent.REFUSED) == 2


def test_items_outside_the_release_are_refused(world_a: OrgWorld) -> None:
    for items in ([ReleaseItem.PLAN_PHYSICAL], [ReleaseItem.CONTACT, ReleaseItem.DOCUMENTS], ["bogus"], []):
        with pytest.raises(ShareRefused):
            share(
                world_a.provider, world_a.person, release_id=world_a.release.id, entry_id=world_a.entry.id, items=items
            )
    assert not Share.objects.exists() and events(ShareEvent.REFUSED) == 4


def test_another_persons_or_organisations_release_is_refused(world_a: OrgWorld, world_b: OrgWorld) -> None:
    with pytest.raises(ShareRefused):
        share(
            world_a.provider,
            world_a.person,
            release_id=world_b.release.id,
            entry_id=world_b.entry.id,
            items=["contact"],
        )
    assert not Share.objects.exists()


# --- The property: no share outside a valid release ------------------------------------------------


@pytest.fixture
def world_h(db: Any) -> dict[str, Any]:
    world = make_org("h")
    second = DirectoryEntry.objects.create(org=world.org, name="Second Service", services=[ServiceKind.SHELTER])
    return {"world": world, "entries": [world.entry.id, second.id, None]}  # in a dict: Hypothesis probes arguments


ITEMS = st.lists(st.sampled_from(ReleaseItem.values), unique=True)


@st.composite
def attempts(draw: Any, entries: list[Any]) -> dict[str, Any]:
    """A release (items, signed day, expiry, revoked or not, recipient), a clock and what is asked.
    A third of the draws are allowed by construction, so both sides always run."""
    today = timezone.localdate()
    signed_on = today + datetime.timedelta(days=draw(st.integers(-200, 5)))
    expires_at = expires_at_end_of(signed_on + datetime.timedelta(days=draw(st.integers(0, 120))))
    items = draw(ITEMS.filter(bool))
    recipient = draw(st.sampled_from(entries))
    release = {
        "items": items, "signed_on": signed_on, "expires_at": expires_at, "entry_id": recipient,
        "snapshot": draw(st.sampled_from(["none", "same"])),
    }  # fmt: skip
    start = signed_from(Release(signed_on=signed_on))
    if draw(st.integers(0, 2)) == 0:  # allowed by construction
        span = int((expires_at - start).total_seconds())
        at = start + datetime.timedelta(seconds=draw(st.integers(0, span - 1)))
        wanted = draw(st.lists(st.sampled_from(items), unique=True, min_size=1))
        return {"release": release, "revoked": False, "at": at, "items": wanted, "entry_id": recipient, "ok": True}
    if recipient is not None and draw(st.integers(0, 5)) == 0:  # the listing renamed since it was signed
        release["snapshot"] = "renamed"
    near = draw(st.sampled_from([start, expires_at]))
    at = near + datetime.timedelta(seconds=draw(st.integers(-3 * 86400, 3 * 86400) | st.integers(-2, 2)))
    return {
        "release": release,
        "revoked": draw(st.booleans()),
        "at": at,
        "items": draw(ITEMS | st.lists(st.sampled_from(items), unique=True)),
        "entry_id": draw(st.sampled_from(entries)),
        "ok": False,
    }


def inside_a_valid_release(record: Share) -> bool:
    """The independent check: the share's release held at the share's moment, named its recipient
    and listed every item shared."""
    release = record.release
    return (
        release is not None
        and release.person_id == record.person_id
        and release.revoked_at is None
        and signed_from(release) <= record.at < release.expires_at
        and record.entry_id == release.entry_id
        and bool(record.items)
        and set(record.items) <= set(release.items)
        and (release.entry is None or release.recipient_name in ("", release.entry.name))
    )


def test_no_share_is_ever_made_outside_a_valid_release(world_h: dict[str, Any], capsys: Any) -> None:
    world = world_h["world"]
    counts = {"allowed": 0, "refused": 0, "constructed": 0}

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(attempt=attempts(world_h["entries"]))
    def run(attempt: dict[str, Any]) -> None:
        shown = attempt["release"]
        entry = DirectoryEntry.objects.get(pk=shown["entry_id"]) if shown["entry_id"] else None
        snapshots = {"none": "", "same": entry.name if entry else "", "renamed": "Canary Former Name"}
        snapshot = snapshots[shown["snapshot"]] if entry else "A named party"
        release = new_release(
            world, shown["items"], entry=entry, recipient_name=snapshot,
            signed_on=shown["signed_on"], expires_at=shown["expires_at"],
            revoked_at=timezone.now() if attempt["revoked"] else None,
        )  # fmt: skip
        counts["constructed"] += attempt["ok"]
        with mock.patch("django.utils.timezone.now", return_value=attempt["at"]):  # the share's row is stamped then
            try:
                share(
                    world.provider, world.person, release_id=release.id, entry_id=attempt["entry_id"],
                    items=attempt["items"], now=attempt["at"],
                )  # fmt: skip
            except ShareRefused:
                counts["refused"] += 1
                assert not attempt["ok"], attempt
            else:
                counts["allowed"] += 1

    run()
    shares = Share.objects.select_related("release", "release__entry")
    outside = sum(not inside_a_valid_release(record) for record in shares)
    with capsys.disabled():
        print(f"\nshares outside a valid release: {outside}; allowed {counts['allowed']}, refused {counts['refused']}")
    assert outside == 0
    assert counts["allowed"] >= counts["constructed"] > 0 and counts["refused"] > 0
    assert Share.objects.count() == counts["allowed"]
    assert events(ShareEvent.REFUSED) == counts["refused"]


# --- The share pages ---------------------------------------------------------------------------------


def share_url(world: OrgWorld, referral: Referral | None = None) -> str:
    return reverse("referrals:share", args=[world.person.id, (referral or world.referral).id])


def release_share_url(world: OrgWorld, release: Release | None = None) -> str:
    return reverse("referrals:release_share", args=[world.person.id, (release or world.release).id])


def reads_during(call: Any) -> tuple[Any, list[AuditEvent]]:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = call()
    return response, list(AuditEvent.objects.filter(id__gt=last))


def test_share_page_previews_exactly_the_referrals_items(client: Client, world_a: OrgWorld) -> None:
    plant_canaries(world_a)
    sign_in(client, world_a.provider)
    response, rows = reads_during(lambda: client.get(share_url(world_a)))
    assert response.status_code == 200
    body = response.content.decode()
    assert "5550107777" in body and "CanaryIdentify" in body  # the referral shares contact details
    assert "Canary Clinic" not in body  # the release covers services, but the referral did not choose them
    for canary in NEVER:
        assert canary not in body
    assert 'value="contact"' in body and 'value="services"' not in body
    assert [(r.event, r.object_id) for r in rows] == [(ReleaseEvent.VIEWED, world_a.release.id)]
    assert "<title>Notes</title>" in body


def test_sharing_as_a_page_logs_one_row_and_shows_only_those_items(client: Client, world_a: OrgWorld) -> None:
    plant_canaries(world_a)
    sign_in(client, world_a.provider)
    data = {"items": ["contact", "services"], "as": "page", "return_to": release_share_url(world_a)}
    response, rows = reads_during(lambda: client.post(release_share_url(world_a), data))
    assert response.status_code == 200
    body = response.content.decode()
    for canary in CANARIES[ReleaseItem.CONTACT] + CANARIES[ReleaseItem.SERVICES]:
        assert canary in body
    for item in set(ReleaseItem.values) - {ReleaseItem.CONTACT, ReleaseItem.SERVICES}:
        for canary in CANARIES[ReleaseItem(item)]:
            assert canary not in body, canary
    for canary in NEVER:
        assert canary not in body
    until = (world_a.release.expires_at - SECOND).date()
    assert "Shared under the release signed" in body and until.strftime("%m/%d/%Y").lstrip("0")[:2] in body
    assert [r.event for r in rows] == [ShareEvent.MADE]  # no second (read) row
    record = Share.objects.get()
    assert record.items == ["contact", "services"] and record.entry_id == world_a.entry.id and not record.as_pdf
    assert rows[0].object_id == record.id


def test_sharing_through_the_referral_logs_the_referral(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    response = client.post(share_url(world_a), {"items": ["contact"], "as": "page"})
    assert response.status_code == 200
    record = Share.objects.get()
    assert record.referral_id == world_a.referral.id and record.release_id == world_a.release.id


def test_sharing_as_a_pdf(client: Client, world_a: OrgWorld) -> None:
    from waypoint.printing.render import available

    if not available():
        pytest.skip("WeasyPrint is not installed here")
    sign_in(client, world_a.provider)
    response, rows = reads_during(lambda: client.post(share_url(world_a), {"items": ["contact"], "as": "pdf"}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'
    assert [r.event for r in rows] == [ShareEvent.MADE] and Share.objects.get().as_pdf


def test_the_view_uses_the_clock_one_second_either_side(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    end = timezone.now() + datetime.timedelta(minutes=10)  # near: the session itself must not expire
    Release.objects.filter(pk=world_a.release.pk).update(expires_at=end)
    with mock.patch("django.utils.timezone.now", return_value=end - SECOND):
        assert client.post(share_url(world_a), {"items": ["contact"], "as": "page"}).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=end + SECOND):
        response, rows = reads_during(lambda: client.post(share_url(world_a), {"items": ["contact"], "as": "page"}))
    assert response.status_code == 409
    assert "expired" in response.content.decode()
    assert sorted(r.event for r in rows) == sorted([ShareEvent.REFUSED, ReleaseEvent.VIEWED])
    assert Share.objects.count() == 1


def test_a_refusal_is_409_with_what_to_do(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    revoke_release(world_a.provider, world_a.release, "oral")
    response = client.post(share_url(world_a), {"items": ["contact"], "as": "page"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "revoked" in body and "anonymous referral" in body and "warm hand-off" in body
    assert reverse("referrals:release_new", args=[world_a.person.id]) in body
    assert not Share.objects.exists() and events(ShareEvent.REFUSED) == 1


def test_items_outside_the_release_posted_to_the_page_are_refused(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    response = client.post(release_share_url(world_a), {"items": ["contact", "plan_physical"], "as": "page"})
    assert response.status_code == 409 and "Only what the release lists" in response.content.decode()
    assert not Share.objects.exists() and events(ShareEvent.REFUSED) == 1


@pytest.mark.parametrize("data", [{}, {"items": ["bogus"]}, {"items": ["contact"], "as": "fax"}])
def test_bad_input_is_400_and_writes_nothing(client: Client, world_a: OrgWorld, data: dict[str, Any]) -> None:
    sign_in(client, world_a.provider)
    response, rows = reads_during(lambda: client.post(share_url(world_a), data))
    assert response.status_code == 400
    assert [r.event for r in rows] == [ReleaseEvent.VIEWED]
    assert not Share.objects.exists()


def test_without_a_recent_step_up_nothing_is_shared(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    session = client.session
    session["wp_step_up_at"] = 0
    session.save()
    url = share_url(world_a)
    response, rows = reads_during(lambda: client.post(url, {"items": ["contact"], "as": "page", "return_to": url}))
    assert response.status_code == 302 and reverse("orgs:step_up") in response["Location"]
    assert not rows and not Share.objects.exists()


@pytest.mark.parametrize("mode", [SharingMode.ANONYMOUS, SharingMode.WARM_HANDOFF])
def test_anonymous_and_warm_handoff_referrals_share_nothing(client: Client, world_a: OrgWorld, mode: str) -> None:
    referral = Referral.objects.create(
        org=world_a.org, person=world_a.person, entry=world_a.entry, need=ServiceKind.LEGAL, sharing=mode,
        created_by_id=world_a.provider.id,
    )  # fmt: skip
    sign_in(client, world_a.provider)
    response, rows = reads_during(lambda: client.get(share_url(world_a, referral)))
    assert response.status_code == 200
    assert "Nothing about the person is shared" in response.content.decode()
    assert [(r.event, r.object_id) for r in rows] == [(ReferralEvent.VIEWED, referral.id)]
    response = client.post(share_url(world_a, referral), {"items": ["contact"], "as": "page"})
    assert response.status_code == 409 and not Share.objects.exists()


def test_release_share_to_a_named_outside_party(client: Client, world_a: OrgWorld) -> None:
    release = new_release(world_a, ["services"], entry=None, recipient_name="Canary Advocate")
    sign_in(client, world_a.provider)
    page = client.get(release_share_url(world_a, release))
    assert page.status_code == 200 and "Canary Advocate" in page.content.decode()
    response = client.post(release_share_url(world_a, release), {"items": ["services"], "as": "page"})
    assert response.status_code == 200 and "Canary Clinic A" in response.content.decode()
    record = Share.objects.get()
    assert record.entry_id is None and record.release_id == release.id and record.referral_id is None


def test_an_expired_release_shows_why_and_no_preview(client: Client, world_a: OrgWorld) -> None:
    plant_canaries(world_a)
    Release.objects.filter(pk=world_a.release.pk).update(expires_at=timezone.now() - SECOND)
    sign_in(client, world_a.provider)
    body = client.get(share_url(world_a)).content.decode()
    assert "has expired" in body and "5550107777" not in body


@pytest.mark.parametrize("role", ["front_desk", "org_admin", "auditor"])
def test_other_roles_get_404(client: Client, world_a: OrgWorld, role: str) -> None:
    sign_in(client, getattr(world_a, role))
    assert client.get(share_url(world_a)).status_code == 404
    assert client.post(release_share_url(world_a), {"items": ["contact"]}).status_code == 404
    assert not Share.objects.exists()


def test_supervisor_may_share(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.supervisor)
    assert client.get(share_url(world_a)).status_code == 200


def test_another_organisation_gets_404(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_b.provider)
    assert client.get(share_url(world_a)).status_code == 404
    assert client.post(share_url(world_a), {"items": ["contact"], "as": "page"}).status_code == 404
    assert client.get(release_share_url(world_a)).status_code == 404
    # Their own person with our referral or release: 404 too.
    mixed = reverse("referrals:share", args=[world_b.person.id, world_a.referral.id])
    assert client.get(mixed).status_code == 404
    assert not Share.objects.exists()


def test_audit_rows_hold_no_names(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    client.post(share_url(world_a), {"items": ["contact"], "as": "page"})
    for row in AuditEvent.objects.all():
        assert "Canary" not in f"{row.event}{row.object_type}"
    assert audit.read_events()  # the register is loaded


# --- The security review's findings -----------------------------------------------------------------


def phone_answers(world: OrgWorld) -> None:
    """A later phone encounter whose check kept every answer with a note; the notes of someone on the
    line and the disconnection plan say how the calls are hidden."""
    from waypoint.content.source import PHONE
    from waypoint.encounters.models import Encounter, Mode

    check = ContentSet.current(world.org.id, PHONE)
    encounter = Encounter.objects.create(org=world.org, person=world.person, mode=Mode.PHONE, lead=world.provider)
    Encounter.objects.filter(pk=encounter.pk).update(started_at=timezone.now() + SECOND)
    notes = {
        "someone_on_line": "CanaryCoverStory",
        "disconnection": "CanaryCallbackPlan",
        "write_down": "CanaryWriteNote",
        "where_are_you": "CanaryWhereNote",
    }
    for key, note in notes.items():
        SafetyAnswer.objects.create(
            encounter=encounter, content_set=check, question_key=key, answer="yes", note=note, consented=True,
            by_id=world.provider.id,
        )  # fmt: skip


def test_the_check_shares_only_the_answer_for_someone_on_the_line_and_disconnection(world_a: OrgWorld) -> None:
    phone_answers(world_a)
    section = share_content.sections(world_a.person, [ReleaseItem.SAFETY_CHECK], None).sections[0]
    text = "\n".join(f"{label}: {value}" for label, value in section.rows)
    assert "CanaryCoverStory" not in text and "CanaryCallbackPlan" not in text
    assert "CanaryWhereNote" not in text and "Can you tell me where you are" not in text
    assert "CanaryWriteNote" in text  # other answers keep their notes
    rows = dict(section.rows)
    on_line = next(label for label in rows if label.startswith("If someone comes on the line"))
    cut = next(label for label in rows if label.startswith("How can we communicate if we get disconnected"))
    assert rows[on_line] == "Yes" and rows[cut] == "Yes"  # the answer alone


def unassigned_provider(world: OrgWorld) -> Any:
    from tests.conftest import make_staff
    from waypoint.orgs.models import Role

    return make_staff(world.org, "provider.other", Role.PROVIDER)


HOLDERS_ONLY = "Only the staff assigned to this record or a supervisor can see the preview and share it."


def test_a_provider_not_assigned_sees_no_preview(client: Client, world_a: OrgWorld) -> None:
    plant_canaries(world_a)
    sign_in(client, unassigned_provider(world_a))
    response, rows = reads_during(lambda: client.get(share_url(world_a)))
    assert response.status_code == 200
    body = response.content.decode()
    assert HOLDERS_ONLY in body
    assert "Contact details" in body and world_a.entry.name in body  # the items and the release
    assert "5550107777" not in body and "CanaryIdentify" not in body and 'section class="preview' not in body
    assert 'name="items"' not in body  # nothing to submit
    assert [r.event for r in rows] == [ReleaseEvent.VIEWED]


@pytest.mark.parametrize("url", [share_url, release_share_url])
def test_a_provider_not_assigned_cannot_share(client: Client, world_a: OrgWorld, url: Any) -> None:
    plant_canaries(world_a)
    sign_in(client, unassigned_provider(world_a))
    response, rows = reads_during(lambda: client.post(url(world_a), {"items": ["contact"], "as": "page"}))
    assert response.status_code == 409
    body = response.content.decode()
    assert HOLDERS_ONLY in body and "5550107777" not in body
    assert not Share.objects.exists() and events(ShareEvent.MADE) == 0
    assert sorted(r.event for r in rows) == sorted([ShareEvent.REFUSED, ReleaseEvent.VIEWED])


def test_decide_refuses_a_listing_renamed_after_signing(world_a: OrgWorld) -> None:
    from waypoint.referrals.sharing import Refusal, decide

    release = world_a.release
    kwargs = {"person_id": world_a.person.id, "entry_id": world_a.entry.id, "items": ["contact"]}
    assert decide(release, **kwargs, at=timezone.now()).allowed  # no snapshot (older releases): no check
    release.recipient_name = world_a.entry.name
    assert decide(release, **kwargs, at=timezone.now()).allowed
    DirectoryEntry.objects.filter(pk=world_a.entry.pk).update(name="Canary Renamed Service")
    release.entry.refresh_from_db()
    decision = decide(release, **kwargs, at=timezone.now())
    assert decision.refusal == Refusal.RECIPIENT_CHANGED
    assert str(decision.message) == (
        "This listing changed after the release was signed. Check with the person and record a new release."
    )


def test_sharing_to_a_renamed_listing_is_refused_and_audited(client: Client, world_a: OrgWorld) -> None:
    Release.objects.filter(pk=world_a.release.pk).update(recipient_name=world_a.entry.name)
    DirectoryEntry.objects.filter(pk=world_a.entry.pk).update(name="Canary Renamed Service")
    sign_in(client, world_a.provider)
    response = client.post(share_url(world_a), {"items": ["contact"], "as": "page"})
    assert (
        response.status_code == 409 and "This listing changed after the release was signed" in response.content.decode()
    )
    assert not Share.objects.exists() and events(ShareEvent.REFUSED) == 1


def test_a_second_submit_of_the_same_form_shares_once(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    page = client.get(share_url(world_a)).content.decode()
    assert 'name="form_token"' in page
    token = str(uuid.uuid4())
    data = {"items": ["contact"], "as": "page", "form_token": token}
    first = client.post(share_url(world_a), data)
    second, rows = reads_during(lambda: client.post(share_url(world_a), data))
    assert first.status_code == second.status_code == 200
    # Nothing new is shared; showing the first share again is a read of the release: one read row.
    assert Share.objects.count() == 1 and events(ShareEvent.MADE) == 1
    assert [row.event for row in rows] == [ReleaseEvent.VIEWED]
    assert "Information shared with consent" in second.content.decode()
    client.post(share_url(world_a), {**data, "form_token": str(uuid.uuid4())})  # a new form: shares
    assert Share.objects.count() == 2


def test_the_action_remembers_the_token(world_a: OrgWorld) -> None:
    token = uuid.uuid4()
    kwargs = {"release_id": world_a.release.id, "entry_id": world_a.entry.id, "items": ["contact"], "token": token}
    first = share(world_a.provider, world_a.person, **kwargs)
    assert share(world_a.provider, world_a.person, **kwargs) == first
    assert Share.objects.count() == 1 and events(ShareEvent.MADE) == 1


def test_a_referral_shares_only_what_it_lists(client: Client, world_a: OrgWorld) -> None:
    # The release covers services, the referral lists contact details only.
    sign_in(client, world_a.provider)
    response = client.post(share_url(world_a), {"items": ["contact", "services"], "as": "page"})
    assert response.status_code == 409 and "Only what the referral lists can be shared." in response.content.decode()
    with pytest.raises(ShareRefused) as refused:
        share(
            world_a.provider, world_a.person, release_id=None, entry_id=None, items=["services"],
            referral=world_a.referral,
        )  # fmt: skip
    assert str(refused.value.message) == "Only what the referral lists can be shared."
    assert not Share.objects.exists() and events(ShareEvent.REFUSED) == 2


@pytest.mark.parametrize("status", ["withdrawn", "declined"])
def test_a_withdrawn_or_declined_referral_shares_nothing(client: Client, world_a: OrgWorld, status: str) -> None:
    plant_canaries(world_a)
    Referral.objects.filter(pk=world_a.referral.pk).update(status=status)
    sign_in(client, world_a.provider)
    message = "This referral was withdrawn or declined: nothing is shared."
    page = client.get(share_url(world_a)).content.decode()
    assert message in page and "5550107777" not in page  # no preview
    response = client.post(share_url(world_a), {"items": ["contact"], "as": "page"})
    assert response.status_code == 409 and message in response.content.decode()
    assert not Share.objects.exists() and events(ShareEvent.REFUSED) == 1
    refused_row = AuditEvent.objects.get(event=ShareEvent.REFUSED)
    assert refused_row.object_id == world_a.release.id


def test_no_pdf_renderer_shares_nothing(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    with mock.patch("waypoint.printing.render.available", return_value=False):
        response, rows = reads_during(lambda: client.post(share_url(world_a), {"items": ["contact"], "as": "pdf"}))
    assert response.status_code == 503
    assert "This server cannot make PDFs yet. Ask your administrator." in response.content.decode()
    assert not Share.objects.exists() and events(ShareEvent.MADE) == 0
    assert [r.event for r in rows] == [ReleaseEvent.VIEWED]


def test_releases_are_loaded_without_their_scan(rf: Any, world_a: OrgWorld) -> None:
    from waypoint.referrals.parts import PART

    request = rf.get("/")
    request.user = world_a.provider
    releases = PART.context(request, world_a.person)["releases"]
    assert releases and all("scan" in release.get_deferred_fields() for release in releases)

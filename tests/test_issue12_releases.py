"""Releases of information (issue 12, item 3): recording one (one recipient, listed items, a
written signature, a required expiry within the organisation's maximum, the minor rules, never
someone who may be harming them), the release page, revocation (oral, at once, also when expired),
the printed copies and the scan, and the encounter's consent step."""

from __future__ import annotations

import base64
import datetime
import html
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from tests.conftest import OrgWorld, sign_in
from tests.test_encounters import start
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import MinorConsent, Role
from waypoint.referrals import sharing
from waypoint.referrals.forms.releases import harm_match, names_match
from waypoint.referrals.models import Release, ReleaseState

POPPLER = shutil.which("pdftotext")
TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


def new_url(world: OrgWorld, query: str = "") -> str:
    return reverse("referrals:release_new", kwargs={"person_id": world.person.id}) + query


def release_url(world: OrgWorld, name: str, release: Release | None = None) -> str:
    return reverse(
        f"referrals:{name}", kwargs={"person_id": world.person.id, "release_id": (release or world.release).id}
    )


def valid(world: OrgWorld, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "form_token": str(uuid.uuid4()),
        "entry": str(world.entry.id),
        "recipient_name": "",
        "recipient_details": "",
        "items": ["contact", "services"],
        "documents": "",
        "purpose": "Legal advice about a visa",
        "benefits_risks": "They can help with the visa; letters could reach the house",
        "valid_until": (TODAY() + 30 * DAY).isoformat(),
        "language": "en",
        "signed_how": "typed",
        "signed_name": world.person.name,
        "signed_on": TODAY().isoformat(),
        "text_shown": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def events(name: str, **filters: Any) -> int:
    return AuditEvent.objects.filter(event=name, **filters).count()


def make_minor(world: OrgWorld, rule: str, harm_names: str = "") -> None:
    world.person.estimated_age = 15
    world.person.harm_names = harm_names
    world.person.save()
    world.org.minor_release_consent = rule
    world.org.save()


# --- Recording ------------------------------------------------------------------------------------


def test_the_form_shows_the_release_text_in_the_persons_language(as_provider: Client, world_a: OrgWorld) -> None:
    world_a.person.preferred_language = "es"
    world_a.person.save()
    response = as_provider.get(new_url(world_a, f"?entry={world_a.entry.id}"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="es"' in body and "Canary Legal Aid A" in body
    assert re.search(r'<input[^>]*value="es"[^>]*checked', body)
    assert events("release.viewed", object_id=world_a.person.id) == 1
    assert 'name="signed_name"' in body and 'autocomplete="off"' in body
    assert "oral" in body.lower()


def test_recording_a_release_saves_it_once_and_audits(as_provider: Client, world_a: OrgWorld) -> None:
    data = valid(world_a)
    response = as_provider.post(new_url(world_a), data)
    assert response.status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    assert response["Location"] == release_url(world_a, "release", release)
    until = datetime.date.fromisoformat(data["valid_until"])
    assert release.expires_at == sharing.expires_at_end_of(until)
    assert release.entry_id == world_a.entry.id and release.items == ["contact", "services"]
    assert release.consenting_party == "person" and not release.for_minor and release.signed_how == "typed"
    assert release.recorded_by_id == world_a.provider.id and release.state() == ReleaseState.VALID
    assert events("release.recorded", object_id=release.id) == 1
    row = AuditEvent.objects.get(event="release.recorded")
    assert world_a.person.name not in str(row.__dict__) and "visa" not in str(row.__dict__)
    # The same form sent again: nothing new, back to the same release.
    again = as_provider.post(new_url(world_a), data)
    assert again["Location"] == response["Location"]
    assert Release.objects.count() == 2 and events("release.recorded") == 1


def test_a_named_outside_party(as_provider: Client, world_a: OrgWorld) -> None:
    data = valid(world_a, entry="", recipient_name="Dr Lee, county clinic", recipient_details="555-0199")
    assert as_provider.post(new_url(world_a), data).status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    assert release.entry_id is None and release.recipient_name == "Dr Lee, county clinic"
    assert release.recipient_label == "Dr Lee, county clinic"


def test_a_preview_saves_nothing_and_shows_the_text_in_the_chosen_language(
    as_provider: Client, world_a: OrgWorld
) -> None:
    data = valid(world_a, language="es", purpose="Canary purpose preview", preview="1")
    response = as_provider.post(new_url(world_a), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'lang="es"' in body and "Canary purpose preview" in body and "error-summary" not in body
    assert Release.objects.count() == 1


BAD = {
    "expiry on the day of signature": ({"valid_until": TODAY}, "valid_until", "after the day it is signed"),
    "expiry before signature": ({"signed_on": lambda: TODAY() - 2 * DAY, "valid_until": lambda: TODAY() - 3 * DAY},
                                "valid_until", "after the day it is signed"),
    "beyond 90 days": ({"valid_until": lambda: TODAY() + 90 * DAY}, "valid_until", "At most 90 days"),
    "already over": ({"signed_on": lambda: TODAY() - 20 * DAY, "valid_until": lambda: TODAY() - DAY},
                     "valid_until", "That day has passed"),
    "no recipient": ({"entry": ""}, "entry", "Choose one recipient"),
    "two recipients": ({"recipient_name": "Someone else"}, "recipient_name", "One recipient per release"),
    "no items": ({"items": None}, "items", "Choose at least one"),
    "unknown item": ({"items": ["everything"]}, "items", "valid choice"),
    "documents without text": ({"items": ["documents"]}, "documents", "Name the documents"),
    "no purpose": ({"purpose": ""}, "purpose", "required"),
    "no benefits and risks": ({"benefits_risks": ""}, "benefits_risks", "required"),
    "no expiry": ({"valid_until": ""}, "valid_until", "last day"),
    "typed name of someone else": ({"signed_name": "Somebody Else"}, "signed_name", "must be the name"),
    "no typed name": ({"signed_name": ""}, "signed_name", "types their name"),
    "future signature": ({"signed_on": lambda: TODAY() + DAY, "valid_until": lambda: TODAY() + 5 * DAY},
                         "signed_on", "future"),
    "typed signature too old": ({"signed_on": lambda: TODAY() - 31 * DAY}, "signed_on", "30 days"),
    "oral signature": ({"signed_how": "oral"}, "signed_how", "valid choice"),
    "text not shown": ({"text_shown": None}, "text_shown", "release text first"),
    "impossible date": ({"signed_on": "2024-02-30"}, "signed_on", "valid date"),
    "hidden characters": ({"purpose": "Legal\u202eadvice"}, "purpose", "invisible"),
    "scan with no file": ({"signed_how": "scan"}, "scan", "Upload the scan"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    as_provider: Client, world_a: OrgWorld, case: str
) -> None:
    changes, field, message = BAD[case]
    changes = {k: (v() if callable(v) else v) for k, v in changes.items()}
    changes = {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in changes.items()}
    data = valid(world_a, purpose="Canary typed purpose", **{k: v for k, v in changes.items() if k != "purpose"})
    if "purpose" in changes:
        data["purpose"] = changes["purpose"]
    response = as_provider.post(new_url(world_a), data)
    assert response.status_code == 400, case
    body = response.content.decode()
    assert message in body, (case, message)
    assert f'id="id_{field}' in body
    if "purpose" not in changes:
        assert "Canary typed purpose" in body  # nothing typed is lost
    assert Release.objects.count() == 1 and events("release.recorded") == 0
    assert events("release.viewed", object_id=world_a.person.id) == 1
    assert events("release.refused") == 0


def short(day: datetime.date) -> str:
    from django.utils import formats

    with translation.override("en"):
        return str(formats.date_format(day, "SHORT_DATE_FORMAT"))


def test_the_maximum_counts_the_day_it_is_signed(as_provider: Client, world_a: OrgWorld) -> None:
    """90 days at most: signed today, the last day it may hold is today + 89 (90 days with today)."""
    over = as_provider.post(new_url(world_a), valid(world_a, valid_until=(TODAY() + 90 * DAY).isoformat()))
    assert over.status_code == 400
    body = over.content.decode()
    assert "At most 90 days" in body and short(TODAY() + 89 * DAY) in body and short(TODAY() + 90 * DAY) not in body
    longest = valid(world_a, valid_until=(TODAY() + 89 * DAY).isoformat())
    assert as_provider.post(new_url(world_a), longest).status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    held = release.expires_at - sharing.signed_from(release)
    assert held == datetime.timedelta(days=90)


def test_the_organisation_maximum_is_its_own(as_provider: Client, world_a: OrgWorld) -> None:
    world_a.org.release_max_days = 30
    world_a.org.save()
    over = valid(world_a, valid_until=(TODAY() + 30 * DAY).isoformat())
    response = as_provider.post(new_url(world_a), over)
    assert response.status_code == 400 and "At most 30 days" in response.content.decode()
    assert short(TODAY() + 29 * DAY) in response.content.decode()
    assert (
        as_provider.post(new_url(world_a), valid(world_a, valid_until=(TODAY() + 29 * DAY).isoformat())).status_code
        == 302
    )
    signed = TODAY() - 10 * DAY  # counted from the signature, not from today
    late = valid(world_a, signed_on=signed.isoformat(), valid_until=(signed + 30 * DAY).isoformat())
    assert as_provider.post(new_url(world_a), late).status_code == 400
    last = valid(world_a, signed_on=signed.isoformat(), valid_until=(signed + 29 * DAY).isoformat())
    assert as_provider.post(new_url(world_a), last).status_code == 302


def test_the_release_text_says_their_name_is_given(as_provider: Client, world_a: OrgWorld) -> None:
    body = as_provider.get(new_url(world_a, f"?entry={world_a.entry.id}")).content.decode()
    assert "The recipient will also be told who you are (your name), along with what is listed here." in body


def test_a_listing_is_stored_as_it_was_when_signed(as_provider: Client, world_a: OrgWorld) -> None:
    from django.template.loader import render_to_string

    from waypoint.referrals.models import DirectoryEntry

    DirectoryEntry.objects.filter(pk=world_a.entry.pk).update(
        text_number="555-0101", email="help@example.org", website="", address="1 Main St"
    )
    assert as_provider.post(new_url(world_a), valid(world_a)).status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    assert release.entry_id == world_a.entry.id and release.recipient_name == "Canary Legal Aid A"
    assert release.recipient_details == "555-0100\n555-0101\nhelp@example.org\n1 Main St"
    url = release_url(world_a, "release", release)
    assert "recipient-renamed" not in as_provider.get(url).content.decode()

    DirectoryEntry.objects.filter(pk=world_a.entry.pk).update(name="Canary Renamed Listing")
    body = html.unescape(as_provider.get(url).content.decode())
    assert (
        "This listing's name changed after the release was signed (signed for: Canary Legal Aid A). Check "
        "with the person before sharing." in body
    )
    assert body.count("Canary Legal Aid A") == 2 and "Canary Renamed Listing" not in body
    release = Release.objects.select_related("entry").get(pk=release.pk)
    with translation.override("en"):
        listed = render_to_string("referrals/_release_list.html", {"releases": [release], "person": world_a.person})
    assert "Canary Legal Aid A" in listed and "Canary Renamed Listing" not in listed
    # A release recorded before the names were stored shows the listing's name, and no notice.
    assert "recipient-renamed" not in as_provider.get(release_url(world_a, "release")).content.decode()


@pytest.mark.skipif(not POPPLER, reason="LOUD SKIP: poppler-utils (pdftotext) missing")
def test_the_printed_copy_names_the_listing_as_signed(as_provider: Client, world_a: OrgWorld, tmp_path: Path) -> None:
    from waypoint.referrals.models import DirectoryEntry

    assert as_provider.post(new_url(world_a), valid(world_a)).status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    DirectoryEntry.objects.filter(pk=world_a.entry.pk).update(name="Canary Renamed Listing")
    response = as_provider.get(release_url(world_a, "release_pdf", release) + "?language=en")
    text = " ".join(pdf_text(tmp_path, response.content).split())
    assert "Canary Legal Aid A" in text and "Canary Renamed Listing" not in text
    assert "The recipient will also be told who you are (your name)" in text


def test_another_organisations_listing_is_never_used(as_provider: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    response = as_provider.post(new_url(world_a), valid(world_a, entry=str(world_b.entry.id)))
    assert response.status_code == 400 and "Canary Legal Aid B" not in response.content.decode()
    assert Release.objects.filter(person=world_a.person).count() == 1
    assert as_provider.get(new_url(world_a, f"?entry={world_b.entry.id}")).status_code == 404
    assert as_provider.get(new_url(world_a, "?entry=not-a-uuid")).status_code == 404


def test_the_hotline_can_be_the_recipient(as_provider: Client, world_a: OrgWorld) -> None:
    from waypoint.referrals.models import HOTLINE_ID

    assert as_provider.post(new_url(world_a), valid(world_a, entry=str(HOTLINE_ID))).status_code == 302
    assert Release.objects.filter(entry_id=HOTLINE_ID).count() == 1


# --- Who consents ---------------------------------------------------------------------------------

SIGNER_REFUSED = "This person cannot sign this release. Nothing was saved. Talk with your supervisor before going on."


def assert_no_reason_given(body: str) -> None:
    """The signer may be reading the screen: one neutral message, no field marked, no reason."""
    assert "possibly harming" not in body and "matches someone" not in body
    errors = re.findall(r'class="error-message" id="id_[^"]*_error">(.*?)</p>', body, re.S)
    assert not errors, errors  # no field marked: the message is at the top of the form only
    summary = re.search(r'<div class="error-summary".*?</div>', body, re.S)
    assert summary is not None and "harm" not in summary.group(0).lower()
    assert body.count(SIGNER_REFUSED) == 1


def test_names_match_loosely() -> None:
    assert names_match("Juan Pérez", "juan perez")
    assert names_match("Juan Pérez", "Juan Carlos Pérez")
    assert names_match("JUAN  PÉREZ.", "Pérez, Juan")
    assert not names_match("Juan Pérez", "Juana Pérez")
    assert not names_match("", "Juan")
    assert harm_match("juan perez", "Someone Else\n\nJuan Pérez\n")
    assert not harm_match("Ana Ruiz", "Juan Pérez")


@pytest.mark.parametrize(
    ("typed", "harm_names"),
    [
        ("Tío Juan", "Juan Pérez"),  # a kinship word dropped
        ("Mr. Juan Pérez", "Señor Juan Pérez"),
        ("Carlos Ruiz Gómez", "Juan Pérez, Carlos Ruiz"),  # two names on one line
        ("Carlos Ruiz", "Juan Pérez; Carlos Ruiz"),
        ("Carlos Ruiz", "Juan Pérez / Carlos Ruiz"),
        ("Carlos Ruiz", "Juan Pérez y Carlos Ruiz"),
        ("Carlos Ruiz", "Juan Pérez and Carlos Ruiz"),
        ("Carlos Ruiz", "Juan Pérez (Carlos Ruiz)"),
        ("Łukasz Nowak", "Lukasz Nowak"),  # letters NFKD keeps whole
        ("Søren Ødegård", "Soren Odegard"),
        ("Đorđe Strauß", "Dorde Strauss"),
        ("Hans Müller", "Mueller Hans"),  # ü written ue, either way round
        ("Hans Mueller", "Hans Müller"),
        ("Juan Perez", "J. Perez"),  # an initial, with or without a dot
        ("J Perez", "Juan Pérez"),
    ],
)
def test_harm_names_match_common_forms(typed: str, harm_names: str) -> None:
    assert harm_match(typed, harm_names), (typed, harm_names)


@pytest.mark.parametrize(
    ("typed", "harm_names"),
    [
        ("María López", "José López"),  # a relative sharing a surname
        ("Juana Pérez", "Juan Pérez"),
        ("K. Perez", "Juan Pérez"),
        ("Ana Ruiz", "Tío Juan"),
    ],
)
def test_harm_names_do_not_match_others(typed: str, harm_names: str) -> None:
    assert not harm_match(typed, harm_names), (typed, harm_names)


@pytest.mark.parametrize("typed", ["juan perez", "Juan Carlos Pérez", "JUAN PÉREZ"])
def test_someone_who_may_be_harming_them_can_never_consent(as_provider: Client, world_a: OrgWorld, typed: str) -> None:
    make_minor(world_a, MinorConsent.GUARDIAN, harm_names="Someone Else\nJuan Pérez")
    data = valid(
        world_a, guardian_name=typed, guardian_relationship="Uncle", guardian_not_harming="on", signed_name=typed,
        purpose="Canary typed purpose",
    )  # fmt: skip
    response = as_provider.post(new_url(world_a), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert SIGNER_REFUSED in body
    assert_no_reason_given(body)
    assert typed in body and "Canary typed purpose" in body  # everything typed kept
    assert Release.objects.filter(person=world_a.person).count() == 1
    assert events("release.refused", object_id=world_a.person.id) == 1
    assert events("release.recorded") == 0
    row = AuditEvent.objects.get(event="release.refused")
    assert typed not in str(row.__dict__)


def test_a_typed_signature_of_someone_who_may_be_harming_them(as_provider: Client, world_a: OrgWorld) -> None:
    """No name on the record to compare with: the typed name is checked against the names list."""
    world_a.person.name, world_a.person.alias, world_a.person.harm_names = "", "", "Juan Pérez, Carlos Ruiz"
    world_a.person.save()
    response = as_provider.post(new_url(world_a), valid(world_a, signed_name="Tío Carlos Ruiz"))
    assert response.status_code == 400
    body = response.content.decode()
    assert SIGNER_REFUSED in body
    assert_no_reason_given(body)
    assert 'value="Tío Carlos Ruiz"' in body
    assert Release.objects.filter(person=world_a.person).count() == 1
    assert events("release.refused", object_id=world_a.person.id) == 1 and events("release.recorded") == 0
    assert events("release.viewed", object_id=world_a.person.id) == 1


def test_a_relative_sharing_a_surname_may_consent(as_provider: Client, world_a: OrgWorld) -> None:
    make_minor(world_a, MinorConsent.GUARDIAN, harm_names="José López")
    data = valid(
        world_a, guardian_name="María López", guardian_relationship="Aunt", guardian_not_harming="on",
        signed_name="María López",
    )  # fmt: skip
    assert as_provider.post(new_url(world_a), data).status_code == 302
    assert events("release.refused") == 0


def test_a_person_whose_age_is_unknown_cannot_sign_yet(as_provider: Client, world_a: OrgWorld) -> None:
    world_a.person.estimated_age = None
    world_a.person.date_of_birth = None
    world_a.person.save()
    assert world_a.person.is_minor is None
    message = "Record their age or an estimate on the record first: a minor's release follows a different rule."
    edit = reverse("people:edit", kwargs={"person_id": world_a.person.id})
    page = as_provider.get(new_url(world_a))
    assert page.status_code == 200
    body = html.unescape(page.content.decode())
    assert message in body and f'href="{edit}"' in body
    response = as_provider.post(new_url(world_a), valid(world_a, purpose="Canary typed purpose"))
    assert response.status_code == 400
    body = html.unescape(response.content.decode())
    assert message in body and f'href="{edit}"' in body and "Canary typed purpose" in body
    assert body.index(message) < body.index('name="entry"')  # at the top of the form
    assert Release.objects.filter(person=world_a.person).count() == 1 and events("release.recorded") == 0
    assert events("release.viewed", object_id=world_a.person.id) == 2


def test_the_guardian_rule(as_provider: Client, world_a: OrgWorld) -> None:
    make_minor(world_a, MinorConsent.GUARDIAN, harm_names="Juan Pérez")
    body = as_provider.get(new_url(world_a)).content.decode()
    assert 'name="guardian_name"' in body and 'name="guardian_not_harming"' in body
    response = as_provider.post(new_url(world_a), valid(world_a))  # the young person alone may not sign
    assert response.status_code == 400 and "guardian" in response.content.decode()
    unticked = valid(world_a, guardian_name="Ana Ruiz", guardian_relationship="Mother", signed_name="Ana Ruiz")
    assert as_provider.post(new_url(world_a), unticked).status_code == 400
    wrong_signer = valid(
        world_a, guardian_name="Ana Ruiz", guardian_relationship="Mother", guardian_not_harming="on",
    )  # fmt: skip
    assert as_provider.post(new_url(world_a), wrong_signer).status_code == 400  # typed by the young person
    good = {**wrong_signer, "signed_name": "ana ruiz"}
    assert as_provider.post(new_url(world_a), good).status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    assert release.consenting_party == "guardian" and release.for_minor
    assert release.consenting_name == "Ana Ruiz" and release.consenting_relationship == "Mother"
    assert events("release.refused") == 0


def test_the_young_person_rule(as_provider: Client, world_a: OrgWorld) -> None:
    make_minor(world_a, MinorConsent.YOUNG_PERSON)
    assert 'name="guardian_name"' not in as_provider.get(new_url(world_a)).content.decode()
    with_guardian = valid(world_a, guardian_name="Ana Ruiz", guardian_relationship="Mother")
    response = as_provider.post(new_url(world_a), with_guardian)
    assert response.status_code == 400 and "young person signs their own" in response.content.decode()
    assert as_provider.post(new_url(world_a), valid(world_a)).status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    assert release.consenting_party == "person" and release.for_minor and release.consenting_name == ""


def test_the_both_rule(as_provider: Client, world_a: OrgWorld) -> None:
    make_minor(world_a, MinorConsent.BOTH)
    guardian = {"guardian_name": "Ana Ruiz", "guardian_relationship": "Mother", "guardian_not_harming": "on"}
    assert as_provider.post(new_url(world_a), valid(world_a)).status_code == 400
    assert as_provider.post(new_url(world_a), valid(world_a, **guardian)).status_code == 400  # one signature only
    response = as_provider.post(new_url(world_a), valid(world_a, guardian_signed_name="Ana Ruiz", **guardian))
    assert response.status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    assert release.consenting_party == "both" and release.for_minor
    assert release.signed_name.splitlines() == [world_a.person.name, "Ana Ruiz"]


def test_an_adult_signs_for_themselves(as_provider: Client, world_a: OrgWorld) -> None:
    data = valid(world_a, guardian_name="Ana Ruiz", guardian_relationship="Mother", guardian_not_harming="on")
    response = as_provider.post(new_url(world_a), data)
    assert response.status_code == 400 and "An adult signs their own release" in response.content.decode()
    assert Release.objects.count() == 1


# --- The scan -------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def scan_post(world: OrgWorld, name: str, content: bytes) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = valid(world, signed_how="scan", signed_name="", signed_on=(TODAY() - 40 * DAY).isoformat())
    data["valid_until"] = (TODAY() + 10 * DAY).isoformat()
    data["scan"] = SimpleUploadedFile(name, content, content_type="image/png")
    return data


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("form.png", b"GIF89a" + b"\x00" * 64, "PDF, PNG or JPEG"),
        ("form.png", b"<svg onload=alert(1)>", "PDF, PNG or JPEG"),
        ("form.pdf", b"%PDF-" + b"\x00" * (2 * 1024 * 1024), "larger than 2 MB"),
    ],
)
def test_a_bad_scan_is_refused(as_provider: Client, world_a: OrgWorld, name: str, content: bytes, message: str) -> None:
    response = as_provider.post(new_url(world_a), scan_post(world_a, name, content))
    assert response.status_code == 400 and message in response.content.decode()
    assert Release.objects.count() == 1


def test_a_scan_is_stored_and_opened_after_a_step_up(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    assert client.post(new_url(world_a), scan_post(world_a, "x.exe", PNG)).status_code == 302
    release = Release.objects.exclude(pk=world_a.release.pk).get()
    assert release.signed_how == "scan" and release.scan_type == "image/png"
    assert base64.b64decode(release.scan) == PNG and release.signed_name == ""
    page = client.get(release_url(world_a, "release", release)).content.decode()
    assert release_url(world_a, "release_scan", release) in page and release.scan not in page
    response = client.get(release_url(world_a, "release_scan", release))
    assert response.status_code == 200 and response.content == PNG
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == 'attachment; filename="scan.png"'
    assert events("release.scan_viewed", object_id=release.id) == 1
    assert client.get(release_url(world_a, "release_scan")).status_code == 404  # the world's has none
    _old_step_up(client)
    response = client.get(release_url(world_a, "release_scan", release))
    assert response.status_code == 302 and reverse("orgs:step_up") in response["Location"]
    assert events("release.scan_viewed", object_id=release.id) == 1


# --- The release page and revoking ----------------------------------------------------------------


def test_the_release_pages_do_not_load_the_scan(as_provider: Client, world_a: OrgWorld) -> None:
    """The scan is large and decrypted on load: only the scan's own view reads it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Release.objects.filter(pk=world_a.release.pk).update(scan="QUJD", scan_type="image/png", signed_how="scan")
    for url, method in (
        (release_url(world_a, "release"), "get"),
        (release_url(world_a, "release_revoke"), "post"),
        (release_url(world_a, "release_pdf") + "?language=en", "get"),
    ):
        with CaptureQueriesContext(connection) as queries:
            getattr(as_provider, method)(url, {"how": "oral"} if method == "post" else {})
        selects = [q["sql"] for q in queries.captured_queries if '"referrals_release"."purpose"' in q["sql"]]
        assert selects, url
        assert not [sql for sql in selects if '"referrals_release"."scan"' in sql], url
    assert release_url(world_a, "release_scan") in as_provider.get(release_url(world_a, "release")).content.decode()


def test_the_release_page_writes_exactly_one_read_row(as_provider: Client, world_a: OrgWorld) -> None:
    response = as_provider.get(release_url(world_a, "release"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Canary Legal Aid A" in body and "Valid" in body and "Canary purpose A" in body
    assert events("release.viewed") == 1 and events("release.viewed", object_id=world_a.release.id) == 1
    assert "Nothing has been shared under it." in body
    assert "<title>Notes</title>" in body


def test_shares_are_listed_on_the_release(as_provider: Client, world_a: OrgWorld) -> None:
    from waypoint.referrals.actions.shares import share

    with translation.override("en"):
        share(world_a.provider, world_a.person, release_id=world_a.release.id, entry_id=world_a.entry.id,
              items=["contact"], as_pdf=True)  # fmt: skip
    body = as_provider.get(release_url(world_a, "release")).content.decode()
    assert "Contact details and how to reach them safely" in body and "Provider.A" in body


def test_revoking_orally_takes_effect_at_once(as_provider: Client, world_a: OrgWorld) -> None:
    url = release_url(world_a, "release_revoke")
    response = as_provider.post(url, {})
    assert response.status_code == 400 and "Choose how they revoked it" in response.content.decode()
    assert events("release.viewed", object_id=world_a.release.id) == 1
    response = as_provider.post(url, {"how": "oral", "note": "Said so on the phone"})
    assert response.status_code == 302 and response["Location"] == release_url(world_a, "release")
    release = Release.objects.get(pk=world_a.release.pk)
    assert release.state() == ReleaseState.REVOKED and release.revoked_how == "oral"
    assert release.revoked_by_id == world_a.provider.id and release.revoked_at <= timezone.now()
    assert not sharing.decide(
        release, person_id=world_a.person.id, entry_id=world_a.entry.id, items=["contact"], at=timezone.now()
    ).allowed
    assert events("release.revoked", object_id=release.id) == 1
    page = as_provider.get(release_url(world_a, "release")).content.decode()
    assert "Revoked" in page and 'name="how"' not in page
    again = as_provider.post(url, {"how": "written"}, follow=True)
    assert "already revoked" in again.content.decode()
    assert events("release.revoked") == 1
    assert Release.objects.get(pk=release.pk).revoked_how == "oral"


def test_an_expired_release_can_still_be_revoked(as_provider: Client, world_a: OrgWorld) -> None:
    Release.objects.filter(pk=world_a.release.pk).update(
        signed_on=TODAY() - 60 * DAY, expires_at=sharing.expires_at_end_of(TODAY() - 2 * DAY)
    )
    assert "Expired" in as_provider.get(release_url(world_a, "release")).content.decode()
    assert as_provider.post(release_url(world_a, "release_revoke"), {"how": "written"}).status_code == 302
    assert Release.objects.get(pk=world_a.release.pk).state() == ReleaseState.REVOKED


def test_states_in_words_on_the_list(as_provider: Client, world_a: OrgWorld) -> None:
    from django.template.loader import render_to_string

    soon = Release.objects.get(pk=world_a.release.pk)
    soon.expires_at = sharing.expires_at_end_of(TODAY() + 3 * DAY)
    with translation.override("en"):
        html = render_to_string("referrals/_release_list.html", {"releases": [soon], "person": world_a.person})
    assert "Expiring soon" in html and "Canary Legal Aid A" in html and "Contact details" in html
    assert (TODAY() + 3 * DAY).strftime("%Y") in html


@pytest.mark.parametrize("role", [Role.ORG_ADMIN, Role.AUDITOR, Role.FRONT_DESK])
def test_other_roles_get_404(client: Client, world_a: OrgWorld, role: Role) -> None:
    sign_in(client, world_a.staff[role])
    assert client.get(new_url(world_a)).status_code == 404
    assert client.get(release_url(world_a, "release")).status_code == 404
    assert client.post(release_url(world_a, "release_revoke"), {"how": "oral"}).status_code == 404
    assert client.get(release_url(world_a, "release_pdf")).status_code == 404
    assert Release.objects.get(pk=world_a.release.pk).revoked_at is None


def test_another_organisations_release_is_404(as_provider: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    mixed = {"person_id": world_a.person.id, "release_id": world_b.release.id}
    assert as_provider.get(reverse("referrals:release", kwargs=mixed)).status_code == 404
    assert as_provider.post(reverse("referrals:release_revoke", kwargs=mixed), {"how": "oral"}).status_code == 404
    assert Release.objects.get(pk=world_b.release.pk).revoked_at is None


# --- Paper ------------------------------------------------------------------------------------------


def _old_step_up(client: Client) -> None:
    session = client.session
    session["wp_step_up_at"] = time.time() - 3600
    session.save()


def pdf_text(tmp_path: Path, pdf: bytes) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_printed_copy_needs_a_recent_step_up(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    _old_step_up(client)
    response = client.get(release_url(world_a, "release_pdf"))
    assert response.status_code == 302 and reverse("orgs:step_up") in response["Location"]
    assert events("release.form_printed") == 0


@pytest.mark.skipif(not POPPLER, reason="LOUD SKIP: poppler-utils (pdftotext) missing")
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_printed_copy(as_provider: Client, world_a: OrgWorld, tmp_path: Path, language: str) -> None:
    response = as_provider.get(release_url(world_a, "release_pdf") + f"?language={language}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="notes.pdf"'
    assert events("release.form_printed", object_id=world_a.release.id) == 1
    text = " ".join(pdf_text(tmp_path, response.content).split())
    assert "Canary purpose A" in text and "Canary Legal Aid A" in text
    english = (
        "You can say no. You will still get every service from us, whatever you decide: services never depend "
        "on this release."
    )
    with translation.override(language):
        expected = " ".join(gettext(english).split())
    assert language == "en" or expected != english, "the Spanish catalogue has no release text"
    assert expected in text


@pytest.mark.skipif(not POPPLER, reason="LOUD SKIP: poppler-utils (pdftotext) missing")
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_blank_form(client: Client, world_a: OrgWorld, tmp_path: Path, language: str) -> None:
    sign_in(client, world_a.org_admin)  # directory readers may print it too: it holds no person data
    response = client.get(reverse("referrals:release_blank_pdf") + f"?language={language}")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(tmp_path, response.content).split())
    assert "Canary" not in text
    with translation.override(language):
        for english in ("Release of information", "Date signed", "Safety check results"):
            assert gettext(english) in text
    front_desk = sign_in(Client(), world_a.front_desk)
    assert front_desk.get(reverse("referrals:release_blank_pdf")).status_code == 404


# --- The encounter's consent step ---------------------------------------------------------------


def test_the_consent_step_lists_releases_and_links_to_a_new_one(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = start(as_provider, world_a)
    page = as_provider.get(f"/encounters/{encounter.id}/consent/")
    assert page.status_code == 200
    body = page.content.decode()
    link = new_url(world_a, f"?encounter={encounter.id}")
    assert link in body and "Canary Legal Aid A" in body and "What they decided about sharing" in body
    assert "Nothing is shared without a written release for each recipient. Services never depend on it." in body
    response = as_provider.post(link, valid(world_a, purpose="From the encounter"))
    assert response.status_code == 302 and response["Location"] == f"/encounters/{encounter.id}/consent/"
    assert Release.objects.get(source_encounter_id=encounter.id).purpose == "From the encounter"
    assert as_provider.post(f"/encounters/{encounter.id}/consent/", {"consent": "given"}).status_code == 302
    assert as_provider.post(f"/encounters/{encounter.id}/consent/", {"consent": "maybe"}).status_code == 400


def test_an_encounter_of_someone_else_is_404(as_provider: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    from waypoint.encounters.models import Encounter, Mode
    from waypoint.people.models import Person

    other = Person.objects.create(
        org=world_a.org, name="Canary Other", estimated_age=40, created_by_id=world_a.provider.id
    )
    other.assigned_staff.add(world_a.provider)
    theirs = Encounter.objects.create(org=world_a.org, person=other, mode=Mode.IN_PERSON, lead=world_a.provider)
    assert as_provider.get(new_url(world_a, f"?encounter={theirs.id}")).status_code == 404
    denied = AuditEvent.objects.get(event="access.denied")
    assert denied.object_type == "encounter" and denied.object_id == theirs.id
    assert denied.actor_id == world_a.provider.id
    assert as_provider.get(new_url(world_a, f"?encounter={world_b.encounter.id}")).status_code == 404
    assert as_provider.get(new_url(world_a, f"?encounter={uuid.uuid4()}")).status_code == 404
    assert as_provider.get(new_url(world_a, "?encounter=nonsense")).status_code == 404

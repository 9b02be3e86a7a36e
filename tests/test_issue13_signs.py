"""Issue 13, item 3: signs that announce the see-alone policy (waiting room, exam room) and the
restroom sign with the help line, as one-page PDFs in US Letter and A4, in English, Spanish and any
language an org admin adds (a missing sentence falls back to English, and the signs page says so).

The PDFs are read back with poppler: page count and size (pdfinfo), the words (pdftotext), the
size of the type (pdftotext -bbox), and an image of the page (pdftoppm -pgm) that must not be
blank.  Nothing on a sign may be something a companion could object to."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import OrgWorld, sign_in
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role
from waypoint.printing import render, signs
from waypoint.printing.models import SignTranslation
from waypoint.printing.signs import KIND_SENTENCES, SENTENCE_BY_KEY, SENTENCES, Kind, Size


@pytest.fixture
def world_a(world_a: OrgWorld) -> OrgWorld:
    """The shared world without the sign language ``make_org`` adds for the URL sweeps: each test
    here adds the languages it needs."""
    SignTranslation.objects.filter(org=world_a.org).delete()
    return world_a


@pytest.fixture
def world_b(world_b: OrgWorld) -> OrgWorld:
    SignTranslation.objects.filter(org=world_b.org).delete()
    return world_b


POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(
    not POPPLER, reason="LOUD SKIP: poppler-utils (pdftotext, pdfinfo, pdftoppm) missing: apt-get install poppler-utils"
)
needs_renderer = pytest.mark.skipif(not render.available(), reason="LOUD SKIP: WeasyPrint or Pango missing")

# Words a companion reading over a shoulder could object to, in English and Spanish.
FORBIDDEN = (
    "traffick", "trata", "abuse", "abuso", "exploit", "explotación", "explotacion", "police", "policía", "policia",
    "escape", "escapar", "danger", "peligro", "violence", "violencia", "victim", "víctima", "victima", "rescue",
    "rescate", "sex", "sexo", "forced", "forzado", "slavery", "esclavitud", "human", "humana",
)  # fmt: skip
PAGE_POINTS = {Size.LETTER: (612.0, 792.0), Size.A4: (595.3, 841.9)}
READERS = (Role.ORG_ADMIN, Role.SUPERVISOR)
OUTSIDERS = (Role.PROVIDER, Role.AUDITOR, Role.FRONT_DESK)
FRENCH = {
    "code": "fr",
    "name": "Français",
    "heading": "Une partie de chaque visite est privée",
    "body": "Pour le respect de chacun, nous voyons chaque personne seule pendant une partie de chaque visite.",
    "step_out": "",  # left empty: printed in English
    "everyone": "",  # left empty: printed in English
    "help_heading": "Besoin de parler à quelqu'un ?",
    "help_body": "Une aide gratuite et confidentielle, 24 heures sur 24, dans de nombreuses langues.",
    "call": "Appelez",
    "text": "Envoyez un SMS",
}


def sign_url(kind: str, size: str, language: str) -> str:
    return reverse("printing:sign", kwargs={"kind": kind, "size": size, "language": language})


def flat(text: str) -> str:
    return " ".join(text.split())


def expected_sentences(kind: Kind, language: str) -> list[str]:
    with translation.override(language):
        return [gettext(SENTENCE_BY_KEY[key].english) for key in KIND_SENTENCES[kind]]


def english(key: str) -> str:
    with translation.override("en"):
        return gettext(SENTENCE_BY_KEY[key].english)


def poppler(tmp_path: Path, pdf: bytes, *command: str) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    return subprocess.run([*command, str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_info(tmp_path: Path, pdf: bytes) -> dict[str, str]:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {key.strip(): value.strip() for key, _sep, value in (line.partition(":") for line in out.splitlines())}


def words(tmp_path: Path, pdf: bytes) -> list[tuple[str, float]]:
    """Each word on the page with the height of its box (the font's ascent to descent, a little
    more than the type size)."""
    html = poppler(tmp_path, pdf, "pdftotext", "-bbox")
    found = re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)
    return [(word, float(y_max) - float(y_min)) for y_min, y_max, word in found]


def dark_share(tmp_path: Path, pdf: bytes) -> float:
    """The share of dark pixels in a 50 dpi greyscale image of the page (a greyscale PGM: a short text header,
    then one byte per pixel)."""
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-gray", "-singlefile", str(path), str(tmp_path / "page")], check=True)
    data = (tmp_path / "page.pgm").read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert header is not None
    width, height = int(header[1]), int(header[2])
    pixels = data[header.end() : header.end() + width * height]
    assert len(pixels) == width * height
    return sum(1 for value in pixels if value < 128) / len(pixels)


def metadata_problems(info: dict[str, str], world: OrgWorld) -> list[str]:
    """As the plan PDF's tests: a neutral title, nothing else that names who made it or when."""
    problems = [
        key
        for key in ("Author", "Creator", "Producer", "Subject", "Keywords", "CreationDate", "ModDate")
        if key in info
    ]
    if info.get("Title") not in ("Notes", "Notas"):
        problems.append(f"Title: {info.get('Title')}")
    blob = " ".join(info.values())
    problems += [text for text in (world.org.name, world.site.name, world.org_admin.display_name) if text in blob]
    return problems


def add_language(client: Client, **overrides: Any) -> Any:
    data = {**FRENCH, "form_token": str(uuid.uuid4()), **overrides}
    return client.post(reverse("printing:sign_languages"), data)


def audit_count(event: str) -> int:
    return AuditEvent.objects.filter(event=event).count()


# --- Rendering ---------------------------------------------------------------------------------


@needs_poppler
@needs_renderer
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", list(Size))
@pytest.mark.parametrize("kind", list(Kind))
def test_every_sign_is_one_neutral_readable_page(
    client: Client, world_a: OrgWorld, tmp_path: Path, kind: Kind, size: Size, language: str
) -> None:
    sign_in(client, world_a.org_admin)
    before = audit_count("sign.printed")
    response = client.get(sign_url(kind, size, language))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="sign-{kind}-{size}-{language}.pdf"'
    assert "no-store" in response["Cache-Control"]
    pdf = response.content
    info = pdf_info(tmp_path, pdf)
    assert info["Pages"] == "1"
    width, height = (float(n) for n in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (round(width, 1), round(height, 1)) == PAGE_POINTS[size]
    assert metadata_problems(info, world_a) == []
    text = flat(poppler(tmp_path, pdf, "pdftotext"))
    for sentence in expected_sentences(kind, language):
        assert flat(sentence) in text, sentence
    lowered = text.lower()
    assert [word for word in FORBIDDEN if word in lowered] == []
    assert world_a.org.name not in text and world_a.site.name not in text
    if kind == Kind.RESTROOM:
        assert "1-888-373-7888" in text and "233733" in text
    share = dark_share(tmp_path, pdf)
    assert 0.01 < share < 0.5, share  # something is printed, and it is not a black page
    row = AuditEvent.objects.filter(event="sign.printed").latest("seq")
    assert audit_count("sign.printed") == before + 1 and row.object_id is None and row.actor_id == world_a.org_admin.id


def test_no_sentence_of_any_sign_is_alarming_in_either_language() -> None:
    for language in ("en", "es"):
        with translation.override(language):
            texts = " ".join(gettext(sentence.english) for sentence in SENTENCES).lower()
        assert [word for word in FORBIDDEN if word in texts] == [], language


@needs_poppler
@needs_renderer
@pytest.mark.parametrize("size", list(Size))
def test_the_heading_and_the_numbers_are_large(client: Client, world_a: OrgWorld, tmp_path: Path, size: Size) -> None:
    sign_in(client, world_a.supervisor)
    policy = words(tmp_path, client.get(sign_url(Kind.WAITING, size, "en")).content)
    heading = english("heading").split()
    top = policy[: len(heading)]
    assert [word for word, _height in top] == heading
    assert all(height >= 44 for _word, height in top), top  # a 40 pt type or larger
    rest = policy[len(heading) :]
    assert max(height for _word, height in rest) < min(height for _word, height in top)  # the largest text
    assert min(height for _word, height in rest) >= 24  # the rest is large too (20 pt or more)
    restroom = dict(words(tmp_path, client.get(sign_url(Kind.RESTROOM, size, "en")).content))
    assert restroom["1-888-373-7888"] >= 44 and restroom["233733"] >= 44
    assert restroom["1-888-373-7888"] >= max(
        height for word, height in restroom.items() if word.startswith("confidential")
    )


@needs_poppler
@needs_renderer
@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("size", list(Size))
@pytest.mark.parametrize("filler", ["W", "漢", "Ш"])
def test_the_longest_translation_still_fits_one_page(
    world_a: OrgWorld, tmp_path: Path, kind: Kind, size: Size, filler: str
) -> None:
    """Every sentence at its longest, in the widest letters: the type is set smaller until the sign
    is one page (never a second page that would be posted half-missing), and every word is on it."""
    longest = SignTranslation(
        org=world_a.org, code="xx", name="X", **{s.key: (filler * 9 + " ") * (s.max_length // 10) for s in SENTENCES}
    )
    contexts = signs.contexts(kind, size, signs.sign_text(kind, "xx", longest))
    pdf = render.render_one_page_pdf("printing/sign_pdf.html", contexts, "en")
    assert pdf_info(tmp_path, pdf)["Pages"] == "1"
    text = "".join(poppler(tmp_path, pdf, "pdftotext").split())  # CJK lines break between any two characters
    for key in KIND_SENTENCES[kind]:
        assert "".join(getattr(longest, key).split()) in text, key


# --- Added languages and the fallback ----------------------------------------------------------


@needs_poppler
@needs_renderer
def test_a_partial_translation_falls_back_to_english_and_the_page_says_so(
    client: Client, world_a: OrgWorld, tmp_path: Path
) -> None:
    sign_in(client, world_a.org_admin)
    response = add_language(client)
    assert response.status_code == 302 and response["Location"] == reverse("printing:signs")
    added = SignTranslation.objects.get(org=world_a.org, code="fr")
    assert audit_count("sign.language_saved") == 1
    saved = AuditEvent.objects.get(event="sign.language_saved")
    assert saved.object_id == added.id and saved.actor_id == world_a.org_admin.id
    page = client.get(reverse("printing:signs")).content.decode()
    assert "Not translated yet: shown in English:" in page
    note = page.split("Not translated yet: shown in English:", 1)[1].split("</li>", 1)[0]
    assert str(SENTENCE_BY_KEY["step_out"].label) in note and str(SENTENCE_BY_KEY["everyone"].label) in note
    assert str(SENTENCE_BY_KEY["heading"].label) not in note
    assert "Partly in English" in page  # beside the waiting-room and exam-room rows in French
    assert sign_url(Kind.EXAM, Size.A4, "fr") in page

    pdf = client.get(sign_url(Kind.EXAM, Size.A4, "fr")).content
    text = flat(poppler(tmp_path, pdf, "pdftotext"))
    for key in ("heading", "body"):
        assert flat(FRENCH[key]) in text
    for key in ("step_out", "everyone"):
        assert english(key) in text  # the missing sentences, in English, unmarked
    assert pdf_info(tmp_path, pdf)["Pages"] == "1"
    restroom = flat(poppler(tmp_path, client.get(sign_url(Kind.RESTROOM, Size.LETTER, "fr")).content, "pdftotext"))
    assert "Envoyez un SMS" in restroom and "Appelez" in restroom and "233733" in restroom


@needs_poppler
@needs_renderer
def test_a_language_with_nothing_translated_prints_english_and_says_so(
    client: Client, world_a: OrgWorld, tmp_path: Path
) -> None:
    sign_in(client, world_a.org_admin)
    empty = {key: "" for key in SENTENCE_BY_KEY}
    assert add_language(client, code="vi", name="Tiếng Việt", **empty).status_code == 302
    page = client.get(reverse("printing:signs")).content.decode()
    assert "Not translated yet: the signs in this language are shown in English." in page
    assert "Not translated yet: shown in English." in page  # beside each of its rows
    response = client.get(sign_url(Kind.WAITING, Size.LETTER, "vi"))
    assert response.status_code == 200
    text = flat(poppler(tmp_path, response.content, "pdftotext"))
    for sentence in expected_sentences(Kind.WAITING, "en"):
        assert sentence in text
    # Django's own catalogue for a language must never reword an English fallback ("Text" stays "Text").
    restroom = flat(poppler(tmp_path, client.get(sign_url(Kind.RESTROOM, Size.A4, "vi")).content, "pdftotext"))
    assert english("call") in restroom.split() and english("text") in restroom.split()


def test_language_codes_are_normalised_and_checked() -> None:
    assert signs.normalise_code("PT-br") == "pt-BR"
    assert signs.normalise_code(" zh-hant ") == "zh-Hant"
    assert signs.normalise_code("es-419") == "es-419"
    assert signs.normalise_code("vi") == "vi"
    for bad in ("", "f", "french", "fr_FR", "fr-", "<b>", "fr-FR-x", "\uff11\uff12", "../en"):
        assert signs.normalise_code(bad) is None, bad


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=24))
def test_a_normalised_code_is_a_plain_path_segment(value: str) -> None:
    code = signs.normalise_code(value)
    assert code is None or (
        re.fullmatch(r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?", code) and code == signs.normalise_code(code)
    )


# --- Adding, changing and removing a language: bad input ---------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "french", "Enter a language code"),
        ("code", "fr_FR", "Enter a language code"),
        ("code", "<script>", "Enter a language code"),
        ("code", "es", "English and Spanish are built in"),
        ("code", "EN", "English and Spanish are built in"),
        ("code", "", "This field is required"),
        ("name", "", "This field is required"),
        ("heading", "H" * 81, "at most 80 characters"),
        ("body", "B" * 201, "at most 200 characters"),
        ("call", "C" * 41, "at most 40 characters"),
        ("heading", "Une\x00visite", "invisible or control characters"),
        ("body", "privée\u202e", "invisible or control characters"),
        ("everyone", "deux\nlignes", "invisible or control characters"),
        ("name", "Fran\u200bçais", "invisible or control characters"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_kept(
    client: Client, world_a: OrgWorld, field: str, value: str, message: str
) -> None:
    sign_in(client, world_a.org_admin)
    response = add_language(client, **{field: value})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'class="error-summary"' in page and f'href="#id_{field}"' in page
    assert FRENCH["help_body"].replace("'", "&#x27;") in page  # what was typed is kept
    assert not SignTranslation.objects.exists() and audit_count("sign.language_saved") == 0


def test_a_language_is_added_once_per_organisation(client: Client, world_a: OrgWorld, world_b: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    token = str(uuid.uuid4())
    assert add_language(client, form_token=token).status_code == 302
    assert add_language(client, form_token=token).status_code == 302  # a double submit adds nothing
    assert SignTranslation.objects.filter(org=world_a.org).count() == 1
    again = add_language(client, code="FR", name="Français encore")
    assert again.status_code == 400 and "already been added" in again.content.decode()
    sign_in(client, world_b.org_admin)  # another organisation may add the same language
    assert add_language(client).status_code == 302
    assert SignTranslation.objects.filter(code="fr").count() == 2 and audit_count("sign.language_saved") == 2


def test_an_admin_changes_a_language_and_a_stale_save_overwrites_nothing(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    add_language(client)
    added = SignTranslation.objects.get()
    url = reverse("printing:sign_language", args=[added.id])
    page = client.get(url)
    assert page.status_code == 200 and FRENCH["heading"] in page.content.decode()
    assert "In English: " + english("step_out") in page.content.decode()
    data = {
        **FRENCH,
        "code": "fr-CA",
        "step_out": "Les personnes qui vous accompagnent attendront dehors.",
        "version": "1",
    }
    assert client.post(url, data).status_code == 302
    added.refresh_from_db()
    assert (added.code, added.version, added.step_out) == ("fr-CA", 2, data["step_out"])
    stale = client.post(url, {**data, "heading": "Texte perdu ?", "version": "1"})
    assert stale.status_code == 409 and "Texte perdu ?" in stale.content.decode()
    added.refresh_from_db()
    assert added.heading == FRENCH["heading"] and added.version == 2
    bad = client.post(url, {**data, "heading": "x" * 81, "version": "2"})
    assert bad.status_code == 400 and "x" * 81 in bad.content.decode()
    assert audit_count("sign.language_saved") == 2


def test_an_admin_removes_a_language(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    add_language(client)
    added = SignTranslation.objects.get()
    response = client.post(reverse("printing:sign_language_delete", args=[added.id]))
    assert response.status_code == 302 and not SignTranslation.objects.exists()
    row = AuditEvent.objects.get(event="sign.language_deleted")
    assert row.object_id == added.id and row.actor_id == world_a.org_admin.id
    assert client.post(reverse("printing:sign_language_delete", args=[added.id])).status_code == 404
    assert client.get(sign_url(Kind.WAITING, Size.LETTER, "fr")).status_code == 404  # no longer offered


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_who_may_list_download_and_change(client: Client, world_a: OrgWorld, role: Role, monkeypatch: Any) -> None:
    monkeypatch.setattr(render, "render_one_page_pdf", lambda template, contexts, language: b"%PDF-1.7 stub")
    added = SignTranslation.objects.create(org=world_a.org, code="fr", name="Français")
    sign_in(client, world_a.staff[role])
    reads = {
        reverse("printing:signs"): client.get,
        sign_url(Kind.EXAM, Size.LETTER, "en"): client.get,
        sign_url(Kind.RESTROOM, Size.A4, "fr"): client.get,
    }
    for url, method in reads.items():
        status = method(url).status_code
        assert status == (200 if role in READERS else 404), (url, status)
    changes = [
        ("get", reverse("printing:sign_languages")),
        ("post", reverse("printing:sign_languages")),
        ("get", reverse("printing:sign_language", args=[added.id])),
        ("post", reverse("printing:sign_language", args=[added.id])),
        ("post", reverse("printing:sign_language_delete", args=[added.id])),
    ]
    for method, url in changes:
        status = getattr(client, method)(url).status_code
        if role == Role.ORG_ADMIN:
            assert status in (200, 302, 400), (url, status)
        else:
            assert status == 404, (url, status)
    assert SignTranslation.objects.filter(pk=added.pk).exists() is (role != Role.ORG_ADMIN)


def test_anonymous_is_sent_to_sign_in(client: Client, world_a: OrgWorld) -> None:
    added = SignTranslation.objects.create(org=world_a.org, code="fr", name="Français")
    urls = [
        reverse("printing:signs"),
        sign_url(Kind.WAITING, Size.LETTER, "en"),
        reverse("printing:sign_languages"),
        reverse("printing:sign_language", args=[added.id]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    response = client.post(reverse("printing:sign_language_delete", args=[added.id]))
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert SignTranslation.objects.filter(pk=added.pk).exists()


def test_only_admins_and_supervisors_see_the_change_links(client: Client, world_a: OrgWorld) -> None:
    added = SignTranslation.objects.create(org=world_a.org, code="fr", name="Français")
    sign_in(client, world_a.supervisor)
    page = client.get(reverse("printing:signs")).content.decode()
    assert "Français" in page and reverse("printing:sign_language", args=[added.id]) not in page
    assert reverse("printing:sign_languages") not in page
    sign_in(client, world_a.org_admin)
    page = client.get(reverse("printing:signs")).content.decode()
    assert reverse("printing:sign_language", args=[added.id]) in page and reverse("printing:sign_languages") in page


def test_another_organisations_language_is_404_everywhere(
    client: Client, world_a: OrgWorld, world_b: OrgWorld, monkeypatch: Any
) -> None:
    monkeypatch.setattr(render, "render_one_page_pdf", lambda template, contexts, language: b"%PDF-1.7 stub")
    theirs = SignTranslation.objects.create(
        org=world_b.org, code="vi", name="Canary Tiếng B", heading="Canary B heading"
    )
    sign_in(client, world_a.org_admin)
    assert client.get(sign_url(Kind.WAITING, Size.LETTER, "vi")).status_code == 404
    assert client.get(reverse("printing:sign_language", args=[theirs.id])).status_code == 404
    assert (
        client.post(reverse("printing:sign_language", args=[theirs.id]), {**FRENCH, "version": "1"}).status_code == 404
    )
    assert client.post(reverse("printing:sign_language_delete", args=[theirs.id])).status_code == 404
    theirs.refresh_from_db()
    assert (theirs.code, theirs.heading, theirs.version) == ("vi", "Canary B heading", 1)
    page = client.get(reverse("printing:signs")).content.decode()
    assert "Canary" not in page and "vi" not in re.findall(r"/signs/\w+/\w+/([\w-]+)/", page)
    denied = AuditEvent.objects.filter(org_id=world_a.org.id, object_type="signtranslation").count()
    assert denied >= 3  # each refused lookup is logged
    assert audit_count("sign.printed") == 0 and audit_count("sign.language_saved") == 0


@pytest.mark.parametrize(
    "path",
    [
        "/signs/lobby/letter/en/",  # unknown kind
        "/signs/waiting/a3/en/",  # unknown size
        "/signs/waiting/legal/en/",
        "/signs/waiting/letter/xx/",  # a language nobody added
        "/signs/waiting/letter/EN/",
        "/signs/waiting/letter/fr/",  # not added by this organisation
        "/signs/waiting/letter/%3Cb%3E/",
    ],
)
def test_an_unknown_sign_is_404(client: Client, world_a: OrgWorld, path: str) -> None:
    sign_in(client, world_a.org_admin)
    assert client.get(path).status_code == 404
    assert audit_count("sign.printed") == 0


@pytest.fixture
def two_orgs(world_a: OrgWorld, world_b: OrgWorld) -> dict[str, OrgWorld]:
    return {"a": world_a, "b": world_b}  # hypothesis probes its arguments, which OrgWorld cannot answer


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    code=st.one_of(
        st.sampled_from(["en", "es", "fr", "vi", "pt-BR", "zh-Hant", "ar"]),
        st.from_regex(r"[A-Za-z0-9-]{1,12}", fullmatch=True),
    )
)
def test_a_sign_prints_only_in_a_built_in_language_or_one_the_organisation_added(
    two_orgs: dict[str, OrgWorld], code: str
) -> None:
    """Deny by default: any code that is neither built in nor added by the reader's organisation
    (another organisation's included) is a 404."""
    world_a, world_b = two_orgs["a"], two_orgs["b"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "render_one_page_pdf", lambda template, contexts, language: b"%PDF-1.7 stub")
        SignTranslation.objects.get_or_create(org=world_a.org, code="fr", defaults={"name": "Français"})
        SignTranslation.objects.get_or_create(org=world_b.org, code="vi", defaults={"name": "Tiếng Việt"})
        client = sign_in(Client(), world_a.supervisor)
        status = client.get(sign_url(Kind.WAITING, Size.A4, code)).status_code
    assert status == (200 if code in ("en", "es", "fr") else 404), code


# --- When PDFs cannot be made ------------------------------------------------------------------


def test_without_the_renderer_the_page_says_so_plainly(client: Client, world_a: OrgWorld, monkeypatch: Any) -> None:
    monkeypatch.setattr(render, "available", lambda: False)
    sign_in(client, world_a.supervisor)
    page = client.get(reverse("printing:signs"))
    text = page.content.decode()
    assert page.status_code == 200 and "This server cannot make PDFs yet. Ask your administrator." in text
    assert "/signs/waiting/letter/en/" not in text
    response = client.get(sign_url(Kind.WAITING, Size.LETTER, "en"))
    assert response.status_code == 503 and "This server cannot make PDFs yet" in response.content.decode()
    assert audit_count("sign.printed") == 0


def test_the_signs_page_lists_every_kind_size_and_language(client: Client, world_a: OrgWorld) -> None:
    SignTranslation.objects.create(org=world_a.org, code="pt-BR", name="Português", **{s.key: "x" for s in SENTENCES})
    sign_in(client, world_a.org_admin)
    rows = AuditEvent.objects.count()
    response = client.get(reverse("printing:signs"))
    page = response.content.decode()
    assert response.status_code == 200 and page.count("<h1") == 1
    for kind in Kind:
        for size in Size:
            for language in ("en", "es", "pt-BR"):
                assert sign_url(kind, size, language) in page
    assert "Every sentence is translated." in page and "Not translated yet" not in page
    assert "traffick" not in page.lower()
    assert AuditEvent.objects.count() == rows  # a page of signs shows nobody's data: no read row

"""English and Spanish: every page renders in both, with a translated heading; the catalogue is
complete."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, sign_in
from tests.test_sweeps import CASES
from waypoint.orgs.models import Role

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "es" / "LC_MESSAGES" / "django.po"
PAGE_ROLES = {
    "orgs:staff_list": Role.ORG_ADMIN,
    "orgs:staff_invite": Role.ORG_ADMIN,
    "orgs:staff_detail": Role.ORG_ADMIN,
    "orgs:settings": Role.ORG_ADMIN,
    "oversight:audit_log": Role.AUDITOR,
    "encounters:protocol": Role.ORG_ADMIN,
    "content:list": Role.ORG_ADMIN,
    "content:edit": Role.ORG_ADMIN,
    "referrals:directory_new": Role.SUPERVISOR,
    "referrals:directory_edit": Role.SUPERVISOR,
    "referrals:directory_import": Role.SUPERVISOR,
    "encounters:see_alone_policy": Role.ORG_ADMIN,
    "oversight:adherence": Role.SUPERVISOR,
    "printing:signs": Role.SUPERVISOR,
    "printing:sign_languages": Role.ORG_ADMIN,
    "printing:sign_language": Role.ORG_ADMIN,
    "orgs:orientation_admin": Role.ORG_ADMIN,
    "orgs:jurisdiction": Role.ORG_ADMIN,
    "orgs:discretion": Role.ORG_ADMIN,
    "retention:settings": Role.ORG_ADMIN,
    "retention:preview": Role.ORG_ADMIN,
}
ANONYMOUS_PAGES = ["/login/", "/about-exit/", "/nowhere/"]
# JSON, CSV or PDF answers, not pages
NOT_PAGES = {
    "core:healthz", "encounters:requests_waiting", "referrals:directory_export", "referrals:release_pdf",
    "referrals:release_blank_pdf", "printing:sign",
}  # fmt: skip


def h1(body: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    assert match, "page has no <h1>"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", match.group(1))).strip()


def headings(body: str) -> list[str]:
    """The h1 and h2 texts inside <main> (the page's own content, not the shared chrome)."""
    main = body[body.index("<main") : body.index("</main>")]
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", main, re.S)]


def signed_in_pages(world: OrgWorld) -> list[tuple[str, Role]]:
    pages = []
    for name, (method, kwargs, expected) in CASES.items():
        if method == "get" and expected == 200 and name not in NOT_PAGES:
            pages.append((reverse(name, kwargs=kwargs(world)), PAGE_ROLES.get(name, Role.PROVIDER)))
    return pages


def test_every_page_renders_in_both_languages_with_one_h1(world_a: OrgWorld) -> None:
    for path, role in signed_in_pages(world_a):
        bodies = {}
        for language in ("en", "es"):
            client = sign_in(Client(), world_a.staff[role], language=language)
            response = client.get(path)
            assert response.status_code == 200, path
            body = response.content.decode()
            assert f'<html lang="{language}">' in body, path
            assert body.count("<h1") == 1, path
            h1(body)
            bodies[language] = headings(body)
        assert bodies["en"] != bodies["es"], (path, bodies)


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_anonymous_pages_in_both_languages(client: Client, db: None, path: str) -> None:
    english = h1(client.get(path).content.decode())
    client.post("/language/", {"language": "es", "next": path})
    spanish_body = client.get(path).content.decode()
    assert '<html lang="es">' in spanish_body
    assert h1(spanish_body) != english


def test_catalogue_is_complete_and_not_fuzzy() -> None:
    text = PO.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]
    untranslated = [e for e in entries if re.search(r'msgstr ""\n(?!")', e + "\n") and "msgid_plural" not in e]
    assert untranslated == []
    assert "#, fuzzy" not in text
    assert (PO.with_suffix(".mo")).stat().st_mtime >= PO.stat().st_mtime - 1


def test_templates_have_no_untranslated_text() -> None:
    """Visible words in templates go through {% translate %} (a rough check on text between tags)."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        if template.name == "500.html":  # static bilingual page, rendered without the i18n machinery
            continue
        source = re.sub(r"{%\s*blocktranslate.*?{%\s*endblocktranslate\s*%}", " ", template.read_text(), flags=re.S)
        source = re.sub(r"<style>.*?</style>|{%.*?%}|{{.*?}}|<[^>]+>|&[a-z]+;|<!--.*?-->", " ", source, flags=re.S)
        words = [w for w in re.findall(r"[^\W\d_]{3,}", source) if w not in {"Waypoint", "Español", "English", "Alt"}]
        if words:
            offenders.append((template.name, words[:5]))
    assert offenders == []


def _msgids(po_text: str) -> set[str]:
    entries = set()
    for block in po_text.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if match:
            entries.add("".join(re.findall(r'"(.*)"', match.group(1))))
    return entries - {""}


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext is not installed")
def test_catalogue_has_every_string_in_the_code(tmp_path: Path) -> None:
    for part in ["waypoint", "templates", "locale"]:
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    env = {**os.environ, "WAYPOINT_ENV": "test", "WAYPOINT_DATA_DIR": str(tmp_path / "var")}
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "es", "--no-location"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = _msgids((tmp_path / "locale/es/LC_MESSAGES/django.po").read_text(encoding="utf-8"))
    missing = fresh - _msgids(PO.read_text(encoding="utf-8"))
    assert missing == set(), "run: make messages, then translate the new entries"


def test_date_fields_keep_their_value_in_every_language() -> None:
    """An <input type=date> drops any value that is not yyyy-mm-dd: a Spanish page that wrote
    04/12/2026 showed the date empty, and saving it unchanged erased a date of birth."""
    import datetime

    from django.utils import translation

    from waypoint.core.forms import DateInput

    for language in ("en", "es"):
        with translation.override(language):
            html = DateInput().render("due_on", datetime.date(2026, 12, 4))
            assert 'value="2026-12-04"' in html, (language, html)

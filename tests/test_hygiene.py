"""Headers, caching, CSP, quick exit, error pages and production configuration."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import OrgWorld, sign_in
from tests.sweeps import all_patterns
from waypoint.core.models import AuditEvent

ROOT = Path(__file__).resolve().parent.parent


def test_security_headers_on_every_page(as_provider: Client, world_a: OrgWorld) -> None:
    for path in ["/", "/people/", f"/people/{world_a.person.id}/", "/login/", "/about-exit/", "/nowhere/"]:
        response = as_provider.get(path)
        csp = response["Content-Security-Policy"]
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ]:
            assert directive in csp, (path, directive)
        if response.status_code != 302:
            assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9+/=]+'", csp)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"


def test_no_inline_scripts_or_handlers(as_provider: Client, world_a: OrgWorld) -> None:
    for path in ["/", "/people/", f"/people/{world_a.person.id}/", "/people/new/", "/account/"]:
        body = as_provider.get(path).content.decode()
        assert not re.search(r"\son[a-z]+=", body), path
        for tag in re.findall(r"<script[^>]*>", body):
            assert "src=" in tag and "nonce=" in tag


def test_exit_is_first_and_on_every_page(as_provider: Client, world_a: OrgWorld) -> None:
    for path in ["/", "/people/", f"/people/{world_a.person.id}/", "/account/", "/nowhere/"]:
        body = as_provider.get(path).content.decode()
        main = body.index("<body")
        assert body.index('id="quick-exit"') < body.index("<a", main), path


def test_quick_exit_ends_session_and_clears_site_data(as_provider: Client, world_a: OrgWorld) -> None:
    response = as_provider.post("/exit/", HTTP_X_WAYPOINT_EXIT="1")
    assert response.status_code == 204
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert as_provider.get("/people/").status_code == 302
    assert AuditEvent.objects.filter(event="exit.quick", actor_id=world_a.provider.id).count() == 1


def test_quick_exit_without_javascript_redirects_to_org_page(world_a: OrgWorld) -> None:
    world_a.org.exit_url = "https://weather.example/today"
    world_a.org.save()
    client = sign_in(Client(enforce_csrf_checks=True), world_a.provider)
    response = client.post("/exit/")  # no CSRF token: exit must still work
    assert response.status_code == 303 and response["Location"] == "https://weather.example/today"


def test_quick_exit_is_post_only(client: Client, db: None) -> None:
    assert client.get("/exit/").status_code == 405


def test_csrf_is_enforced_on_state_changes(world_a: OrgWorld) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), world_a.provider)
    response = client.post("/people/new/", {"name": "x"})
    assert response.status_code == 403 and b"expired" in response.content
    assert client.post("/logout/").status_code == 403


def test_every_post_view_except_exit_checks_csrf() -> None:
    exempt = [name for name, (_r, view) in all_patterns().items() if getattr(view, "csrf_exempt", False)]
    assert exempt == ["core:exit"]


def test_no_get_changes_anything(as_provider: Client, world_a: OrgWorld) -> None:
    from tests.test_sweeps import CASES, snapshot

    before = snapshot()
    for name, (method, kwargs, _e) in CASES.items():
        if method == "get":
            from django.urls import reverse

            as_provider.get(reverse(name, kwargs=kwargs(world_a)))
    assert snapshot() == before


def test_oversized_body_gets_400_not_500(as_provider: Client) -> None:
    response = as_provider.post("/people/new/", {"notes": "x" * 300_000})
    assert response.status_code == 400
    assert b"could not be read" in response.content


def test_bad_host_gets_400(client: Client, db: None) -> None:
    assert client.get("/login/", HTTP_HOST="evil.example").status_code == 400


def test_404_page_is_neutral(client: Client, db: None) -> None:
    response = client.get("/people/../../etc/passwd")
    assert response.status_code in (404, 302)
    assert b"Traceback" not in response.content


def test_server_error_page_has_no_traceback_and_keeps_exit(client: Client) -> None:
    from waypoint.core.views import server_error

    response = server_error(None)  # type: ignore[arg-type]
    assert response.status_code == 500 and b"Traceback" not in response.content
    assert b'id="quick-exit"' in response.content


def test_no_personal_data_in_urls(as_provider: Client) -> None:
    routes = [route for route, _v in all_patterns().values()]
    for route in routes:
        for placeholder in re.findall(r"<([^>]+)>", route):
            assert placeholder.split(":")[0] in {"uuid", "int", "str"}, route
            if placeholder.startswith("str:"):
                assert placeholder in {
                    "str:legacy",
                    "str:step",
                    "str:kind",
                    "str:language",
                    "str:domain",
                    "str:item",
                }, route


def test_session_cookie_holds_no_personal_data(as_provider: Client, world_a: OrgWorld) -> None:
    as_provider.get(f"/people/{world_a.person.id}/")
    from waypoint.orgs.models import StaffSession

    for row in StaffSession.objects.all():
        decoded = str(row.get_decoded())
        assert "Canary" not in decoded
    for cookie in as_provider.cookies.values():
        assert "Canary" not in cookie.value


def _production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAYPOINT_", "DATABASE_URL"))}
    env.update(
        {
            "WAYPOINT_ENV": "production",
            "WAYPOINT_SECRET_KEY": "p" * 30 + "q" * 30 + "rstuvwxyz0123456789",
            "WAYPOINT_ENCRYPTION_KEYS": '{"active":"k1","keys":{"k1":"'
            + "A" * 43
            + '="},"index_key":"'
            + "B" * 43
            + '="}',
            "WAYPOINT_ALLOWED_HOSTS": "waypoint.example.org",
            "DJANGO_SETTINGS_MODULE": "waypoint.settings",
        }
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != ""}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_check_deploy_is_clean_in_production(tmp_path: Path) -> None:
    result = _manage(_production_env(WAYPOINT_DATA_DIR=str(tmp_path)), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("missing", ["WAYPOINT_SECRET_KEY", "WAYPOINT_ENCRYPTION_KEYS", "WAYPOINT_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(tmp_path: Path, missing: str) -> None:
    result = _manage(_production_env(WAYPOINT_DATA_DIR=str(tmp_path), **{missing: ""}), "check")
    assert result.returncode != 0
    assert missing in result.stderr


@pytest.mark.slow
def test_production_refuses_demo_data(tmp_path: Path) -> None:
    env = _production_env(WAYPOINT_DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert _manage(env, "migrate", "--noinput").returncode == 0
    result = _manage(env, "seed_demo")
    assert result.returncode != 0 and "refused in production" in result.stderr


@pytest.mark.slow
def test_production_cookies_use_host_prefix_and_secure(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    result = _manage(_production_env(WAYPOINT_DATA_DIR=str(tmp_path)), "shell", "--no-imports", "-c", code)
    assert result.stdout.split() == ["__Host-wp_session", "__Host-wp_csrf", "True", "True", "63072000"]

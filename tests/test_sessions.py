"""Session limits, the session list, sign out everywhere, step-up, role changes and deactivation."""

from __future__ import annotations

import re
import time

from django.test import Client

from tests.conftest import OrgWorld, sign_in
from waypoint.core.models import AuditEvent
from waypoint.orgs import auth
from waypoint.orgs.models import RecoveryCode, StaffSession


def _age_session(client: Client, **changes: float) -> None:
    session = client.session
    for key, value in changes.items():
        session[key] = value
    session.save()


def test_idle_timeout_after_fifteen_minutes(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    _age_session(client, wp_last_seen=time.time() - 15 * 60 - 5)
    response = client.get("/people/")
    assert response.status_code == 302 and response["Location"] == "/login/?expired=1"
    assert client.get("/people/").status_code == 302
    assert AuditEvent.objects.filter(event="auth.session_expired").count() == 1


def test_activity_within_the_idle_limit_keeps_the_session(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    _age_session(client, wp_last_seen=time.time() - 14 * 60)
    assert client.get("/people/").status_code == 200
    assert time.time() - client.session["wp_last_seen"] < 5


def test_absolute_limit_of_twelve_hours(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    _age_session(client, wp_auth_at=time.time() - 12 * 3600 - 5)
    assert client.get("/people/")["Location"] == "/login/?expired=1"


def test_pages_carry_the_idle_warning_timer(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    _age_session(client, wp_last_seen=time.time() - 20)  # not rewritten: less than 30 s old
    body = client.get("/").content.decode()
    left = int(re.search(r'data-idle-seconds="(\d+)"', body).group(1))  # type: ignore[union-attr]
    assert 875 <= left <= 881  # the page counts down what the server allows, not a fresh 15 minutes
    assert 'data-warning-seconds="60"' in body and 'id="idle-warning"' in body


def test_session_list_shows_own_sessions_only(world_a: OrgWorld) -> None:
    first, second, other = Client(), Client(), Client()
    sign_in(first, world_a.provider)
    sign_in(second, world_a.provider)
    sign_in(other, world_a.supervisor)
    page = first.get("/account/sessions/")
    assert page.status_code == 200
    assert len(page.context["rows"]) == 2


def test_end_one_session(world_a: OrgWorld) -> None:
    first, second = Client(), Client()
    sign_in(first, world_a.provider)
    sign_in(second, world_a.provider)
    rows = list(StaffSession.objects.filter(staff_id=world_a.provider.id).order_by("-last_seen_at"))
    index = next(i for i, row in enumerate(rows) if row.session_key == second.session.session_key)
    assert first.post(f"/account/sessions/{index}/end/").status_code == 302
    assert second.get("/people/").status_code == 302
    assert first.get("/people/").status_code == 200


def test_end_session_out_of_range_is_404(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    assert client.post("/account/sessions/99/end/").status_code == 404


def test_sign_out_everywhere(world_a: OrgWorld) -> None:
    first, second = Client(), Client()
    sign_in(first, world_a.provider)
    sign_in(second, world_a.provider)
    assert first.post("/account/sessions/end-all/").status_code == 302
    assert first.get("/people/").status_code == 302
    assert second.get("/people/").status_code == 302
    assert not StaffSession.objects.filter(staff_id=world_a.provider.id).exists()


def test_deactivation_ends_all_sessions_at_once(world_a: OrgWorld) -> None:
    target, admin = Client(), Client()
    sign_in(target, world_a.provider)
    sign_in(admin, world_a.org_admin)
    response = admin.post(f"/staff/{world_a.provider.id}/deactivate/")
    assert response.status_code == 302
    assert target.get("/people/").status_code == 302
    world_a.provider.refresh_from_db()
    assert not world_a.provider.is_active


def test_role_change_applies_on_the_next_request(world_a: OrgWorld) -> None:
    target, admin = Client(), Client()
    sign_in(target, world_a.provider)
    sign_in(admin, world_a.org_admin)
    assert target.get("/people/").status_code == 200
    admin.post(f"/staff/{world_a.provider.id}/", {"roles": ["front_desk"]})
    assert target.get("/people/").status_code == 404


def test_step_up_required_after_five_minutes(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    _age_session(client, wp_step_up_at=time.time() - 301)
    response = client.post(f"/staff/{world_a.provider.id}/deactivate/", {"return_to": f"/staff/{world_a.provider.id}/"})
    assert response.status_code == 302 and response["Location"].startswith("/confirm/?next=")
    world_a.provider.refresh_from_db()
    assert world_a.provider.is_active
    staff = world_a.org_admin
    bad = client.post("/confirm/", {"password": "wrong password entirely", "code": "000000"})
    assert bad.status_code == 200
    ok = client.post(
        "/confirm/",
        {
            "password": "correct horse battery staple 42",
            "code": auth.totp_code(staff.totp_secret),
            "next": f"/staff/{world_a.provider.id}/",
        },
    )
    assert ok["Location"] == f"/staff/{world_a.provider.id}/"
    assert client.post(f"/staff/{world_a.provider.id}/deactivate/").status_code == 302
    world_a.provider.refresh_from_db()
    assert not world_a.provider.is_active


def test_renew_recovery_codes_needs_step_up(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    _age_session(client, wp_step_up_at=0)
    assert client.post("/account/recovery-codes/", {"return_to": "/account/"}).status_code == 302
    assert not RecoveryCode.objects.exists()
    _age_session(client, wp_step_up_at=time.time())
    page = client.post("/account/recovery-codes/")
    assert page.status_code == 200 and len(page.context["codes"]) == 10


def test_language_choice_is_kept(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.provider)
    response = client.post("/language/", {"language": "es", "next": "/people/"})
    assert response["Location"] == "/people/"
    assert 'lang="es"' in client.get("/people/").content.decode()
    world_a.provider.refresh_from_db()
    assert world_a.provider.preferred_language == "es"


def test_language_switch_refuses_offsite_next_and_bad_language(client: Client, world_a: OrgWorld) -> None:
    response = client.post("/language/", {"language": "xx", "next": "//evil.example"})
    assert response["Location"] == "/"
    assert 'lang="en"' in client.get("/login/").content.decode()

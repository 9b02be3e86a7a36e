"""Sign-in: password then TOTP, forced enrolment, lockout, identical failures, recovery codes."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, OrgWorld, make_staff
from waypoint.core.models import AuditEvent
from waypoint.orgs import auth
from waypoint.orgs.models import LoginThrottle, RecoveryCode, Role, Staff


def password_step(client: Client, username: str, password: str = PASSWORD, next_url: str = "") -> Any:
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def full_login(client: Client, staff: Staff, next_url: str = "") -> Any:
    response = password_step(client, staff.username, next_url=next_url)
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    return client.post("/login/code/", {"code": auth.totp_code(staff.totp_secret)})


def test_login_with_password_and_code(client: Client, world_a: OrgWorld) -> None:
    response = full_login(client, world_a.provider)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/people/").status_code == 200
    assert AuditEvent.objects.filter(event="auth.login", actor_id=world_a.provider.id).count() == 1


def test_session_id_changes_at_each_step(client: Client, world_a: OrgWorld) -> None:
    client.get("/login/")
    password_step(client, world_a.provider.username)
    preauth_key = client.session.session_key
    client.post("/login/code/", {"code": auth.totp_code(world_a.provider.totp_secret)})
    assert client.session.session_key != preauth_key


def test_password_alone_reaches_no_page(client: Client, world_a: OrgWorld) -> None:
    password_step(client, world_a.provider.username)
    for path in ["/", "/people/", "/account/", f"/people/{world_a.person.id}/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path


def test_code_is_single_use(client: Client, world_a: OrgWorld) -> None:
    staff = world_a.provider
    code = auth.totp_code(staff.totp_secret)
    password_step(client, staff.username)
    assert client.post("/login/code/", {"code": code}).status_code == 302
    other = Client()
    password_step(other, staff.username)
    response = other.post("/login/code/", {"code": code})
    assert response.status_code == 200 and b"did not work" in response.content


def test_wrong_code_is_refused_and_counted(client: Client, world_a: OrgWorld) -> None:
    password_step(client, world_a.provider.username)
    response = client.post("/login/code/", {"code": "000000"})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(event="auth.mfa_failed").count() == 1
    assert client.get("/people/").status_code == 302


def test_unknown_user_and_wrong_password_get_identical_answers(world_a: OrgWorld) -> None:
    first = password_step(Client(), "nobody.here", "whatever password at all")
    second = password_step(Client(), world_a.provider.username, "wrong password entirely")
    assert first.status_code == second.status_code == 200

    def normalise(body: bytes) -> bytes:
        # The echoed sign-in name, CSRF token and CSP nonce differ by design; nothing else may.
        return re.sub(rb'value="[^"]*"|nonce="[^"]+"', b"", body)

    assert normalise(first.content) == normalise(second.content)


def test_lockout_after_ten_failures_then_doubling(world_a: OrgWorld) -> None:
    staff = world_a.provider
    for _ in range(10):
        password_step(Client(), staff.username, "wrong password entirely")
    throttle = auth.throttle_for(staff.username)
    assert throttle.is_locked()
    remaining = throttle.locked_until - timezone.now()  # type: ignore[operator]
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
    # The right password is refused while locked, with the same message.
    response = password_step(Client(), staff.username)
    assert response.status_code == 200 and b"did not work" in response.content
    assert AuditEvent.objects.filter(event="auth.lockout").count() == 1
    # After the lock expires, ten more failures lock for 30 minutes.
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))  # the name's and this client's
    for _ in range(10):
        password_step(Client(), staff.username, "wrong password entirely")
    throttle.refresh_from_db()
    remaining = throttle.locked_until - timezone.now()  # type: ignore[operator]
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_lockout_never_exceeds_a_day(world_a: OrgWorld) -> None:
    throttle = auth.throttle_for(world_a.provider.username)
    throttle.lockouts = 30
    throttle.failures = 9
    throttle.save()
    assert throttle.register_failure()
    assert throttle.locked_until - timezone.now() <= timedelta(days=1)  # type: ignore[operator]


def test_unknown_names_are_throttled_too(db: Any) -> None:
    for _ in range(10):
        password_step(Client(), "ghost.user", "wrong password entirely")
    assert auth.throttle_for("ghost.user").is_locked()


def test_success_resets_the_failure_count(client: Client, world_a: OrgWorld) -> None:
    for _ in range(5):
        password_step(Client(), world_a.provider.username, "wrong password entirely")
    full_login(client, world_a.provider)
    assert not LoginThrottle.objects.filter(failures__gt=0).exists()
    name = LoginThrottle.objects.get(key=LoginThrottle.key_for(world_a.provider.username))
    assert (name.failures, name.lockouts, name.locked_until) == (0, 0, None)  # reset, kept for racing failures


def test_first_login_forces_authenticator_setup(client: Client, world_a: OrgWorld) -> None:
    staff = make_staff(world_a.org, "new.person", Role.PROVIDER, totp_confirmed_at=None, totp_secret="")
    response = password_step(client, staff.username)
    assert response["Location"] == "/login/setup/"
    page = client.get("/login/setup/")
    assert page.status_code == 200 and b"<svg" in page.content
    staff.refresh_from_db()
    assert client.get("/people/").status_code == 302
    bad = client.post("/login/setup/", {"code": "123456"})
    assert bad.status_code == 200 and b"did not work" in bad.content
    done = client.post("/login/setup/", {"code": auth.totp_code(staff.totp_secret)})
    assert done.status_code == 200 and b"recovery codes" in done.content.lower()
    staff.refresh_from_db()
    assert staff.mfa_enrolled
    assert RecoveryCode.objects.filter(staff=staff).count() == 10
    assert client.get("/people/").status_code == 200


def test_recovery_codes_are_hashed_and_single_use(world_a: OrgWorld) -> None:
    staff = world_a.provider
    codes = RecoveryCode.issue(staff)
    stored = list(RecoveryCode.objects.filter(staff=staff).values_list("code_hash", flat=True))
    assert not any(RecoveryCode.normalise(c) in stored for c in codes)
    client = Client()
    password_step(client, staff.username)
    assert client.post("/login/code/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    password_step(again, staff.username)
    assert again.post("/login/code/", {"code": codes[0]}).status_code == 200
    assert AuditEvent.objects.filter(event="auth.recovery_code_used").count() == 1


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_next_never_leaves_the_site(client: Client, world_a: OrgWorld, target: str) -> None:
    response = full_login(client, world_a.provider, next_url=target)
    assert response["Location"] == "/"


def test_next_inside_the_site_is_kept(client: Client, world_a: OrgWorld) -> None:
    response = full_login(client, world_a.provider, next_url="/people/")
    assert response["Location"] == "/people/"


def test_preauth_expires_after_five_minutes(client: Client, world_a: OrgWorld) -> None:
    password_step(client, world_a.provider.username)
    session = client.session
    session["wp_preauth"]["at"] = time.time() - 301
    session.save()
    response = client.post("/login/code/", {"code": auth.totp_code(world_a.provider.totp_secret)})
    assert response["Location"] == "/login/"


def test_deactivated_staff_cannot_sign_in(client: Client, world_a: OrgWorld) -> None:
    Staff.objects.filter(pk=world_a.provider.pk).update(is_active=False)
    response = password_step(client, world_a.provider.username)
    assert response.status_code == 200 and b"did not work" in response.content


def test_logout_ends_the_session(client: Client, world_a: OrgWorld) -> None:
    full_login(client, world_a.provider)
    assert client.post("/logout/").status_code == 302
    assert client.get("/people/").status_code == 302


def test_login_page_while_signed_in_goes_home(client: Client, world_a: OrgWorld) -> None:
    full_login(client, world_a.provider)
    assert client.get("/login/")["Location"] == "/"


# --- Resuming a page locked at the idle limit -------------------------------------------------------


def resume(client: Client, who: Staff, **overrides: Any) -> Any:
    data = {
        "username": who.username,
        "password": PASSWORD,
        "code": auth.totp_code(who.totp_secret),
        "staff": str(who.id),
        **overrides,
    }
    return client.post("/login/resume/", data)


def test_resume_signs_the_same_person_in_and_returns_a_fresh_token(client: Client, world_a: OrgWorld) -> None:
    response = resume(client, world_a.provider)
    answer = response.json()
    assert response.status_code == 200 and answer["ok"] is True and len(answer["csrf"]) == 64
    assert client.get("/people/").status_code == 200
    assert AuditEvent.objects.filter(event="auth.login", actor_id=world_a.provider.id).count() == 1


@pytest.mark.parametrize(
    "overrides, event",
    [
        ({"password": "wrong password entirely here"}, "auth.login_failed"),
        ({"code": "000000"}, "auth.mfa_failed"),
        ({"code": ""}, None),
        ({"staff": "not-a-uuid"}, None),
    ],
    ids=["wrong-password", "wrong-code", "no-code", "bad-staff-id"],
)
def test_resume_refuses_bad_credentials(client: Client, world_a: OrgWorld, overrides: dict, event: str | None) -> None:
    response = resume(client, world_a.provider, **overrides)
    assert response.status_code == 400 and response.json()["ok"] is False and response.json()["error"]
    assert client.get("/people/").status_code == 302
    if event:
        assert AuditEvent.objects.filter(event=event).count() == 1


def test_resume_refuses_someone_else_unlocking_the_page(client: Client, world_a: OrgWorld) -> None:
    """The supervisor's own valid password and code do not unlock a page built for the provider."""
    response = resume(client, world_a.supervisor, staff=str(world_a.provider.id))
    assert response.status_code == 400 and response.json()["ok"] is False
    assert client.get("/people/").status_code == 302
    assert AuditEvent.objects.filter(event="auth.login").count() == 0


def test_resume_is_throttled_like_the_login(client: Client, world_a: OrgWorld) -> None:
    for _ in range(10):
        resume(client, world_a.provider, password="wrong password entirely here")
    response = resume(client, world_a.provider)
    assert response.status_code == 400 and client.get("/people/").status_code == 302

"""Org admins invite staff (single-use link, 24 hours), change roles, deactivate; org settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Invitation, Organisation, Staff

GOOD_PASSWORD = "lantern orchard velvet ribbon"


def invite(client: Client, **overrides: Any) -> Any:
    data = {"username": "new.worker", "display_name": "New Worker", "email": "", "roles": ["provider"]}
    data.update(overrides)
    return client.post("/staff/invite/", data)


def link_token(response: Any) -> str:
    link = str(response.context["link"])
    assert "/activate/#" in link  # the token is in the fragment, never in a path a server logs
    return link.rsplit("#", 1)[-1]


def open_link(client: Client, token: str) -> Any:
    """What the activation page's script does: post the code from the link's fragment."""
    return client.post("/activate/", {"token": token})


def set_password(client: Client, token: str, password: str, again: str | None = None) -> Any:
    assert open_link(client, token)["Location"] == "/activate/"
    data = {"password1": password, "password2": password if again is None else again}
    return client.post("/activate/", data)


def test_invite_shows_link_once_and_activation_works(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    response = invite(client, email="worker@example.org")
    assert response.status_code == 200
    token = link_token(response)
    assert len(mail.outbox) == 1 and token in mail.outbox[0].body
    assert not Invitation.objects.filter(token_hash=token).exists()  # only the hash is stored
    staff = Staff.objects.get(username="new.worker")
    assert staff.org == world_a.org and staff.is_provider and not staff.has_usable_password()
    anon = Client()
    assert anon.get("/activate/").status_code == 200
    assert open_link(anon, token).status_code == 302
    assert b'name="password1"' in anon.get("/activate/").content
    done = set_password(anon, token, GOOD_PASSWORD)
    assert done["Location"] == "/login/"
    staff.refresh_from_db()
    assert staff.check_password(GOOD_PASSWORD)
    assert open_link(anon, token).status_code == 404  # single use
    login = anon.post("/login/", {"username": "new.worker", "password": GOOD_PASSWORD})
    assert login["Location"] == "/login/setup/"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pass", b"at least 15"),
        ("1q2w3e4r5t6y7u8i9o0p", b"too common"),
        ("passwordpassword", b"repeats itself"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", b"repeats itself"),
        ("new.worker12345", b"too similar"),
    ],
)
def test_activation_refuses_weak_passwords_with_a_reason(
    client: Client, world_a: OrgWorld, password: str, message: bytes
) -> None:
    sign_in(client, world_a.org_admin)
    token = link_token(invite(client))
    response = set_password(Client(), token, password)
    assert response.status_code == 200 and message in response.content


def test_activation_accepts_a_long_password(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    token = link_token(invite(client))
    long_password = " ".join(f"word{n}" for n in range(120))  # 809 characters
    assert len(long_password) >= 700
    response = set_password(Client(), token, long_password)
    assert response.status_code == 302


def test_activation_link_expires_after_24_hours(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    token = link_token(invite(client))
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert open_link(Client(), token).status_code == 404


def test_new_invitation_invalidates_the_old_link(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    old = link_token(invite(client))
    staff = Staff.objects.get(username="new.worker")
    new = link_token(client.post(f"/staff/{staff.id}/reinvite/"))
    assert open_link(Client(), old).status_code == 404
    assert open_link(Client(), new).status_code == 302


def test_invite_validation(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    assert b"Choose at least one role" in invite(client, roles=[]).content
    assert b"taken" in invite(client, username=world_a.provider.username).content
    assert b"letters, digits" in invite(client, username="bad name!").content
    assert Staff.objects.filter(username="new.worker").count() == 0


def test_roles_form_refuses_own_roles(client: Client, world_a: OrgWorld) -> None:
    """An admin cannot drop their own admin role either (which also keeps the last admin)."""
    sign_in(client, world_a.org_admin)
    response = client.post(f"/staff/{world_a.org_admin.id}/", {"roles": ["auditor"]})
    assert response.status_code == 200 and b"cannot change your own roles" in response.content
    world_a.org_admin.refresh_from_db()
    assert world_a.org_admin.is_org_admin


def test_admin_cannot_deactivate_self(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    client.post(f"/staff/{world_a.org_admin.id}/deactivate/")
    world_a.org_admin.refresh_from_db()
    assert world_a.org_admin.is_active


def test_reactivate(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    Staff.objects.filter(pk=world_a.provider.pk).update(is_active=False)
    client.post(f"/staff/{world_a.provider.id}/reactivate/")
    world_a.provider.refresh_from_db()
    assert world_a.provider.is_active
    assert AuditEvent.objects.filter(event="staff.reactivated").count() == 1


def test_org_settings_exit_url_must_be_https(client: Client, world_a: OrgWorld) -> None:
    """The quick-exit page is on the discretion settings page (issue 13 split the settings)."""
    sign_in(client, world_a.org_admin)
    rest = {"tab_title": "", "phone_emergency_steps": ""}
    bad = client.post("/settings/discretion/", {"exit_url": "http://weather.example/", **rest})
    assert bad.status_code == 200 and b"https://" in bad.content
    good = client.post("/settings/discretion/", {"exit_url": "https://weather.example/", **rest})
    assert good.status_code == 302
    world_a.org.refresh_from_db()
    assert world_a.org.exit_url == "https://weather.example/"


def test_add_site(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    assert client.post("/settings/sites/", {"site-name": "North Clinic"}).status_code == 302
    assert world_a.org.sites.filter(name="North Clinic").exists()
    assert client.post("/settings/sites/", {"site-name": ""}).status_code == 200


def test_create_org_command_prints_activation_link(db: Any, capsys: Any) -> None:
    call_command(
        "create_org", "--name", "New Org", "--admin", "Boss", "--admin-name", "Boss", "--base-url", "https://w.example"
    )
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://w.example/activate/#") and len(link.rsplit("#", 1)[-1]) >= 40
    org = Organisation.objects.get(name="New Org")
    admin = Staff.objects.get(username="boss")
    assert admin.org == org and admin.is_org_admin and not admin.has_usable_password()


def test_seed_demo_refused_in_production(db: Any) -> None:
    from django.core.management.base import CommandError
    from django.test import override_settings

    with override_settings(PRODUCTION=True), pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Staff.objects.exists()


def test_seed_demo_is_idempotent(db: Any) -> None:
    call_command("seed_demo")
    count = Staff.objects.count()
    call_command("seed_demo")
    assert Staff.objects.count() == count == 10
    assert Organisation.objects.count() == 2


def test_org_settings_release_maximum_and_minor_rule(client: Client, world_a: OrgWorld) -> None:
    """The release maximum and the minor rule are on the jurisdiction settings page (issue 13)."""
    sign_in(client, world_a.org_admin)
    base = {"minor_age": "18", "minor_may_consent_alone": "False", "minor_release_consent": "both"}
    for bad in ("0", "366", "ninety", ""):
        response = client.post("/settings/jurisdiction/", {**base, "release_max_days": bad})
        assert response.status_code == 200, bad
    world_a.org.refresh_from_db()
    assert world_a.org.release_max_days == 90 and world_a.org.minor_release_consent == "guardian"
    assert client.post("/settings/jurisdiction/", {**base, "release_max_days": "30"}).status_code == 302
    world_a.org.refresh_from_db()
    assert world_a.org.release_max_days == 30 and world_a.org.minor_release_consent == "both"

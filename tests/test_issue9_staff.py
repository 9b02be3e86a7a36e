"""Issue 9, staff administration: nobody changes their own roles; granting a role that opens records,
inviting someone with one, and reactivating an account need a recent step-up and are audited; an
admin unlocks a paused sign-in; activation codes never travel in a URL path."""

from __future__ import annotations

import time
import unittest
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, OrgWorld, make_staff, sign_in
from waypoint.core.models import AuditEvent
from waypoint.orgs import actions, auth
from waypoint.orgs.models import Invitation, LoginThrottle, Role, Staff
from waypoint.people.access import READERS

GOOD_PASSWORD = "lantern orchard velvet ribbon"


def stale_step_up(client: Client) -> Client:
    """Signed in, but the last password-and-code confirmation is ten minutes old."""
    session = client.session
    session["wp_step_up_at"] = time.time() - 600
    session.save()
    return client


def second_admin(world: OrgWorld) -> Staff:
    return make_staff(world.org, "admin2.a", Role.ORG_ADMIN)


# --- Own roles ---------------------------------------------------------------------------------


def test_an_admin_cannot_give_themselves_a_clinical_role(client: Client, world_a: OrgWorld) -> None:
    admin = world_a.org_admin
    with pytest.raises(actions.Refused):
        actions.change_roles(admin, admin, ["org_admin", "provider"])
    sign_in(client, admin)
    response = client.post(f"/staff/{admin.id}/", {"roles": ["org_admin", "provider"]})
    assert response.status_code == 200 and b"cannot change your own roles" in response.content
    admin.refresh_from_db()
    assert not admin.is_provider
    assert not AuditEvent.objects.filter(event__startswith="staff.").exists()


def test_own_staff_page_offers_no_roles_form(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    own = client.get(f"/staff/{world_a.org_admin.id}/")
    assert own.status_code == 200
    assert b'name="roles"' not in own.content and b"Another admin of your organisation" in own.content
    other = client.get(f"/staff/{world_a.provider.id}/")
    assert b'name="roles"' in other.content


def test_clinical_roles_are_the_roles_that_read_records() -> None:
    assert set(READERS) == set(actions.CLINICAL_ROLES)


# --- Step-up before granting a clinical role or reactivating -----------------------------------


def test_granting_a_clinical_role_needs_a_recent_step_up(client: Client, world_a: OrgWorld) -> None:
    other = second_admin(world_a)
    stale_step_up(sign_in(client, other))
    url = f"/staff/{world_a.org_admin.id}/"
    response = client.post(url, {"roles": ["org_admin", "provider"]})
    assert response.status_code == 302 and response["Location"].startswith("/confirm/?next=")
    assert "%2Fstaff%2F" in response["Location"]  # back to this page after confirming
    world_a.org_admin.refresh_from_db()
    assert not world_a.org_admin.is_provider  # nothing changed
    assert not AuditEvent.objects.filter(event="staff.roles_changed").exists()

    step_up = client.post("/confirm/", {"password": PASSWORD, "code": auth.totp_code(other.totp_secret), "next": url})
    assert step_up["Location"] == url
    done = client.post(url, {"roles": ["org_admin", "provider"]})
    assert done.status_code == 302
    world_a.org_admin.refresh_from_db()
    assert world_a.org_admin.is_provider
    row = AuditEvent.objects.get(event="staff.clinical_role_granted")
    assert row.actor_id == other.id and row.object_id == world_a.org_admin.id
    assert AuditEvent.objects.filter(event="staff.roles_changed").count() == 1


def test_granting_a_non_clinical_role_writes_no_clinical_row(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    client.post(f"/staff/{world_a.provider.id}/", {"roles": ["provider", "auditor"]})  # provider already held
    assert AuditEvent.objects.filter(event="staff.roles_changed").count() == 1
    assert not AuditEvent.objects.filter(event="staff.clinical_role_granted").exists()


def test_inviting_with_a_clinical_role_needs_a_recent_step_up(client: Client, world_a: OrgWorld) -> None:
    stale_step_up(sign_in(client, world_a.org_admin))
    data = {"username": "new.worker", "display_name": "New Worker", "email": "", "roles": ["supervisor"]}
    response = client.post("/staff/invite/", data)
    assert response.status_code == 302 and response["Location"].startswith("/confirm/")
    assert not Staff.objects.filter(username="new.worker").exists()
    sign_in(client, world_a.org_admin)  # a fresh step-up
    assert client.post("/staff/invite/", data).status_code == 200
    staff = Staff.objects.get(username="new.worker")
    assert AuditEvent.objects.filter(event="staff.clinical_role_granted", object_id=staff.id).count() == 1


def test_reactivating_needs_a_recent_step_up(client: Client, world_a: OrgWorld) -> None:
    Staff.objects.filter(pk=world_a.provider.pk).update(is_active=False)
    stale_step_up(sign_in(client, world_a.org_admin))
    response = client.post(f"/staff/{world_a.provider.id}/reactivate/", {"return_to": f"/staff/{world_a.provider.id}/"})
    assert response.status_code == 302 and response["Location"].startswith("/confirm/?next=")
    world_a.provider.refresh_from_db()
    assert not world_a.provider.is_active
    assert not AuditEvent.objects.filter(event="staff.reactivated").exists()


def test_reactivating_an_active_account_changes_nothing(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    response = client.post(f"/staff/{world_a.provider.id}/reactivate/")
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(event="staff.reactivated").exists()
    stale = Staff.objects.get(pk=world_a.provider.pk)
    Staff.objects.filter(pk=stale.pk).update(is_active=False)
    actions.reactivate_staff(world_a.org_admin, stale)
    with pytest.raises(actions.Refused):  # a second admin with the same old page: re-checked under lock
        actions.reactivate_staff(world_a.org_admin, stale)
    assert AuditEvent.objects.filter(event="staff.reactivated").count() == 1


# --- Admin unlock --------------------------------------------------------------------------------


def fail_ten_times(username: str, address: str) -> None:
    for _ in range(10):
        Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": "wrong password entirely"})


def test_admin_unlocks_a_paused_sign_in(client: Client, world_a: OrgWorld) -> None:
    fail_ten_times(world_a.provider.username, "203.0.113.9")
    assert auth.throttle_for(world_a.provider.username).is_locked()
    sign_in(client, world_a.org_admin)
    page = client.get(f"/staff/{world_a.provider.id}/")
    assert b"Unlock sign-in" in page.content and f"/staff/{world_a.provider.id}/unlock/".encode() in page.content
    assert b"Unlock sign-in" not in client.get(f"/staff/{world_a.supervisor.id}/").content
    response = client.post(f"/staff/{world_a.provider.id}/unlock/")
    assert response.status_code == 302
    assert not any(row.is_locked() for row in LoginThrottle.objects.all())
    row = AuditEvent.objects.get(event="staff.unlocked")
    assert row.actor_id == world_a.org_admin.id and row.object_id == world_a.provider.id
    # The provider signs in again from anywhere, the attacker's address included.
    answer = Client(REMOTE_ADDR="203.0.113.9").post(
        "/login/", {"username": world_a.provider.username, "password": PASSWORD}
    )
    assert answer["Location"] == "/login/code/"


def test_an_unlock_does_not_restart_an_attackers_backoff(client: Client, world_a: OrgWorld) -> None:
    """The attacker's client keeps how often it was locked: after an unlock, its next ten failures
    lock it for longer than the first lock did, while the owner's own client starts from zero."""
    username = world_a.provider.username
    attacker = LoginThrottle.client_key_for(username, "203.0.113.9")
    for _ in range(3):
        fail_ten_times(username, "203.0.113.9")
        LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    fail_ten_times(username, "203.0.113.9")
    lockouts = LoginThrottle.objects.get(key=attacker).lockouts
    assert lockouts >= 4
    sign_in(client, world_a.org_admin)
    assert client.post(f"/staff/{world_a.provider.id}/unlock/").status_code == 302
    row = LoginThrottle.objects.get(key=attacker)
    assert not row.is_locked() and row.lockouts == lockouts
    fail_ten_times(username, "203.0.113.9")
    row.refresh_from_db()
    assert row.locked_until - timezone.now() > timedelta(minutes=60)  # type: ignore[operator]


def test_unlock_is_a_post_for_admins_of_the_same_organisation(world_a: OrgWorld, world_b: OrgWorld) -> None:
    fail_ten_times(world_b.provider.username, "203.0.113.9")
    admin = sign_in(Client(), world_a.org_admin)
    assert admin.post(f"/staff/{world_b.provider.id}/unlock/").status_code == 404
    assert admin.get(f"/staff/{world_a.provider.id}/unlock/").status_code == 405
    provider = sign_in(Client(), world_a.provider)
    assert provider.post(f"/staff/{world_a.provider.id}/unlock/").status_code == 404
    assert auth.throttle_for(world_b.provider.username).is_locked()
    assert not AuditEvent.objects.filter(event="staff.unlocked").exists()


def test_unlock_needs_the_csrf_token(world_a: OrgWorld) -> None:
    fail_ten_times(world_a.provider.username, "203.0.113.9")
    admin = sign_in(Client(enforce_csrf_checks=True), world_a.org_admin)
    assert admin.post(f"/staff/{world_a.provider.id}/unlock/").status_code == 403
    assert auth.throttle_for(world_a.provider.username).is_locked()


# --- Activation codes out of URL paths ----------------------------------------------------------


def invite(client: Client, **overrides: Any) -> Any:
    data = {"username": "new.worker", "display_name": "New Worker", "email": "w@example.org", "roles": ["auditor"]}
    return client.post("/staff/invite/", {**data, **overrides})


def test_activation_link_keeps_the_token_in_the_fragment(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    response = invite(client)
    link = str(response.context["link"])
    path, token = link.split("#", 1)
    assert path.endswith("/activate/") and len(token) >= 40
    assert token not in path
    assert link in mail.outbox[0].body and f"/activate/{token}" not in mail.outbox[0].body
    # A link of the older kind still works for its day, sent on to the fragment form (a redirect,
    # so the application log does not record the path as a missing page).
    with unittest.TestCase().assertNoLogs("django.request", level="WARNING"):
        old = Client().get(f"/activate/{token}/")
    assert old.status_code == 302 and old["Location"] == f"/activate/#{token}"


def test_a_checked_code_keeps_the_browser_on_its_password_form_for_fifteen_minutes_only(
    client: Client, world_a: OrgWorld
) -> None:
    """On a shared computer, the next person must not find someone else's password form hours later."""
    sign_in(client, world_a.org_admin)
    token = str(invite(client).context["link"]).split("#", 1)[1]
    anon = Client()
    anon.post("/activate/", {"token": token})
    form = anon.get("/activate/")
    assert b'name="password1"' in form.content
    assert b'id="activation-code-form"' in form.content  # a newer link opened here replaces this one
    session = anon.session
    session["wp_activation"] = {**session["wp_activation"], "at": time.time() - 16 * 60}
    session.save()
    later = anon.get("/activate/")
    assert b'name="password1"' not in later.content and b'name="token"' in later.content


def test_activation_page_takes_the_code_by_post_only(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    token = str(invite(client).context["link"]).split("#", 1)[1]
    anon = Client()
    page = anon.get("/activate/")
    assert page.status_code == 200 and b'name="token"' in page.content
    assert b"/static/activate" in page.content  # our own script, from our origin, with the page's nonce
    assert b"/static/activate" not in anon.get("/login/").content  # on this page only
    step = anon.post("/activate/", {"token": f"  {link_of(token)}  "})  # a pasted whole link works too
    assert step.status_code == 302 and step["Location"] == "/activate/"
    form = anon.get("/activate/")  # the password step, by GET: language changes and reloads keep it
    assert b'name="password1"' in form.content and token.encode() not in form.content
    assert Client().post("/activate/", {"token": "not-a-real-code"}).status_code == 404
    assert Client().post("/activate/", {"token": ""}).status_code == 200  # asked again, with a message
    assert Client().post("/activate/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}).status_code == 404
    done = anon.post("/activate/", {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert done["Location"] == "/login/"
    assert Invitation.objects.filter(used_at__isnull=False).count() == 1
    assert anon.post("/activate/", {"token": token}).status_code == 404  # used up
    assert b'name="token"' in anon.get("/activate/").content  # and the session no longer holds it


def link_of(token: str) -> str:
    return f"https://waypoint.example/activate/#{token}"


def test_the_session_holds_the_invitation_never_the_code(client: Client, world_a: OrgWorld) -> None:
    sign_in(client, world_a.org_admin)
    token = str(invite(client).context["link"]).split("#", 1)[1]
    anon = Client()
    anon.post("/activate/", {"token": token})
    response = anon.post("/activate/", {"password1": GOOD_PASSWORD, "password2": "other"})
    assert response.status_code == 200 and b"different" in response.content
    assert token.encode() not in response.content
    assert token not in repr(dict(anon.session.items()))

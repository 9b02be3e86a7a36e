"""Issue 9, sign-in: lockouts decay and are per name and client (a stranger cannot keep the owner
out); a locked user with the right password is told how to get in; Unicode digit forms in every code
field never give a 500; guessable long passwords are refused; recovery codes are long and stored as
salted slow hashes; on PostgreSQL, concurrent failures all count and a TOTP code is accepted once."""

from __future__ import annotations

import importlib
import re
import threading
import unicodedata
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.hashers import identify_hasher
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PASSWORD, OrgWorld, make_staff, sign_in
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.orgs import actions, auth
from waypoint.orgs.forms import normalise_code
from waypoint.orgs.models import LoginThrottle, RecoveryCode, Role, Staff, hash_token

WRONG = "wrong password entirely"
OWNER_IP, STRANGER_IP, NEW_IP = "198.51.100.7", "203.0.113.9", "192.0.2.44"


def password_step(address: str, username: str, password: str = PASSWORD, client: Client | None = None) -> Any:
    client = client or Client(REMOTE_ADDR=address)
    return client.post("/login/", {"username": username, "password": password})


def full_login(address: str, staff: Staff) -> Client:
    client = Client(REMOTE_ADDR=address)
    assert password_step(address, staff.username, client=client)["Location"] == "/login/code/"
    assert client.post("/login/code/", {"code": auth.totp_code(staff.totp_secret)}).status_code == 302
    return client


def fail(address: str, username: str, times: int = 10) -> None:
    for _ in range(times):
        password_step(address, username, WRONG)


# --- Item 6: lockouts decay, are per name and client, and tell the owner how to get in -----------


def test_a_lock_that_ended_over_a_day_ago_no_longer_doubles(world_a: OrgWorld) -> None:
    throttle = auth.throttle_for(world_a.provider.username)
    LoginThrottle.objects.filter(pk=throttle.pk).update(lockouts=6, locked_until=timezone.now() - timedelta(days=2))
    throttle.refresh_from_db()
    for _ in range(10):
        started = throttle.register_failure()
    assert started
    assert throttle.locked_until - timezone.now() <= timedelta(minutes=15)  # type: ignore[operator]


def test_failures_older_than_the_window_are_forgotten(world_a: OrgWorld) -> None:
    fail(STRANGER_IP, world_a.provider.username, 9)
    LoginThrottle.objects.update(updated_at=timezone.now() - timedelta(hours=2))
    fail(STRANGER_IP, world_a.provider.username, 1)
    assert not any(row.is_locked() for row in LoginThrottle.objects.all())


def test_a_stranger_cannot_keep_the_owner_out_on_their_usual_device(world_a: OrgWorld) -> None:
    staff = world_a.provider
    full_login(OWNER_IP, staff)
    for _ in range(5):  # five rounds of ten failures, each after the last lock ran out
        fail(STRANGER_IP, staff.username)
        LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    fail(STRANGER_IP, staff.username)
    assert auth.throttle_for(staff.username).is_locked()
    assert AuditEvent.objects.filter(event="auth.lockout").count() >= 6
    assert password_step(OWNER_IP, staff.username)["Location"] == "/login/code/"
    # The stranger's own client is locked hard and gets nothing checked, even the right password.
    refused = password_step(STRANGER_IP, staff.username)
    assert refused.status_code == 200 and b"did not work" in refused.content


def test_the_name_lock_strangers_cause_stays_short_and_their_client_lock_grows(world_a: OrgWorld) -> None:
    username = world_a.provider.username
    for _ in range(8):
        fail(STRANGER_IP, username)
        LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    fail(STRANGER_IP, username)
    name = auth.throttle_for(username)
    client = LoginThrottle.objects.get(key=LoginThrottle.client_key_for(username, STRANGER_IP))
    assert name.locked_until - timezone.now() <= timedelta(hours=1)  # type: ignore[operator]
    assert client.locked_until - timezone.now() > timedelta(hours=23)  # type: ignore[operator]


def test_while_paused_a_new_client_cannot_tell_the_right_password_and_learns_how_to_get_in(
    world_a: OrgWorld,
) -> None:
    """During a pause, many addresses must not be able to keep guessing: a client the name never
    signed in from has nothing checked, so the right password gets the wrong password's answer,
    which says the admin can unlock (and nothing is counted or signed in)."""
    staff = world_a.provider
    fail(STRANGER_IP, staff.username)
    right = password_step(NEW_IP, staff.username)
    wrong = password_step(NEW_IP, staff.username, "another wrong password here")
    assert right.status_code == wrong.status_code == 200
    assert b"admin can unlock" in right.content.replace(b"&#x27;", b"'")
    body = lambda r: re.sub(rb'value="[^"]*"|nonce="[^"]+"', b"", r.content)  # noqa: E731
    assert body(right) == body(wrong)
    assert Client(REMOTE_ADDR=NEW_IP).get("/login/code/")["Location"] == "/login/"  # not signed in
    new_client = LoginThrottle.objects.get(key=LoginThrottle.client_key_for(staff.username, NEW_IP))
    assert new_client.failures == 0  # refused unchecked, not counted


def test_many_addresses_during_one_pause_get_no_password_checked(world_a: OrgWorld) -> None:
    """The probe that found it: thirty new addresses, ten guesses each, the right one among them."""
    staff = world_a.provider
    fail(STRANGER_IP, staff.username)
    for n in range(30):
        address = f"192.0.2.{100 + n}"
        fail(address, staff.username, 9)
        assert password_step(address, staff.username).status_code == 200  # never on to the code step
    assert auth.throttle_for(staff.username).lockouts == 1  # the pause was not stretched either


def test_a_failure_recorded_while_the_owner_signs_in_still_counts(world_a: OrgWorld) -> None:
    """The owner's sign-in resets the name's count while a failing attempt is between its read of
    the counts and its write: the failure and its audit row are still recorded (no 500)."""
    staff = world_a.provider
    gate = auth.gate_for(RequestFactory().get("/login/", REMOTE_ADDR=STRANGER_IP), staff.username)
    full_login(OWNER_IP, staff)
    LoginThrottle.objects.filter(key=gate.client.key).delete()  # the clean-up removed it meanwhile
    before = AuditEvent.objects.filter(event="auth.login_failed").count()
    actions.sign_in_failed(gate, staff, audit.Event.LOGIN_FAILED)
    assert AuditEvent.objects.filter(event="auth.login_failed").count() == before + 1
    assert LoginThrottle.objects.get(key=gate.name.key).failures == 1
    assert LoginThrottle.objects.get(key=gate.client.key).failures == 1


def test_unknown_names_and_wrong_passwords_still_answer_alike_while_paused(world_a: OrgWorld) -> None:
    fail(STRANGER_IP, world_a.provider.username)
    fail(STRANGER_IP, "ghost.user")
    first = password_step(NEW_IP, "ghost.user", WRONG)
    second = password_step(NEW_IP, world_a.provider.username, WRONG)
    assert first.status_code == second.status_code == 200
    strip = lambda body: body.replace(b"ghost.user", b"").replace(world_a.provider.username.encode(), b"")  # noqa: E731
    import re

    def normalise(body: bytes) -> bytes:
        return re.sub(rb'value="[^"]*"|nonce="[^"]+"', b"", strip(body))

    assert normalise(first.content) == normalise(second.content)


def test_no_client_address_is_stored(world_a: OrgWorld) -> None:
    fail(STRANGER_IP, world_a.provider.username, 3)
    full_login(OWNER_IP, world_a.provider)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM orgs_loginthrottle")
        rows = repr(cursor.fetchall())
    assert LoginThrottle.objects.count() >= 2
    for text in (STRANGER_IP, OWNER_IP, world_a.provider.username):
        assert text not in rows


def test_a_forged_forwarded_for_header_does_not_make_a_new_client(world_a: OrgWorld) -> None:
    for n in range(10):
        Client(REMOTE_ADDR=STRANGER_IP, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").post(
            "/login/", {"username": world_a.provider.username, "password": WRONG}
        )
    assert LoginThrottle.objects.get(
        key=LoginThrottle.client_key_for(world_a.provider.username, STRANGER_IP)
    ).is_locked()


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert auth.client_address(request) == "10.0.0.1"
    with override_settings(TRUSTED_PROXY_HOPS=1):
        assert auth.client_address(request) == "203.0.113.9"
    v6 = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")
    assert auth.client_address(v6) == "2001:db8:1:2::/64"


def test_step_up_from_the_owners_session_is_not_blocked_by_a_strangers_failures(world_a: OrgWorld) -> None:
    staff = world_a.provider
    client = full_login(OWNER_IP, staff)
    fail(STRANGER_IP, staff.username)
    # The sign-in itself marked this client as known for the name (nothing set by hand here).
    assert LoginThrottle.objects.get(key=LoginThrottle.client_key_for(staff.username, OWNER_IP)).is_known()
    Staff.objects.filter(pk=staff.pk).update(totp_last_step=0)
    response = client.post("/confirm/", {"password": PASSWORD, "code": auth.totp_code(staff.totp_secret), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"


# --- Item 7: Unicode digit forms in every code field ---------------------------------------------

DIGITS = st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), max_size=24)
MIXED = st.text(alphabet=st.characters(categories=["Nd", "No", "Nl", "Zs", "Pd", "Lu", "Ll"]), max_size=30)
CODES = st.one_of(DIGITS, MIXED)
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def people(world_a: OrgWorld) -> dict[str, Staff]:
    """The staff the property tests use (a plain dict: Hypothesis probes its arguments' attributes)."""
    newcomer = make_staff(world_a.org, "new.person", Role.PROVIDER, totp_confirmed_at=None, totp_secret="")
    return {"provider": world_a.provider, "newcomer": newcomer}


def forms_of(code: str, zero: int) -> str:
    """``code`` written with another script's digits (``zero`` is the code point of its 0)."""
    return "".join(chr(zero + int(d)) for d in code)


@pytest.mark.parametrize(
    "zero",
    [0xFF10, 0x0660, 0x06F0, 0x0966, 0x1D7CE],
    ids=["fullwidth", "arabic-indic", "persian", "devanagari", "math"],
)
def test_the_right_code_in_other_digit_forms_signs_in(world_a: OrgWorld, zero: int) -> None:
    staff = world_a.provider
    client = Client()
    password_step("127.0.0.1", staff.username, client=client)
    response = client.post("/login/code/", {"code": forms_of(auth.totp_code(staff.totp_secret), zero)})
    assert response.status_code == 302 and response["Location"] == "/"


def test_normalise_code_refuses_what_is_not_a_digit_or_letter() -> None:
    assert normalise_code("\uff11\uff12\uff13 \uff14\uff15\uff16") == "123456"  # full-width
    assert normalise_code("\u0661\u0662\u0663-\u0664\u0665\u0666") == "123456"  # Arabic-Indic
    assert normalise_code("\uff21\uff22\uff23\uff24-\uff45\uff46\uff47\uff48") == "abcdefgh"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        normalise_code("½¾")  # numbers that are not digits


@given(code=CODES)
@HYPOTHESIS
def test_sign_in_code_field_never_500(people: dict[str, Staff], code: str) -> None:
    LoginThrottle.objects.all().delete()
    client = Client()
    password_step("127.0.0.1", people["provider"].username, client=client)
    assert client.post("/login/code/", {"code": code}).status_code in (200, 302)


@given(code=CODES)
@HYPOTHESIS
def test_step_up_code_field_never_500(people: dict[str, Staff], code: str) -> None:
    LoginThrottle.objects.all().delete()
    client = sign_in(Client(), people["provider"])
    assert client.post("/confirm/", {"password": PASSWORD, "code": code, "next": "/"}).status_code in (200, 302)


@given(code=CODES)
@HYPOTHESIS
def test_resume_code_field_never_500(people: dict[str, Staff], code: str) -> None:
    LoginThrottle.objects.all().delete()
    staff = people["provider"]
    data = {"username": staff.username, "password": PASSWORD, "code": code, "staff": str(staff.id)}
    assert Client().post("/login/resume/", data).status_code in (200, 400)


@given(code=CODES)
@HYPOTHESIS
def test_authenticator_setup_code_field_never_500(people: dict[str, Staff], code: str) -> None:
    LoginThrottle.objects.all().delete()
    staff = people["newcomer"]
    client = Client()
    password_step("127.0.0.1", staff.username, client=client)
    assert client.post("/login/setup/", {"code": code}).status_code in (200, 302)


@given(code=st.text(alphabet=st.characters(categories=["Nd", "No", "Nl", "Ll", "Lu", "Pd"]), max_size=40))
@HYPOTHESIS
def test_recovery_code_check_never_raises(people: dict[str, Staff], code: str) -> None:
    assert RecoveryCode.use(people["provider"], code) in (True, False)
    assert actions.use_second_factor(people["provider"], code) in (None, "totp", "recovery")


# --- Item 8: guessable long passwords ---------------------------------------------------------------


def activation_token(world: OrgWorld) -> str:
    admin = sign_in(Client(), world.org_admin)
    data = {"username": "new.worker", "display_name": "New Worker", "email": "", "roles": ["auditor"]}
    return str(admin.post("/staff/invite/", data).context["link"]).split("#", 1)[1]


@pytest.mark.parametrize(
    "password",
    [
        "password123456789",
        "123456789012345",
        "sunshine2024summer",
        "iloveyou12345678",
        "qwertyuiopasdfghjkl",
        "mickeymouse123456",
    ],
)
def test_guessable_long_passwords_are_refused_with_a_reason(world_a: OrgWorld, password: str) -> None:
    client = Client()
    client.post("/activate/", {"token": activation_token(world_a)})
    response = client.post("/activate/", {"password1": password, "password2": password})
    assert response.status_code == 200 and b"too easy to guess" in response.content
    assert not Staff.objects.get(username="new.worker").has_usable_password()


@pytest.mark.parametrize(
    "password", ["lantern orchard velvet ribbon", "violet canyon harbor lantern 93", "Tr0ub4dor&3 meadow quilt"]
)
def test_unrelated_words_are_accepted(world_a: OrgWorld, password: str) -> None:
    client = Client()
    client.post("/activate/", {"token": activation_token(world_a)})
    response = client.post("/activate/", {"password1": password, "password2": password})
    assert response.status_code == 302


# --- Item 11: recovery codes ----------------------------------------------------------------------


def test_recovery_codes_are_long_and_stored_salted_and_slow(world_a: OrgWorld) -> None:
    codes = RecoveryCode.issue(world_a.provider)
    assert len(codes) == 10 and len(set(codes)) == 10
    for code in codes:
        normalised = RecoveryCode.normalise(code)
        assert len(normalised) == 24  # 4 lookup characters + 20 secret ones of 32 symbols: 100 secret bits
    rows = list(RecoveryCode.objects.filter(staff=world_a.provider))
    for row, code in zip(rows, codes, strict=False):
        assert identify_hasher(row.code_hash)  # Django's configured hasher, with its salt
        assert hash_token(RecoveryCode.normalise(code)) != row.code_hash
        assert RecoveryCode.normalise(code)[4:] not in row.code_hash
    assert len({row.code_hash.split("$")[1] for row in rows}) == 10  # one salt each


def test_one_attempt_costs_one_slow_hash_at_most(world_a: OrgWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    import waypoint.orgs.models as models

    codes = RecoveryCode.issue(world_a.provider)
    calls: list[str] = []
    real = models.check_password
    monkeypatch.setattr(models, "check_password", lambda raw, stored: calls.append(raw) or real(raw, stored))
    assert RecoveryCode.use(world_a.provider, codes[3])
    assert len(calls) == 1
    calls.clear()
    assert not RecoveryCode.use(world_a.provider, codes[3])  # used up
    assert not RecoveryCode.use(world_a.provider, "zzzz-" + codes[4][5:])
    assert len(calls) <= 1


def test_a_recovery_code_signs_in_once_with_misreadable_letters(world_a: OrgWorld) -> None:
    staff = world_a.provider
    code = RecoveryCode.issue(staff)[0]
    typed = code.upper().replace("0", "O").replace("1", "l")
    client = Client()
    password_step("127.0.0.1", staff.username, client=client)
    assert client.post("/login/code/", {"code": typed}).status_code == 302
    again = Client()
    password_step("127.0.0.1", staff.username, client=again)
    assert again.post("/login/code/", {"code": code}).status_code == 200


def test_old_recovery_codes_keep_working_and_the_account_page_asks_to_replace_them(world_a: OrgWorld) -> None:
    staff = world_a.provider
    old = "a1b2-c3d4-e5f6"
    RecoveryCode.objects.create(staff=staff, code_hash=hash_token(RecoveryCode.normalise(old)))
    migration = importlib.import_module("waypoint.orgs.migrations.0003_wrap_legacy_recovery_codes")
    migration.wrap(django_apps, None)  # as the migration leaves rows of the older kind
    stored = RecoveryCode.objects.get(staff=staff).code_hash
    assert identify_hasher(stored) and hash_token(RecoveryCode.normalise(old)) not in stored  # no fast hash left
    page = sign_in(Client(), staff).get("/account/")
    assert b"older, shorter kind" in page.content
    client = Client()
    password_step("127.0.0.1", staff.username, client=client)
    assert client.post("/login/code/", {"code": old}).status_code == 302
    assert AuditEvent.objects.filter(event="auth.recovery_code_used").count() == 1
    actions.renew_recovery_codes(staff)
    assert b"older, shorter kind" not in sign_in(Client(), staff).get("/account/").content


# --- Item 14: on PostgreSQL, the counter and the replay check hold under concurrency -------------

pg_only = pytest.mark.skipif(
    "sqlite" in __import__("django.conf").conf.settings.DATABASES["default"]["ENGINE"],
    reason="SQLite lets one writer in at a time, so the race cannot happen there; run with a PostgreSQL DATABASE_URL",
)


def run_together(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


@pytest.fixture
def committed_staff(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """A staff member committed for real, so threads on their own connections see it; afterwards
    every row this made is removed again, audit rows and heads included (their triggers are lifted
    for that, inside one transaction, and are back when it commits).  Not a transactional_db test:
    its flush would TRUNCATE the append-only audit tables and drop the migrations' content rows.
    The test database is set up for the other tests of this file."""
    from django.db import transaction

    from waypoint.core.models import AuditHead
    from waypoint.orgs.models import Organisation

    with django_db_blocker.unblock():
        heads = list(AuditHead.objects.values_list("id", "seq", "hash"))
        last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        org = Organisation.objects.create(name="Race")
        staff = make_staff(org, "race.provider", Role.PROVIDER)
        try:
            yield staff
        finally:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
                cursor.execute("ALTER TABLE core_audithead DISABLE TRIGGER USER")
                AuditEvent.objects.filter(id__gt=last_event).delete()
                AuditHead.objects.exclude(id__in=[h[0] for h in heads]).delete()
                for head_id, seq, digest in heads:
                    AuditHead.objects.filter(id=head_id).update(seq=seq, hash=digest)
                cursor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER")
                cursor.execute("ALTER TABLE core_audithead ENABLE TRIGGER USER")
                LoginThrottle.objects.all().delete()
                Staff.objects.filter(org=org).delete()
                org.delete()


@pg_only
def test_concurrent_wrong_passwords_all_count(committed_staff: Staff) -> None:
    username = committed_staff.username
    request = RequestFactory().post("/login/", REMOTE_ADDR=STRANGER_IP)
    count = 8

    def one(_index: int) -> None:
        gate = auth.gate_for(request, username)
        actions.sign_in_failed(gate, committed_staff, audit.Event.LOGIN_FAILED)

    run_together(count, one)
    assert auth.throttle_for(username).failures == count
    assert LoginThrottle.objects.get(key=LoginThrottle.client_key_for(username, STRANGER_IP)).failures == count
    assert AuditEvent.objects.filter(event="auth.login_failed", actor_id=committed_staff.id).count() == count


@pg_only
def test_the_same_totp_code_is_accepted_once_under_concurrency(committed_staff: Staff) -> None:
    code = auth.totp_code(committed_staff.totp_secret)
    results = run_together(8, lambda _n: actions.use_totp_code(Staff.objects.get(pk=committed_staff.pk), code))
    assert results.count(True) == 1


def test_a_totp_code_is_accepted_once(world_a: OrgWorld) -> None:
    """On every database: the right code signs in once; the same code again is refused (the test
    harness relies on it when it moves a test server's last accepted step back instead of waiting)."""
    staff = world_a.provider
    code = auth.totp_code(staff.totp_secret)
    assert actions.use_totp_code(Staff.objects.get(pk=staff.pk), code) is True
    assert actions.use_totp_code(Staff.objects.get(pk=staff.pk), code) is False


def test_unicode_digits_helper_covers_decimal_digits_only() -> None:
    assert all(
        unicodedata.decimal(forms_of("0123456789", zero)[d]) == d for zero in (0xFF10, 0x0660) for d in range(10)
    )


def test_the_idle_unlock_dialog_takes_a_whole_recovery_code(world_a: OrgWorld) -> None:
    """The browser cuts what is typed at maxlength: a recovery code must fit, or the typed page is lost."""
    staff = world_a.provider
    code = RecoveryCode.issue(staff)[0]
    page = sign_in(Client(), staff).get("/").content.decode()
    maxlength = int(re.search(r'id="resume-code"[^>]*maxlength="(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert len(code) <= maxlength

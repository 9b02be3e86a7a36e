"""Sweeps over the whole URL conf.

1. Every pattern declares an access policy.
2. Every pattern has an allow case and a deny case, run here for every role and for anonymous
   visitors; a pattern missing from ``CASES`` fails the suite.
3. Cross-organisation: every URL that takes an object id, every method, every role of
   organisation A against organisation B's objects: 404, no row changed, no B text in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, sign_in
from tests.sweeps import all_patterns
from waypoint.core.access import Policy
from waypoint.orgs.models import Role

ROLES = list(Role)
Kwargs = Callable[[OrgWorld], dict[str, Any]]
NONE: Kwargs = lambda w: {}  # noqa: E731
PERSON: Kwargs = lambda w: {"person_id": w.person.id}  # noqa: E731
STAFF: Kwargs = lambda w: {"staff_id": w.provider.id}  # noqa: E731
ENCOUNTER: Kwargs = lambda w: {"encounter_id": w.encounter.id}  # noqa: E731
REQUEST: Kwargs = lambda w: {"request_id": w.separation_request.id}  # noqa: E731
ENCOUNTER_STEP: Kwargs = lambda w: {"encounter_id": w.encounter.id, "step": "gate"}  # noqa: E731
PLAN: Kwargs = lambda w: {"plan_id": w.plan.id}  # noqa: E731
PLAN_DOMAIN: Kwargs = lambda w: {"plan_id": w.plan.id, "domain": "physical"}  # noqa: E731
PLAN_ITEM: Kwargs = lambda w: {"plan_id": w.plan.id, "item": "immediate_help"}  # noqa: E731
PLAN_TASK: Kwargs = lambda w: {"plan_id": w.plan.id, "task_id": w.task.id}  # noqa: E731
TASK: Kwargs = lambda w: {"task_id": w.task.id}  # noqa: E731
SERVICE: Kwargs = lambda w: {"person_id": w.person.id, "service_id": w.service.id}  # noqa: E731
ENTRY: Kwargs = lambda w: {"entry_id": w.entry.id}  # noqa: E731
REFERRAL: Kwargs = lambda w: {"person_id": w.person.id, "referral_id": w.referral.id}  # noqa: E731
RELEASE: Kwargs = lambda w: {"person_id": w.person.id, "release_id": w.release.id}  # noqa: E731
DISCLOSURE: Kwargs = lambda w: {"person_id": w.person.id, "disclosure_id": w.disclosure.id}  # noqa: E731
SIGN_LANGUAGE: Kwargs = lambda w: {"translation_id": w.sign_language.id}  # noqa: E731
SIGN: Kwargs = lambda w: {"kind": "waiting", "size": "letter", "language": "en"}  # noqa: E731

# name: (method, kwargs, expected status for allowed signed-in roles (None = anything but 404/403/5xx))
CASES: dict[str, tuple[str, Kwargs, int | None]] = {
    "core:home": ("get", NONE, 200),
    # Issue 13: the organisation's side
    "encounters:see_alone_policy": ("get", NONE, 200),
    "oversight:adherence": ("get", NONE, 200),
    "printing:signs": ("get", NONE, 200),
    "printing:sign": ("get", SIGN, 200),
    "printing:sign_languages": ("get", NONE, 200),
    "printing:sign_language": ("get", SIGN_LANGUAGE, 200),
    "printing:sign_language_delete": ("post", SIGN_LANGUAGE, 302),
    "orgs:orientation": ("get", NONE, 200),
    "orgs:orientation_admin": ("get", NONE, 200),
    "orgs:jurisdiction": ("get", NONE, 200),
    "orgs:discretion": ("get", NONE, 200),
    "retention:settings": ("get", NONE, 200),
    "retention:preview": ("get", NONE, 200),
    "retention:record": ("get", PERSON, 200),
    "retention:close": ("post", PERSON, 302),
    "retention:reopen": ("post", PERSON, 302),
    "retention:hold_set": ("post", PERSON, 302),
    "retention:hold_lift": ("post", PERSON, 302),
    "core:exit": ("post", NONE, 303),
    "core:exit_info": ("get", NONE, 200),
    "core:healthz": ("get", NONE, 200),
    "orgs:login": ("get", NONE, 302),  # signed-in users are sent home
    "orgs:login_code": ("get", NONE, 302),  # no password step in this session: back to the login page
    "orgs:mfa_setup": ("get", NONE, 302),
    "orgs:resume": ("post", NONE, 400),  # no password or code: refused with a JSON error
    "orgs:activate": ("get", NONE, 200),  # the code form; the token comes in a POST body, never the URL
    "orgs:activate_legacy": ("get", lambda w: {"legacy": "an-old-link"}, 302),  # on to /activate/#...
    "orgs:logout": ("post", NONE, 302),
    "orgs:step_up": ("get", NONE, 200),
    "orgs:set_language": ("post", NONE, 302),
    "orgs:account": ("get", NONE, 200),
    "orgs:sessions": ("get", NONE, 200),
    "orgs:end_session": ("post", lambda w: {"number": 0}, 302),
    "orgs:end_all_sessions": ("post", NONE, 302),
    "orgs:renew_recovery_codes": ("post", NONE, 200),
    "orgs:person_labels": ("post", NONE, 302),  # providers and supervisors: their own list choice, then back
    "orgs:staff_list": ("get", NONE, 200),
    "orgs:staff_invite": ("get", NONE, 200),
    "orgs:staff_detail": ("get", STAFF, 200),
    "orgs:staff_deactivate": ("post", STAFF, 302),
    "orgs:staff_reactivate": ("post", STAFF, 302),
    "orgs:staff_reinvite": ("post", STAFF, 302),  # already active: message and back to the page
    "orgs:staff_unlock": ("post", STAFF, 302),
    "orgs:settings": ("get", NONE, 200),
    "orgs:site_add": ("post", NONE, 200),  # empty form: shown again with the error
    "people:list": ("get", NONE, 200),
    "people:search": ("post", NONE, 200),
    "people:create": ("get", NONE, 200),
    "people:detail": ("get", PERSON, 200),
    "people:edit": ("get", PERSON, 200),
    "people:timeline": ("get", PERSON, 200),
    "oversight:audit_log": ("get", NONE, 200),
    "encounters:start": ("get", PERSON, 200),
    "encounters:detail": ("get", ENCOUNTER, 200),
    "encounters:gate": ("get", ENCOUNTER, 200),
    "encounters:safe_to_talk": ("get", ENCOUNTER, 404),  # a call's first screen; the world's encounter is in person
    "encounters:confidentiality": ("get", ENCOUNTER, 200),
    "encounters:safety_check": ("get", ENCOUNTER, 302),  # locked until privacy and confidentiality are done
    "encounters:step_state": ("post", ENCOUNTER_STEP, 302),
    "encounters:comfort": ("post", ENCOUNTER, 302),
    "encounters:close": ("get", ENCOUNTER, 200),
    "encounters:summary": ("get", ENCOUNTER, 200),
    "encounters:assessment": ("get", ENCOUNTER, 302),  # locked until the privacy gate is settled
    "encounters:needs": ("get", ENCOUNTER, 302),  # locked until the privacy gate is settled
    "encounters:consent": ("get", ENCOUNTER, 200),
    "encounters:minor": ("get", ENCOUNTER, 404),  # the world's person is an adult: no such step here
    "encounters:education": ("get", ENCOUNTER, 200),
    "encounters:separation": ("get", ENCOUNTER, 200),
    "content:list": ("get", NONE, 200),
    "content:edit": ("get", lambda w: {"kind": "phone_check", "language": "vi"}, 200),
    "encounters:danger": ("get", ENCOUNTER, 200),
    "encounters:amend": ("post", ENCOUNTER, 302),
    "encounters:injured": ("get", ENCOUNTER, 200),
    "encounters:cover": ("get", ENCOUNTER, 200),
    "encounters:protocol": ("get", NONE, 200),
    "encounters:request_create": ("post", NONE, 400),  # no code phrase: the form again with the error
    "encounters:requests_waiting": ("get", NONE, 200),
    "encounters:request_take": ("post", REQUEST, 302),
    "encounters:request_run": ("get", REQUEST, 200),
    "plans:for_person": ("get", PERSON, 302),  # the world's person has a plan: opens it
    "referrals:services": ("get", PERSON, 200),
    "referrals:service_edit": ("get", SERVICE, 200),
    # -- the directory (issue 12)
    "referrals:directory": ("get", NONE, 200),
    "referrals:directory_new": ("get", NONE, 200),  # editors only (policy); the hotline is never editable
    "referrals:directory_entry": ("get", ENTRY, 200),
    "referrals:directory_edit": ("get", ENTRY, 200),
    "referrals:directory_verify": ("post", ENTRY, 302),
    "referrals:directory_archive": ("post", ENTRY, 302),
    "referrals:directory_export": ("get", NONE, 200),  # sign_in's step-up is fresh
    "referrals:directory_import": ("get", NONE, 200),
    # -- referrals (issue 12)
    "referrals:person": ("get", PERSON, 200),
    "referrals:referral_new": ("get", PERSON, 200),
    "referrals:referral": ("get", REFERRAL, 200),
    "referrals:referral_status": ("post", REFERRAL, 400),  # empty post: the page again with the error
    "referrals:referral_ledger": ("post", REFERRAL, 302),  # a draft: not added, back to the referral
    # -- releases of information (issue 12)
    "referrals:release_new": ("get", PERSON, 200),
    "referrals:release": ("get", RELEASE, 200),
    "referrals:release_revoke": ("post", RELEASE, 400),  # empty post: how they revoked it is required
    "referrals:release_pdf": ("get", RELEASE, 200),  # sign_in's step-up is fresh
    "referrals:release_blank_pdf": ("get", NONE, 200),  # no person data: directory readers too
    "referrals:release_scan": ("get", RELEASE, 404),  # the world's release has no scan (one is opened in its tests)
    # -- shares and disclosures (issue 12)
    "referrals:share": ("get", REFERRAL, 200),
    "referrals:release_share": ("get", RELEASE, 200),
    "referrals:disclosure_new": ("get", PERSON, 200),
    "referrals:disclosure": ("get", DISCLOSURE, 200),
    "plans:detail": ("get", PLAN, 200),
    "plans:overview": ("get", PLAN, 200),
    "plans:domain": ("get", PLAN_DOMAIN, 200),
    "plans:item": ("get", PLAN_ITEM, 200),
    "plans:versions": ("get", PLAN, 200),
    "plans:compare": ("get", PLAN, 200),
    "plans:check_in": ("post", PLAN, 302),
    "contact:task_done": ("post", PLAN_TASK, 302),
    "contact:person": ("get", PERSON, 200),
    "contact:reconfirm": ("post", PERSON, 400),  # no version or how: the panel again with the errors
    "contact:person_attempt": ("post", PERSON, 400),  # no channel or outcome: the contact page again with the errors
    "contact:rules": ("get", PERSON, 200),  # sign_in's step-up is fresh, so the secrets may be shown
    "contact:task_new": ("get", PERSON, 200),
    "contact:task": ("get", TASK, 200),
    "contact:attempt": ("post", TASK, 400),  # no channel or outcome: the follow-up again with the errors
    "printing:setup": ("get", PLAN, 200),
    "printing:plan": ("post", PLAN, 409),  # nobody asked whether paper is safe: refused
    "printing:card": ("post", PLAN, 409),
    "printing:memorise": ("get", PLAN, 200),
}


def test_every_pattern_declares_an_access_policy() -> None:
    missing = [
        name
        for name, (_route, view) in all_patterns().items()
        if not isinstance(getattr(view, "access_policy", None), Policy)
    ]
    assert missing == []


def test_every_pattern_has_allow_and_deny_cases() -> None:
    patterns = set(all_patterns())
    assert patterns == set(CASES), f"missing: {patterns - set(CASES)}, stale: {set(CASES) - patterns}"
    print(f"URL patterns covered by sweep cases: {len(CASES)}/{len(patterns)} (100%)")


def _call(client: Client, name: str, world: OrgWorld) -> Any:
    method, kwargs, _expected = CASES[name]
    return getattr(client, method)(reverse(name, kwargs=kwargs(world)))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_role_access_matches_policy(client: Client, world_a: OrgWorld, name: str, role: Role) -> None:
    policy: Policy = all_patterns()[name][1].access_policy
    sign_in(client, world_a.staff[role])
    response = _call(client, name, world_a)
    if policy.allows(world_a.staff[role]):
        expected = CASES[name][2]
        assert response.status_code not in (403, 500)
        if expected is not None:
            assert response.status_code == expected, (name, role, response.status_code)
    else:
        assert response.status_code == 404, (name, role, response.status_code)


@pytest.mark.parametrize("name", sorted(CASES))
def test_anonymous_access_matches_policy(client: Client, world_a: OrgWorld, name: str) -> None:
    policy: Policy = all_patterns()[name][1].access_policy
    response = _call(client, name, world_a)
    if policy.public:
        assert response.status_code in (200, 204, 302, 303, 400, 404)
    else:
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


# --- Cross-organisation -------------------------------------------------------------------------

SKIP_TABLES = {"core_auditevent", "core_audithead", "orgs_staffsession", "orgs_loginthrottle", "django_session"}
WITH_IDS = (
    PERSON, STAFF, ENCOUNTER, ENCOUNTER_STEP, REQUEST, PLAN, PLAN_DOMAIN, PLAN_ITEM, PLAN_TASK, TASK, SERVICE,
    ENTRY, REFERRAL, RELEASE, DISCLOSURE, SIGN_LANGUAGE,
)  # fmt: skip
OBJECT_CASES = {name: case for name, case in CASES.items() if case[1] in WITH_IDS}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in SKIP_TABLES:
                continue
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608
            tables[table] = cursor.fetchall()
    return tables


def b_texts(world_b: OrgWorld) -> list[str]:
    texts = [world_b.person.reference, world_b.person.name, world_b.person.notes, world_b.org.name]
    texts += [world_b.service.provider, world_b.task.what, world_b.entry.name, world_b.release.purpose]
    texts += [world_b.referral.reason, world_b.disclosure.to_whom, world_b.sign_language.heading]
    texts += [s.display_name for s in world_b.staff.values()]
    return texts


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", sorted(OBJECT_CASES))
def test_cross_organisation_sweep(world_a: OrgWorld, world_b: OrgWorld, name: str, method: str) -> None:
    _m, kwargs, _e = CASES[name]
    url = reverse(name, kwargs=kwargs(world_b))
    leaks = 0
    for role in ROLES:
        client = sign_in(Client(), world_a.staff[role])
        before = snapshot()
        response = getattr(client, method)(url, {"roles": ["org_admin"], "name": "changed"})
        body = response.content.decode()
        leaks += sum(text in body for text in b_texts(world_b) if text)
        assert response.status_code in (404, 405), (name, method, role, response.status_code)
        assert snapshot() == before, (name, method, role)
    assert leaks == 0


def test_object_urls_are_all_swept() -> None:
    routes = {name: route for name, (route, _view) in all_patterns().items()}
    with_ids = {name for name, route in routes.items() if "_id>" in route}
    assert with_ids == set(OBJECT_CASES)


@pytest.mark.parametrize("bad", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_malformed_and_unknown_ids_are_404(as_provider: Client, bad: str) -> None:
    assert as_provider.get(f"/people/{bad}/").status_code == 404
    assert as_provider.get(f"/staff/{bad}/").status_code == 404


def test_denied_access_is_audited(world_a: OrgWorld, world_b: OrgWorld) -> None:
    from waypoint.core.models import AuditEvent

    client = sign_in(Client(), world_a.provider)
    assert client.get(f"/people/{world_b.person.id}/").status_code == 404
    row = AuditEvent.objects.get(event="access.denied")
    assert row.actor_id == world_a.provider.id and row.object_id == world_b.person.id
    assert row.org_id == world_a.org.id

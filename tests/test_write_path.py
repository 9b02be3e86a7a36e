"""Every write a request makes happens inside a transaction (an action, or the session store's own).

There is no request-wide transaction: a write outside ``transaction.atomic`` would run in
autocommit, bypass SQLite's writer queue (waypoint.core.sqlite) and could leave half a change
behind.  This sweep sends every URL pattern's case, as every role, and records any INSERT, UPDATE
or DELETE that ran outside an atomic block opened during the request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, sign_in
from tests.test_sweeps import CASES, ROLES

WRITE = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@contextmanager
def writes_outside_transactions() -> Iterator[list[str]]:
    """Yield a list that fills with the writes that ran with no atomic block beyond the test's own."""
    baseline = len(connection.atomic_blocks)
    found: list[str] = []

    def check(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(WRITE) and len(connection.atomic_blocks) <= baseline:
            found.append(sql.split("(")[0][:80])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(check):
        yield found


@pytest.mark.parametrize("name", sorted(CASES))
def test_requests_write_only_inside_transactions(world_a: OrgWorld, name: str) -> None:
    method, kwargs, _expected = CASES[name]
    url = reverse(name, kwargs=kwargs(world_a))
    outside: list[tuple[str, str]] = []
    for role in ROLES:
        client = sign_in(Client(), world_a.staff[role])
        with writes_outside_transactions() as found:
            getattr(client, method)(url, {"text": "x", "reason": "y", "kind": "water", "phrase": "form_b"})
        outside += [(role.value, sql) for sql in found]
    assert outside == []


def test_signing_in_writes_only_inside_transactions(world_a: OrgWorld) -> None:
    from tests.harness import totp_now

    client = Client()
    with writes_outside_transactions() as found:
        client.post(reverse("orgs:login"), {"username": world_a.provider.username, "password": "wrong one"})
        client.post(reverse("orgs:login"), {"username": world_a.provider.username, "password": PASSWORD})
        client.post(reverse("orgs:login_code"), {"code": totp_now(world_a.provider.totp_secret)})
    assert found == []


from tests.conftest import PASSWORD  # noqa: E402

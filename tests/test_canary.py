"""Canary: names and notes written through the app never appear in plain text in the database file,
its WAL, a backup, the log file or the session store; in the backup, every column that describes the
person's situation (choices, flags, ages, times) holds only ciphertext."""

from __future__ import annotations

import datetime
import json
import re
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core import signing
from django.test import override_settings

from tests.harness import LiveServer, make_server
from tests.webclient import WebClient
from waypoint.referrals.models import HOTLINE_ID

pytestmark = [pytest.mark.slow, pytest.mark.own_server]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = make_server()
    live.start()
    yield live
    live.stop()


def _session_payloads(server: LiveServer) -> list[str]:
    secret = (server.data_dir / "secret_key").read_text().strip()
    connection = sqlite3.connect(server.db_path)
    try:
        rows = connection.execute("SELECT session_data FROM orgs_staffsession").fetchall()
    finally:
        connection.close()
    payloads = []
    with override_settings(SECRET_KEY=secret):
        for (data,) in rows:
            decoded = signing.loads(
                data, salt="django.contrib.sessions.SessionStore", serializer=signing.JSONSerializer
            )
            payloads.append(json.dumps(decoded, ensure_ascii=False))
    return payloads


def hidden_value(body: str, name: str) -> str:
    """The value of a page's hidden input ``name`` (a version the form was opened at)."""
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', body)
    assert match is not None, f"no hidden {name} on the page"
    return match.group(1)


def checked_values(body: str, name: str) -> list[str]:
    """The values of the checked checkboxes ``name`` of a form (what a browser would post back)."""
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]+)"[^>]*\bchecked\b', body)


class _Forms(HTMLParser):
    """Every form of a page, as a browser would post it back unchanged: inputs with their values,
    checked radios and checkboxes, textareas (less the one line break after the tag) and selected
    options."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self._textarea = ""
        self._select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({})
            return
        name = found.get("name") or ""
        if not self.forms or not (name or tag == "option"):
            return
        form = self.forms[-1]
        if tag == "input":
            kind = (found.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                form.setdefault(name, [])
                value = found.get("value")
                if "checked" in found:
                    form[name].append("on" if value is None else value)
            elif kind not in ("submit", "button", "reset", "file"):
                form.setdefault(name, []).append(found.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            form.setdefault(name, []).append("")
        elif tag == "select":
            self._select = name
            form.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in found:
            form[self._select].append(found.get("value") or "")

    def handle_data(self, data: str) -> None:
        if self._textarea:
            values = self.forms[-1][self._textarea]
            values[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea:
            values = self.forms[-1][self._textarea]
            values[-1] = values[-1].removeprefix("\n")
            self._textarea = ""
        elif tag == "select":
            self._select = ""


def form_values(body: str, field: str) -> dict[str, Any]:
    """What a browser would post from the page's form that has ``field`` (nothing changed)."""
    parser = _Forms()
    parser.feed(body)
    for form in parser.forms:
        if field in form:
            return {name: values if len(values) > 1 else values[0] for name, values in form.items() if values}
    raise AssertionError(f"no form with {field} on the page")


def test_no_plaintext_anywhere(server: LiveServer) -> None:
    tag = secrets.token_hex(6)
    canaries = {
        "name": f"Canaryname{tag} Núñez",
        "alias": f"Canaryalias{tag}",
        "pronouns": f"canarypronoun{tag}",
        "their_words": f"canaryword{tag} = the boss",
        "notes": f"Canarynote{tag} met at the bus station",
        "harm_names": f"Canaryharm{tag} Smith",
    }
    situation_canaries = {
        "interpreter_language": f"Canarylang{tag}",
        "separator": f"Canaryseparator{tag}",
        "reason_given": f"Canaryreason{tag}",
    }
    plan_canaries = {
        "step": f"Canarystep{tag} hide the key",
        "contact": f"Canarycontact{tag}",
        "safe_word": f"Canarysafeword{tag}",
        "service": f"Canaryservice{tag}",
        "task": f"Canarytask{tag} call back",
    }
    digits = "".join(str(secrets.randbelow(10)) for _n in range(10))
    rules_canaries = {  # typed on the contact rules page
        "phone_number": f"+1{digits}",
        "email_address": f"canarymail{tag}@example.org",
        "safe_word": f"Canaryrulesword{tag}",
        "danger_word": f"Canarydanger{tag}",
        "battery_plan": f"Canarybattery{tag} charger in the locker",
        "whereabouts": f"Canaryplace{tag} near the depot",
        "identify_as": f"Canarycover{tag} from the library",
        # Issue 10 review (gap 16): the other addresses, the cover, their words and the words' actions.
        "text_number": "+1" + "".join(str(secrets.randbelow(10)) for _n in range(10)),
        "chat_address": f"Canarychat{tag} on Signal",
        "post_address": f"Canarypost{tag} 12 Elm Road",
        "visit_address": f"Canaryvisit{tag} flat 3",
        "cover_name": f"Canarycovername{tag} a cousin",
        "someone_answers_words": f"Canarysomeone{tag} say it is the gym",
        "safe_word_action": f"Canarysafeaction{tag} ask if alone",
        "danger_word_action": f"Canarydangeraction{tag} end the call",
    }
    follow_up_canaries = {  # a new follow-up's "what" and an attempt's note, typed on their pages
        "what": f"Canaryfollowup{tag} ask about the appointment",
        "note": f"Canaryattempt{tag} rang twice",
    }
    # Hold a connection open so SQLite keeps the WAL file (it removes it when the last one closes).
    keeper = sqlite3.connect(server.db_path)
    keeper.execute("SELECT count(*) FROM people_person").fetchone()
    client = WebClient(server.url)
    client.login("provider.a", server.logins["provider.a"]["password"], server.code_for("provider.a"))
    data = {
        **canaries,
        "preferred_language": "es",
        "interviewer_gender": "none",
        "form_token": str(uuid.uuid4()),
        "date_of_birth": "1990-04-03",
        "interpreter_needed": "on",
        "interpreter_language": situation_canaries["interpreter_language"],
    }
    status, _body, headers = client.post("/people/new/", data)
    assert status == 302
    person_path = headers["Location"]
    status, body, _h = client.get(person_path)
    assert status == 200 and canaries["name"] in body  # the app itself can read it
    client.post("/people/search/", {"wp_find": canaries["name"]})
    assigned = checked_values(client.get(person_path + "edit/")[1], "assigned_staff")
    assert assigned, "the provider who made the record is assigned to it"
    edited = {**data, "notes": canaries["notes"] + " edited", "version": "1", "assigned_staff": assigned}
    assert client.post(person_path + "edit/", edited)[0] == 302

    # The safety plan, the services ledger and a follow-up task, all written through the app.
    status, _b, headers = client.post(person_path + "plan/", {})
    assert status == 302
    plan_path = headers["Location"]
    steps = {"version": "1", "current-TOTAL_FORMS": "1", "current-INITIAL_FORMS": "0", "future-TOTAL_FORMS": "0"}
    steps.update({"future-INITIAL_FORMS": "0", "current-0-text": plan_canaries["step"], "current-0-idea": "person"})
    steps["current-0-status"] = "to_do"
    assert client.post(plan_path + "domains/physical/", steps)[0] == 302
    contact = {"version": "2", "status": "filled", "contact_0_name": plan_canaries["contact"], "contact_0_number": "1"}
    assert client.post(plan_path + "resources/immediate_help/", contact)[0] == 302
    # The plan's permissions and device items write the person's contact rules (the rules' version
    # comes from the page, as a browser would send it); a follow-up needs a channel they allow.
    permissions = {"version": "3", "status": "filled", "rule_safe_to_contact": "yes", "rule_call": "allowed"}
    permissions |= {"rule_voicemail": "allowed", "rule_text": "not_allowed", "rule_email": "unknown"}
    permissions |= {"rule_chat": "not_allowed", "rules_how": "in_person"}
    page = client.get(plan_path + "resources/permissions/")[1]
    permissions["rules_version"] = hidden_value(page, "rules_version")
    assert client.post(plan_path + "resources/permissions/", permissions)[0] == 302
    device = {"version": "4", "status": "filled", "rule_safe_word": plan_canaries["safe_word"], "rules_how": "phone"}
    device["rules_version"] = hidden_value(client.get(plan_path + "resources/device/")[1], "rules_version")
    assert client.post(plan_path + "resources/device/", device)[0] == 302
    task = {"version": "5", "status": "filled", "task_0_what": plan_canaries["task"], "task_0_due": "2099-01-01"}
    task["task_0_channel"] = "call"
    assert client.post(plan_path + "resources/follow_up/", task)[0] == 302
    service = {"provider": "Clinic", "service": plan_canaries["service"], "status": "ongoing"}
    assert client.post(person_path + "services/", service)[0] == 302
    # The contact rules page: numbers, addresses, the words, the phone and where they are (the login's
    # step-up is recent, so the page opens with the secrets in it).
    status, page, _h = client.get(person_path + "contact/rules/")
    assert status == 200 and 'name="rule_safe_word"' in page
    rules = form_values(page, "rule_safe_to_contact")  # the form as opened, as a browser posts it
    assert rules["version"] == hidden_value(page, "version")
    rules |= {f"rule_{name}": value for name, value in rules_canaries.items()}
    rules |= {"rule_safe_to_contact": "yes", "rule_call": "allowed", "rule_voicemail": "allowed"}
    rules |= {"rule_email": "allowed", "rule_phone_from_exploiter": "unsure", "rule_whereabouts_safe": "yes"}
    rules |= {"rule_text": "allowed", "rule_chat": "allowed", "rule_post": "allowed", "rule_visit": "allowed"}
    rules |= {"rule_someone_answers": "say_cover", "how": "phone"}
    status, page, _h = client.post(person_path + "contact/rules/", rules)
    assert status == 302, page[:2000]
    status, panel, _h = client.get(person_path + "contact/")
    for name in ("phone_number", "email_address", "safe_word", "danger_word", "whereabouts", "identify_as"):
        assert rules_canaries[name] in panel, name  # the app itself can read them (assigned, stepped up)
    # Every value typed was written: the rules page opens with each one in its field, read back and
    # decrypted by the app (a value never stored would leave nothing to find in the scan below).
    status, page, _h = client.get(person_path + "contact/rules/")
    stored = form_values(page, "rule_safe_to_contact")
    for name, value in rules_canaries.items():
        assert stored.get(f"rule_{name}") == value, name
    # A follow-up with what to do, then an attempt on it with a note, both typed on their pages.
    status, page, _h = client.get(person_path + "follow-ups/new/")
    assert status == 200, page[:2000]
    task = form_values(page, "what") | {"channel": "call", "what": follow_up_canaries["what"]}
    status, page, headers = client.post(person_path + "follow-ups/new/", task)
    assert status == 302, page[:2000]
    task_path = headers["Location"]
    status, page, _h = client.get(task_path)
    attempt = form_values(page, "outcome") | {"channel": "call", "outcome": "no_answer"}
    attempt |= {"note": follow_up_canaries["note"]}
    status, page, _h = client.post(task_path + "attempts/", attempt)
    assert status == 302, page[:2000]
    status, page, _h = client.get(task_path)
    page = unescape(page)
    assert status == 200 and all(value in page for value in follow_up_canaries.values())  # written, readable

    # An encounter: privacy gate, separation run, consent; the situation is in choice columns.
    status, _b, headers = client.post(
        person_path + "encounters/new/", {"mode": "in_person", "form_token": str(uuid.uuid4())}
    )
    assert status == 302
    encounter_path = "/encounters/" + headers["Location"].split("/")[2] + "/"
    run = {"separator": situation_canaries["separator"], "reason_given": situation_canaries["reason_given"]}
    assert client.post(encounter_path + "separation/", {**run, "outcome": "separated"})[0] == 302
    gate = {"gate": "not_possible", "gate_reason": "", "interpreter": "unavailable"}
    assert client.post(encounter_path + "privacy/", gate)[0] in (200, 302)
    status, body_plan, _h = client.get(plan_path)
    assert status == 200 and plan_canaries["step"] in body_plan and plan_canaries["task"] in body_plan
    assert rules_canaries["battery_plan"] in body_plan  # the device item shows the rules' battery plan
    # Issue 12: a release to a named outside party, an anonymous referral, a disclosure.
    release_canaries = {
        "recipient_name": f"Canaryrecipient{tag} Legal",
        "recipient_details": f"Canaryreach{tag} at the office",
        "purpose": f"Canarypurpose{tag} for a visa",
        "benefits_risks": f"Canaryrisk{tag} discussed",
    }
    today = datetime.date.today()
    release = {**release_canaries, "items": ["contact", "services"], "language": "en", "signed_how": "typed"}
    release |= {"signed_name": canaries["name"], "signed_on": today.isoformat(), "text_shown": "on"}
    release |= {"valid_until": (today + datetime.timedelta(days=30)).isoformat(), "form_token": str(uuid.uuid4())}
    status, page, _h = client.post(person_path + "releases/new/", release)
    assert status == 302, page[:3000]
    referral_canaries = {"reason": f"Canaryreferral{tag} needs a lawyer"}
    referral = {**referral_canaries, "need": "legal", "entry": HOTLINE_ID, "sharing": "anonymous"}
    status, page, _h = client.post(person_path + "referrals/new/", {**referral, "form_token": str(uuid.uuid4())})
    assert status == 302, page[:3000]
    disclosure_canaries = {
        "what": f"Canarydisclosed{tag} dates of visits",
        "to_whom": f"Canarycourt{tag} clerk",
        "legal_basis": f"Canarybasis{tag} order",
        "not_telling_reason": f"Canarydanger{tag}x he reads her mail",
    }
    disclosure = {**disclosure_canaries, "kind": "court_order", "disclosed_on": today.isoformat(), "tell": "no"}
    status, page, _h = client.post(person_path + "disclosures/new/", {**disclosure, "form_token": str(uuid.uuid4())})
    assert status == 302, page[:3000]
    status, hub, _h = client.get(person_path + "referrals/")
    assert status == 200 and release_canaries["recipient_name"] in hub and "Canarycourt" in hub
    for extra in (release_canaries, referral_canaries, disclosure_canaries):
        canaries.update({f"i12_{name}": value for name, value in extra.items()})
    canaries.update(plan_canaries)
    canaries.update(situation_canaries)
    canaries.update({f"rules_{name}": value for name, value in rules_canaries.items()})
    canaries.update({f"follow_up_{name}": value for name, value in follow_up_canaries.items()})

    backup = server.data_dir / "backup.sqlite3"
    server.manage("backup", str(backup))
    files = {
        "database": server.db_path,
        "wal": server.db_path.with_name(server.db_path.name + "-wal"),
        "backup": backup,
        "log": server.log_path,
    }
    assert files["wal"].exists() and files["wal"].stat().st_size > 0 and files["backup"].exists()
    needles = [value.split(" ")[0].encode() for value in canaries.values()] + [b"1990-04-03"]
    hits = {name: sum(path.read_bytes().count(n) for n in needles) for name, path in files.items() if path.exists()}
    sessions = _session_payloads(server)
    assert sessions, "no sessions found to scan"
    hits["sessions"] = sum(payload.count(n.decode()) for payload in sessions for n in needles)
    # Control: the scan does find what is stored in plain text (the reference code).
    reference = re.search(r"<h1>\w+ ([B-Z2-9]{4}-[B-Z2-9]{4})</h1>", body)
    assert reference is not None
    control = sum(files[n].read_bytes().count(reference.group(1).encode()) for n in ("database", "wal", "backup"))
    assert control > 0
    keeper.close()
    print(f"canary plaintext hits: {hits}")
    assert sum(hits.values()) == 0, hits
    plain_cells = _plain_situation_cells(backup)
    print(f"plain cells in sensitive columns of the backup: {len(plain_cells)}")
    assert not plain_cells, plain_cells[:10]


def _plain_situation_cells(path: Path) -> list[str]:
    """Every value of the typed encrypted columns (choices, flags, ages, times) must be ciphertext:
    choice words like "allowed" or "refused" also occur elsewhere, so the columns are read."""
    from django.apps import apps

    connection = sqlite3.connect(path)
    try:
        plain, rows = [], 0
        for model in apps.get_models():
            for field in model._meta.concrete_fields:
                if not getattr(field, "hides_empty", False):
                    continue
                table, column = model._meta.db_table, field.column
                for (value,) in connection.execute(f'SELECT "{column}" FROM "{table}"'):  # noqa: S608
                    rows += 1
                    if not (isinstance(value, str) and value.startswith(("wp1:", "wr1:"))):
                        plain.append(f"{table}.{column}={value!r}")
    finally:
        connection.close()
    assert rows > 20, "too few rows to check"
    return plain

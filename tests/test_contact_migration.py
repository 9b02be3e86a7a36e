"""Existing contact answers are migrated honestly (issue 10): the old free-text rules, which could hold
a whole answer such as "text only, no voicemail, say it's the pharmacy", are kept as notes to
confirm and never split or guessed into a permission or a cover; the plan's device answers (the
same structured questions) move to the rules one for one; and the migration runs back as well."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_issue9_encryption import ROOT, _scratch_database

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

OLD_ANSWER = "text only, no voicemail, say it's the pharmacy"
BEFORE = [
    ("contact", "0003_encrypt_channels"),
    ("plans", "0003_encrypt_carry"),
    ("orgs", "0003_wrap_legacy_recovery_codes"),
]

SCRIPT = """
import django, json
django.setup()
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
call_command("migrate", verbosity=0)
executor = MigrationExecutor(connection)
leaves = executor.loader.graph.leaf_nodes()
executor.migrate(BEFORE)
old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
Org, Staff, Person = (old.get_model(*m) for m in (("orgs", "Organisation"), ("orgs", "Staff"), ("people", "Person")))
Rules, Plan = old.get_model("contact", "ContactRules"), old.get_model("plans", "SafetyPlan")
org = Org.objects.create(name="Org M")
staff = Staff.objects.create(org=org, username="m", display_name="M")
person = Person.objects.create(org=org, reference="BCDF-GHJK")
Rules.objects.create(person=person, identify_as=OLD_ANSWER, if_someone_answers="hang up",
                     disconnection_plan="", voicemail="not_allowed", text="unknown")
device = {"given_by_exploiter": "yes", "seen_by_exploiter": "unsure", "shared": "no", "safe_word": "kite",
          "battery": "charger at work"}
content = {"resource:device": {"status": "filled", "fields": device, "contacts": []},
           "resource:permissions": {"status": "filled", "fields": {"voicemail": "not_allowed"}, "contacts": []}}
Plan.objects.create(org=org, person=person, content_json=json.dumps(content), created_by_id=staff.id)

def state():
    from waypoint.contact.models import ContactRules
    from waypoint.plans.models import SafetyPlan
    rules = ContactRules.objects.get()
    plan = SafetyPlan.objects.get()
    fields = {name: getattr(rules, name) for name in ("identify_as", "to_confirm", "safe_to_contact", "text",
              "voicemail", "call", "phone_from_exploiter", "phone_seen_by_exploiter", "device_shared",
              "safe_word", "battery_plan", "someone_answers", "on_disconnect")}
    return {"rules": fields, "device": plan.content["resource:device"]["fields"],
            "permissions": plan.content["resource:permissions"]["fields"]}

executor = MigrationExecutor(connection)
executor.loader.build_graph()
executor.migrate(leaves)
print("FORWARD " + json.dumps(state()))
executor = MigrationExecutor(connection)
executor.loader.build_graph()
executor.migrate(BEFORE)
back = MigrationExecutor(connection).loader.project_state(BEFORE).apps
rules = back.get_model("contact", "ContactRules").objects.get()
plan = back.get_model("plans", "SafetyPlan").objects.get()
print("BACK " + json.dumps({"identify_as": rules.identify_as, "if_someone_answers": rules.if_someone_answers,
      "device": json.loads(plan.content_json)["resource:device"]["fields"]}))
executor = MigrationExecutor(connection)
executor.loader.build_graph()
executor.migrate(leaves)
"""


def test_old_answers_become_notes_to_confirm_and_device_answers_move_to_the_rules(tmp_path: Path) -> None:
    for url in _scratch_database(tmp_path):
        env = {**os.environ, "WAYPOINT_ENV": "test", "WAYPOINT_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
        env["DJANGO_SETTINGS_MODULE"] = "waypoint.settings"
        code = f"BEFORE = {BEFORE!r}\nOLD_ANSWER = {OLD_ANSWER!r}\n" + SCRIPT
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in result.stdout.splitlines() if " " in line}
        assert "FORWARD" in lines and "BACK" in lines, result.stdout + result.stderr[-4000:]
        forward = json.loads(lines["FORWARD"])
        rules = forward["rules"]
        assert rules["to_confirm"] == {"identify_as": OLD_ANSWER, "if_someone_answers": "hang up"}
        assert rules["identify_as"] == "" and rules["someone_answers"] == "" and rules["on_disconnect"] == ""
        # Nothing guessed: "text only" did not become a text permission, nor contact allowed at all.
        assert (rules["safe_to_contact"], rules["text"], rules["call"]) == ("not_asked", "unknown", "unknown")
        assert rules["voicemail"] == "not_allowed"  # a structured answer already, kept as it was
        assert (rules["phone_from_exploiter"], rules["phone_seen_by_exploiter"], rules["device_shared"]) == (
            "yes",
            "unsure",
            "no",
        )
        assert (rules["safe_word"], rules["battery_plan"]) == ("kite", "charger at work")
        assert forward["device"] == {} and forward["permissions"] == {}  # one source: the plan keeps no copy
        back = json.loads(lines["BACK"])
        assert back["identify_as"] == OLD_ANSWER and back["if_someone_answers"] == "hang up"
        assert back["device"]["safe_word"] == "kite" and back["device"]["given_by_exploiter"] == "yes"

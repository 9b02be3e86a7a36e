"""Issue 9, items 5 and 9: facts about a person's situation are ciphertext in the database, every
column of the record tables is either encrypted or listed as plain with its reason, the typed
encrypted fields give Python the same values and form fields as before, the data migrations convert
existing rows both ways, and the name index differs per organisation."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import FieldError
from django.db import connection, models
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.conftest import OrgWorld, make_org
from waypoint.contact.guard import may_use
from waypoint.contact.models import ContactRules, Permission
from waypoint.content.models import ContentSet
from waypoint.content.source import IN_PERSON
from waypoint.core import crypto
from waypoint.core.fields import EncryptedMixin
from waypoint.encounters import actions
from waypoint.encounters.models import (
    Answer,
    ChildProtectionReport,
    ComfortEvent,
    Consent,
    DomainAssessment,
    EmergencyCall,
    EmergencyNeed,
    Encounter,
    Level,
    SafetyAnswer,
    Step,
    StepState,
    latest_unsafe_carry_signal,
)
from waypoint.encounters.parts import _age_refusal
from waypoint.encounters.separation import SeparationRun
from waypoint.people.forms import PersonForm
from waypoint.people.models import Person

ROOT = Path(__file__).resolve().parent.parent

# Columns that describe the person or their situation: each must be encrypted.
SENSITIVE = {
    "people_person": {"name", "alias", "date_of_birth", "pronouns", "their_words", "harm_names", "notes",
                      "estimated_age", "interviewer_gender", "interpreter_needed", "interpreter_language"},
    "encounters_encounter": {"gate", "gate_reason", "interpreter", "consent", "education", "is_minor",
                             "emergency_call", "emergency_call_at", "callback_plan"},
    "encounters_stepstate": {"step", "reason"},
    "encounters_safetyanswer": {"answer", "note"},
    "encounters_comfortevent": {"kind"},
    "encounters_domainassessment": {"level", "note"},
    "encounters_emergencyneed": {"kind", "note"},
    "encounters_childprotectionreport": {"agency", "reported_at", "reference", "told_first", "told_by",
                                         "deferred_reason"},
    "encounters_amendment": {"text"},
    "encounters_separationrun": {"separator", "reason_given", "outcome", "why_not", "escalation_notes"},
    "encounters_separationrequest": {"room"},  # free text: a name could be typed into it
    "contact_contactrules": {"safe_to_contact", "best_way", "call", "voicemail", "text", "email", "chat", "post",
                             "visit", "phone_number", "text_number", "email_address", "chat_address",
                             "post_address", "visit_address", "best_times", "identify_as", "may_name_org",
                             "someone_answers", "someone_answers_words", "on_disconnect", "call_back_after",
                             "whereabouts", "whereabouts_safe", "safe_word", "safe_word_action", "danger_word",
                             "danger_word_action", "phone_from_exploiter", "phone_seen_by_exploiter",
                             "device_shared", "battery_plan", "to_confirm", "confirmed_how"},
    "contact_followuptask": {"what", "channel", "source"},
    "contact_contactattempt": {"channel", "outcome", "voicemail_left", "note"},
    "referrals_servicerecord": {"provider", "service", "contact_person", "notes"},
    "referrals_referral": {"need", "reason", "sharing", "items"},
    "referrals_referralchange": {"reason"},
    "referrals_release": {"recipient_name", "recipient_details", "items", "documents", "purpose", "benefits_risks",
                          "consenting_party", "consenting_name", "consenting_relationship", "for_minor",
                          "signed_how", "signed_name", "scan", "revoked_how", "revoked_note"},
    "referrals_share": {"mode", "items"},
    "referrals_disclosure": {"kind", "what", "to_whom", "legal_basis", "tell_person", "not_telling_reason"},
    "plans_safetyplan": {"content_json", "carry", "print_sections", "memorise_items"},
    "plans_planversion": {"content_json"},
}  # fmt: skip

IDS = "ids, links between rows, who and when of record keeping: no fact about the person"
# Every other column of these tables, and why it stays plain (docs/security-model.md has the table).
PLAIN = {
    "people_person": {
        "reference": "random code shown in lists instead of the name",
        "name_index": "keyed hash per organisation, for exact search",
        "alias_index": "keyed hash per organisation, for exact search",
        "preferred_language": "one of the app's own languages; picks the read-aloud scripts",
    },
    "people_persontoken": {"digest": "keyed hash per organisation of one word of a name or alias (issue 11 search)"},
    "encounters_encounter": {
        "mode": "in person, phone or video: which steps apply; counted in reports",
        "language": "copy of the preferred language the encounter started in",
        "gender_preference_offered": "what staff offered, not an answer",
    },
    "encounters_stepstate": {"status": "done, skipped or paused; the step itself is encrypted"},
    "encounters_safetyanswer": {
        "question_key": "which question was asked, never the answer",
        "consented": "whether the answer may be written down, not the answer",
        "content_set": "which version of the questions",
    },
    "encounters_domainassessment": {"domain": "every assessed encounter has a row for all four areas"},
    "encounters_separationrequest": {
        "phrase": "the neutral code phrase front desk staff say aloud",
        "status": "waiting, taken or done: the home page lists the waiting ones",
    },
    "encounters_separationprotocol": {
        name: "the organisation's own protocol text, no person's data"
        for name in (
            "who_separates discreet_reasons refusal_steps security_contact local_police tribal_police "
            "federal_contact emergency_steps adult_consent_script check_in_minutes"
        ).split()
    },
    "contact_followuptask": {
        "due_on": "the home page orders open tasks by it",
        "status": "open or done",
        "overdue": "due date passed (the due date is plain already)",
    },
    "contact_contactrules": {"reconfirm_due": "last confirmed over 30 days ago (a date kept plain for the same list)"},
    "contact_contactattempt": {"rules_version": "which version of the rules was on screen, a number"},
    "referrals_servicerecord": {
        "entry": "the directory listing (an agency, not the person) that provides it",
        "status": "ongoing, planned, completed or stopped: the ledger is ordered by it",
        "started_on": "ledger order; the service itself is encrypted",
        "ended_on": "ledger order; the service itself is encrypted",
    },
    "referrals_referral": {
        "entry": "the listing referred to: an agency, not the person (the need is encrypted)",
        "status": "draft, sent, accepted...: lists are ordered and filtered by it",
        "release": "link to the release it shares under",
        "ledger_entry": "link to the ledger row it became",
    },
    "referrals_referralchange": {"referral": "link to the referral", "status": "the status it moved to"},
    "referrals_release": {
        "entry": "the recipient listing: an agency, not the person",
        "language": "one of the app's own languages: the release text shown",
        "signed_on": "when it starts to hold; the access decision and the expiry list need it",
        "scan_type": "file type of the uploaded scan",
        "expired_marked": "set by the scheduled command (the expiry is plain already)",
    },
    "referrals_share": {
        "referral": "link to the referral",
        "release": "link to the release it was shared under",
        "entry": "the recipient listing: an agency",
        "as_pdf": "page or PDF",
    },
    "referrals_disclosure": {"disclosed_on": "the log's order"},
    "plans_safetyplan": {
        "stage": "plain copy for reports, by design of the plan (plans/models.py)",
        "review_on": "plain copy for reports, by design of the plan",
    },
    "plans_planversion": {"sections": "section keys that changed, never text", "number": "version number"},
    "plans_plansectionfacts": {
        name: "counts and codes for reports, by design of the plan"
        for name in "section kind steps_current steps_future to_do doing done stopped item_status".split()
    },
    # Issue 13: a record's legal hold is ids and times only (who set it, when, when lifted); the
    # record's closed date is a time.  Both are read by the purge, which must not decrypt to decide.
    "retention_legalhold": {},
    "core_recordkey": {"wrapped": "the record's key, itself encrypted under the key ring (waypoint.core.record_keys)"},
}
ID_COLUMNS = set("id org person encounter plan site lead request author assigned_to task by".split())


def _is_bookkeeping(field: models.Field[Any, Any]) -> bool:
    return (
        field.name in ID_COLUMNS
        or field.name.endswith(("_id", "_at", "_by"))
        or field.name in ("version", "at", "saved_at", "source_encounter")
    )


def test_every_column_of_the_record_tables_is_encrypted_or_listed_as_plain() -> None:
    """A sensitive column left plain, or a new column nobody classified, fails here."""
    problems = []
    models_seen = 0
    for model in apps.get_models():
        table = model._meta.db_table
        if table not in SENSITIVE and table not in PLAIN:
            continue
        models_seen += 1
        for field in model._meta.concrete_fields:
            encrypted = isinstance(field, EncryptedMixin)
            if field.name in SENSITIVE.get(table, set()):
                if not encrypted:
                    problems.append(f"{table}.{field.column} is sensitive but plain")
            elif not encrypted and field.name not in PLAIN.get(table, {}) and not _is_bookkeeping(field):
                problems.append(f"{table}.{field.column} is plain and not listed with a reason")
    assert models_seen >= 17
    assert not problems, problems


def _situation(world: OrgWorld) -> dict[str, Any]:
    """Every sensitive fact of an encounter, written through the actions (as the app does)."""
    staff, person = world.provider, world.person
    person.interpreter_needed, person.interpreter_language = True, "Tigrinya"
    person.interviewer_gender = "female"
    person.save()
    encounter = actions.record_gate(
        staff, world.encounter, gate="not_possible", gate_reason="r", interpreter="unavailable",
        gender_preference_offered=True,
    )  # fmt: skip
    actions.confirm_confidentiality(staff, encounter)
    content = ContentSet.current(world.org.id, IN_PERSON)
    answers = {"injured": actions.CheckAnswer(Answer.YES, True), "take_resources": actions.CheckAnswer(Answer.NO, True)}
    actions.record_safety_check(staff, encounter, content, content.id, answers)
    actions.save_assessment(staff, encounter, {"physical__level": Level.URGENT})
    actions.save_needs(staff, encounter, {"injuries__needed": "on", "shelter__needed": "on"})
    actions.add_comfort_event(staff, encounter, "grounding")
    actions.record_emergency_call(staff, encounter, EmergencyCall.CALLED_911)
    actions.record_consent(staff, encounter, Consent.DECLINED)
    actions.record_education(staff, encounter, "unsafe")
    minor = Encounter.objects.create(org=world.org, person=person, mode="phone", lead=staff, is_minor=True)
    reported = timezone.now().replace(microsecond=123456)
    ChildProtectionReport.objects.create(encounter=minor, reported_at=reported, told_first=True, by_id=staff.id)
    SeparationRun.objects.create(
        org=world.org, encounter=encounter, separator="Dana Runner", reason_given="X-ray", outcome="refused",
        by_id=staff.id,
    )  # fmt: skip
    ContactRules.objects.create(
        person=person, safe_to_contact="yes", call=Permission.ALLOWED, voicemail=Permission.ALLOWED,
        text=Permission.NOT_ALLOWED,
    )  # fmt: skip
    return {"encounter": Encounter.objects.get(pk=encounter.pk), "minor": minor, "reported": reported}


def _raw(table: str, column: str) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608
        return [value for (value,) in cursor.fetchall()]


def _column(table: str, name: str) -> str:
    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    return str(model._meta.get_field(name).column)


@pytest.mark.django_db
def test_sensitive_columns_hold_only_ciphertext_and_python_sees_the_same_values(world_a: OrgWorld) -> None:
    found = _situation(world_a)
    checked = 0
    for model in apps.get_models():
        for name in SENSITIVE.get(model._meta.db_table, set()):
            field = model._meta.get_field(name)
            if not getattr(field, "hides_empty", False):
                continue  # free text: '' and NULL stay as they are (nothing to hide)
            values = _raw(model._meta.db_table, field.column)
            assert all(isinstance(v, str) and v.startswith(("wp1:", "wr1:")) for v in values), (model, name, values)
            checked += len(values)
    assert checked > 40
    plain_words = ["Tigrinya", "Dana Runner", "X-ray", "not_possible", "unavailable", "called_911", "grounding"]
    stored = " ".join(str(v) for t, cs in SENSITIVE.items() for c in cs for v in _raw(t, _column(t, c)))
    assert not [word for word in plain_words if word in stored]

    encounter = found["encounter"]
    assert (encounter.gate, encounter.interpreter, encounter.consent) == ("not_possible", "unavailable", "declined")
    assert encounter.education == "unsafe" and encounter.is_minor is False
    assert encounter.emergency_call == "called_911" and isinstance(encounter.emergency_call_at, datetime.datetime)
    assert encounter.get_consent_display() == "Declined: nothing is shared"
    assert sorted(n.kind for n in EmergencyNeed.objects.filter(encounter=encounter)) == ["injuries", "shelter"]
    assert {a.question_key: a.answer for a in SafetyAnswer.objects.filter(encounter=encounter)} == {
        "injured": "yes",
        "take_resources": "no",
    }
    assert DomainAssessment.objects.get(encounter=encounter, domain="physical").level == "urgent"
    assert [c.kind for c in ComfortEvent.objects.filter(encounter=encounter)] == ["grounding"]
    report = ChildProtectionReport.objects.get(encounter=found["minor"])
    assert report.reported_at == found["reported"] and report.told_first is True
    assert Encounter.objects.get(pk=found["minor"].pk).is_minor is True
    run = SeparationRun.objects.get()
    assert (run.separator, run.reason_given, run.outcome) == ("Dana Runner", "X-ray", "refused")
    rules = ContactRules.objects.get()
    assert may_use(rules, "voicemail") and not may_use(rules, "text") and rules.email == Permission.UNKNOWN
    person = Person.objects.get(pk=world_a.person.pk)
    assert (person.estimated_age, person.interpreter_needed, person.interpreter_language) == (30, True, "Tigrinya")
    assert person.get_interviewer_gender_display() == "Female interviewer"


@pytest.mark.django_db
def test_empty_values_are_ciphertext_too_and_round_trip(world_a: OrgWorld) -> None:
    """NULL or '' would show that nothing was recorded (no emergency call, no CPS time)."""
    person = Person.objects.create(org=world_a.org, estimated_age=None)
    report = ChildProtectionReport.objects.create(encounter=world_a.encounter, by_id=world_a.provider.id)
    assert all(v.startswith("wr1:") for v in _raw("encounters_encounter", "emergency_call_at"))
    assert all(v.startswith("wr1:") for v in _raw("encounters_childprotectionreport", "reported_at"))
    assert Person.objects.get(pk=person.pk).estimated_age is None
    assert ChildProtectionReport.objects.get(pk=report.pk).reported_at is None
    assert Encounter.objects.get(pk=world_a.encounter.pk).emergency_call == ""


def test_typed_encrypted_fields_refuse_every_lookup() -> None:
    for lookup in ({"is_minor": True}, {"consent": "given"}, {"emergency_call_at__isnull": True}):
        with pytest.raises(FieldError):
            str(Encounter.objects.filter(**lookup).query)
    with pytest.raises(FieldError):
        str(Person.objects.filter(estimated_age__lt=18).query)


def test_form_fields_are_those_of_the_plain_fields() -> None:
    form = PersonForm(org_id=uuid.uuid4())
    age = form.fields["estimated_age"]
    assert isinstance(age, forms.IntegerField) and age.min_value == 0 and not age.required
    assert isinstance(form.fields["interpreter_needed"], forms.BooleanField)
    language = form.fields["interpreter_language"]
    assert isinstance(language, forms.CharField) and language.max_length == 60
    gender = form.fields["interviewer_gender"]
    assert isinstance(gender, forms.TypedChoiceField) and ("female", "Female interviewer") in gender.choices
    assert Encounter._meta.get_field("consent").get_default() == "not_asked"


@pytest.mark.django_db
def test_actions_keep_one_row_per_step_and_per_need(world_a: OrgWorld) -> None:
    """The unique constraints went with the plain columns: the actions keep the rule."""
    staff, encounter = world_a.provider, world_a.encounter
    actions.record_gate(staff, encounter, gate="alone", gate_reason="", interpreter="", gender_preference_offered=False)
    actions.record_gate(staff, encounter, gate="alone", gate_reason="", interpreter="", gender_preference_offered=False)
    actions.confirm_confidentiality(staff, encounter)
    assert sorted(s.step for s in StepState.objects.filter(encounter=encounter)) == [Step.CONFIDENTIALITY, Step.GATE]
    actions.save_needs(staff, encounter, {"food_water__needed": "on", "food_water__note": "one"})
    actions.save_needs(staff, encounter, {"food_water__needed": "on", "food_water__note": "two", "other__needed": "1"})
    assert sorted((n.kind, n.note) for n in encounter.needs.all()) == [("food_water", "two"), ("other", "")]
    actions.save_needs(staff, encounter, {"other__needed": "on"})
    assert [n.kind for n in encounter.needs.all()] == ["other"]


@pytest.mark.django_db
def test_queries_rewritten_for_encrypted_columns(world_a: OrgWorld) -> None:
    staff, encounter, person = world_a.provider, world_a.encounter, world_a.person
    assert _age_refusal(person, is_minor=False) == "" and _age_refusal(person, is_minor=True) != ""
    assert latest_unsafe_carry_signal(person.pk, "take_resources") is None
    actions.record_gate(staff, encounter, gate="alone", gate_reason="", interpreter="", gender_preference_offered=False)
    actions.confirm_confidentiality(staff, encounter)
    content = ContentSet.current(world_a.org.id, IN_PERSON)
    unsure = {"take_resources": actions.CheckAnswer(Answer.UNSURE, True)}
    actions.record_safety_check(staff, encounter, content, content.id, unsure)
    said = SafetyAnswer.objects.get(question_key="take_resources").at
    assert latest_unsafe_carry_signal(person.pk, "take_resources") == said
    actions.record_education(staff, encounter, "unsafe")
    assert latest_unsafe_carry_signal(person.pk, "take_resources") == max(said, encounter.started_at)


@pytest.mark.django_db
def test_name_index_differs_per_organisation_and_search_finds_its_own(world_a: OrgWorld, world_b: OrgWorld) -> None:
    a = Person.objects.create(org=world_a.org, name="Ana Duarte", alias="La Flaca")
    b = Person.objects.create(org=world_b.org, name="ana  DUARTE", alias="la flaca")
    assert a.name_index and b.name_index and a.name_index != b.name_index and a.alias_index != b.alias_index
    assert Person.search_index(world_a.org.id, "") == ""
    for org, person in ((world_a.org, a), (world_b.org, b)):
        index = Person.search_index(org.id, " Ana Duarte ")
        assert list(Person.objects.filter(org=org, name_index=index)) == [person]
        assert list(Person.objects.filter(name_index=index)) == [person]  # not even without the org filter
        assert list(Person.objects.filter(alias_index=Person.search_index(org.id, "LA FLACA"))) == [person]
    assert a.name_index != crypto.blind_index("Ana Duarte", "person.name")  # not the shared index of before


BEFORE = [("people", "0001_initial"), ("encounters", "0005_amendments"), ("contact", "0002_contactrules_chat_contactrules_email_and_more")]  # fmt: skip  # noqa: E501


def check_migrations_both_ways() -> None:
    """Run in a fresh, migrated database (see the test below): rows written by the app go back to
    plain columns and forward to ciphertext again with the same values."""
    world = make_org("m")
    found = _situation(world)
    person = Person.objects.get(pk=world.person.pk)
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        assert [int(v) for v in _raw("people_person", "estimated_age")] == [30]
        assert _raw("people_person", "interpreter_language") == ["Tigrinya"]
        assert _raw("people_person", "name_index") == [crypto.blind_index("Canary Name M", "person.name")]
        assert sorted(_raw("encounters_encounter", "gate")) == ["", "not_possible"]
        assert sorted(bool(v) for v in _raw("encounters_encounter", "is_minor")) == [False, True]
        assert sorted(_raw("encounters_emergencyneed", "kind")) == ["injuries", "shelter"]
        assert sorted(_raw("encounters_safetyanswer", "answer")) == ["no", "yes"]
        assert _raw("encounters_separationrun", "separator") == ["Dana Runner"]
        assert _raw("contact_contactrules", "voicemail") == ["allowed"]
        assert [bool(v) for v in _raw("encounters_childprotectionreport", "told_first")] == [True]
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)
        assert all(v.startswith("wr1:") for v in _raw("people_person", "estimated_age"))
        assert all(v.startswith("wr1:") for v in _raw("encounters_encounter", "is_minor"))
        again = Person.objects.get(pk=person.pk)
        assert (again.estimated_age, again.interpreter_language, again.interpreter_needed) == (30, "Tigrinya", True)
        assert again.name_index == Person.search_index(world.org.id, "Canary Name M")
        encounter = Encounter.objects.get(pk=found["encounter"].pk)
        assert (encounter.gate, encounter.consent, encounter.emergency_call) == (
            "not_possible",
            "declined",
            "called_911",
        )
        assert encounter.emergency_call_at == found["encounter"].emergency_call_at
        report = ChildProtectionReport.objects.get()
        assert report.reported_at == found["reported"] and report.told_first is True
        assert Encounter.objects.get(pk=found["minor"].pk).is_minor is True
        assert ContactRules.objects.get().voicemail == "allowed"
        assert SeparationRun.objects.get().outcome == "refused"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(leaves)


MIGRATION_SCRIPT = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.test_issue9_encryption import check_migrations_both_ways
check_migrations_both_ways()
print("MIGRATIONS-BOTH-WAYS-OK")
"""


def _scratch_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own: migrations cannot run back and forth inside the test transaction."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path}/migrations.sqlite3"
        return
    import psycopg

    settings = connection.settings_dict
    name = f"wp_issue9_{uuid.uuid4().hex[:12]}"
    base = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.django_db
def test_migrations_convert_existing_rows_both_ways(tmp_path: Path) -> None:
    for url in _scratch_database(tmp_path):
        env = {**os.environ, "WAYPOINT_ENV": "test", "WAYPOINT_DATA_DIR": str(tmp_path), "DATABASE_URL": url}
        env["DJANGO_SETTINGS_MODULE"] = "waypoint.settings"
        result = subprocess.run(
            [sys.executable, "-c", MIGRATION_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        assert "MIGRATIONS-BOTH-WAYS-OK" in result.stdout, result.stdout + result.stderr[-4000:]

"""Issue 11, item 7: finding people.

Search by any whole words of a name or alias (accents, capitals, order and punctuation do not
matter) or by reference code, through keyed hashes per word and organisation: the database holds no
name, and one organisation's search never finds another's records.  Creating a record that may be
someone already recorded shows the possible matches first and needs an explicit "create anyway".
Staff who may read records can choose to see initials or an alias beside the codes in lists."""

from __future__ import annotations

import datetime
import importlib
import re
import unicodedata
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import OrgWorld, make_org, sign_in
from tests.test_people import person_data
from tests.test_properties import NASTY, SETTINGS, post
from waypoint.core import audit, crypto
from waypoint.core.models import AuditEvent
from waypoint.orgs import actions as org_actions
from waypoint.orgs.models import Staff
from waypoint.people import search, tokens
from waypoint.people.events import PersonEvent
from waypoint.people.models import Person, PersonToken

NAME = "María López"


def create(client: Client, **overrides: Any) -> Any:
    return client.post("/people/new/", person_data(**overrides))


def found(client: Client, text: str) -> list[Person]:
    response = client.post("/people/search/", {"wp_find": text})
    assert response.status_code == 200, response.status_code
    return list(response.context["rows"])


def variants(*words: str) -> set[str]:
    """Every case and Unicode form of each word: as typed, lower, upper, title, case-folded; NFC and NFD."""
    out = set()
    for word in words:
        for form in ("NFC", "NFD"):
            text = unicodedata.normalize(form, word)
            out |= {text, text.lower(), text.upper(), text.title(), text.casefold()}
    return out


FORBIDDEN = variants("María", "Maria", "López", "Lopez", "María López", "Maria Lopez")


# --- Words ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("María López", ["maria", "lopez"]),
        ("  MARIA   lopez ", ["maria", "lopez"]),
        ("Mari\u0301a Lo\u0301pez", ["maria", "lopez"]),  # decomposed accents, as some keyboards send
        ("López-García, María", ["lopez", "garcia", "maria"]),
        ("O'Brien", ["o", "brien"]),
        ("Ｍａｒíａ", ["maria"]),  # full-width letters
        ("Straße", ["strasse"]),
        ("Nguyễn Thị", ["nguyen", "thi"]),
        ("maria maria", ["maria"]),
        ("", []),
        ("-- ..", []),
    ],
)
def test_names_split_into_words_without_accents_or_case(text: str, words: list[str]) -> None:
    assert crypto.name_tokens(text) == words


def test_word_hashes_are_keyed_per_organisation_and_purpose() -> None:
    one, two = uuid.uuid4(), uuid.uuid4()
    assert tokens.word_digests(one, "María") == tokens.word_digests(one, "MARIA")
    assert tokens.word_digests(one, "María") != tokens.word_digests(two, "María")
    assert tokens.word_digests(one, "maria") != [tokens.whole_digest(one, "maria")]  # a word is not a whole name
    assert all(len(d) == 64 and "maria" not in d for d in tokens.record_digests(one, NAME, "La Flaca"))
    with pytest.raises(ValueError):
        crypto.token_digest("maria", tokens.WORD, "")


def test_every_save_keeps_the_word_index_current(world_a: OrgWorld) -> None:
    person = Person.objects.create(org=world_a.org, name=NAME, alias="La Flaca")
    stored = set(PersonToken.objects.filter(person=person).values_list("digest", flat=True))
    assert stored == tokens.record_digests(world_a.org.id, NAME, "La Flaca")
    person.name, person.alias = "Rosa Delgado", ""
    person.save()
    stored = set(PersonToken.objects.filter(person=person).values_list("digest", flat=True))
    assert stored == tokens.record_digests(world_a.org.id, "Rosa Delgado", "")
    person.notes = "unchanged names"
    person.save(update_fields=["notes"])
    assert PersonToken.objects.filter(person=person).count() == len(stored)


# --- Done when: found from its words, in its own organisation only; no name in the database --------


def _raw_database_text() -> tuple[str, str]:
    """The database as bytes (serialised, plus the file and its WAL when there is one) and as a SQL
    dump, both decoded for searching."""
    if connection.vendor != "sqlite":
        dump = []
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
                dump += [repr(row) for row in cursor.fetchall()]
        text = "\n".join(dump)
        return text, text
    connection.ensure_connection()
    raw = connection.connection
    blobs = [raw.serialize()]  # the database's bytes as this connection sees them (uncommitted rows too)
    name = connection.settings_dict["NAME"]
    for path in (Path(str(name)), Path(f"{name}-wal")):
        if path.is_file():
            blobs.append(path.read_bytes())
    dump = "\n".join(raw.iterdump())
    return "\n".join(blob.decode("utf-8", errors="replace") for blob in blobs), dump


def test_search_finds_maria_lopez_by_any_word_in_its_own_organisation_and_stores_no_name(
    world_a: OrgWorld, world_b: OrgWorld
) -> None:
    clients = {}
    made = {}
    for world in (world_a, world_b):
        client = sign_in(Client(), world.provider)
        response = create(client, name=NAME)
        assert response.status_code == 302
        clients[world.org.id] = client
        made[world.org.id] = Person.objects.get(org=world.org, created_by_id=world.provider.id, preferred_language="es")
    for world, other in ((world_a, world_b), (world_b, world_a)):
        client, mine = clients[world.org.id], made[world.org.id]
        for text in ("maria", "LOPEZ", NAME, "lopez maria", "  López,  MARÍA "):
            assert found(client, text) == [mine], text
        assert found(client, mine.reference.lower().replace("-", "")) == [mine]
        assert found(client, made[other.org.id].reference) == []
        assert found(client, "maria rosa") == []  # every word must match
        assert found(client, "mar") == []  # whole words only
    assert Person.objects.get(pk=made[world_a.org.id].pk).name == NAME  # the app itself reads it back

    binary, dump = _raw_database_text()
    for person in made.values():  # the snapshot holds the new records: their absence means something
        assert person.reference in binary and person.reference in dump
        assert PersonToken.objects.filter(person=person).count() == 3  # two words and the whole name
    hits = sorted(word for word in FORBIDDEN if word in binary or word in dump)
    print(f"forms of the name looked for: {len(FORBIDDEN)}; found in the raw database or dump: {len(hits)}")
    assert hits == []
    assert "Canary Name A" not in binary and "Canary Name A" not in dump  # the fixture's name neither


def test_a_search_row_holds_neither_the_words_nor_their_hashes(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    found(client, "Canary NAME")
    row = AuditEvent.objects.filter(event=PersonEvent.SEARCHED).get()
    values = " ".join(str(getattr(row, f.attname)) for f in AuditEvent._meta.concrete_fields).lower()
    assert row.count == 1 and "canary" not in values
    assert not any(d in values for d in tokens.word_digests(world_a.org.id, "Canary NAME"))


def test_search_by_alias_and_code(world_a: OrgWorld) -> None:
    person = Person.objects.create(org=world_a.org, name="", alias="La Flaca")
    client = sign_in(Client(), world_a.provider)
    assert found(client, "flaca") == [person]
    assert found(client, "LA  flaca") == [person]
    assert found(client, person.reference.lower()) == [person]
    assert found(client, "flaca canary") == []  # words of different records do not add up


def test_search_in_staff_roles_that_may_not_read_finds_nothing(world_a: OrgWorld) -> None:
    """Front desk, org admins and auditors cannot reach the page, and the finder gives them nothing."""
    for role in ("front_desk", "org_admin", "auditor"):
        staff = getattr(world_a, role)
        assert list(search.find(staff, "Canary Name A")) == []
        assert sign_in(Client(), staff).post("/people/search/", {"wp_find": "canary"}).status_code == 404


def test_too_many_words_find_nothing_and_never_fail(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    assert found(client, " ".join(["canary"] * 25)) == [world_a.person]  # repeated words count once
    assert found(client, " ".join(f"w{n}" for n in range(tokens.MAX_WORDS + 1))) == []


# --- Backfill ---------------------------------------------------------------------------------------


def test_the_migration_indexes_existing_records_with_the_same_hashes(world_a: OrgWorld, world_b: OrgWorld) -> None:
    extra = Person.objects.create(org=world_a.org, name=NAME, alias="La Flaca")
    expected = set(PersonToken.objects.values_list("person_id", "org_id", "digest"))
    PersonToken.objects.all().delete()
    migration = importlib.import_module("waypoint.people.migrations.0003_person_tokens")
    from django.apps import apps

    migration.index_existing(apps, SimpleNamespace(connection=connection))
    assert set(PersonToken.objects.values_list("person_id", "org_id", "digest")) == expected
    client = sign_in(Client(), world_a.provider)
    assert found(client, "flaca maria") == [extra]
    assert found(sign_in(Client(), world_b.provider), "canary b") == [world_b.person]


# --- Duplicate warning ------------------------------------------------------------------------------


def _codes(response: Any) -> list[str]:
    context = getattr(response, "context", None) or {}
    return [match.person.reference for match in context.get("matches") or []]


def test_creating_a_likely_duplicate_shows_the_matches_first_and_keeps_what_was_typed(
    world_a: OrgWorld, world_b: OrgWorld
) -> None:
    existing = Person.objects.create(org=world_a.org, name=NAME)
    Person.objects.create(org=world_b.org, name=NAME)  # another organisation's: never a match
    client = sign_in(Client(), world_a.provider)
    before = Person.objects.count()
    reads = AuditEvent.objects.filter(event=PersonEvent.DUPLICATES_SHOWN)

    response = create(client, name="Maria Lopez", notes="Typed note 1")
    assert response.status_code == 200
    assert _codes(response) == [existing.reference]
    body = response.content.decode()
    assert existing.reference in body and f'href="/people/{existing.id}/"' in body
    assert "Maria Lopez</textarea>" in body and "Typed note 1" in body  # nothing typed is lost
    assert 'name="create_anyway"' in body and f'value="{existing.reference}"' in body
    assert Person.objects.count() == before
    assert reads.count() == 1 and reads.get().count == 1  # one read row, with how many matches

    data = person_data(name="Maria Lopez", notes="Typed note 1", matches_seen=existing.reference)
    unticked = client.post("/people/new/", data)
    assert unticked.status_code == 400 and "Tick this box" in unticked.content.decode()
    assert Person.objects.count() == before and reads.count() == 2

    confirmed = client.post("/people/new/", {**data, "create_anyway": "on"})
    assert confirmed.status_code == 302
    assert Person.objects.count() == before + 1
    assert AuditEvent.objects.filter(event=PersonEvent.CREATED).count() == 1


def test_a_match_that_appears_after_the_warning_is_shown_before_creating(world_a: OrgWorld) -> None:
    first = Person.objects.create(org=world_a.org, name=NAME)
    client = sign_in(Client(), world_a.provider)
    data = person_data(name="maria lopez", matches_seen=first.reference, create_anyway="on")
    second = Person.objects.create(org=world_a.org, name="López María")
    response = client.post("/people/new/", data)
    assert response.status_code == 200 and sorted(_codes(response)) == sorted([first.reference, second.reference])
    assert 'name="create_anyway"' in response.content.decode() and "checked" not in str(
        response.context["form"]["create_anyway"]
    )


@pytest.mark.parametrize(
    ("existing", "typed", "match"),
    [
        ({"name": NAME}, {"name": "maria lopez"}, True),
        ({"name": NAME}, {"name": "María López Sánchez"}, False),  # a word the record does not have
        ({"name": "María López Sánchez"}, {"name": "María López"}, True),  # every typed word is in the record
        ({"name": NAME}, {"name": "Rosa", "alias": "LOPEZ maria"}, True),  # by alias
        ({"name": "", "alias": "La Flaca"}, {"name": "Ana", "alias": "la flaca"}, True),
        ({"name": NAME, "date_of_birth": "1990-04-03"}, {"name": "Maria Sanchez", "date_of_birth": "1990-04-03"}, True),
        (
            {"name": NAME, "date_of_birth": "1990-04-03"},
            {"name": "Maria Sanchez", "date_of_birth": "1991-04-03"},
            False,
        ),
        ({"name": NAME, "date_of_birth": "1990-04-03"}, {"name": "Rosa Sanchez", "date_of_birth": "1990-04-03"}, False),
        ({"name": NAME}, {"name": ""}, False),
    ],
)
def test_what_counts_as_a_likely_duplicate(
    world_a: OrgWorld, existing: dict[str, Any], typed: dict[str, Any], match: bool
) -> None:
    values = {k: datetime.date.fromisoformat(v) if k == "date_of_birth" else v for k, v in existing.items()}
    person = Person.objects.create(org=world_a.org, **values)
    response = create(sign_in(Client(), world_a.provider), **typed)
    assert (person.reference in _codes(response)) is match
    assert response.status_code == (200 if match else 302)


def test_a_double_submit_is_not_taken_for_a_duplicate(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    data = person_data(name=NAME)
    first, second = client.post("/people/new/", data), client.post("/people/new/", data)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Person.objects.filter(org=world_a.org).count() == 2  # the fixture's record and this one


def test_the_duplicate_check_counts_as_a_search_and_is_throttled(world_a: OrgWorld, settings: Any) -> None:
    Person.objects.create(org=world_a.org, name=NAME)
    settings.WAYPOINT_SEARCHES_PER_MINUTE = 1
    client = sign_in(Client(), world_a.provider)
    assert create(client, name=NAME).status_code == 200
    before = Person.objects.count()
    refused = create(client, name="Rosa Delgado", notes="Typed note 2")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    body = refused.content.decode()
    assert "searched many times" in body and "Typed note 2" in body and "Rosa Delgado</textarea>" in body
    assert Person.objects.count() == before


def test_bad_input_on_the_create_page_is_a_400_with_nothing_lost(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.provider)
    response = create(client, name=NAME, date_of_birth="2024-02-30")
    assert response.status_code == 400
    assert "María López</textarea>" in response.content.decode()
    assert "matches" not in response.context


# --- Initials or alias in lists --------------------------------------------------------------------


def _labels(html: str) -> list[str]:
    return re.findall(r'<td class="person-label" data-person-label="[^"]+">([^<]*)</td>', html)


def test_labels_are_off_by_default_and_the_list_shows_codes_only(world_a: OrgWorld) -> None:
    assert Staff.objects.get(pk=world_a.provider.pk).show_person_labels is False
    page = sign_in(Client(), world_a.provider).get("/people/").content.decode()
    assert _labels(page) == [] and "Initials or alias" not in page and "C.N.A." not in page


def test_turning_labels_on_in_the_account_page_shows_initials_or_alias(world_a: OrgWorld) -> None:
    alias_only = Person.objects.create(org=world_a.org, name="", alias="La Flaca")
    client = sign_in(Client(), world_a.provider)
    account = client.get("/account/").content.decode()
    assert 'name="show"' in account and 'action="/account/list-labels/"' in account
    response = client.post("/account/list-labels/", {"show": "on"})
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert Staff.objects.get(pk=world_a.provider.pk).show_person_labels is True
    row = AuditEvent.objects.get(event=org_actions.PERSON_LABELS_ON)
    assert row.actor_id == world_a.provider.id and row.object_id == world_a.provider.id
    assert audit.label(org_actions.PERSON_LABELS_ON) != org_actions.PERSON_LABELS_ON

    listing = client.get("/people/").content.decode()
    assert sorted(_labels(listing)) == sorted(["C.N.A.", "La Flaca"])
    assert sorted(_labels(client.post("/people/search/", {"wp_find": "flaca"}).content.decode())) == ["La Flaca"]
    home = client.get("/")
    assert "C.N.A." in home.content.decode()  # the assigned records on the home page
    assert AuditEvent.objects.filter(event=PersonEvent.LISTED, actor_id=world_a.provider.id).exists()

    assert client.post("/account/list-labels/", {}).status_code == 302  # unticked: off again
    assert Staff.objects.get(pk=world_a.provider.pk).show_person_labels is False
    assert AuditEvent.objects.filter(event=org_actions.PERSON_LABELS_OFF).count() == 1
    assert _labels(client.get("/people/").content.decode()) == []
    assert alias_only.reference in client.get("/people/").content.decode()


def test_only_staff_who_may_read_records_have_the_choice(world_a: OrgWorld) -> None:
    for role in ("front_desk", "org_admin", "auditor"):
        client = sign_in(Client(), getattr(world_a, role))
        assert 'name="show"' not in client.get("/account/").content.decode()
        assert client.post("/account/list-labels/", {"show": "on"}).status_code == 404
        assert Staff.objects.get(pk=getattr(world_a, role).pk).show_person_labels is False


def test_labels_are_given_only_for_records_the_viewer_may_read(world_a: OrgWorld, world_b: OrgWorld) -> None:
    reader = world_a.provider
    reader.show_person_labels = True
    assert search.label(reader, world_a.person) == "C.N.A."
    assert search.label(reader, world_b.person) == ""  # another organisation's record
    desk = world_a.front_desk
    desk.show_person_labels = True
    assert search.label(desk, world_a.person) == ""


def test_labels_cost_no_extra_query_per_row(world_a: OrgWorld) -> None:
    Staff.objects.filter(pk=world_a.provider.pk).update(show_person_labels=True)
    client = sign_in(Client(), world_a.provider)

    def count() -> int:
        client.get("/people/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/people/").status_code == 200
        return len(captured.captured_queries)

    before = count()
    for n in range(5):
        Person.objects.create(org=world_a.org, name=f"Extra Person {n}")
    print(f"people list queries with labels: {before} (then {count()} with 5 more rows)")
    assert count() == before


# --- Properties -------------------------------------------------------------------------------------

WORDS = st.text(alphabet=st.characters(categories=["L", "Nd"]), min_size=1, max_size=8)


@pytest.fixture
def two_orgs(db: Any) -> Any:
    """Two organisations, wrapped: Hypothesis probes fixture values for attributes."""
    a, b = make_org("h"), make_org("k")
    return SimpleNamespace(a=a.org, b=b.org, reader_a=a.provider, reader_b=b.provider)


@SETTINGS
@given(names=st.lists(st.lists(WORDS, min_size=1, max_size=3), min_size=1, max_size=4), pick=st.integers(0, 20))
def test_random_names_are_found_only_in_their_own_organisation(
    two_orgs: Any, names: list[list[str]], pick: int
) -> None:
    made = []
    for n, words in enumerate(names):
        org = two_orgs.a if n % 2 == 0 else two_orgs.b
        made.append(Person.objects.create(org=org, name=" ".join(words)))
    target = made[pick % len(made)]
    query = " ".join(target.name.split()[::-1])  # the same words in another order
    findable = bool(tokens.words(target.name))  # a few letters are only an accent once decomposed
    for reader in (two_orgs.reader_a, two_orgs.reader_b):
        results = list(search.find(reader, query))
        assert all(p.org_id == reader.org_id for p in results)
        assert (target in results) is (findable and target.org_id == reader.org_id)


@SETTINGS
@given(text=st.one_of(NASTY, st.text(max_size=400)))
def test_search_never_fails_on_junk(two_orgs: Any, text: str) -> None:
    client = sign_in(Client(), two_orgs.reader_a)
    with _unthrottled():  # the examples' search rows accumulate within the minute
        response = post(client, "/people/search/", {"wp_find": text})
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 200 and response.context:
        assert all(p.org_id == two_orgs.a.id for p in response.context["rows"])


def _unthrottled() -> Any:
    return override_settings(WAYPOINT_SEARCHES_PER_MINUTE=10**6)


@pytest.mark.parametrize(
    ("name", "alias", "shown"),
    [
        ("María López", "", "M.L."),
        ("maría lópez-garcía", "La Flaca", "M.L.G."),  # initials first, as capitals
        ("", "La Flaca", "La Flaca"),
        ("", "x" * 80, "x" * 29 + "…"),  # a long alias is cut
        ("", "", ""),
        ("Ana Bea Cruz Diaz Elena", "", "A.B.C.D."),  # at most four
    ],
)
def test_what_a_label_shows(world_a: OrgWorld, name: str, alias: str, shown: str) -> None:
    reader = world_a.provider
    reader.show_person_labels = True
    assert search.label(reader, Person(org=world_a.org, name=name, alias=alias)) == shown
    reader.show_person_labels = False
    assert search.label(reader, Person(org=world_a.org, name=name, alias=alias)) == ""

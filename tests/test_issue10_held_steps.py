"""Second review of the issue 10 fixes, finding 3 (last part): where they are, their injuries and the
callback words are read only by the record's assigned staff and supervisors.  The safety check and
the not-safe-to-talk page show them to those staff only; another provider of the organisation sees
that they are held (never the text: not in a value, a textarea or a data attribute), and a save by
that provider, or a post forged to the action, keeps the stored text."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, make_staff, sign_in
from tests.test_encounters import phone_ready, safe_to_talk, start
from waypoint.contact.models import ContactRules
from waypoint.content.models import ContentSet
from waypoint.content.source import PHONE
from waypoint.core import audit
from waypoint.core.models import AuditEvent
from waypoint.encounters import actions
from waypoint.encounters.models import CheckAnswer, Encounter, SafetyAnswer
from waypoint.orgs.models import Role, Staff

WHERE_NOTE = "WHERE-NOTE-CANARY at my cousin's flat"
WHERE_PART = "WHERE-PART-CANARY 12 Elm Street"
INJURY_NOTE = "INJURY-NOTE-CANARY my wrist"
CALLBACK = "CALLBACK-CANARY after ten, on my sister's phone"


def _reads_during(call: Any) -> tuple[Any, int]:
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = call()
    return response, AuditEvent.objects.filter(id__gt=last, event__in=audit.read_events()).count()


def _other(world: OrgWorld) -> Staff:
    """A provider of the same organisation, not assigned to the record: reads it, holds no secrets."""
    return make_staff(world.org, "unassigned.a", Role.PROVIDER)


def _check_url(encounter: Encounter) -> str:
    return reverse("encounters:safety_check", args=[encounter.id])


def _checked(as_provider: Client, world: OrgWorld) -> Encounter:
    """A phone check saved by the assigned provider: where they are and an injury, with their words."""
    encounter, content = phone_ready(as_provider, world)
    data = {
        "content_set": str(content.id),
        "where_are_you__answer": "no", "where_are_you__consented": "on", "where_are_you__note": WHERE_NOTE,
        "where_are_you__whereabouts": WHERE_PART,
        "injured__answer": "yes", "injured__consented": "on", "injured__note": INJURY_NOTE,
        "write_down__answer": "no", "write_down__consented": "on",
    }  # fmt: skip
    assert as_provider.post(_check_url(encounter), data).status_code == 302
    return encounter


def _stored(encounter: Encounter) -> dict[str, tuple[str, bool, str]]:
    rows = SafetyAnswer.objects.filter(encounter=encounter, question_key__in=("where_are_you", "injured"))
    return {row.question_key: (row.answer, row.consented, row.note) for row in rows}


HELD_STORED = {"where_are_you": ("no", True, WHERE_NOTE), "injured": ("yes", True, INJURY_NOTE)}


def test_the_check_page_shows_whereabouts_and_injuries_to_holders_only(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = _checked(as_provider, world_a)
    assert _stored(encounter) == HELD_STORED
    url = _check_url(encounter)
    for staff in (world_a.provider, world_a.supervisor):  # assigned, and a supervisor: as before
        response, reads = _reads_during(lambda staff=staff: sign_in(Client(), staff).get(url))
        page = unescape(response.content.decode())
        assert response.status_code == 200 and reads == 1
        assert WHERE_NOTE in page and INJURY_NOTE in page and "data-held" not in page
        assert 'name="injured__answer"' in page and 'name="where_are_you__note"' in page

    response, reads = _reads_during(lambda: sign_in(Client(), _other(world_a)).get(url))
    page = unescape(response.content.decode())
    assert response.status_code == 200 and reads == 1
    for canary in ("WHERE-NOTE-CANARY", "WHERE-PART-CANARY", "INJURY-NOTE-CANARY"):
        assert canary not in page
    assert 'data-held="where_are_you"' in page and 'data-held="injured"' in page
    assert "held by the assigned staff and supervisors" in page
    # Nothing of either answer is on the form (their yes / no neither), only its agreement, ticked
    # and disabled; the other questions are as before.
    for name in ("injured__answer", "injured__note", "where_are_you__answer", "where_are_you__note"):
        assert f'name="{name}"' not in page
    assert 'name="where_are_you__whereabouts"' not in page and 'id="holds-rules-where_are_you"' not in page
    assert 'name="write_down__answer"' in page and 'name="write_down__note"' in page
    for key in ("where_are_you", "injured"):
        (box,) = re.findall(rf'<input[^>]*name="{key}__consented"[^>]*>', page)
        assert "checked" in box and "disabled" in box  # still kept: the page counts it so
    assert re.search(r'data-count="kept">3<', page)  # where, injured, write down


def test_a_save_by_a_non_holder_keeps_the_held_answers(as_provider: Client, world_a: OrgWorld) -> None:
    encounter = _checked(as_provider, world_a)
    other = sign_in(Client(), _other(world_a))
    content = ContentSet.current(world_a.org.id, PHONE)
    # Their page, saved as it is, with blanks and an untick forged for the held questions as well.
    forged = {
        "content_set": str(content.id), "write_down__answer": "yes", "write_down__consented": "on",
        "where_are_you__answer": "", "where_are_you__note": "", "where_are_you__whereabouts": "",
        "injured__answer": "", "injured__note": "",
    }  # fmt: skip
    response = other.post(_check_url(encounter), forged)
    assert response.status_code == 302
    assert _stored(encounter) == HELD_STORED
    assert SafetyAnswer.objects.get(encounter=encounter, question_key="write_down").answer == "yes"  # theirs saved
    rules = ContactRules.objects.get(person=world_a.person)
    assert (rules.whereabouts, rules.whereabouts_safe) == (WHERE_PART, "no")
    # Words forged over them: left as they are too.
    overwrite = {
        **forged, "where_are_you__consented": "on", "where_are_you__note": "moved",
        "where_are_you__whereabouts": "elsewhere", "injured__consented": "on", "injured__note": "fine",
    }  # fmt: skip
    assert other.post(_check_url(encounter), overwrite).status_code == 302
    assert _stored(encounter) == HELD_STORED
    rules.refresh_from_db()
    assert rules.whereabouts == WHERE_PART
    # The action itself, called directly: nothing said (withdrawn) or new words, the same.
    staff = Staff.objects.get(username="unassigned.a")
    for given in (CheckAnswer(), CheckAnswer(answer="no", consented=True, note="new words")):
        actions.record_safety_check(staff, encounter, content, content.id, {"where_are_you": given, "injured": given})
        assert _stored(encounter) == HELD_STORED
    # The assigned provider still changes them as before.
    mine = {"content_set": str(content.id), "injured__answer": "no", "injured__consented": "on"}
    assert as_provider.post(_check_url(encounter), mine).status_code == 302
    assert _stored(encounter)["injured"] == ("no", True, "")


def test_a_non_holder_still_records_a_held_question_not_answered_before(world_a: OrgWorld) -> None:
    """Nothing kept yet: the question is theirs to ask and record; once kept, it is held from them."""
    other = sign_in(Client(), _other(world_a))
    encounter, content = phone_ready(other, world_a)
    page = other.get(_check_url(encounter)).content.decode()
    assert 'name="injured__note"' in page and "data-held" not in page
    data = {"content_set": str(content.id), "injured__answer": "yes", "injured__consented": "on",
            "injured__note": INJURY_NOTE}  # fmt: skip
    assert other.post(_check_url(encounter), data).status_code == 302
    assert _stored(encounter) == {"injured": ("yes", True, INJURY_NOTE)}
    page = other.get(_check_url(encounter)).content.decode()
    assert "INJURY-NOTE-CANARY" not in page and 'data-held="injured"' in page


def _not_safe_with_words(as_provider: Client, world: OrgWorld) -> tuple[Encounter, str]:
    encounter = start(as_provider, world, mode="phone")
    url = safe_to_talk(as_provider, encounter, "no")
    assert as_provider.post(url, {"callback_plan": CALLBACK}).status_code == 302
    encounter.refresh_from_db()
    assert encounter.callback_plan == CALLBACK
    return encounter, url


def test_the_cover_page_shows_the_callback_words_to_holders_only(as_provider: Client, world_a: OrgWorld) -> None:
    _encounter, url = _not_safe_with_words(as_provider, world_a)
    for staff in (world_a.provider, world_a.supervisor):
        response, reads = _reads_during(lambda staff=staff: sign_in(Client(), staff).get(url))
        page = unescape(response.content.decode())
        assert response.status_code == 200 and reads == 1
        assert CALLBACK in page and 'name="callback_plan"' in page and "data-held" not in page

    response, reads = _reads_during(lambda: sign_in(Client(), _other(world_a)).get(url))
    page = unescape(response.content.decode())
    assert response.status_code == 200 and reads == 1
    assert "CALLBACK-CANARY" not in page and 'name="callback_plan"' not in page
    assert 'data-held="callback_plan"' in page and "held by the assigned staff and supervisors" in page


def test_a_save_by_a_non_holder_keeps_the_callback_words(as_provider: Client, world_a: OrgWorld) -> None:
    encounter, url = _not_safe_with_words(as_provider, world_a)
    staff = _other(world_a)
    other = sign_in(Client(), staff)
    # Their page saved as it is (no words field), or with a blank forged: the words stay.
    for data in ({}, {"callback_plan": ""}, {"callback_plan": "   "}):
        assert other.post(url, data).status_code == 302
        encounter.refresh_from_db()
        assert encounter.callback_plan == CALLBACK
    # Words posted over them: refused, nothing saved, what they typed shown back (never the stored words).
    response, reads = _reads_during(lambda: other.post(url, {"callback_plan": "call at noon"}))
    page = unescape(response.content.decode())
    assert response.status_code == 400 and reads == 1
    assert "only they can change them" in page and "call at noon" in page and "CALLBACK-CANARY" not in page
    encounter.refresh_from_db()
    assert encounter.callback_plan == CALLBACK
    # The action itself: a blank keeps them, words are refused (whatever they are: no guessing).
    actions.record_callback_plan(staff, encounter, "")
    encounter.refresh_from_db()
    assert encounter.callback_plan == CALLBACK
    for words in ("call at noon", CALLBACK):
        with pytest.raises(actions.Refused):
            actions.record_callback_plan(staff, encounter, words)
    encounter.refresh_from_db()
    assert encounter.callback_plan == CALLBACK
    # The assigned provider changes them as before.
    assert as_provider.post(url, {"callback_plan": "after eleven"}).status_code == 302
    encounter.refresh_from_db()
    assert encounter.callback_plan == "after eleven"


def test_a_non_holder_writes_callback_words_when_none_are_saved(world_a: OrgWorld) -> None:
    other = sign_in(Client(), _other(world_a))
    encounter = start(other, world_a, mode="phone")
    url = safe_to_talk(other, encounter, "no")
    page = other.get(url).content.decode()
    assert 'name="callback_plan"' in page and "data-held" not in page
    assert other.post(url, {"callback_plan": CALLBACK}).status_code == 302
    encounter.refresh_from_db()
    assert encounter.callback_plan == CALLBACK
    page = other.get(url).content.decode()
    assert "CALLBACK-CANARY" not in page and 'data-held="callback_plan"' in page

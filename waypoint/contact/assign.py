"""Who a follow-up goes to: the person's wish for a male or a female interviewer is honoured where
the organisation can (a provider or supervisor who can be offered as one is active), and refused
otherwise only when it cannot be."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from waypoint.orgs.models import InterviewsAs, Staff
from waypoint.people.models import InterviewerGender

WISHES = {InterviewerGender.FEMALE: InterviewsAs.FEMALE, InterviewerGender.MALE: InterviewsAs.MALE}


def candidates(person: Any) -> QuerySet[Staff]:
    """Active providers and supervisors of the person's organisation: who a follow-up may go to."""
    readers = Q(is_provider=True) | Q(is_supervisor=True)
    return Staff.objects.filter(readers, org_id=person.org_id, is_active=True).order_by("display_name")


def wish(person: Any) -> str:
    """The staff ``interviews_as`` value the person asked for, or "" for no wish."""
    return WISHES.get(person.interviewer_gender, "")


def choose(person: Any, staff: Staff) -> Staff:
    """``staff`` when they meet the person's wish (or there is none); else someone who does, the
    person's assigned staff first; else ``staff`` (the organisation cannot)."""
    wanted = wish(person)
    if not wanted or staff.interviews_as == wanted:
        return staff
    matching = candidates(person).filter(interviews_as=wanted)
    assigned = matching.filter(assigned_people=person).first()
    return assigned or matching.first() or staff


def problem(person: Any, assignee: Staff | None) -> str:
    """Why ``assignee`` may not take a follow-up of this person ("" when they may)."""
    if assignee is None or not candidates(person).filter(pk=assignee.pk).exists():
        return gettext("Choose an active provider or supervisor of this organisation.")
    wanted = wish(person)
    if wanted and assignee.interviews_as != wanted and candidates(person).filter(interviews_as=wanted).exists():
        if wanted == InterviewsAs.FEMALE:
            return gettext("They asked for a female interviewer: choose one of the staff who can be offered as one.")
        return gettext("They asked for a male interviewer: choose one of the staff who can be offered as one.")
    return ""

"""Who may use the signs.  The plan's printing pages use ``waypoint.plans.access.get_plan``.

- The signs (list and download): org admins and supervisors of the organisation.
- The languages an organisation adds to its signs: org admins only.  Another organisation's
  languages are 404 to everyone, in the download URL as in the edit pages."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.core.concurrency import previous_result
from waypoint.orgs.models import Role
from waypoint.printing.models import SignTranslation

SIGN_READERS = (Role.ORG_ADMIN, Role.SUPERVISOR)
SIGN_EDITORS = (Role.ORG_ADMIN,)
SIGN_LANGUAGE = "signtranslation"  # the object type of a language's audit rows and double-submit keys


def may_edit_signs(user: Any) -> bool:
    return bool(user.is_authenticated and user.has_role(*SIGN_EDITORS))


def sign_translations_for(user: Any, *, editable: bool = False) -> QuerySet[SignTranslation]:
    """The languages this user's organisation added (for editing: only to its org admins)."""
    allowed = may_edit_signs(user) if editable else user.is_authenticated and user.has_role(*SIGN_READERS)
    if not allowed:
        return SignTranslation.objects.none()
    return SignTranslation.objects.filter(org_id=user.org_id)


def get_sign_translation(request: HttpRequest, translation_id: uuid.UUID | str) -> SignTranslation:
    """An added language this user may change."""
    try:
        return sign_translations_for(request.user, editable=True).get(pk=translation_id)
    except (SignTranslation.DoesNotExist, ValueError, ValidationError):
        deny(request, "signtranslation", translation_id)


def sign_translation_by_code(request: HttpRequest, code: str) -> SignTranslation:
    """The organisation's added language with this code (as normalised), for printing."""
    try:
        return sign_translations_for(request.user).get(code=code)
    except SignTranslation.DoesNotExist:
        deny(request, "signtranslation")


def already_added(user: Any, token: str | None) -> bool:
    """Whether this user's form with this token already added a language (a double submit)."""
    try:
        key = uuid.UUID(str(token))
    except ValueError:
        return False
    return previous_result(user.id, key, SIGN_LANGUAGE) is not None

"""The see-alone policy: "establish a systemwide policy to see patients or clients alone for at least
part of every visit" (the first guide).  The organisation turns it on and writes its text; Waypoint
ships a default, shown in the reader's language while the organisation has not changed it."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

from waypoint.orgs.models import Organisation

DEFAULT_SEE_ALONE_TEXT = gettext_noop(
    "To give everyone privacy, we see every patient or client alone for part of every visit. "
    "This is our policy for everyone, every time."
)


def policy_text(org: Organisation) -> str:
    """The organisation's policy text, or Waypoint's default in the reader's language."""
    return org.see_alone_text.strip() or gettext(DEFAULT_SEE_ALONE_TEXT)

"""Discretion: what an onlooker can learn from a provider's screen or browser, as the organisation
sets it.  Two things live here, each with one source: the name in the browser tab (every signed-in
page's ``<title>``, through ``waypoint.orgs.context``), and the steps a provider reads when someone
on the phone is in danger (the safety check's escalation page).  The in-person emergency steps are
the separation protocol's (``waypoint.encounters.separation``), not these.

Defends against: a tab, a window list or a taskbar preview naming the product (a tab that says
what the service is, read over a shoulder or on a shared computer, can put someone at risk); a
placeholder step shown to a provider as if it were the organisation's.

Does not defend against: the browser's history and bookmarks, which keep the address; the address
itself; an organisation choosing a tab name that is not neutral (the settings page says why it
should be)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from waypoint.orgs.models import Organisation

# Neutral, and the word the PDFs' metadata titles already use.
DEFAULT_TAB_TITLE = _("Notes")
TAB_TITLE_MAX = 60

# In danger during a call: the person is not in our building, so the steps are the caller's (the
# organisation's own in-person steps are in its separation protocol).
PHONE_EMERGENCY_STEPS = (
    _("Stay on the line. Do not hang up first."),
    _("Ask: “Can you call 911 yourself, or would you like me to call for you?”"),
    _(
        "If they want you to call: ask where they are, only if they agree to tell you, and call 911 from another "
        "phone while you stay on this line."
    ),
    _("Ask questions they can answer with yes or no, in case someone is listening."),
    _("If someone comes on the line, do what they asked you to do: hang up, or say you are someone else."),
    _("If the call drops, call back only in the way they agreed to."),
)


def tab_title(org: Organisation | None) -> str:
    """The browser tab's name: the organisation's choice, or the neutral default in the reader's
    language (signed out, or nothing chosen)."""
    chosen = (org.tab_title if org is not None else "").strip()
    return chosen or str(DEFAULT_TAB_TITLE)


def lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def default_phone_steps() -> list[str]:
    """Waypoint's steps for a call, in the reader's language."""
    return [str(step) for step in PHONE_EMERGENCY_STEPS]


def phone_emergency_steps(org: Organisation) -> list[str]:
    """The steps for someone in danger on a call: the organisation's own when it wrote them, else
    Waypoint's in the reader's language."""
    return lines(org.phone_emergency_steps) or default_phone_steps()

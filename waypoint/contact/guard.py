"""The contact guard: the one function that decides whether staff may use a way of reaching a person.
Every template that shows a number, e-mail or address asks it (through ``channel_rows``), and so do
follow-up tasks when they are created and again when an attempt is logged.

Deny by default.  A channel may be used only when the person said contact after today is safe
("yes"; "no", "not sure" and "not asked" all forbid everything) and that channel is recorded as
allowed ("not asked" forbids).  A voicemail is left by calling, so it needs calls allowed as well.
A link (``tel:``, ``sms:``, ``mailto:``) exists only for a usable channel with an address.

Defends against: a call, text, e-mail or voicemail offered on a channel the person forbade or was
never asked about; a template that shows a number without its permission (it gets the number only
through ``channel_rows``, which carries the permission beside it).

Does not defend against: a provider who dials a number by hand from another device; the rules are
re-confirmed with the person at the start of each call for that reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from waypoint.contact.models import CHANNELS, ContactChannel, ContactRules, Permission, SafeToContact

LINK_SCHEMES = {ContactChannel.CALL: "tel", ContactChannel.TEXT: "sms", ContactChannel.EMAIL: "mailto"}


def may_use(rules: ContactRules | None, channel: str) -> bool:
    """Whether staff may reach the person by ``channel`` under these rules (the one decision)."""
    if rules is None or channel not in CHANNELS:
        return False
    if rules.safe_to_contact != SafeToContact.YES:
        return False
    if rules.permission(channel) != Permission.ALLOWED:
        return False
    if channel == ContactChannel.VOICEMAIL:
        return rules.permission(ContactChannel.CALL) == Permission.ALLOWED
    return True


def usable_channels(rules: ContactRules | None) -> list[str]:
    return [channel for channel in CHANNELS if may_use(rules, channel)]


def usable_choices(rules: ContactRules | None) -> list[tuple[str, Any]]:
    """(channel, label) of the channels the rules allow: the only choices a form may offer."""
    return [(channel.value, channel.label) for channel in ContactChannel if may_use(rules, channel)]


def link(rules: ContactRules | None, channel: str) -> str:
    """The ``tel:``/``sms:``/``mailto:`` link for ``channel``, or "" when it may not be used or has
    no address (voicemail, chat, post and visits have no link)."""
    scheme = LINK_SCHEMES.get(channel)  # type: ignore[call-overload]
    if scheme is None or rules is None or not may_use(rules, channel):
        return ""
    address = rules.address(channel)
    return f"{scheme}:{quote(address, safe='+@')}" if address else ""


@dataclass(frozen=True)
class ChannelRow:
    """One channel as every screen shows it: the permission always beside the address, and an action
    only when the guard allows it."""

    channel: str
    label: Any
    permission: str
    permission_label: Any
    usable: bool
    address: str
    href: str
    why_not: Any  # why it may not be used, when it may not


def _why_not(rules: ContactRules | None, channel: str) -> Any:
    if rules is None or rules.safe_to_contact != SafeToContact.YES:
        return _("They have not said contact after today is safe.")
    permission = rules.permission(channel)
    if permission == Permission.NOT_ALLOWED:
        return _("They said no.")
    if permission == Permission.UNKNOWN:
        return _("Not asked: ask them first.")
    if channel == ContactChannel.VOICEMAIL:
        return _("Calls are not allowed, so no voicemail.")
    return ""


# Addresses that say where the person lives: shown like the safe words (``rules.SECRET_FIELDS``).
WHERE_THEY_LIVE = frozenset({ContactChannel.POST, ContactChannel.VISIT})
HIDDEN_ADDRESS = _("Hidden")


def channel_rows(rules: ContactRules | None, *, secrets: bool = False) -> list[ChannelRow]:
    """Every channel with its permission beside its address; a postal or visit address reads
    "Hidden" unless ``secrets`` (staff who may hold them, after a recent step-up)."""
    labels = dict(Permission.choices)
    rows = []
    for channel in ContactChannel:
        permission = rules.permission(channel) if rules is not None else Permission.UNKNOWN
        usable = may_use(rules, channel)
        address = rules.address(channel) if rules is not None else ""
        if address and channel in WHERE_THEY_LIVE and not secrets:
            address = str(HIDDEN_ADDRESS)
        rows.append(
            ChannelRow(
                channel=channel.value,
                label=channel.label,
                permission=permission,
                permission_label=labels[permission],
                usable=usable,
                address=address,
                href=link(rules, channel),
                why_not="" if usable else _why_not(rules, channel),
            )
        )
    return rows

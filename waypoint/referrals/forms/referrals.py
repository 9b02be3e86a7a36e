"""Referral forms: a new referral (the need, the directory listing, the reason, how it shares), and a
move to the next status (with the reason a decline needs).

Whether anything may be shared is asked of ``sharing.decide`` only: a referral under a release is
checked against the release chosen, the listing chosen and the items ticked, and a refusal is shown
next to the field it concerns.  An anonymous referral or a warm hand-off needs no release at all."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm
from waypoint.referrals import sharing
from waypoint.referrals.models import (
    DirectoryEntry,
    ReferralStatus,
    Release,
    ReleaseItem,
    ReleaseState,
    ServiceKind,
    SharingMode,
)

REASON_MAX = 2000
STATUS_REASON_MAX = 1000
ITEM_REFUSALS = {sharing.Refusal.NO_ITEMS, sharing.Refusal.UNKNOWN_ITEMS, sharing.Refusal.OUTSIDE_RELEASE}
INPUT_REFUSALS = {sharing.Refusal.NO_ITEMS, sharing.Refusal.UNKNOWN_ITEMS}  # the form's input, not the release
# The sharing choices in the order offered: the two that need no consent first.
SHARING_ORDER = (SharingMode.ANONYMOUS, SharingMode.WARM_HANDOFF, SharingMode.RELEASE)


def entry_label(entry: DirectoryEntry) -> str:
    """A listing as offered in a choice: its name and what it offers."""
    services = ", ".join(str(ServiceKind(s).label) for s in entry.services or () if s in ServiceKind.values)
    return f"{entry.display_name} ({services})" if services else str(entry.display_name)


def last_day(release: Release) -> datetime.date:
    """The last day a release holds (``expires_at`` is the first moment it no longer does)."""
    return sharing.last_day(release)


def release_label(release: Release) -> str:
    items = ", ".join(str(ReleaseItem(i).label) for i in release.items or () if i in ReleaseItem.values)
    until = formats.date_format(last_day(release), "SHORT_DATE_FORMAT")
    return str(
        _("%(recipient)s, until %(day)s: %(items)s")
        % {"recipient": release.recipient_label, "day": until, "items": items}
    )


def usable(releases: Iterable[Release], now: datetime.datetime) -> list[Release]:
    """Releases to a directory listing that hold now (valid or expiring soon)."""
    return [r for r in releases if r.entry_id and r.state(now) in (ReleaseState.VALID, ReleaseState.EXPIRING)]


def _parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class EntryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return entry_label(obj)


class ReferralForm(SafeForm):
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    need = forms.ChoiceField(label=_("What they need"), choices=ServiceKind.choices, widget=forms.RadioSelect)
    entry = EntryChoiceField(
        label=_("Refer to"),
        queryset=DirectoryEntry.objects.none(),
        empty_label=_("Choose a service from the directory"),
        help_text=_("The National Human Trafficking Hotline is always listed first."),
    )
    reason = forms.CharField(
        label=_("Reason for the referral"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Write only what the service needs to know."),
    )
    sharing = forms.ChoiceField(
        label=_("What is shared about them"),
        choices=[(mode.value, mode.label) for mode in SHARING_ORDER],
        initial=SharingMode.ANONYMOUS,
        widget=forms.RadioSelect,
        help_text=_(
            "Consent is never needed for an anonymous referral or a warm hand-off. Sharing anything about "
            "them needs their written release for this service."
        ),
    )
    release = forms.CharField(
        label=_("Under which release"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Only when sharing under a release: one of their releases naming this service."),
    )
    items = forms.MultipleChoiceField(
        label=_("What to share"),
        required=False,
        choices=ReleaseItem.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only what the release lists can be shared."),
    )

    def __init__(
        self,
        *args: Any,
        person_id: uuid.UUID,
        entries: QuerySet[DirectoryEntry],
        releases: QuerySet[Release],
        suggested: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person_id = person_id
        self.refusal: sharing.Refusal | None = None
        self.now = timezone.now()
        self.fields["entry"].queryset = entries  # type: ignore[attr-defined]
        self._releases = list(releases.select_related("entry").defer("scan"))
        self.fields["release"].widget.choices = [  # type: ignore[attr-defined]
            (str(r.id), release_label(r)) for r in usable(self._releases, self.now)
        ]
        first = [kind for kind in ServiceKind.values if kind in set(suggested)]
        if first:
            rest = [kind for kind in ServiceKind.values if kind not in first]
            self.fields["need"].choices = [(k, ServiceKind(k).label) for k in first + rest]  # type: ignore[attr-defined]
            self.fields["need"].help_text = _("The needs ticked in the encounter are listed first.")
            self.fields["need"].initial = first[0]

    def release_for(self, value: Any) -> Release | None:
        """One of this person's releases by id (any state: ``decide`` says why an unusable one is
        refused); a foreign or malformed id is no release."""
        wanted = _parse_uuid(value)
        return next((r for r in self._releases if r.id == wanted), None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sharing") != SharingMode.RELEASE:
            # Nothing is shared: no release is asked for and none is kept, whatever was posted.
            self.errors.pop("items", None)
            data["release"], data["items"] = None, []
            return data
        entry = data.get("entry")
        if entry is None:
            return data
        release = self.release_for(data.get("release"))
        items = data.get("items") or []
        decision = sharing.decide(release, person_id=self.person_id, entry_id=entry.id, items=items, at=self.now)
        if not decision.allowed:
            self.refusal = decision.refusal
            self.add_error("items" if decision.refusal in ITEM_REFUSALS else "release", decision.message)
        data["release"] = release
        return data

    @property
    def refused_for_release(self) -> bool:
        """The release refused the referral (none for that listing, expired, revoked, another
        recipient, items it does not list): not a choice left empty or unknown."""
        return self.refusal is not None and self.refusal not in INPUT_REFUSALS

    @property
    def ask_for_release(self) -> bool:
        """The refusal is about the release itself: offer to record one for this listing."""
        return self.refusal is not None and self.refusal not in ITEM_REFUSALS


# Buttons on the referral page, one per status it may move to.
MOVE_LABELS = {
    ReferralStatus.SENT: _("Mark as sent"),
    ReferralStatus.ACCEPTED: _("Mark as accepted"),
    ReferralStatus.DECLINED: _("Mark as declined"),
    ReferralStatus.COMPLETED: _("Mark as completed"),
    ReferralStatus.WITHDRAWN: _("Withdraw the referral"),
}


class StatusForm(SafeForm):
    """A move to another status; whether that move is allowed is the action's to say."""

    status = forms.ChoiceField(label=_("New status"), choices=ReferralStatus.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=STATUS_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the service declined; optional when the referral is withdrawn."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == ReferralStatus.DECLINED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the service declined."))
        return data

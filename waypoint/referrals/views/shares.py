"""Sharing information about a person with a recipient: only through a release, and only what it
covers.

The page shows the referral (or the release alone), the release and its state, the items that may be
shared (the referral's choice limited to the release's items), and a preview of exactly what would
be sent.  Sharing (a POST, after a recent step-up) asks ``actions.shares.share``, the one place that
decides and logs (``ShareEvent.MADE`` or ``REFUSED``); the page or PDF for the recipient is rendered
after its commit, from the items logged, and writes no other audit row.  A refusal answers 409 with
its reason and what to do instead.  An anonymous referral or a warm hand-off shares nothing: the
page says so.

Defends against: sharing without a valid release for that recipient and those items (refused by
``sharing.decide`` under the release's row lock); a share from an unattended signed-in screen (the
step-up); another organisation's referral or release (404)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django import forms
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.core.forms import SafeForm
from waypoint.orgs.auth import require_step_up
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.models import Person
from waypoint.printing.render import render_pdf
from waypoint.referrals import share_content, sharing
from waypoint.referrals.access import get_referral, get_release
from waypoint.referrals.actions.shares import ShareRefused, share
from waypoint.referrals.events import ReferralEvent, ReleaseEvent
from waypoint.referrals.models import Referral, Release, ReleaseItem, Share, SharingMode

PAGE, PDF = "page", "pdf"


class ShareForm(SafeForm):
    """Which items to share (any item code: whether the release covers them is the share's decision,
    refused and logged there), and as a page or a PDF."""

    items = forms.MultipleChoiceField(
        label=_("What to share"),
        choices=ReleaseItem.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose what to share.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as"] = forms.ChoiceField(choices=[(PAGE, PAGE), (PDF, PDF)], required=False)


def valid_until(release: Release) -> datetime.date:
    """The last day the release holds (``expires_at`` is the first moment it no longer does)."""
    return timezone.localtime(release.expires_at - datetime.timedelta(microseconds=1)).date()


def _offered(release: Release | None, wanted: list[str] | None) -> list[tuple[str, Any]]:
    """(code, label) of the items the page offers: ``wanted`` (the referral's choice; every item
    when None) limited to the release's items."""
    if release is None:
        return []
    covered = set(release.items or ())
    chosen = set(wanted) if wanted is not None else covered
    return [(code, label) for code, label in ReleaseItem.choices if code in covered and code in chosen]


def _page(
    request: AuthenticatedHttpRequest,
    person: Person,
    *,
    release: Release | None,
    referral: Referral | None = None,
    form: ShareForm | None = None,
    refusal: Any = "",
    status: int = 200,
) -> HttpResponse:
    """The share page (GET, a bad POST, a refusal): one read row, of the release when there is one."""
    sharing_mode = referral.sharing if referral is not None else SharingMode.RELEASE
    offered = _offered(release, list(referral.items or ()) if referral is not None else None)
    chosen = [code for code, _label in offered]
    if form is not None and form.is_bound:
        posted = form.data.getlist("items") if hasattr(form.data, "getlist") else []
        chosen = [code for code in posted if code in dict(offered)]
    entry_id = referral.entry_id if referral is not None else (release.entry_id if release else None)
    decision = (
        sharing.decide(release, person_id=person.id, entry_id=entry_id, items=chosen, at=timezone.now())
        if sharing_mode == SharingMode.RELEASE
        else None
    )
    context = {
        "person": person,
        "referral": referral,
        "release": release,
        "valid_until": valid_until(release) if release is not None else None,
        "sharing_mode": sharing_mode,
        "release_mode": sharing_mode == SharingMode.RELEASE,
        "offered": offered,
        "chosen": chosen,
        "preview": (
            share_content.sections(person, chosen, release, request.LANGUAGE_CODE)
            if decision is not None and decision.allowed
            else None
        ),
        "decision": decision,
        "form": form or ShareForm(),
        "refusal": refusal,
        "return_to": request.get_full_path(),
    }
    template = "referrals/share.html"
    if release is not None:
        return reads.show(request, template, context, event=ReleaseEvent.VIEWED, obj=release, status=status)
    assert referral is not None
    return reads.show(request, template, context, event=ReferralEvent.VIEWED, obj=referral, status=status)


def _sent(request: AuthenticatedHttpRequest, person: Person, record: Share, release: Release) -> HttpResponse:
    """What the recipient gets: exactly the items logged, as a printable page or a PDF.  The share's
    own audit row is the only one (no read row: this is the share)."""
    context = {
        "person": person,
        "release": release,
        "record": record,
        "valid_until": valid_until(release),
        "content": share_content.sections(person, record.items, release, request.LANGUAGE_CODE),
    }
    if not record.as_pdf:
        return TemplateResponse(request, "referrals/share_sent.html", context)
    pdf = render_pdf("referrals/share_pdf.html", context, request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="notes.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _post(
    request: AuthenticatedHttpRequest, person: Person, *, release: Release | None, referral: Referral | None
) -> HttpResponse:
    form = ShareForm(request.POST)
    if referral is not None and referral.sharing != SharingMode.RELEASE:
        return _page(request, person, release=release, referral=referral, form=form, status=409)
    if not form.is_valid():
        return _page(request, person, release=release, referral=referral, form=form, status=400)
    try:
        record = share(
            request.user, person, release_id=release.id if release is not None else None,
            entry_id=release.entry_id if release is not None else None, items=form.cleaned_data["items"],
            referral=referral, as_pdf=form.cleaned_data.get("as") == PDF,
        )  # fmt: skip
    except ShareRefused as refused:
        return _page(
            request, person, release=release, referral=referral, form=form, refusal=refused.message, status=409
        )
    assert record.release is not None
    return _sent(request, person, record, record.release)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def share_referral(request: AuthenticatedHttpRequest, person_id: uuid.UUID, referral_id: uuid.UUID) -> HttpResponse:
    """Share with a referral's recipient, under the referral's release."""
    person = get_person(request, person_id)
    referral = get_referral(request, person.id, referral_id)
    release = referral.release if referral.release_id else None
    if request.method == "GET":
        return _page(request, person, release=release, referral=referral)
    return require_step_up(_post)(request, person, release=release, referral=referral)  # type: ignore[no-any-return]


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def share_release(request: AuthenticatedHttpRequest, person_id: uuid.UUID, release_id: uuid.UUID) -> HttpResponse:
    """Share straight with the release's own recipient (its directory listing or named outside
    party), without a referral."""
    person = get_person(request, person_id)
    release = get_release(request, person.id, release_id)
    if request.method == "GET":
        return _page(request, person, release=release)
    return require_step_up(_post)(request, person, release=release, referral=None)  # type: ignore[no-any-return]


urlpatterns = [
    path("people/<uuid:person_id>/referrals/<uuid:referral_id>/share/", share_referral, name="share"),
    path("people/<uuid:person_id>/releases/<uuid:release_id>/share/", share_release, name="release_share"),
]

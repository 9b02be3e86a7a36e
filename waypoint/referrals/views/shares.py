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
step-up); another organisation's referral or release (404); a withdrawn or declined referral, or
items the referral does not list (refused by the share action under the referral's row lock); a
double submit (the form's token: the first share is shown again, nothing more is logged); a
provider who is neither assigned to the record nor a supervisor seeing the preview (it carries
what only they may hold, such as the injury question) or sharing (refused and audited before
``share`` is asked); a PDF asked when the server cannot make one (503 before anything is shared)."""

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

from waypoint.contact.access import may_hold_secrets
from waypoint.core import reads
from waypoint.core.access import policy
from waypoint.core.forms import SafeForm
from waypoint.orgs.auth import require_step_up
from waypoint.orgs.http import AuthenticatedHttpRequest
from waypoint.people.access import READERS, get_person
from waypoint.people.models import Person
from waypoint.printing import render
from waypoint.referrals import share_content, sharing
from waypoint.referrals.access import get_referral, get_release
from waypoint.referrals.actions.shares import ShareRefused, record_shown_again, refuse_unheld, share
from waypoint.referrals.events import ReferralEvent, ReleaseEvent
from waypoint.referrals.models import Referral, Release, ReleaseItem, Share, SharingMode

PAGE, PDF = "page", "pdf"
HOLDERS_ONLY = _("Only the staff assigned to this record or a supervisor can see the preview and share it.")
NO_PDF = _("This server cannot make PDFs yet. Ask your administrator.")


class ShareForm(SafeForm):
    """Which items to share (any item code: whether the release covers them is the share's decision,
    refused and logged there), and as a page or a PDF."""

    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
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
    return sharing.last_day(release)


def _offered(release: Release | None, wanted: list[str] | None) -> list[tuple[str, Any]]:
    """(code, label) of the items the page offers: ``wanted`` (the referral's choice; every item
    when None) limited to the release's items."""
    if release is None:
        return []
    covered = set(release.items or ())
    chosen = set(wanted) if wanted is not None else covered
    return [(code, label) for code, label in ReleaseItem.choices if code in covered and code in chosen]


def _token(value: Any) -> uuid.UUID | None:
    """The posted form token, kept on a re-render so a second submit of the same form still shares
    once; a malformed one is replaced."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _page(
    request: AuthenticatedHttpRequest,
    person: Person,
    *,
    release: Release | None,
    referral: Referral | None = None,
    form: ShareForm | None = None,
    refusal: Any = "",
    unavailable: Any = "",
    status: int = 200,
) -> HttpResponse:
    """The share page (GET, a bad POST, a refusal): one read row, of the release when there is one.
    The preview only for those who may hold the record's secrets."""
    sharing_mode = referral.sharing if referral is not None else SharingMode.RELEASE
    offered = _offered(release, list(referral.items or ()) if referral is not None else None)
    chosen = [code for code, _label in offered]
    if form is not None and form.is_bound:
        posted = form.data.getlist("items") if hasattr(form.data, "getlist") else []
        chosen = [code for code in posted if code in dict(offered)]
    entry_id = referral.entry_id if referral is not None else (release.entry_id if release else None)
    decision: sharing.Decision | None = None
    if sharing_mode == SharingMode.RELEASE:
        closed = sharing.referral_refusal(referral, chosen) if referral is not None else None
        decision = (
            sharing.Decision(closed)
            if closed is not None
            else sharing.decide(release, person_id=person.id, entry_id=entry_id, items=chosen, at=timezone.now())
        )
    holder = may_hold_secrets(request.user, person)
    token = _token(form.data.get("form_token")) if form is not None and form.is_bound else None
    context = {
        "person": person,
        "referral": referral,
        "release": release,
        "valid_until": valid_until(release) if release is not None else None,
        "sharing_mode": sharing_mode,
        "release_mode": sharing_mode == SharingMode.RELEASE,
        "offered": offered,
        "chosen": chosen,
        "holder": holder,
        "holders_only": HOLDERS_ONLY,
        "preview": (
            share_content.sections(person, chosen, release, request.LANGUAGE_CODE)
            if holder and decision is not None and decision.allowed
            else None
        ),
        "decision": decision,
        "form": form or ShareForm(),
        "form_token": token or uuid.uuid4(),
        "refusal": refusal,
        "unavailable": unavailable,
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
    pdf = render.render_pdf("referrals/share_pdf.html", context, request.LANGUAGE_CODE)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="notes.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def _post(
    request: AuthenticatedHttpRequest, person: Person, *, release: Release | None, referral: Referral | None
) -> HttpResponse:
    form = ShareForm(request.POST)
    page: dict[str, Any] = {"release": release, "referral": referral, "form": form}
    if referral is not None and referral.sharing != SharingMode.RELEASE:
        return _page(request, person, **page, status=409)
    if not may_hold_secrets(request.user, person):
        refuse_unheld(request.user, person, release)
        return _page(request, person, **page, refusal=HOLDERS_ONLY, status=409)
    if not form.is_valid():
        return _page(request, person, **page, status=400)
    as_pdf = form.cleaned_data.get("as") == PDF
    if as_pdf and not render.available():  # asked before anything is shared: no share without its copy
        return _page(request, person, **page, unavailable=NO_PDF, status=503)
    try:
        record = share(
            request.user, person, release_id=release.id if release is not None else None,
            entry_id=release.entry_id if release is not None else None, items=form.cleaned_data["items"],
            referral=referral, as_pdf=as_pdf, token=form.cleaned_data.get("form_token"),
        )  # fmt: skip
    except ShareRefused as refused:
        return _page(request, person, **page, refusal=refused.message, status=409)
    assert record.release is not None
    if getattr(record, "repeated", False):
        record_shown_again(request.user, record)
    return _sent(request, person, record, record.release)


@policy(*READERS)
@require_http_methods(["GET", "POST"])
def share_referral(request: AuthenticatedHttpRequest, person_id: uuid.UUID, referral_id: uuid.UUID) -> HttpResponse:
    """Share with a referral's recipient, under the referral's release."""
    person = get_person(request, person_id)
    referral = get_referral(request, person.id, referral_id)
    release = referral.release if referral.release_id else None
    if release is not None and release.entry_id is not None and release.entry_id == referral.entry_id:
        release.entry = referral.entry  # loaded with the referral: ``decide`` compares its name, no second query
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

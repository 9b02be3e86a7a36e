"""The see-alone policy: "establish a systemwide policy to see patients or clients alone for at least
part of every visit" (the first guide).  The organisation turns it on and writes its text; Waypoint
ships a default, shown in the reader's language while the organisation has not changed it."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm
from waypoint.encounters.models import Encounter, Mode, Step
from waypoint.orgs.models import Organisation, SeeAlone

TEXT_LIMIT = 4000  # Organisation.see_alone_text

DEFAULT_SEE_ALONE_TEXT = gettext_noop(
    "To give everyone privacy, we see every patient or client alone for part of every visit. "
    "This is our policy for everyone, every time."
)


def policy_text(org: Organisation) -> str:
    """The organisation's policy text, or Waypoint's default in the reader's language."""
    return org.see_alone_text.strip() or gettext(DEFAULT_SEE_ALONE_TEXT)


# --- Where the policy applies, and what it locks -------------------------------------------------
#
# The one decision the step pages, the step actions and the tests ask: no path reaches an
# assessment step of an in-person encounter under the policy before Privacy is settled.


def policy_applies(encounter: Encounter) -> bool:
    """Whether the see-alone policy covers ``encounter``: in person only (on a call nobody can be
    seen), and on at its site (a site follows the organisation unless set on or off), or at the
    organisation when the encounter has no site."""
    if encounter.mode != Mode.IN_PERSON:
        return False
    org = encounter.org
    return encounter.site.see_alone_on(org) if encounter.site is not None else org.see_alone


def assessment_steps(encounter: Encounter) -> list[str]:
    """The steps after the privacy gate in the encounter's step list (none for a call)."""
    steps = encounter.steps()
    return steps[steps.index(Step.GATE) + 1 :] if Step.GATE in steps else []


def gate_required(encounter: Encounter) -> bool:
    """The policy applies and Privacy is not settled yet: seen alone, or recorded as not possible
    with its reason ("not seen alone yet" keeps waiting)."""
    return policy_applies(encounter) and not encounter.gate_passed


def assessment_open(encounter: Encounter, step: str) -> bool:
    """Whether the see-alone policy lets ``step`` be opened or saved now (the step's other locks,
    ``Encounter.locked_reason``, still apply)."""
    return step not in assessment_steps(encounter) or not gate_required(encounter)


def locked_reason(encounter: Encounter, step: str) -> str:
    """Why ``step`` cannot be opened or saved yet ("" when it can): the see-alone policy first,
    then the encounter's own locks."""
    if not assessment_open(encounter, step):
        return gettext(
            "Your organisation sees everyone alone for part of every visit. First record Privacy: "
            "seen alone, or why it is not possible."
        )
    return encounter.locked_reason(step)


# --- The policy page's form ----------------------------------------------------------------------

SITE_PREFIX = "site_"  # one radio group per site: site_<site id>


class SeeAlonePolicyForm(SafeForm):
    """On or off for the organisation, each site's choice, and the text.  A site field is made for
    each of the organisation's sites; a posted site the organisation does not have (unknown, or
    another organisation's) is an error, never ignored."""

    see_alone = forms.TypedChoiceField(
        label=_("See everyone alone for part of every visit"),
        choices=[("on", _("On for the organisation")), ("off", _("Off for the organisation"))],
        coerce=lambda value: value == "on",
        widget=forms.RadioSelect,
        help_text=_(
            "When on, an in-person encounter cannot reach the questions after Privacy until the provider "
            "records that the person was seen alone, or why it was not possible. Calls are not affected."
        ),
    )
    see_alone_text = forms.CharField(
        label=_("Policy text"),
        max_length=TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Read aloud at the start of the privacy step and shown in the staff orientation (the signs have "
            "their own short wording in each language). Leave Waypoint's text unchanged to have it shown in "
            "each reader's language."
        ),
    )

    def __init__(self, *args: Any, org: Organisation, **kwargs: Any) -> None:
        self.org = org
        self.sites = list(org.sites.order_by("name", "id"))
        kwargs.setdefault(
            "initial",
            {
                "see_alone": "on" if org.see_alone else "off",
                "see_alone_text": policy_text(org),
                **{site_field(site.id): site.see_alone for site in self.sites},
            },
        )
        super().__init__(*args, **kwargs)
        for site in self.sites:
            self.fields[site_field(site.id)] = forms.ChoiceField(
                label=site.name, choices=SeeAlone.choices, widget=forms.RadioSelect
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        ours = {site_field(site.id) for site in self.sites}
        strangers = sorted(name for name in self.data if name.startswith(SITE_PREFIX) and name not in ours)
        if strangers:
            self.add_error(None, _("A site in the form is not one of your organisation's sites. Nothing was saved."))
        return data

    def clean_see_alone_text(self) -> str:
        """Waypoint's text, in English or in the reader's language, or nothing: kept as "" so that
        each reader sees it in their own language."""
        text = str(self.cleaned_data.get("see_alone_text") or "").strip()
        return "" if text in ("", DEFAULT_SEE_ALONE_TEXT, gettext(DEFAULT_SEE_ALONE_TEXT)) else text

    def site_choices(self) -> dict[uuid.UUID, str]:
        """Site id -> follow, on or off, for every site of the organisation (a valid form only)."""
        return {site.id: self.cleaned_data[site_field(site.id)] for site in self.sites}

    def site_fields(self) -> list[forms.BoundField]:
        return [self[site_field(site.id)] for site in self.sites]


def site_field(site_id: uuid.UUID) -> str:
    return f"{SITE_PREFIX}{site_id}"

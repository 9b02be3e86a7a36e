"""Minors and jurisdiction: the organisation's rules where it works, in one place.

The age under which the minor branch applies (``Organisation.minor_age``, 12 to 21: the record's
minor status, the encounter's child protective services step and a release's signer all follow
it), the mandated-report agency and how to reach it, whether a young person may agree to services
alone, and who signs a release for a young person (``minor_release_consent``, applied by
``waypoint.referrals.forms.releases.consenting_party_for``).  ``panel`` is what the short
jurisdiction panel shows wherever a minor's record is handled.

Defends against: a provider reading a placeholder as if it were the agency's number (an empty or
placeholder agency is said plainly to be missing); a minor branch decided by a hard-coded 18 where
the organisation's law says otherwise.

Does not defend against: an organisation writing the wrong agency or the wrong age; that is its
legal advice to take, and the settings page says so."""

from __future__ import annotations

from dataclasses import dataclass

from waypoint.orgs.models import MinorConsent, Organisation

MINOR_AGE_MIN, MINOR_AGE_MAX = 12, 21
# Earlier defaults filled contacts with "(add the number)": such text is never shown as a contact.
PLACEHOLDER = "(add the"


def real_text(value: str) -> str:
    """``value`` stripped, or "" when it is empty or still a placeholder."""
    text = (value or "").strip()
    return "" if PLACEHOLDER in text.casefold() else text


def is_minor_at(age: int | None, minor_age: int) -> bool | None:
    """None when the age is not known; otherwise whether ``age`` is under ``minor_age``."""
    return None if age is None else age < minor_age


@dataclass(frozen=True)
class Panel:
    """What the jurisdiction panel says, from the organisation's settings."""

    minor_age: int
    agency: str
    contact: str
    may_consent_alone: bool
    release_signer: str  # a MinorConsent value

    @property
    def agency_missing(self) -> bool:
        return not self.agency

    @property
    def young_person_signs_alone(self) -> bool:
        return self.release_signer == MinorConsent.YOUNG_PERSON

    @property
    def guardian_signs_alone(self) -> bool:
        return self.release_signer == MinorConsent.GUARDIAN


def panel(org: Organisation) -> Panel:
    return Panel(
        minor_age=org.minor_age,
        agency=real_text(org.mandated_report_agency),
        contact=real_text(org.mandated_report_contact),
        may_consent_alone=org.minor_may_consent_alone,
        release_signer=org.minor_release_consent,
    )

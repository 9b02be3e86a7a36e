"""Releases of information: the form that records one (one recipient, listed items, purpose,
benefits and risks, the language its text was read in, who consents, the written signature, the
expiry) and the form that revokes one.

Defends against: a release with no recipient or two; with no items; with an expiry before the
signature or holding more days (the signing day counted) than the organisation's maximum; signed
orally (there is no oral option); a minor's release signed by someone the organisation's rule does
not allow, or a release for someone whose age is unknown (the rule cannot be applied); a consenting
party whose name matches someone recorded as possibly harming the person (``harm_match``: several
names on a line, titles and kinship words, initials, ł/ø/ß and ue/ü spellings; the message gives
no reason, since the signer may be reading the screen; the view records the refusal through its
own action and saves nothing); a scan that is not a PDF, PNG or JPEG by its first bytes, or larger
than 2 MB.

Does not defend against: a guardian who gives another name, or a nickname or spelling the names
list does not hold; the required tick and the names list are the only guard, and the provider's
judgement.  The loose matching refuses some people it need not (a line "Pérez, Juan" is read as two
names): the refused signer is sent to a supervisor, never recorded."""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from waypoint.core.crypto import normalise_for_index
from waypoint.core.forms import DateInput, SafeForm
from waypoint.orgs.jurisdiction import is_minor_at
from waypoint.orgs.models import MinorConsent, Organisation
from waypoint.people.models import Person
from waypoint.referrals.models import ConsentingParty, DirectoryEntry, ReleaseItem, RevokedHow, SignedHow

RELEASE_LANGUAGES = [("en", "English"), ("es", "Español")]
SCAN_MAX_BYTES = 2 * 1024 * 1024
SCAN_TYPES = (  # first bytes -> content type
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
TYPED_SIGNATURE_MAX_AGE_DAYS = 30
# Gives no reason: whoever is signing may be reading the screen.
SIGNER_REFUSED = _(
    "This person cannot sign this release. Nothing was saved. Talk with your supervisor before going on."
)
AGE_UNKNOWN = _("Record their age or an estimate on the record first: a minor's release follows a different rule.")


# --- Names -----------------------------------------------------------------------------------------


# Letters NFKD does not take apart, written as the plain letters people type without them.
# (\u0131 is the dotless i.)
LETTER_FOLDS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "\u0131": "i"})
# German ü, ö, ä are also written ue, oe, ae: both spellings become u, o, a (on both sides).
GERMAN_PAIRS = re.compile(r"(ue|oe|ae)")
# Where one line (or one typed name) holds more than one name.
NAME_SEPARATORS = re.compile(r"[,;/()]|\s(?:and|y)\s")
# Titles and kinship words, dropped when comparing with the names of people who may be harming
# them (written here as ``name_words`` leaves them: accents dropped, lower case).
NAME_TITLES = frozenset(
    {"tio", "tia", "uncle", "aunt", "mr", "mrs", "ms", "sr", "sra", "srta", "don", "dona", "senor", "senora", "mister"}
)


def _fold(value: str) -> str:
    folded = unicodedata.normalize("NFKD", normalise_for_index(value).translate(LETTER_FOLDS))
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(LETTER_FOLDS)


def name_words(value: str) -> frozenset[str]:
    """The words of a name, compared loosely: ``normalise_for_index`` (case, width, spacing), then
    accents and punctuation dropped, letters such as ł, ø, ß written plainly and German ue/oe/ae
    read as u/o/a, so "Juan Pérez", "juan  perez" and "JUAN PEREZ." are one name, and so are
    "Müller" and "Mueller"."""
    plain = re.sub(r"[\W_]+", " ", _fold(value))
    return frozenset(GERMAN_PAIRS.sub(lambda pair: pair.group(1)[0], word) for word in plain.split())


def same_name(a: str, b: str) -> bool:
    return bool(name_words(a)) and name_words(a) == name_words(b)


def split_names(value: str) -> list[frozenset[str]]:
    """The separate names in ``value`` ("Juan Pérez, Carlos Ruiz", "Ana y José", "Juan (Tío)"), each
    as its words without titles or kinship words; names left empty are dropped."""
    parts = NAME_SEPARATORS.split(f" {_fold(value)} ")
    names = [name_words(part) - NAME_TITLES for part in parts]
    return [words for words in names if words]


def _word_matches(a: str, b: str) -> bool:
    """The same word, or one of them is a single letter (an initial) that the other starts with."""
    return a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))


def _covers(shorter: frozenset[str], longer: frozenset[str]) -> bool:
    return all(any(_word_matches(word, other) for other in longer) for word in shorter)


def _words_match(wa: frozenset[str], wb: frozenset[str]) -> bool:
    if len(wa) > len(wb):
        wa, wb = wb, wa
    return _covers(wa, wb) or (len(wa) == len(wb) and _covers(wb, wa))


def names_match(a: str, b: str) -> bool:
    """Whether any name in ``a`` matches any name in ``b``: every word of the shorter name matches a
    word of the longer ("Juan Pérez" and "Juan Carlos Pérez"; "J. Pérez" and "Juan Pérez"; "Tío Juan"
    and "Juan Pérez"), after ``split_names``.  A relative who only shares a surname does not match
    ("María López" and "José López")."""
    return any(_words_match(wa, wb) for wa in split_names(a) for wb in split_names(b))


def harm_match(name: str, harm_names: str) -> bool:
    """Whether ``name`` matches any line of the record's "people who may be harming them"."""
    return any(names_match(name, line) for line in (harm_names or "").splitlines() if line.strip())


def minor_here(person: Person, org: Organisation) -> bool | None:
    """Whether the person is a minor under ``org``'s minor age (None: age not known)."""
    return is_minor_at(person.age, org.minor_age)


def consenting_party_for(person: Person, org: Organisation) -> str:
    """Who signs: an adult for themselves; a minor (under the organisation's minor age) as the
    organisation's rule says.  (A person whose age is unknown gets PERSON here, but the form refuses
    to record their release.)"""
    if minor_here(person, org) is not True:
        return ConsentingParty.PERSON
    rule = org.minor_release_consent
    if rule == MinorConsent.YOUNG_PERSON:
        return ConsentingParty.PERSON
    if rule == MinorConsent.BOTH:
        return ConsentingParty.BOTH
    return ConsentingParty.GUARDIAN


def scan_type(head: bytes) -> str:
    """The content type that the file's first bytes show, or ''."""
    return next((kind for magic, kind in SCAN_TYPES if head.startswith(magic)), "")


# --- The form ---------------------------------------------------------------------------------------

GUARDIAN_FIELDS = ("guardian_name", "guardian_relationship", "guardian_not_harming")


class ReleaseForm(SafeForm):
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    entry = forms.ModelChoiceField(
        label=_("A service in the directory"),
        queryset=DirectoryEntry.objects.none(),
        required=False,
        empty_label=_("(not in the directory)"),
        help_text=_("One recipient per release. For anyone else, record another release."),
    )
    recipient_name = forms.CharField(label=_("Or: a named outside party"), required=False, max_length=200)
    recipient_details = forms.CharField(
        label=_("How to reach that party"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    items = forms.MultipleChoiceField(
        label=_("What may be shared"),
        choices=ReleaseItem.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing that may be shared.")},
    )
    documents = forms.CharField(
        label=_("Which documents"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when documents may be shared: name each one."),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    benefits_risks = forms.CharField(
        label=_("Benefits and risks of sharing with this recipient, as discussed with them"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    valid_until = forms.DateField(
        label=_("Valid until (the last day it holds)"),
        widget=DateInput,
        error_messages={"required": _("Choose the last day this release holds.")},
    )
    language = forms.ChoiceField(
        label=_("Language of the release"), choices=RELEASE_LANGUAGES, widget=forms.RadioSelect
    )
    guardian_name = forms.CharField(label=_("Name of the parent or legal guardian"), required=False, max_length=200)
    guardian_relationship = forms.CharField(
        label=_("Their relationship to the young person"), required=False, max_length=100
    )
    guardian_not_harming = forms.BooleanField(
        label=_("This person is not someone who may be harming them"), required=False
    )
    signed_how = forms.ChoiceField(
        label=_("How it was signed"),
        choices=SignedHow.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "An oral yes is never enough: the release must be signed in writing. An oral no (revoking) takes "
            "effect at once."
        ),
    )
    signed_name = forms.CharField(
        label=_("Name typed as the signature"),
        required=False,
        max_length=200,
        help_text=_("Typed by the person signing, on this screen."),
    )
    guardian_signed_name = forms.CharField(
        label=_("Parent or guardian's name typed as their signature"), required=False, max_length=200
    )
    signed_on = forms.DateField(
        label=_("Date signed"), widget=DateInput, error_messages={"required": _("Enter the date it was signed.")}
    )
    scan = forms.FileField(
        label=_("Scan of the signed paper form (PDF, PNG or JPEG, at most 2 MB)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )
    text_shown = forms.BooleanField(
        label=_("The release text was read to them, or they read it, in this language"),
        error_messages={"required": _("Show or read them the release text first.")},
    )

    def __init__(
        self,
        *args: Any,
        person: Person,
        org: Organisation,
        entries: QuerySet[DirectoryEntry],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person, self.org = person, org
        self.party = consenting_party_for(person, org)
        minor = minor_here(person, org)
        self.for_minor = minor is True
        self.age_unknown = minor is None  # who signs depends on it: refused until it is known
        self.harm_match = False
        self.scan_bytes: bytes = b""
        self.scan_content_type = ""
        self.fields["entry"].queryset = entries  # type: ignore[attr-defined]
        self.fields["entry"].label_from_instance = lambda entry: entry.display_name  # type: ignore[attr-defined]
        if not self.needs_guardian:
            for name in GUARDIAN_FIELDS:
                del self.fields[name]
        if self.party != ConsentingParty.BOTH:
            del self.fields["guardian_signed_name"]
        if self.party == ConsentingParty.GUARDIAN:
            self.fields["signed_name"].help_text = _("Typed by the parent or guardian, on this screen.")

    @property
    def needs_guardian(self) -> bool:
        return self.party in (ConsentingParty.GUARDIAN, ConsentingParty.BOTH)

    # --- single fields

    def clean_signed_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["signed_on"]
        if day > timezone.localdate():
            raise ValidationError(_("The signature date cannot be in the future."))
        return day

    def clean_scan(self) -> Any:
        upload = self.cleaned_data.get("scan")
        if not upload or self.data.get("signed_how") != SignedHow.SCAN:
            return None
        if upload.size > SCAN_MAX_BYTES:
            raise ValidationError(_("The scan is larger than 2 MB. Scan it again at a lower resolution."))
        content = upload.read(SCAN_MAX_BYTES + 1)
        kind = scan_type(content[:16])
        if not kind:
            raise ValidationError(_("The scan must be a PDF, PNG or JPEG file."))
        self.scan_bytes, self.scan_content_type = content, kind
        return upload

    # --- together

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.age_unknown:
            self.add_error(None, AGE_UNKNOWN)
        self._clean_recipient(data)
        if ReleaseItem.DOCUMENTS in (data.get("items") or ()) and not (data.get("documents") or "").strip():
            self.add_error("documents", _("Name the documents that may be shared."))
        self._clean_party(data)
        self._clean_signature(data)
        self._clean_expiry(data)
        return data

    def _clean_recipient(self, data: dict[str, Any]) -> None:
        entry, name = data.get("entry"), (data.get("recipient_name") or "").strip()
        details = (data.get("recipient_details") or "").strip()
        if "entry" in self.errors:
            return
        if entry is None and not name:
            message = _("Choose one recipient: a service in the directory, or a named outside party.")
            self.add_error("entry", message)
        elif entry is not None and (name or details):
            message = _("One recipient per release: choose the directory service or name an outside party, not both.")
            self.add_error("recipient_name", message)

    def _clean_party(self, data: dict[str, Any]) -> None:
        if not self.needs_guardian:
            if (self.data.get("guardian_name") or "").strip():
                if self.for_minor:
                    message = _("In this organisation a young person signs their own release; no guardian signs.")
                else:
                    message = _("An adult signs their own release; no guardian signs for them.")
                self.add_error(None, message)
            return
        name = (data.get("guardian_name") or "").strip()
        if not name:
            self.add_error("guardian_name", _("Enter the parent or legal guardian's name."))
        if not (data.get("guardian_relationship") or "").strip():
            self.add_error("guardian_relationship", _("Enter their relationship to the young person."))
        if not data.get("guardian_not_harming"):
            self.add_error(
                "guardian_not_harming", _("Confirm that this person is not someone who may be harming them.")
            )
        if name and harm_match(name, self.person.harm_names or ""):
            self._refuse_signer()

    def _refuse_signer(self) -> None:
        """The signer matches someone who may be harming them.  The signer may be standing at the
        screen: one neutral message at the top of the form, with no reason and no field marked."""
        if not self.harm_match:
            self.harm_match = True
            self.add_error(None, SIGNER_REFUSED)

    def _own_names(self) -> list[str]:
        return [n for n in (self.person.name or "", self.person.alias or "") if n.strip()]

    def _clean_signature(self, data: dict[str, Any]) -> None:
        how = data.get("signed_how")
        if how == SignedHow.SCAN:
            if "scan" not in self.errors and not self.scan_bytes:
                self.add_error("scan", _("Upload the scan of the signed paper form."))
            return
        if how != SignedHow.TYPED:
            return
        signed_on = data.get("signed_on")
        if signed_on and signed_on < timezone.localdate() - datetime.timedelta(days=TYPED_SIGNATURE_MAX_AGE_DAYS):
            self.add_error("signed_on", _("A signature typed on the screen is dated today, or at most 30 days ago."))
        typed = (data.get("signed_name") or "").strip()
        guardian = (data.get("guardian_name") or "").strip()
        if not typed:
            self.add_error("signed_name", _("The person signing types their name here."))
        elif self.party == ConsentingParty.GUARDIAN:
            if guardian and not same_name(typed, guardian):
                self.add_error("signed_name", _("The typed signature must be the parent or guardian's name."))
        elif self._own_names() and not any(same_name(typed, own) for own in self._own_names()):
            self.add_error("signed_name", _("The typed signature must be the name of the person signing."))
        elif not self._own_names() and harm_match(typed, self.person.harm_names or ""):
            self._refuse_signer()
        if self.party == ConsentingParty.BOTH:
            second = (data.get("guardian_signed_name") or "").strip()
            if not second:
                self.add_error("guardian_signed_name", _("The parent or guardian types their name here."))
            elif guardian and not same_name(second, guardian):
                self.add_error("guardian_signed_name", _("The typed signature must be the parent or guardian's name."))

    def _clean_expiry(self, data: dict[str, Any]) -> None:
        until, signed_on = data.get("valid_until"), data.get("signed_on")
        if until is None:
            return
        if signed_on is not None:
            # It holds release_max_days days, counting the day it is signed.
            latest = signed_on + datetime.timedelta(days=self.org.release_max_days - 1)
            if until <= signed_on:
                self.add_error("valid_until", _("The release must end after the day it is signed."))
                return
            if until > latest:
                self.add_error(
                    "valid_until",
                    _("At most %(days)s days after the signature (your organisation's maximum): %(day)s at the latest.")
                    % {"days": self.org.release_max_days, "day": formats.date_format(latest, "SHORT_DATE_FORMAT")},
                )
                return
        if until < timezone.localdate():
            self.add_error("valid_until", _("That day has passed. Choose today or a later day."))

    # --- what the action stores

    def consenting(self) -> dict[str, Any]:
        """The consenting party's columns of the release."""
        data = self.cleaned_data
        values: dict[str, Any] = {"consenting_party": self.party, "for_minor": self.for_minor}
        if self.needs_guardian:
            values["consenting_name"] = data["guardian_name"].strip()
            values["consenting_relationship"] = data["guardian_relationship"].strip()
        return values

    def signature(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["signed_how"] == SignedHow.SCAN:
            return {"signed_how": SignedHow.SCAN, "scan_bytes": self.scan_bytes, "scan_type": self.scan_content_type}
        names = [data["signed_name"].strip()]
        if self.party == ConsentingParty.BOTH:
            names.append(data["guardian_signed_name"].strip())
        return {"signed_how": SignedHow.TYPED, "signed_name": "\n".join(names)}


def preview_initial(form: ReleaseForm) -> dict[str, Any]:
    """The values typed so far, as an unbound form's initial values (the preview shows them again
    without error messages: it is not a submission)."""
    initial: dict[str, Any] = {}
    for name, field in form.fields.items():
        if name == "scan":
            continue
        if isinstance(field, forms.MultipleChoiceField):
            initial[name] = form.data.getlist(name) if hasattr(form.data, "getlist") else form.data.get(name, [])
        elif isinstance(field, forms.BooleanField):
            initial[name] = form.data.get(name) in ("on", "true", "True", "1")
        else:
            initial[name] = form.data.get(name, "")
    return initial


class RevokeForm(SafeForm):
    how = forms.ChoiceField(
        label=_("How they revoked it"),
        choices=RevokedHow.choices,
        widget=forms.RadioSelect,
        help_text=_("An oral revocation counts: it takes effect the moment it is recorded."),
        error_messages={"required": _("Choose how they revoked it.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class LanguageForm(SafeForm):
    """``?language=`` of the printable copies."""

    language = forms.ChoiceField(choices=RELEASE_LANGUAGES, required=False)

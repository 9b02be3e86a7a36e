"""Forms for sign-in, activation, staff management and organisation settings.  Every form lists its
fields explicitly, so a request cannot set anything else (no mass assignment)."""

from __future__ import annotations

import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from waypoint.core.forms import SafeForm, SafeModelForm
from waypoint.orgs import discretion, jurisdiction
from waypoint.orgs.models import ROLE_LABELS, InterviewsAs, Organisation, Role, Site, Staff
from waypoint.orgs.validators import GuessableValidator

ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in Role]


class LoginForm(SafeForm):
    username = forms.CharField(
        label=_("Sign-in name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=settings.PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


CODE_SEPARATORS = frozenset(" -_.\u00a0\u2010\u2011\u2012\u2013\u2014\u2212\u30fc\uff0d")


def normalise_code(value: str) -> str:
    """A sign-in, step-up, resume or recovery code as plain ASCII: every decimal digit form
    (full-width, Arabic-Indic, Devanagari...) becomes its ASCII digit, full-width letters their
    ASCII letters (NFKC), spaces and dashes go.  Anything else is refused with a message, never
    passed on (non-ASCII text made the code check raise, a 500)."""
    out = []
    for ch in unicodedata.normalize("NFKC", value):
        digit = unicodedata.decimal(ch, None)
        if digit is not None:
            out.append(str(digit))
        elif ch.isascii() and ch.isalnum():
            out.append(ch.lower())
        elif ch.isspace() or ch in CODE_SEPARATORS:
            continue
        else:
            raise ValidationError(_("Type the code with digits and letters only."), code="characters")
    return "".join(out)


class CodeField(forms.CharField):
    """A code field that accepts any digit form people's keyboards produce (see ``normalise_code``)."""

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        code = normalise_code(text)
        if self.required and not code:
            raise ValidationError(self.error_messages["required"], code="required")
        return code


class CodeForm(SafeForm):
    code = CodeField(
        label=_("Code from your authenticator app, or a recovery code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text"}),
    )


class ResumeForm(LoginForm):
    """Password and code together, from a page locked after the idle limit (see ``orgs:resume``)."""

    code = CodeField(label=_("Code from your authenticator app, or a recovery code"), max_length=40)
    staff = forms.UUIDField(widget=forms.HiddenInput)


class EnrolForm(SafeForm):
    code = CodeField(
        label=_("Six-digit code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


STEP_UP_FAILED = _("The password or the code did not work. Try again with the newest code.")


class StepUpForm(SafeForm):
    password = forms.CharField(
        label=_("Password"),
        max_length=settings.PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = CodeField(
        label=_("Code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class ActivationCodeForm(SafeForm):
    """The activation code from the invitation link.  It travels in the link's #fragment (never
    sent to any server, so never in an access log) and reaches us only in a POST body: our own
    script copies it into this field, and without script it can be pasted."""

    token = forms.CharField(
        label=_("Activation code"),
        max_length=100,
        help_text=_("The part of your invitation link after the # sign."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}),
    )

    def clean_token(self) -> str:
        value: str = self.cleaned_data["token"]
        return value.strip().rsplit("#", 1)[-1].strip()


def password_validators() -> list[Any]:
    """Django's configured validators, plus the guessable-password check when the settings do not
    list it already (activation is the one place a password is chosen)."""
    validators = list(password_validation.get_default_password_validators())
    if not any(isinstance(v, GuessableValidator) for v in validators):
        validators.append(GuessableValidator())
    return validators


class SetPasswordForm(SafeForm):
    password1 = forms.CharField(
        label=_("New password"),
        max_length=settings.PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 15 characters. A few unrelated words make a strong, memorable password."),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        max_length=settings.PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, staff: Staff, *args: Any, **kwargs: Any) -> None:
        self.staff = staff
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are different."))
        elif first:
            try:
                password_validation.validate_password(first, self.staff, password_validators=password_validators())
            except ValidationError as error:
                self.add_error("password1", error)
        return data


class RolesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=ROLE_CHOICES,
            widget=forms.CheckboxSelectMultiple,
            label=_("Roles"),
            error_messages={"required": _("Choose at least one role.")},
            **kwargs,
        )


class InviteForm(SafeForm):
    username = forms.CharField(
        label=_("Sign-in name"),
        max_length=150,
        help_text=_("Letters, digits and . - _ only. The person signs in with this."),
    )
    display_name = forms.CharField(label=_("Name shown to colleagues"), max_length=150)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False, max_length=254)
    roles = RolesField()

    def clean_username(self) -> str:
        value = Staff.normalize_login(self.cleaned_data["username"])
        if not value or not all(ch.isalnum() or ch in "._-" for ch in value) or not value.isascii():
            raise ValidationError(_("Use letters, digits and . - _ only."))
        if Staff.objects.filter(username=value).exists():
            raise ValidationError(_("This sign-in name is taken. Choose another."))
        return value


class RolesForm(SafeForm):
    roles = RolesField()
    interviews_as = forms.ChoiceField(
        label=_("Can be offered as"),
        choices=InterviewsAs.choices,
        required=False,
        help_text=_("Used to honour a person's wish for a male or a female interviewer when follow-ups are assigned."),
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)


class OrganisationForm(SafeModelForm):
    """The organisation's name (shown to its staff only; the browser tab has its own, neutral name)."""

    class Meta:
        model = Organisation
        fields = ["name"]
        help_texts = {"name": _("Shown to your staff on these pages. The browser tab shows a neutral name instead.")}


def _refuse_placeholder(value: str) -> str:
    text = value.strip()
    if text and not jurisdiction.real_text(text):
        raise ValidationError(_("Write the real name or number, or leave it empty until you have it."))
    return text


YES_NO = [("True", _("Yes")), ("False", _("No"))]


class JurisdictionForm(SafeModelForm):
    """Minors and jurisdiction, as the law where the organisation works says (``orgs.jurisdiction``)."""

    minor_age = forms.IntegerField(
        label=_("Age under which someone is treated as a minor"),
        min_value=jurisdiction.MINOR_AGE_MIN,
        max_value=jurisdiction.MINOR_AGE_MAX,
        error_messages={
            "invalid": _("Give the age as a whole number from 12 to 21."),
            "min_value": _("Give the age as a whole number from 12 to 21."),
            "max_value": _("Give the age as a whole number from 12 to 21."),
            "required": _("Give the age as a whole number from 12 to 21."),
        },
        help_text=_(
            "Under this age a record follows the minor branch: the child protective services step in encounters "
            "and the minor's rule for releases. 18 in most places; check the law where you work."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    minor_may_consent_alone = forms.TypedChoiceField(
        label=_("May a young person agree to services on their own here?"),
        choices=YES_NO,
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes or no.")},
        help_text=_("Shown to providers wherever a minor's record is handled."),
    )

    class Meta:
        model = Organisation
        fields = [
            "minor_age",
            "mandated_report_agency",
            "mandated_report_contact",
            "minor_may_consent_alone",
            "minor_release_consent",
            "release_max_days",
        ]
        labels = {
            "mandated_report_agency": _("Agency that receives mandated reports about minors"),
            "mandated_report_contact": _("How to reach that agency"),
            "release_max_days": _("Longest a release of information may last (days)"),
            "minor_release_consent": _("Who may sign a release for a minor"),
        }
        help_texts = {
            "mandated_report_agency": _("For example the state or county child protective services hotline."),
            "mandated_report_contact": _(
                "A phone number, and an online form if the agency has one. Until the agency is filled in, providers "
                "are told to ask their supervisor."
            ),
            "release_max_days": _(
                "Every release needs an expiry no later than this. 90 days unless your policy says otherwise."
            ),
            "minor_release_consent": _(
                "As the law where you work says. Someone recorded as possibly harming the young person can never sign."
            ),
        }
        widgets = {"minor_release_consent": forms.RadioSelect}

    def clean_mandated_report_agency(self) -> str:
        return _refuse_placeholder(self.cleaned_data["mandated_report_agency"])

    def clean_mandated_report_contact(self) -> str:
        return _refuse_placeholder(self.cleaned_data["mandated_report_contact"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mandated_report_contact") and not data.get("mandated_report_agency"):
            self.add_error("mandated_report_agency", _("Name the agency this contact belongs to."))
        return data


class DiscretionForm(SafeModelForm):
    """What an onlooker may see: where Exit goes, the browser tab's name, the steps for a call."""

    exit_url = forms.URLField(
        label=_("Quick exit page"),
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": _("Use a web address that starts with https://")},
        help_text=_(
            "A neutral web page the browser goes to when someone uses Exit: weather, news or a search page, "
            "never your own site."
        ),
    )
    tab_title = forms.CharField(
        label=_("Name in the browser tab"),
        max_length=discretion.TAB_TITLE_MAX,
        required=False,
        help_text=_(
            "Anyone who sees the screen, the taskbar or the list of open windows can read it. Keep it neutral "
            "and unrelated to your organisation's work, for example “Notes” or “Appointments”. Left empty: "
            "“Notes”, in each reader's language."
        ),
    )
    phone_emergency_steps = forms.CharField(
        label=_("If someone on the phone is in danger (one step per line)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("Left empty, providers see Waypoint's steps for a call, listed below, in their language."),
    )

    class Meta:
        model = Organisation
        fields = ["exit_url", "tab_title", "phone_emergency_steps"]

    def clean_exit_url(self) -> str:
        value: str = self.cleaned_data["exit_url"]
        if not value.startswith("https://"):
            raise ValidationError(_("Use a web address that starts with https://"))
        return value

    def clean_tab_title(self) -> str:
        return " ".join(str(self.cleaned_data["tab_title"]).split())

    def clean_phone_emergency_steps(self) -> str:
        return "\n".join(discretion.lines(self.cleaned_data["phone_emergency_steps"]))


class SiteForm(SafeModelForm):
    class Meta:
        model = Site
        fields = ["name"]


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=500)


class PersonLabelsForm(SafeForm):
    """The user's own choice to see initials or aliases beside reference codes in people lists."""

    show = forms.BooleanField(
        label=_("Show initials or another name beside reference codes in lists of records"),
        help_text=_("This changes only your own lists, for records you may open. Off: reference codes only."),
        required=False,
    )

"""Password checks beside Django's own.  No composition rules (NIST SP 800-63B); instead:

- ``RepetitionValidator`` refuses passwords made of one short unit repeated or of very few different
  characters ("passwordpassword", "aaaaaaaaaaaaaaaa").
- ``GuessableValidator`` refuses passwords an attacker's guessing list reaches early: leaked and common
  passwords, common words and names, with digit runs, keyboard rows, dates or repeats added
  ("password123456789", "123456789012345", "sunshine2024summer").  It uses zxcvbn's pattern matcher
  and the word and leaked-password frequency lists that ship inside the ``zxcvbn`` package (about
  30,000 leaked passwords and 60,000 words and names), offline: no password ever leaves the server.

Does not defend against: a password that is unusual but leaked verbatim in a breach outside those
lists (the full breach corpora are too large to ship), or one reused from another site.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from zxcvbn import zxcvbn

MIN_DISTINCT = 5
# zxcvbn's estimate of the guesses an attacker needs; below 10^10 a password falls to a list-based
# attack on a stolen hash in hours.  Passphrases of three or four unrelated words are well above it.
MIN_GUESSES = 10**10
# The guess estimate is driven by the start of a password; the rest only costs time.
MAX_CHECKED = 72  # zxcvbn refuses longer input


class RepetitionValidator:
    def validate(self, password: str, user: Any = None) -> None:
        folded = password.casefold()
        repeated = any(
            len(folded) % size == 0 and folded == folded[:size] * (len(folded) // size)
            for size in range(1, len(folded) // 2 + 1)
        )
        if repeated or len(set(folded)) < MIN_DISTINCT:
            raise ValidationError(
                _("This password repeats itself too much. Try a few unrelated words instead."), code="repetitive"
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be one short word or pattern repeated.")


class GuessableValidator:
    def validate(self, password: str, user: Any = None) -> None:
        result = zxcvbn(password[:MAX_CHECKED])
        if float(result["guesses"]) < MIN_GUESSES:
            raise ValidationError(
                _(
                    "This password is too easy to guess: it is a known leaked or common password, or a "
                    "common word or name with predictable numbers, keyboard runs or repeats added. "
                    "Attackers try these first. Try a few unrelated words instead."
                ),
                code="guessable",
            )

    def get_help_text(self) -> str:
        return _("Your password cannot be a common or leaked password, or a common word with numbers added.")

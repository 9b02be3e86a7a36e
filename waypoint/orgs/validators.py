"""A password check beside Django's own: refuses passwords made of one short unit repeated or of
very few different characters ("passwordpassword", "aaaaaaaaaaaaaaaa"), which Django's common
password list misses at 15 characters and more.  No composition rules (NIST SP 800-63B)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_DISTINCT = 5


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

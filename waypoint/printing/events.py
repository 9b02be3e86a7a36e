"""Audit event codes of printing (the plan's codes keep their first names, under ``plan.``; the
signs' codes, under ``sign.``, name no person: a download has no object, a language only its id)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from waypoint.core import audit


class PrintEvent(StrEnum):
    CARRY_RECORDED = "plan.carry_recorded"
    PLAN_PRINTED = "plan.printed"
    CARD_PRINTED = "plan.card_printed"
    REFUSED = "plan.print_refused"
    MEMORISE_VIEWED = "plan.memorise_viewed"
    PRINT_VIEWED = "plan.print_viewed"


audit.register(
    {
        PrintEvent.CARRY_RECORDED: _("Safe-to-carry answer recorded"),
        PrintEvent.PLAN_PRINTED: _("Safety plan printed or downloaded"),
        PrintEvent.CARD_PRINTED: _("Wallet card printed or downloaded"),
        PrintEvent.REFUSED: _("Printing refused"),
        PrintEvent.MEMORISE_VIEWED: _("Items to memorise shown"),
        PrintEvent.PRINT_VIEWED: _("Printing choices shown"),
    },
    reads=[PrintEvent.PLAN_PRINTED, PrintEvent.CARD_PRINTED, PrintEvent.MEMORISE_VIEWED, PrintEvent.PRINT_VIEWED],
)


class SignEvent(StrEnum):
    PRINTED = "sign.printed"
    LANGUAGE_SAVED = "sign.language_saved"
    LANGUAGE_DELETED = "sign.language_deleted"


audit.register(
    {
        SignEvent.PRINTED: _("Sign downloaded"),
        SignEvent.LANGUAGE_SAVED: _("Sign language added or changed"),
        SignEvent.LANGUAGE_DELETED: _("Sign language removed"),
    }
)

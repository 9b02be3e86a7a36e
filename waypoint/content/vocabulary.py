"""Words the source texts give and more than one app uses, defined once.

The four areas of safety ("Assess Current Safety in Emergencies" and the safety plan of
*Trauma-Informed Crisis Response and Safety Planning*) are assessed in an encounter and planned
for in the safety plan: both use this one list."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SafetyDomain(models.TextChoices):
    PHYSICAL = "physical", _("Physical safety")
    COMMUNICATION = "communication", _("Communication safety")
    ENVIRONMENTAL = "environmental", _("Environmental safety")
    EMOTIONAL = "emotional", _("Emotional safety")

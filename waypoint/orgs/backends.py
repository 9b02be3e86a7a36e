"""Django's model backend, loading the staff member's organisation in the same query (every page
needs it for the quick-exit destination)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from waypoint.orgs.models import Staff


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Staff | None:
        staff = Staff.objects.select_related("org").filter(pk=user_id).first()
        return staff if staff is not None and self.user_can_authenticate(staff) else None

"""The one access rule for staff records: org admins of the same organisation; everyone else 404."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.orgs.models import Role, Staff


def get_staff(request: HttpRequest, staff_id: uuid.UUID | str) -> Staff:
    user = request.user
    if user.is_authenticated and user.has_role(Role.ORG_ADMIN):  # type: ignore[union-attr]
        found = Staff.objects.filter(org_id=user.org_id, pk=staff_id).first()  # type: ignore[union-attr]
        if found is not None:
            return found
    deny(request, "staff", staff_id)

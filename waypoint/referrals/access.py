"""The access rule for the services ledger: the readers of the person's record; everyone else 404."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from waypoint.core.access import deny
from waypoint.people.access import people_for
from waypoint.referrals.models import ServiceRecord


def services_for(user: Any) -> QuerySet[ServiceRecord]:
    if not user.is_authenticated:
        return ServiceRecord.objects.none()
    return ServiceRecord.objects.filter(org_id=user.org_id, person__in=people_for(user))


def get_service(request: HttpRequest, person_id: Any, service_id: uuid.UUID | str) -> ServiceRecord:
    try:
        return services_for(request.user).get(pk=service_id, person_id=person_id)
    except (ServiceRecord.DoesNotExist, ValueError):
        deny(request, "service", service_id)

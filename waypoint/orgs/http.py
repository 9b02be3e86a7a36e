"""The request a view gets once its policy has let it in: ``request.user`` is a signed-in staff
member (as healthchecks' ``AuthenticatedHttpRequest``), so views need no casts or asserts."""

from __future__ import annotations

from django.http import HttpRequest

from waypoint.orgs.models import Staff


class AuthenticatedHttpRequest(HttpRequest):
    user: Staff  # type: ignore[assignment]

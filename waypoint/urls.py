"""URL map.  Every view declares an access policy (waypoint.core.access.policy); a test fails on
any pattern without one.  No pattern carries personal data: ids are random UUIDs."""

from django.urls import include, path

from waypoint.core import views as core

urlpatterns = [
    path("", include("waypoint.core.urls")),
    path("", include("waypoint.orgs.urls")),
    path("people/", include("waypoint.people.urls")),
    path("oversight/", include("waypoint.oversight.urls")),
    path("encounters/", include("waypoint.encounters.urls")),
    path("plans/", include("waypoint.plans.urls")),
    path("settings/content/", include("waypoint.content.urls")),
]

handler400 = core.bad_request
handler403 = core.permission_denied
handler404 = core.page_not_found
handler500 = core.server_error

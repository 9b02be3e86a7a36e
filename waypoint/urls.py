"""URL map.  Every view declares an access policy (waypoint.core.access.policy); a test fails on
any pattern without one.  No pattern carries personal data: ids are random UUIDs.

Each app owns its URLs, with their full paths: an app that adds to a person's record (an encounter,
a plan, the services ledger) puts its pattern under ``people/<id>/`` itself."""

from django.urls import include, path

from waypoint.core import views as core

urlpatterns = [
    path("", include("waypoint.core.urls")),
    path("", include("waypoint.orgs.urls")),
    path("", include("waypoint.people.urls")),
    path("", include("waypoint.encounters.urls")),
    path("", include("waypoint.plans.urls")),
    path("", include("waypoint.printing.urls")),
    path("", include("waypoint.contact.urls")),
    path("", include("waypoint.referrals.urls")),
    path("", include("waypoint.retention.urls")),
    path("oversight/", include("waypoint.oversight.urls")),
    path("settings/content/", include("waypoint.content.urls")),
]

handler400 = core.bad_request
handler403 = core.permission_denied
handler404 = core.page_not_found
handler500 = core.server_error

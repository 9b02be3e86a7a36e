"""The app's URLs: each views module lists its own patterns, grouped here under one namespace."""

from django.urls import URLPattern, path

from waypoint.referrals.views import directory, disclosures, referrals, releases, services, shares

app_name = "referrals"
urlpatterns: list[URLPattern] = [
    # The services ledger
    path("people/<uuid:person_id>/services/", services.service_list, name="services"),
    path("people/<uuid:person_id>/services/<uuid:service_id>/", services.service_edit, name="service_edit"),
    *directory.urlpatterns,
    *referrals.urlpatterns,
    *releases.urlpatterns,
    *shares.urlpatterns,
    *disclosures.urlpatterns,
]

"""Retention: how long the organisation keeps each kind of data, legal holds, and purge runs."""

from django.urls import path

from waypoint.retention import views

app_name = "retention"
urlpatterns = [
    # Organisation admin
    path("settings/retention/", views.retention_settings, name="settings"),
    path("settings/retention/preview/", views.retention_preview, name="preview"),
    # A record's page: close, reopen, legal hold
    path("people/<uuid:person_id>/keeping/", views.record, name="record"),
    path("people/<uuid:person_id>/close/", views.close, name="close"),
    path("people/<uuid:person_id>/reopen/", views.reopen, name="reopen"),
    path("people/<uuid:person_id>/hold/", views.hold_set, name="hold_set"),
    path("people/<uuid:person_id>/hold/lift/", views.hold_lift, name="hold_lift"),
]

from django.urls import path

from waypoint.encounters import separation_views, views

app_name = "encounters"
urlpatterns = [
    path("<uuid:encounter_id>/", views.encounter_detail, name="detail"),
    path("<uuid:encounter_id>/privacy/", views.encounter_gate, name="gate"),
    path("<uuid:encounter_id>/confidentiality/", views.encounter_confidentiality, name="confidentiality"),
    path("<uuid:encounter_id>/safety-check/", views.encounter_check, name="safety_check"),
    path("<uuid:encounter_id>/assessment/", views.encounter_assessment, name="assessment"),
    path("<uuid:encounter_id>/needs/", views.encounter_needs, name="needs"),
    path("<uuid:encounter_id>/consent/", views.encounter_consent, name="consent"),
    path("<uuid:encounter_id>/child-protection/", views.encounter_minor, name="minor"),
    path("<uuid:encounter_id>/hotline-card/", views.encounter_education, name="education"),
    path("<uuid:encounter_id>/steps/<str:step>/", views.encounter_step_state, name="step_state"),
    path("<uuid:encounter_id>/comfort/", views.encounter_comfort, name="comfort"),
    path("<uuid:encounter_id>/close/", views.encounter_close, name="close"),
    path("<uuid:encounter_id>/danger/", views.encounter_danger, name="danger"),
    path("<uuid:encounter_id>/amendments/", views.encounter_amend, name="amend"),
    path("<uuid:encounter_id>/injured/", views.encounter_injured, name="injured"),
    path("<uuid:encounter_id>/not-safe-to-talk/", views.encounter_cover, name="cover"),
    path("<uuid:encounter_id>/separation/", separation_views.encounter_separation, name="separation"),
    # Separation protocol and front-desk requests
    path("separation/protocol/", separation_views.protocol_edit, name="protocol"),
    path("separation/requests/", separation_views.request_create, name="request_create"),
    path("separation/requests/<uuid:request_id>/take/", separation_views.request_take, name="request_take"),
    path("separation/requests/<uuid:request_id>/", separation_views.request_run, name="request_run"),
]

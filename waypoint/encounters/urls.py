from django.urls import path

from waypoint.encounters import separation_views, views

app_name = "encounters"
urlpatterns = [
    path("people/<uuid:person_id>/encounters/new/", views.encounter_start, name="start"),
    path("encounters/<uuid:encounter_id>/", views.encounter_detail, name="detail"),
    path("encounters/<uuid:encounter_id>/privacy/", views.encounter_gate, name="gate"),
    path("encounters/<uuid:encounter_id>/confidentiality/", views.encounter_confidentiality, name="confidentiality"),
    path("encounters/<uuid:encounter_id>/safety-check/", views.encounter_check, name="safety_check"),
    path("encounters/<uuid:encounter_id>/assessment/", views.encounter_assessment, name="assessment"),
    path("encounters/<uuid:encounter_id>/needs/", views.encounter_needs, name="needs"),
    path("encounters/<uuid:encounter_id>/consent/", views.encounter_consent, name="consent"),
    path("encounters/<uuid:encounter_id>/child-protection/", views.encounter_minor, name="minor"),
    path("encounters/<uuid:encounter_id>/hotline-card/", views.encounter_education, name="education"),
    path("encounters/<uuid:encounter_id>/steps/<str:step>/", views.encounter_step_state, name="step_state"),
    path("encounters/<uuid:encounter_id>/comfort/", views.encounter_comfort, name="comfort"),
    path("encounters/<uuid:encounter_id>/close/", views.encounter_close, name="close"),
    path("encounters/<uuid:encounter_id>/danger/", views.encounter_danger, name="danger"),
    path("encounters/<uuid:encounter_id>/amendments/", views.encounter_amend, name="amend"),
    path("encounters/<uuid:encounter_id>/injured/", views.encounter_injured, name="injured"),
    path("encounters/<uuid:encounter_id>/not-safe-to-talk/", views.encounter_cover, name="cover"),
    path("encounters/<uuid:encounter_id>/separation/", separation_views.encounter_separation, name="separation"),
    # Separation protocol and front-desk requests
    path("encounters/separation/protocol/", separation_views.protocol_edit, name="protocol"),
    path("encounters/separation/requests/", separation_views.request_create, name="request_create"),
    path("encounters/separation/requests/<uuid:request_id>/take/", separation_views.request_take, name="request_take"),
    path("encounters/separation/requests/<uuid:request_id>/", separation_views.request_run, name="request_run"),
]

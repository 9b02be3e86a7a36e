from django.urls import path

from waypoint.encounters.views import escalation, flow, policy, separation, steps, summary

app_name = "encounters"
urlpatterns = [
    path("people/<uuid:person_id>/encounters/new/", flow.encounter_start, name="start"),
    path("encounters/<uuid:encounter_id>/", flow.encounter_detail, name="detail"),
    path("encounters/<uuid:encounter_id>/privacy/", steps.encounter_gate, name="gate"),
    path("encounters/<uuid:encounter_id>/safe-to-talk/", steps.encounter_safe_to_talk, name="safe_to_talk"),
    path("encounters/<uuid:encounter_id>/confidentiality/", steps.encounter_confidentiality, name="confidentiality"),
    path("encounters/<uuid:encounter_id>/safety-check/", steps.encounter_check, name="safety_check"),
    path("encounters/<uuid:encounter_id>/assessment/", steps.encounter_assessment, name="assessment"),
    path("encounters/<uuid:encounter_id>/needs/", steps.encounter_needs, name="needs"),
    path("encounters/<uuid:encounter_id>/consent/", steps.encounter_consent, name="consent"),
    path("encounters/<uuid:encounter_id>/child-protection/", steps.encounter_minor, name="minor"),
    path("encounters/<uuid:encounter_id>/hotline-card/", steps.encounter_education, name="education"),
    path("encounters/<uuid:encounter_id>/steps/<str:step>/", flow.encounter_step_state, name="step_state"),
    path("encounters/<uuid:encounter_id>/comfort/", flow.encounter_comfort, name="comfort"),
    path("encounters/<uuid:encounter_id>/close/", flow.encounter_close, name="close"),
    path("encounters/<uuid:encounter_id>/summary/", summary.encounter_summary, name="summary"),
    path("encounters/<uuid:encounter_id>/danger/", escalation.encounter_danger, name="danger"),
    path("encounters/<uuid:encounter_id>/amendments/", flow.encounter_amend, name="amend"),
    path("encounters/<uuid:encounter_id>/injured/", escalation.encounter_injured, name="injured"),
    path("encounters/<uuid:encounter_id>/not-safe-to-talk/", escalation.encounter_cover, name="cover"),
    path("encounters/<uuid:encounter_id>/separation/", separation.encounter_separation, name="separation"),
    # Separation protocol and front-desk requests
    path("encounters/separation/protocol/", separation.protocol_edit, name="protocol"),
    path("encounters/separation/requests/", separation.request_create, name="request_create"),
    path("encounters/separation/requests/waiting/", separation.requests_waiting, name="requests_waiting"),
    path("encounters/separation/requests/<uuid:request_id>/take/", separation.request_take, name="request_take"),
    path("encounters/separation/requests/<uuid:request_id>/", separation.request_run, name="request_run"),
    # The see-alone policy (organisation settings)
    path("encounters/see-alone-policy/", policy.see_alone_policy, name="see_alone_policy"),
]

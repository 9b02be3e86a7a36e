from django.urls import path

from waypoint.encounters import views as encounter_views
from waypoint.people import views
from waypoint.plans import views as plan_views
from waypoint.referrals import views as service_views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("search/", views.person_search, name="search"),
    path("new/", views.person_create, name="create"),
    path("<uuid:person_id>/", views.person_detail, name="detail"),
    path("<uuid:person_id>/edit/", views.person_edit, name="edit"),
    path("<uuid:person_id>/timeline/", views.person_timeline, name="timeline"),
    path("<uuid:person_id>/encounters/new/", encounter_views.encounter_start, name="encounter_start"),
    path("<uuid:person_id>/plan/", plan_views.plan_for_person, name="plan"),
    path("<uuid:person_id>/services/", service_views.service_list, name="services"),
    path("<uuid:person_id>/services/<uuid:service_id>/", service_views.service_edit, name="service_edit"),
]

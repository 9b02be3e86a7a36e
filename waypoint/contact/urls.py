from django.urls import path

from waypoint.contact import views

app_name = "contact"
urlpatterns = [
    # Before any contact: the rules in large type, re-confirmed with the person
    path("people/<uuid:person_id>/contact/", views.contact_person, name="person"),
    path("people/<uuid:person_id>/contact/confirm/", views.contact_reconfirm, name="reconfirm"),
    path("people/<uuid:person_id>/contact/attempts/", views.contact_attempt, name="person_attempt"),
    path("people/<uuid:person_id>/contact/rules/", views.contact_rules, name="rules"),
    # Follow-ups and their attempts
    path("people/<uuid:person_id>/follow-ups/new/", views.task_new, name="task_new"),
    path("follow-ups/<uuid:task_id>/", views.task_detail, name="task"),
    path("follow-ups/<uuid:task_id>/attempts/", views.task_attempt, name="attempt"),
    path("plans/<uuid:plan_id>/tasks/<uuid:task_id>/done/", views.task_done, name="task_done"),
]

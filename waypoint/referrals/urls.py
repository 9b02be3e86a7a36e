from django.urls import path

from waypoint.referrals import views

app_name = "referrals"
urlpatterns = [
    path("people/<uuid:person_id>/services/", views.service_list, name="services"),
    path("people/<uuid:person_id>/services/<uuid:service_id>/", views.service_edit, name="service_edit"),
]

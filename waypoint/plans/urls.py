from django.urls import path

from waypoint.plans import views

app_name = "plans"
urlpatterns = [
    path("people/<uuid:person_id>/plan/", views.plan_for_person, name="for_person"),
    path("plans/<uuid:plan_id>/", views.plan_detail, name="detail"),
    path("plans/<uuid:plan_id>/overview/", views.plan_overview, name="overview"),
    path("plans/<uuid:plan_id>/domains/<str:domain>/", views.plan_domain, name="domain"),
    path("plans/<uuid:plan_id>/resources/<str:item>/", views.plan_item, name="item"),
    path("plans/<uuid:plan_id>/versions/", views.plan_versions, name="versions"),
    path("plans/<uuid:plan_id>/compare/", views.plan_compare, name="compare"),
    path("plans/<uuid:plan_id>/check-in/", views.plan_check_in, name="check_in"),
]

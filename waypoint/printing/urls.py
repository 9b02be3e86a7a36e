from django.urls import path

from waypoint.printing import views

app_name = "printing"
urlpatterns = [
    path("plans/<uuid:plan_id>/print/", views.print_setup, name="setup"),
    path("plans/<uuid:plan_id>/print/plan/", views.print_plan, name="plan"),
    path("plans/<uuid:plan_id>/print/card/", views.print_card, name="card"),
    path("plans/<uuid:plan_id>/memorise/", views.memorise, name="memorise"),
]

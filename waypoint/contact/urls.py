from django.urls import path

from waypoint.contact import views

app_name = "contact"
urlpatterns = [
    path("plans/<uuid:plan_id>/tasks/<uuid:task_id>/done/", views.task_done, name="task_done"),
]

from django.urls import path

from waypoint.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("exit/", views.quick_exit, name="exit"),
    path("about-exit/", views.exit_info, name="exit_info"),
    path("healthz", views.healthz, name="healthz"),
]

from django.urls import path

from waypoint.oversight import views

app_name = "oversight"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
]

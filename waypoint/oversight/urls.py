from django.urls import path

from waypoint.oversight import adherence, views

app_name = "oversight"
urlpatterns = [
    path("audit/", views.audit_log, name="audit_log"),
    path("see-alone/", adherence.adherence, name="adherence"),
]

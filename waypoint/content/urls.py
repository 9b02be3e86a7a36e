from django.urls import path

from waypoint.content import views

app_name = "content"
urlpatterns = [
    path("", views.content_list, name="list"),
    path("<str:kind>/<str:language>/", views.content_edit, name="edit"),
]

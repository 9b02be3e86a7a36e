from django.urls import path

from waypoint.people import views

app_name = "people"
urlpatterns = [
    path("people/", views.person_list, name="list"),
    path("people/search/", views.person_search, name="search"),
    path("people/new/", views.person_create, name="create"),
    path("people/<uuid:person_id>/", views.person_detail, name="detail"),
    path("people/<uuid:person_id>/edit/", views.person_edit, name="edit"),
    path("people/<uuid:person_id>/timeline/", views.person_timeline, name="timeline"),
]

from django.urls import path

from waypoint.printing import sign_views, views

app_name = "printing"
urlpatterns = [
    path("plans/<uuid:plan_id>/print/", views.print_setup, name="setup"),
    path("plans/<uuid:plan_id>/print/plan/", views.print_plan, name="plan"),
    path("plans/<uuid:plan_id>/print/card/", views.print_card, name="card"),
    path("plans/<uuid:plan_id>/memorise/", views.memorise, name="memorise"),
    # Signs.  The paper size is a fixed word in the path (one pattern per size, both named "sign"):
    # reverse("printing:sign", kwargs={"kind": ..., "size": "a4", "language": ...}) picks the right one.
    path("signs/", sign_views.sign_list, name="signs"),
    path("signs/<str:kind>/letter/<str:language>/", sign_views.sign, {"size": "letter"}, name="sign"),
    path("signs/<str:kind>/a4/<str:language>/", sign_views.sign, {"size": "a4"}, name="sign"),
    path("signs/languages/", sign_views.sign_languages, name="sign_languages"),
    path("signs/languages/<uuid:translation_id>/", sign_views.sign_language, name="sign_language"),
    path("signs/languages/<uuid:translation_id>/delete/", sign_views.sign_language_delete, name="sign_language_delete"),
]

from django.urls import path

from waypoint.plans import views
from waypoint.printing import views as printing

app_name = "plans"
urlpatterns = [
    path("<uuid:plan_id>/", views.plan_detail, name="detail"),
    path("<uuid:plan_id>/overview/", views.plan_overview, name="overview"),
    path("<uuid:plan_id>/domains/<str:domain>/", views.plan_domain, name="domain"),
    path("<uuid:plan_id>/resources/<str:item>/", views.plan_item, name="item"),
    path("<uuid:plan_id>/versions/", views.plan_versions, name="versions"),
    path("<uuid:plan_id>/compare/", views.plan_compare, name="compare"),
    path("<uuid:plan_id>/check-in/", views.plan_check_in, name="check_in"),
    path("<uuid:plan_id>/tasks/<uuid:task_id>/done/", views.task_done, name="task_done"),
    path("<uuid:plan_id>/print/", printing.print_setup, name="print"),
    path("<uuid:plan_id>/print/plan/", printing.print_plan, name="print_plan"),
    path("<uuid:plan_id>/print/card/", printing.print_card, name="print_card"),
    path("<uuid:plan_id>/memorise/", printing.memorise, name="memorise"),
]

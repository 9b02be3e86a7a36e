from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.encounters"
    label = "encounters"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.retention"
    label = "retention"
    default_auto_field = "django.db.models.BigAutoField"

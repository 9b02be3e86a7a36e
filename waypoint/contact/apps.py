from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.contact"
    label = "contact"
    default_auto_field = "django.db.models.BigAutoField"

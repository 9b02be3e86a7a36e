from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.referrals"
    label = "referrals"
    default_auto_field = "django.db.models.BigAutoField"

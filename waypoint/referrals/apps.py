from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.referrals"
    label = "referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.referrals import (
            events,  # noqa: F401  (declares this app's audit event codes)
            parts,
        )

        parts.register()

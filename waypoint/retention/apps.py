from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.retention"
    label = "retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.retention import (
            events,  # noqa: F401  (declares this app's audit event codes)
            parts,
        )

        parts.register()

from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.printing"
    label = "printing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.printing import (
            events,  # noqa: F401  (declares this app's audit event codes)
            parts,
        )

        parts.register()

from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.encounters"
    label = "encounters"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.encounters import (
            events,  # noqa: F401  (declares this app's audit event codes)
            home,
            parts,
        )

        home.register()
        parts.register()

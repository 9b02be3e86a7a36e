from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.contact"
    label = "contact"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.contact import (
            events,  # noqa: F401  (declares this app's audit event codes)
            home,
            parts,
        )

        home.register()
        parts.register()

from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.people import (
            events,  # noqa: F401  (declares this app's audit event codes)
            home,
        )

        home.register()

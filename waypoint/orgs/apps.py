from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.orgs"
    label = "orgs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.orgs import home

        home.register()

from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.oversight"
    label = "oversight"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.oversight import home

        home.register()
